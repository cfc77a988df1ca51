// SqliteStorage's pushes (group commit) and pulls, and open_sqlite_storage.
#include <sodium.h>

#include <algorithm>

#include "outpost/core/error_codes.h"
#include "sqlite_storage_impl.h"

namespace outpost::sync {
namespace fs = std::filesystem;
namespace sqlite {

using storage::GroupWriter;
using storage::hlc_text;
using storage::hlc_value;
using storage::SnapshotPager;
using storage::sql_error;

SqliteStorage::~SqliteStorage() {
    for (auto& [sql, st] : m_cache) {
        sqlite3_finalize(st);
    }
    sqlite3_finalize(m_auth_stmt);
    sqlite3_close_v2(m_auth_db);
    sqlite3_close_v2(m_db);
}

Result<ServerIdentity> SqliteStorage::identity() {
    std::lock_guard lock(m_mutex);
    auto st = sql::StmtRef::owned(m_db, "SELECT server_id, schema_version, created_ms FROM meta LIMIT 1");
    if (st.step() != SQLITE_ROW) {
        return Status::error(errc::kServerDataDirInvalid, "server database has no identity row");
    }
    return ServerIdentity{st.col_text(0), static_cast<int>(st.col_i64(1)), st.col_i64(2)};
}

// Group commit: pushes that arrive while another group is being written wait, then the first of
// them writes all of them in one transaction, each body inside a savepoint of its own, so one
// fsync serves the group and a failing body is rolled back alone. Bodies run on the thread that
// leads the group, while their callers wait.
Status SqliteStorage::with_sync_txn(const std::string& /*team*/, const std::function<Status(SyncTxn&)>& body) {
    return m_groups.submit(body, [this](const std::vector<GroupWriter::Pending*>& group) { write_group(group); });
}

Result<std::vector<WireChange>> SqliteStorage::changes_after(const std::string& team, const std::string& exclude_device,
                                                             std::int64_t after, int limit, std::int64_t& safe_to) {
    std::lock_guard lock(m_mutex);
    // One connection behind one mutex: every seq at or below the log's end is committed, so the
    // end is a safe cursor when the page is not full (PostgreSQL must bound it by in-flight
    // transactions instead; see docs/PROTOCOL.md).
    Cached st = cached(
        "SELECT * FROM (SELECT seq, record, type, team, field, value, hlc, device, base, author FROM srv_changes "
        "WHERE team = ?1 AND seq > ?2 AND device != ?3 ORDER BY seq LIMIT ?4) "
        "UNION ALL SELECT * FROM (SELECT seq, record, type, team, field, value, hlc, device, base, author "
        "FROM srv_changes WHERE team = '*' AND seq > ?2 AND device != ?3 ORDER BY seq LIMIT ?4) "
        "ORDER BY seq LIMIT ?4");
    // The team's changes and the practice library's (team '*', records/review.h), each read
    // through the (team, seq) index, bounded, then merged.
    st.text(1, team).i64(2, after).text(3, exclude_device).i64(4, limit);
    std::vector<WireChange> out;
    int rc = 0;
    while ((rc = st.step()) == SQLITE_ROW) {
        WireChange c;
        c.seq = st.col_i64(0);
        c.record = st.col_text(1);
        c.type = st.col_text(2);
        c.team = st.col_text(3);
        c.field = st.col_text(4);
        c.value = st.col_text(5);
        c.hlc = hlc_text(st.col_i64(6));
        c.device = st.col_text(7);
        c.base = hlc_text(st.col_i64(8));
        c.author = st.col_text(9);
        out.push_back(std::move(c));
    }
    if (rc != SQLITE_DONE) {
        return sql_error(m_db, "reading the pull log");
    }
    if (static_cast<int>(out.size()) == limit) {
        safe_to = out.back().seq;
        return out;
    }
    Cached end = cached("SELECT COALESCE(max(seq), 0) FROM srv_changes");
    if (end.step() != SQLITE_ROW) {
        return sql_error(m_db, "reading the pull log");
    }
    safe_to = end.col_i64(0);  // below `after` only for a cursor past the log's end (SyncService refuses it)
    return out;
}

Status SqliteStorage::snapshot_page(const std::string& team, const std::string& exclude_device,
                                    const std::string& after, int limit, std::size_t max_bytes, std::int64_t& log_end,
                                    bool& more, const std::function<void(const SnapshotRow&)>& on_row) {
    std::lock_guard lock(m_mutex);
    // One connection behind one mutex: no write lands between reading the log's end and the records.
    Cached end = cached("SELECT COALESCE(max(seq), 0) FROM srv_changes");
    if (end.step() != SQLITE_ROW) {
        return sql_error(m_db, "reading the pull log");
    }
    log_end = end.col_i64(0);
    Cached st = cached("SELECT id, type, created_by, fields FROM srv_records WHERE team = ? AND id > ? ORDER BY id");
    st.text(1, team).text(2, after);
    SnapshotPager pager{exclude_device, limit, max_bytes};
    more = false;
    int rc = 0;
    while ((rc = st.step()) == SQLITE_ROW) {
        if (st.col_null(3)) {
            continue;
        }
        // TEXT columns' bytes, valid until the next step.
        auto sent = pager.add(st.col_blob(0), st.col_blob(1), st.col_blob(2), st.col_blob(3), more, on_row);
        OUTPOST_TRY(sent);
        if (!*sent) {
            break;
        }
    }
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        return sql_error(m_db, "reading the snapshot");
    }
    return Status::ok();
}

Result<bool> SqliteStorage::blob_ref_exists(const std::string& team, const std::string& hash) {
    std::lock_guard lock(m_mutex);
    Cached st = cached("SELECT 1 FROM srv_blob_refs WHERE team = ? AND hash = ?");
    st.text(1, team).text(2, hash);
    const int rc = st.step();
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        return sql_error(m_db, "reading attachment names");
    }
    return rc == SQLITE_ROW;
}

Result<std::uint64_t> SqliteStorage::max_hlc() {
    std::lock_guard lock(m_mutex);
    Cached st = cached("SELECT COALESCE(max(hlc), 0) FROM srv_changes");
    if (st.step() != SQLITE_ROW) {
        return sql_error(m_db, "reading the clock");
    }
    return static_cast<std::uint64_t>(st.col_i64(0));
}

Result<std::int64_t> SqliteStorage::logged_changes(const std::string& device) {
    std::lock_guard lock(m_mutex);
    Cached st = cached("SELECT count(*) FROM srv_changes WHERE device = ?");
    st.text(1, device);
    if (st.step() != SQLITE_ROW) {
        return sql_error(m_db, "counting changes");
    }
    return st.col_i64(0);
}

Result<std::vector<ChangeResult>> SqliteStorage::prior_results(const std::string& device, std::int64_t from,
                                                               std::int64_t to) {
    Cached st = cached(
        "SELECT results FROM srv_push_batches WHERE device = ? AND last_seq >= ? AND first_seq <= ? "
        "ORDER BY last_seq");
    st.text(1, device).i64(2, from).i64(3, to);
    std::vector<ChangeResult> out;
    int rc = 0;
    while ((rc = st.step()) == SQLITE_ROW) {
        Result<PushResponse> saved = decode_push_response(st.col_blob(0));
        if (!saved.is_ok()) {
            return Status::error(errc::kInternal, "stored push answers could not be read");
        }
        for (ChangeResult& r : saved->results) {
            if (r.seq >= from && r.seq <= to) {
                out.push_back(std::move(r));
            }
        }
    }
    if (rc != SQLITE_DONE) {
        return sql_error(m_db, "reading push answers");
    }
    std::sort(out.begin(), out.end(), [](const ChangeResult& a, const ChangeResult& b) { return a.seq < b.seq; });
    return out;
}

Status SqliteStorage::save_results(const std::string& device, const std::vector<ChangeResult>& results) {
    if (results.empty()) {
        return Status::ok();
    }
    Cached st = cached("INSERT INTO srv_push_batches(device, last_seq, first_seq, results) VALUES(?,?,?,?)");
    st.text(1, device).i64(2, results.back().seq).i64(3, results.front().seq);
    st.text(4, encode(PushResponse{results}));
    return st.step() == SQLITE_DONE ? Status::ok() : sql_error(m_db, "saving push answers");
}

Result<std::optional<StoredRecord>> SqliteStorage::record(const std::string& id) {
    Cached st = cached("SELECT type, team, created_by, fields FROM srv_records WHERE id = ?");
    st.text(1, id);
    const int rc = st.step();
    if (rc == SQLITE_DONE) {
        return std::optional<StoredRecord>();
    }
    if (rc != SQLITE_ROW) {
        return sql_error(m_db, "reading a record");
    }
    StoredRecord r{RecordMeta{st.col_text(0), st.col_text(1), st.col_text(2)}, {}};
    if (!st.col_null(3)) {
        Result<std::vector<records::FieldFrontier>> fields = records::decode_frontiers(st.col_blob(3));
        OUTPOST_TRY(fields);
        r.fields = std::move(*fields);
    }
    return std::optional<StoredRecord>(std::move(r));
}

Status SqliteStorage::put_record(const std::string& id, const StoredRecord& r, bool is_new, std::int64_t now_ms) {
    const std::string fields = records::encode_frontiers(r.fields);
    if (is_new) {
        Cached st =
            cached("INSERT INTO srv_records(id, type, team, created_by, created_ms, fields) VALUES(?,?,?,?,?,?)");
        st.text(1, id).text(2, r.meta.type).text(3, r.meta.team).text(4, r.meta.created_by).i64(5, now_ms);
        st.blob(6, fields);
        return st.step() == SQLITE_DONE ? Status::ok() : sql_error(m_db, "saving a record");
    }
    Cached st = cached("UPDATE srv_records SET fields = ? WHERE id = ?");
    st.blob(1, fields).text(2, id);
    return st.step() == SQLITE_DONE ? Status::ok() : sql_error(m_db, "saving a record");
}

Status SqliteStorage::add_blob_ref(const std::string& team, const std::string& hash) {
    Cached st = cached("INSERT OR IGNORE INTO srv_blob_refs(team, hash) VALUES(?, ?)");
    st.text(1, team).text(2, hash);
    return st.step() == SQLITE_DONE ? Status::ok() : sql_error(m_db, "naming an attachment");
}

Status SqliteStorage::append_change(const WireChange& c, std::int64_t now_ms) {
    Cached st = cached(
        "INSERT INTO srv_changes(record, type, team, field, value, hlc, device, base, author, at_ms) "
        "VALUES(?,?,?,?,?,?,?,?,?,?)");
    st.text(1, c.record).text(2, c.type).text(3, c.team).text(4, c.field).text(5, c.value);
    st.i64(6, hlc_value(c.hlc)).text(7, c.device).i64(8, hlc_value(c.base)).text(9, c.author).i64(10, now_ms);
    return st.step() == SQLITE_DONE ? Status::ok() : sql_error(m_db, "logging a change");
}

Cached SqliteStorage::cached(const char* sql) {
    auto it = m_cache.find(sql);
    if (it == m_cache.end()) {
        sqlite3_stmt* st = nullptr;
        if (sqlite3_prepare_v3(m_db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr) != SQLITE_OK) {
            sqlite3_finalize(st);
            return Cached(nullptr);
        }
        it = m_cache.emplace(sql, st).first;
    }
    return Cached(it->second);
}

void SqliteStorage::write_group(const std::vector<storage::GroupWriter::Pending*>& batch) {
    std::lock_guard lock(m_mutex);
    Result<Transaction> txn = Transaction::begin(m_db);
    if (!txn.is_ok()) {
        const Status s = txn.status().with_context("starting a sync transaction");
        for (GroupWriter::Pending* p : batch) {
            p->result = s;
        }
        return;
    }
    Status lost = Status::ok();  // set when the transaction itself is gone
    for (GroupWriter::Pending* p : batch) {
        Result<Transaction> push = Transaction::savepoint(m_db, "push");
        if (!push.is_ok()) {
            lost = push.status().with_context("starting a push");
            break;
        }
        p->result = (*p->body)(*this);
        if (!push->open()) {
            // SQLite rolled the whole transaction back (a full disk, an I/O error): every body in
            // it is undone, this one's error stands for all.
            lost = p->result.is_ok() ? sql_error(m_db, "writing a push") : p->result;
            break;
        }
        if (const Status ended = push->finish(p->result); p->result.is_ok() && !ended.is_ok()) {
            lost = ended.with_context("ending a push");
            break;
        }
    }
    if (lost.is_ok()) {
        if (const Status committed = txn->commit(); !committed.is_ok()) {
            lost = committed.with_context("committing a sync transaction");
        }
    }
    if (!lost.is_ok()) {
        txn->rollback();
        for (GroupWriter::Pending* p : batch) {
            if (p->result.is_ok()) {
                p->result = lost;  // undone, or never run
            }
        }
    }
}

}  // namespace sqlite

Result<std::unique_ptr<ServerStorage>> open_sqlite_storage(const fs::path& dir) {
    const std::string path = (dir / sqlite::kDbName).string();
    std::error_code ec;
    if (!fs::exists(path, ec)) {
        return Status::error(errc::kServerDataDirInvalid,
                             "no server database in " + dir.string() + " (run 'outpost-server init --data DIR')");
    }
    if (sodium_init() < 0) {
        return Status::error(errc::kInternal, "libsodium failed to initialise");
    }
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr) != SQLITE_OK) {
        Status s = storage::sql_error(db, "opening " + path);
        sqlite3_close_v2(db);
        return s;
    }
    sqlite3_busy_timeout(db, 5000);
    sqlite3_exec(db, "PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL", nullptr, nullptr, nullptr);
    auto storage = std::make_unique<sqlite::SqliteStorage>(db);
    OUTPOST_TRY(storage->migrate());
    OUTPOST_TRY(storage->open_auth(path));
    return std::unique_ptr<ServerStorage>(std::move(storage));
}

}  // namespace outpost::sync
