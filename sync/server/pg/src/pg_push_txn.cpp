#include "pg_push_txn.h"

#include <algorithm>

#include "outpost/core/error_codes.h"
#include "outpost/core/records/review.h"
#include "pg_schema.h"
#include "storage_common.h"

namespace outpost::sync::pg {

using storage::hlc_value;

Result<std::vector<ChangeResult>> PgTxn::prior_results(const std::string& device, std::int64_t from, std::int64_t to) {
    Res r = m_c.run("prior_results",
                    "SELECT results FROM srv_push_batches WHERE device = $1 AND last_seq >= $2 AND first_seq <= $3 "
                    "ORDER BY last_seq",
                    {p(device), p(from), p(to)});
    if (!r.ok()) {
        return r.status;
    }
    std::vector<std::string_view> batches;
    for (int i = 0; i < r.rows(); ++i) {
        batches.push_back(r.text(i, 0));
    }
    for (const Saved& s : m_saved) {  // answered earlier in this transaction, not yet sent
        if (s.device == device && s.last >= from && s.first <= to) {
            batches.push_back(s.results);
        }
    }
    std::vector<ChangeResult> out;
    for (std::string_view batch : batches) {
        Result<PushResponse> saved = decode_push_response(batch);
        if (!saved.is_ok()) {
            return Status::error(errc::kInternal, "stored push answers could not be read");
        }
        for (ChangeResult& c : saved->results) {
            if (c.seq >= from && c.seq <= to) {
                out.push_back(std::move(c));
            }
        }
    }
    std::sort(out.begin(), out.end(), [](const ChangeResult& a, const ChangeResult& b) { return a.seq < b.seq; });
    return out;
}

Status PgTxn::save_results(const std::string& device, const std::vector<ChangeResult>& results) {
    if (!results.empty()) {
        m_saved.push_back({device, results.front().seq, results.back().seq, encode(PushResponse{results})});
    }
    return Status::ok();
}

Status PgTxn::prefetch(const std::vector<std::string>& ids) {
    std::vector<const std::string*> wanted;
    ArrayText list;
    for (const std::string& id : ids) {
        if (m_records.count(id) == 0) {
            wanted.push_back(&id);
            list.add(id);
        }
    }
    if (wanted.empty()) {
        return Status::ok();
    }
    Res r = m_c.run("records", "SELECT id, type, team, created_by, fields FROM srv_records WHERE id = ANY($1::text[])",
                    {list.param()});
    if (!r.ok()) {
        return r.status;
    }
    for (const std::string* id : wanted) {
        m_records.try_emplace(*id);  // not found, unless a row below says otherwise
    }
    for (int i = 0; i < r.rows(); ++i) {
        OUTPOST_TRY(keep(r.str(i, 0), r, i, 1));
    }
    return Status::ok();
}

Result<std::optional<StoredRecord>> PgTxn::record(const std::string& id) {
    auto it = m_records.find(id);
    if (it != m_records.end()) {
        const Kept& kept = it->second;
        if (!library(kept) || kept.read_locked) {
            return kept.record;
        }
        // A library record read before this push held the library's lock: take it, read again.
        OUTPOST_TRY(lock_library());
    }
    const char* sql = "SELECT type, team, created_by, fields FROM srv_records WHERE id = $1";
    Res r = m_c.run("record", sql, {p(id)});
    if (r.ok() && r.rows() > 0 && r.text(0, 1) == records::kLibraryTeam && !m_library_locked) {
        OUTPOST_TRY(lock_library());
        r = m_c.run("record", sql, {p(id)});
    }
    if (!r.ok()) {
        return r.status;
    }
    if (r.rows() == 0) {
        Kept& kept = m_records[id];
        kept.record.reset();
        kept.stored = false;
        return kept.record;
    }
    OUTPOST_TRY(keep(id, r, 0, 0));
    return m_records[id].record;
}

Status PgTxn::put_record(const std::string& id, const StoredRecord& rec, bool is_new, std::int64_t now) {
    Kept& kept = m_records[id];
    if (is_new && !kept.stored) {
        kept.created_ms = now;
    }
    kept.record = rec;
    kept.dirty = true;
    return Status::ok();
}

Status PgTxn::add_blob_ref(const std::string& team, const std::string& hash) {
    return m_c
        .run("add_blob_ref", "INSERT INTO srv_blob_refs(team, hash) VALUES($1, $2) ON CONFLICT DO NOTHING",
             {p(team), p(hash)})
        .status;
}

Status PgTxn::append_change(const WireChange& c, std::int64_t now) {
    m_log.push_back({c, now});
    return Status::ok();
}

Status PgTxn::flush() {
    OUTPOST_TRY(flush_records());
    OUTPOST_TRY(flush_answers());
    return flush_log();
}

Status PgTxn::flush_records() {
    ArrayText ins_id, ins_type, ins_team, ins_by, ins_ms, ins_fields, upd_id, upd_fields;
    for (auto& [id, kept] : m_records) {
        if (!kept.dirty || !kept.record) {
            continue;
        }
        const StoredRecord& rec = *kept.record;
        if (!kept.stored) {
            ins_id.add(id);
            ins_type.add(rec.meta.type);
            ins_team.add(rec.meta.team);
            ins_by.add(rec.meta.created_by);
            ins_ms.add(kept.created_ms);
            ins_fields.add_bytea(records::encode_frontiers(rec.fields));
        } else {
            upd_id.add(id);
            upd_fields.add_bytea(records::encode_frontiers(rec.fields));
        }
    }
    if (!ins_id.empty()) {
        OUTPOST_TRY(m_c.run("insert_records",
                            "INSERT INTO srv_records(id, type, team, created_by, created_ms, fields) SELECT * FROM "
                            "unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bytea[])",
                            {ins_id.param(), ins_type.param(), ins_team.param(), ins_by.param(), ins_ms.param(),
                             ins_fields.param()})
                        .status);
    }
    if (!upd_id.empty()) {
        OUTPOST_TRY(m_c.run("update_records",
                            "UPDATE srv_records SET fields = v.fields FROM unnest($1::text[], $2::bytea[]) "
                            "AS v(id, fields) WHERE srv_records.id = v.id",
                            {upd_id.param(), upd_fields.param()})
                        .status);
    }
    return Status::ok();
}

Status PgTxn::flush_answers() {
    if (m_saved.empty()) {
        return Status::ok();
    }
    ArrayText device, first, last, results;
    for (const Saved& s : m_saved) {
        device.add(s.device);
        first.add(s.first);
        last.add(s.last);
        results.add(s.results);
    }
    return m_c
        .run("save_results",
             "INSERT INTO srv_push_batches(device, first_seq, last_seq, results) SELECT * FROM "
             "unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[])",
             {device.param(), first.param(), last.param(), results.param()})
        .status;
}

Status PgTxn::flush_log() {
    if (m_log.empty()) {
        return Status::ok();
    }
    // The seqs are taken in the statement that writes the rows (a materialised CTE runs once).
    ArrayText record, type, team, field, value, hlc, device, base, author, at_ms;
    for (const Logged& l : m_log) {
        const WireChange& c = l.change;
        record.add(c.record);
        type.add(c.type);
        team.add(c.team);
        field.add(c.field);
        value.add(c.value);
        hlc.add(hlc_value(c.hlc));
        device.add(c.device);
        base.add(hlc_value(c.base));
        author.add(c.author);
        at_ms.add(l.at_ms);
    }
    return m_c
        .run("insert_changes",
             "WITH f AS MATERIALIZED (SELECT outpost_take_seqs($11) AS first) "
             "INSERT INTO srv_changes(seq, record, type, team, field, value, hlc, device, base, author, at_ms) "
             "SELECT f.first + u.ord - 1, u.record, u.type, u.team, u.field, u.value, u.hlc, u.device, u.base, "
             "u.author, u.at_ms FROM f, unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], "
             "$6::bigint[], $7::text[], $8::bigint[], $9::text[], $10::bigint[]) WITH ORDINALITY "
             "AS u(record, type, team, field, value, hlc, device, base, author, at_ms, ord)",
             {record.param(), type.param(), team.param(), field.param(), value.param(), hlc.param(), device.param(),
              base.param(), author.param(), at_ms.param(), p(static_cast<std::int64_t>(m_log.size()))})
        .status;
}

Status PgTxn::keep(const std::string& id, const Res& r, int row, int col) {
    StoredRecord rec{RecordMeta{r.str(row, col), r.str(row, col + 1), r.str(row, col + 2)}, {}};
    if (!r.null(row, col + 3)) {
        Result<std::vector<records::FieldFrontier>> fields = records::decode_frontiers(r.bytea(row, col + 3));
        if (!fields.is_ok()) {
            m_records.erase(id);
            return fields.status();
        }
        rec.fields = std::move(*fields);
    }
    Kept& kept = m_records[id];
    kept.record = std::move(rec);
    kept.stored = true;
    kept.read_locked = m_library_locked;
    return Status::ok();
}

bool PgTxn::library(const Kept& kept) {
    return kept.record && kept.record->meta.team == records::kLibraryTeam;
}

Status PgTxn::lock_library() {
    Res r = m_c.run("team_lock", "SELECT pg_advisory_xact_lock($1::int4, hashtext($2))",
                    {p(kTeamLockClass), p(std::string(records::kLibraryTeam))});
    if (r.ok()) {
        m_library_locked = true;
    }
    return r.status;
}

}  // namespace outpost::sync::pg
