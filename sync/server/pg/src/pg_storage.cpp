// PgStorage's pushes and pulls (pg_storage_impl.h says how they meet the cursor problem), and the
// back end's entry points: init_pg_database, open_pg_storage and pg_storage_factory.
#include "outpost/sync/pg_storage.h"

#include "outpost/core/error_codes.h"
#include "pg_schema.h"
#include "pg_storage_impl.h"

namespace outpost::sync {
namespace pg {
namespace {

using storage::hlc_text;

WireChange change_from(const Res& r, int row) {
    WireChange c;
    c.seq = r.i64(row, 0);
    c.record = r.str(row, 1);
    c.type = r.str(row, 2);
    c.team = r.str(row, 3);
    c.field = r.str(row, 4);
    c.value = r.str(row, 5);
    c.hlc = hlc_text(r.i64(row, 6));
    c.device = r.str(row, 7);
    c.base = hlc_text(r.i64(row, 8));
    c.author = r.str(row, 9);
    return c;
}

}  // namespace

Result<ServerIdentity> PgStorage::identity() {
    auto c = m_pool.take();
    Res r = c->run("identity", "SELECT server_id, schema_version, created_ms FROM outpost_meta LIMIT 1");
    if (!r.ok()) {
        return r.status;
    }
    if (r.rows() == 0) {
        return Status::error(errc::kServerDataDirInvalid, "the database has no Outpost identity row");
    }
    return ServerIdentity{r.str(0, 0), static_cast<int>(r.i64(0, 1)), r.i64(0, 2)};
}

Status PgStorage::with_sync_txn(const std::string& team, const std::function<Status(SyncTxn&)>& body) {
    std::shared_ptr<storage::GroupWriter> gate;
    {
        std::lock_guard lock(m_gates_mutex);
        std::shared_ptr<storage::GroupWriter>& g = m_gates[team];
        if (!g) {
            g = std::make_shared<storage::GroupWriter>(kMaxGroup);
        }
        gate = g;
    }
    return gate->submit(
        body, [this, &team](const std::vector<storage::GroupWriter::Pending*>& group) { write_group(team, group); });
}

void PgStorage::write_group(const std::string& team, const std::vector<storage::GroupWriter::Pending*>& group) {
    if (group.size() > 1) {
        const Status together = in_team_txn(team, [&](PgTxn& txn) -> Status {
            for (storage::GroupWriter::Pending* p : group) {
                p->result = (*p->body)(txn);
                OUTPOST_TRY(p->result);
            }
            return Status::ok();
        });
        if (together.is_ok()) {
            return;
        }
    }
    for (storage::GroupWriter::Pending* p : group) {
        p->result = in_team_txn(team, [&](PgTxn& txn) { return (*p->body)(txn); });
    }
}

Status PgStorage::in_team_txn(const std::string& team, const std::function<Status(PgTxn&)>& body) {
    auto c = m_pool.take();
    const std::string lock =
        "SELECT pg_advisory_xact_lock(" + std::to_string(kTeamLockClass) + ", hashtext(" + c->literal(team) + "))";
    auto txn = PgTransaction::begin(*c, PgTransaction::Kind::kReadWrite, lock);
    OUTPOST_TRY(txn);
    PgTxn push(*c);
    Status s = body(push);
    if (s.is_ok()) {
        s = push.flush();
    }
    return txn->finish(s);
}

Result<bool> PgStorage::blob_ref_exists(const std::string& team, const std::string& hash) {
    auto c = m_pool.take();
    Res r = c->run("blob_ref", "SELECT 1 FROM srv_blob_refs WHERE team = $1 AND hash = $2", {p(team), p(hash)});
    if (!r.ok()) {
        return r.status;
    }
    return r.rows() > 0;
}

Result<std::vector<WireChange>> PgStorage::changes_after(const std::string& team, const std::string& exclude_device,
                                                         std::int64_t after, int limit, std::int64_t& safe_to) {
    auto c = m_pool.take();
    // The bound first, then the rows in a later snapshot: every seq at or below the bound was
    // committed (or rolled back) before the rows were read.
    Res bound = c->run("safe_seq", "SELECT outpost_safe_seq()");
    if (!bound.ok()) {
        return bound.status;
    }
    const std::int64_t safe = bound.i64(0, 0);
    Res r =
        c->run("changes_after",
               "SELECT * FROM (SELECT seq, record, type, team, field, value, hlc, device, base, author "
               "FROM srv_changes WHERE team = $1 AND seq > $2 AND seq <= $5 AND device <> $3 ORDER BY seq LIMIT $4) a "
               "UNION ALL SELECT * FROM (SELECT seq, record, type, team, field, value, hlc, device, base, "
               "author FROM srv_changes WHERE team = '*' AND seq > $2 AND seq <= $5 AND device <> $3 "
               "ORDER BY seq LIMIT $4) b ORDER BY seq LIMIT $4",
               {p(team), p(after), p(exclude_device), p(static_cast<std::int64_t>(limit)), p(safe)});
    if (!r.ok()) {
        return r.status;
    }
    std::vector<WireChange> out;
    out.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) {
        out.push_back(change_from(r, i));
    }
    safe_to = static_cast<int>(out.size()) == limit ? out.back().seq : safe;  // below `after`: past the end
    return out;
}

Status PgStorage::snapshot_page(const std::string& team, const std::string& exclude_device, const std::string& after,
                                int limit, std::size_t max_bytes, std::int64_t& log_end, bool& more,
                                const std::function<void(const SnapshotRow&)>& on_row) {
    auto c = m_pool.take();
    // The bound before the snapshot: every change at or below it is in the records read. A change
    // committed in between is in them too, and is pulled again later (merging it is a no-op).
    Res end = c->run("safe_seq", "SELECT outpost_safe_seq()");
    if (!end.ok()) {
        return end.status;
    }
    log_end = end.i64(0, 0);
    auto txn = PgTransaction::begin(*c, PgTransaction::Kind::kSnapshot);
    OUTPOST_TRY(txn);
    storage::SnapshotPager pager{exclude_device, limit, max_bytes};
    more = false;
    std::string from = after;
    // In batches, since records the device already holds are skipped and do not count.
    for (bool done = false; !done;) {
        Res r = c->run("snapshot",
                       "SELECT id, type, created_by, fields FROM srv_records WHERE team = $1 AND id > $2 "
                       "AND fields IS NOT NULL ORDER BY id LIMIT $3",
                       {p(team), p(from), p(static_cast<std::int64_t>(limit) + 64)});
        if (!r.ok()) {
            return txn->finish(r.status);
        }
        for (int i = 0; i < r.rows() && !done; ++i) {
            const std::string fields = r.bytea(i, 3);
            auto sent = pager.add(r.text(i, 0), r.text(i, 1), r.text(i, 2), fields, more, on_row);
            if (!sent.is_ok()) {
                return txn->finish(sent.status());
            }
            done = !*sent;
        }
        if (r.rows() < limit + 64) {
            done = true;
        } else if (!done) {
            from = r.str(r.rows() - 1, 0);
        }
    }
    return txn->finish(Status::ok());
}

Result<std::uint64_t> PgStorage::max_hlc() {
    auto c = m_pool.take();
    Res r = c->run("max_hlc", "SELECT COALESCE(max(hlc), 0) FROM srv_changes");
    if (!r.ok()) {
        return r.status;
    }
    return static_cast<std::uint64_t>(r.i64(0, 0));
}

Result<std::int64_t> PgStorage::logged_changes(const std::string& device) {
    auto c = m_pool.take();
    Res r = c->run("logged_changes", "SELECT count(*) FROM srv_changes WHERE device = $1", {p(device)});
    if (!r.ok()) {
        return r.status;
    }
    return r.i64(0, 0);
}

}  // namespace pg

Status init_pg_database(const std::string& conninfo) {
    auto c = pg::connect(conninfo);
    OUTPOST_TRY(c);
    return pg::migrate(**c, /*create=*/true);
}

Result<std::unique_ptr<ServerStorage>> open_pg_storage(const std::string& conninfo, int pool_size) {
    if (pool_size < 1 || pool_size > 256) {
        return Status::error(errc::kServerConfigInvalid, "the connection pool holds 1 to 256 connections");
    }
    {
        auto c = pg::connect(conninfo);
        OUTPOST_TRY(c);
        OUTPOST_TRY(pg::migrate(**c, /*create=*/false));
    }
    auto storage = std::make_unique<pg::PgStorage>();
    OUTPOST_TRY(storage->open(conninfo, pool_size));
    return std::unique_ptr<ServerStorage>(std::move(storage));
}

StorageFactory pg_storage_factory() {
    StorageFactory f;
    f.init_pg = init_pg_database;
    f.open_pg = open_pg_storage;
    f.restore_pg = restore_pg_database;
    return f;
}

}  // namespace outpost::sync
