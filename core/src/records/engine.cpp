// RecordEngine: open, the statement cache and a record's row (read, insert, update). The public calls
// forward to RecordEngine::Impl, whose pieces live beside this file, one concern each (engine_impl.h).
#include "outpost/core/records/engine.h"

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine_impl.h"
#include "outpost/core/error_codes.h"
#include "search.h"
#include "value_codec.h"

namespace outpost::records {

RecordEngine::Impl::Impl(Store& store, std::vector<Schema> schemas, const Clock& clock)
    : m_store(store), m_schemas(std::move(schemas)), m_clock(clock), m_hlc(clock) {
}

RecordEngine::Impl::~Impl() {
    for (auto& [sql, st] : m_statements) {
        sqlite3_finalize(st);
    }
}

RecordEngine::Impl::Stmt RecordEngine::Impl::prepare(std::string_view sql) {
    auto it = m_statements.find(sql);  // by view: a cached statement costs no allocation
    if (it != m_statements.end()) {
        return Stmt(it->second);
    }
    sqlite3_stmt* st = nullptr;
    const int rc = sqlite3_prepare_v3(m_store.handle(), sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &st, nullptr);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(st);
        return Stmt(nullptr);
    }
    m_statements.emplace(std::string(sql), st);
    return Stmt(st);
}

const Schema* RecordEngine::Impl::schema(std::string_view type) const {
    for (const Schema& s : m_schemas) {
        if (s.type == type) {
            return &s;
        }
    }
    return nullptr;
}

Status RecordEngine::Impl::restore_counters() {
    // The clock goes on from the highest stamp this laptop has written (kept in engine_meta as
    // 'local_hlc' by every write) or pulled ('seen_hlc'). Stores from before 'local_hlc' existed
    // find it once by reading the whole change log.
    {
        Stmt local = prepare("SELECT value FROM engine_meta WHERE key = 'local_hlc'");
        if (local.step() != SQLITE_ROW) {
            Stmt scan = prepare("SELECT COALESCE(max(hlc), 0) FROM changes");
            const std::int64_t found = scan.step() == SQLITE_ROW ? scan.col_i64(0) : 0;
            m_hlc.restore(Hlc{static_cast<std::uint64_t>(found)});
            OUTPOST_TRY(save_local_hlc());
        }
    }
    Stmt st = prepare(
        "SELECT max(COALESCE((SELECT value FROM engine_meta WHERE key = 'local_hlc'), 0), "
        "COALESCE((SELECT value FROM engine_meta WHERE key = 'seen_hlc'), 0)), "
        "max(COALESCE((SELECT max(fts_rowid) FROM records), 0), COALESCE((SELECT max(id) FROM records_fts_docsize), "
        "0))");
    if (st.ok() && st.step() == SQLITE_ROW) {
        m_hlc.restore(Hlc{static_cast<std::uint64_t>(st.col_i64(0))});
        m_last_fts_rowid = st.col_i64(1);
    }
    return Status::ok();
}

Result<std::optional<RecordEngine::Impl::Row>> RecordEngine::Impl::read_row(std::string_view id, bool with_values) {
    if (m_store.handle() == nullptr) {
        return Status::error(errc::kStoreLocked, "the store is locked");
    }
    Stmt r = prepare(
        "SELECT rid, type, team, created_by, created_ms, updated_ms, deleted, fts_rowid, heads FROM records "
        "WHERE id = ?");
    r.text(1, id);
    const int rc = r.step();
    if (rc == SQLITE_DONE) {
        return std::optional<Row>();
    }
    if (rc != SQLITE_ROW) {
        return m_store.sql_status(rc, "reading a record");
    }
    Row row;
    row.rid = r.col_i64(0);
    row.rec.id = std::string(id);
    row.rec.type = r.col_text(1);
    row.rec.team = r.col_text(2);
    row.rec.created_by = r.col_text(3);
    row.rec.created_ms = r.col_i64(4);
    row.rec.updated_ms = r.col_i64(5);
    row.rec.deleted = r.col_i64(6) != 0;
    if (sqlite3_column_type(r.get(), 7) != SQLITE_NULL) {
        row.fts_rowid = r.col_i64(7);
    }
    Result<std::vector<Head>> heads = decode_heads(r.col_blob(8));
    OUTPOST_TRY(heads);
    row.heads = std::move(*heads);
    if (with_values) {
        row.rec.values = values_of(schema(row.rec.type), row.heads);
    }
    return std::optional<Row>(std::move(row));
}

Result<Record> RecordEngine::Impl::load(std::string_view id) {
    Result<std::optional<Row>> row = read_row(id);
    OUTPOST_TRY(row);
    if (!row->has_value()) {
        return Status::error(errc::kRecordNotFound, "no record " + std::string(id));
    }
    return std::move((*row)->rec);
}

Result<std::vector<Head>> RecordEngine::Impl::heads(std::string_view id) {
    Result<std::optional<Row>> row = read_row(id, /*with_values=*/false);
    OUTPOST_TRY(row);
    if (!row->has_value()) {
        return Status::error(errc::kRecordNotFound, "no record " + std::string(id));
    }
    return std::move((*row)->heads);
}

// Writes the row (insert or update) with a fresh search row. The search row gets a new rowid on every
// write, from a counter kept on the records, so FTS5's rowid order is last-write order and a
// date-sorted search can stream matches newest first. With `m_batch_search` the search rows wait
// in m_pending_search for flush_search(): FTS5 flushes its pending terms to a new segment at every
// statement savepoint, and each records INSERT opens one, so interleaving costs a segment per record.
Status RecordEngine::Impl::save_row(Row& row, const Schema* schema, bool exists) {
    Record& rec = row.rec;
    PendingSearch change;
    change.old_rowid = row.fts_rowid;
    change.old_body = std::move(row.old_search);
    row.fts_rowid.reset();
    if (!rec.deleted && schema != nullptr) {
        row.fts_rowid = ++m_last_fts_rowid;
        change.new_rowid = row.fts_rowid;
        change.body = row.search_body ? std::move(*row.search_body) : fts_body(*schema, row.heads);
    }
    if (m_batch_search) {
        m_pending_search.push_back(std::move(change));
    } else {
        m_pending_search.clear();
        m_pending_search.push_back(std::move(change));
        OUTPOST_TRY(flush_search());
    }
    const std::string blob = row.heads_blob.empty() ? encode_heads(row.heads) : std::move(row.heads_blob);
    if (!exists) {
        return insert_row({rec.id, rec.type, rec.team, rec.created_by, rec.created_ms, rec.updated_ms, rec.deleted,
                           row.fts_rowid, blob},
                          row.rid);
    }
    Stmt st = prepare("UPDATE records SET updated_ms = ?1, deleted = ?2, fts_rowid = ?3, heads = ?4 WHERE rid = ?5");
    st.i64(1, rec.updated_ms).i64(2, rec.deleted ? 1 : 0);
    if (row.fts_rowid) {
        st.i64(3, *row.fts_rowid);
    }
    st.blob_ref(4, blob).i64(5, row.rid);  // `blob` outlives the statement's use (st resets first)
    if (int rc = st.step(); rc != SQLITE_DONE) {
        return m_store.sql_status(rc, "updating a record");
    }
    return Status::ok();
}

Status RecordEngine::Impl::insert_row(const NewRow& r, std::int64_t& rid) {
    Stmt st = prepare(
        "INSERT INTO records(updated_ms, deleted, fts_rowid, heads, id, type, team, created_by, created_ms) "
        "VALUES(?,?,?,?,?,?,?,?,?)");
    st.i64(1, r.updated_ms).i64(2, r.deleted ? 1 : 0);
    if (r.fts_rowid) {
        st.i64(3, *r.fts_rowid);
    }
    // Bound without copies: the caller's bytes outlive the statement's use (st resets first).
    st.blob_ref(4, r.heads).text_ref(5, r.id).text_ref(6, r.type).text_ref(7, r.team);
    st.text_ref(8, r.created_by).i64(9, r.created_ms);
    if (int rc = st.step(); rc != SQLITE_DONE) {
        return m_store.sql_status(rc, "creating a record");
    }
    rid = sqlite3_last_insert_rowid(m_store.handle());
    return Status::ok();
}

// ---- RecordEngine: open, and each public call forwarded to Impl ----

RecordEngine::RecordEngine(Store& store, std::vector<Schema> schemas, const Clock& clock)
    : m_impl(std::make_unique<Impl>(store, std::move(schemas), clock)) {
}

RecordEngine::~RecordEngine() = default;

Result<std::unique_ptr<RecordEngine>> RecordEngine::open(Store& store, std::vector<Schema> schemas,
                                                         const Clock& clock) {
    if (store.is_locked()) {
        return Status::error(errc::kStoreLocked, "the store is locked");
    }
    if (int rc = register_heads_functions(store.handle()); rc != SQLITE_OK) {
        return store.sql_status(rc, "registering the record functions");
    }
    OUTPOST_TRY(Impl::create_tables(store));
    std::unique_ptr<RecordEngine> e(new RecordEngine(store, std::move(schemas), clock));
    OUTPOST_TRY(e->m_impl->migrate_field_values());
    OUTPOST_TRY(e->m_impl->migrate_search());
    OUTPOST_TRY(e->m_impl->restore_counters());
    return e;
}

Result<Record> RecordEngine::create(const Actor& who, std::string_view type, const Values& values,
                                    std::vector<FieldError>* errors) {
    return m_impl->create(who, type, values, errors);
}

Result<Record> RecordEngine::update(const Actor& who, std::string_view id, const Values& changes,
                                    std::vector<FieldError>* errors) {
    return m_impl->update(who, id, changes, errors);
}

Status RecordEngine::remove(const Actor& who, std::string_view id) {
    return m_impl->remove(who, id);
}

Result<Record> RecordEngine::put(const Actor& who, std::string_view id, std::string_view type, const Values& values,
                                 std::vector<FieldError>* errors) {
    return m_impl->put(who, id, type, values, errors);
}

Result<Record> RecordEngine::get(std::string_view id) {
    return m_impl->load(id);
}

Result<Page> RecordEngine::list(const ListQuery& query) {
    return m_impl->list(query);
}

Result<std::vector<Change>> RecordEngine::history(std::string_view id) {
    return m_impl->history(id);
}

Result<std::vector<Head>> RecordEngine::heads(std::string_view id) {
    return m_impl->heads(id);
}

Result<std::vector<Change>> RecordEngine::changes_after(std::int64_t after, int limit) {
    return m_impl->changes_after(after, limit);
}

Result<std::vector<Change>> RecordEngine::outbox_after(std::string_view device, std::int64_t after, int limit) {
    return m_impl->outbox_after(device, after, limit);
}

Result<RecordEngine::RemoteStats> RecordEngine::apply_remote(const std::vector<Change>& changes) {
    return m_impl->apply_remote(changes);
}

Result<RecordEngine::RemoteStats> RecordEngine::apply_snapshot(std::vector<PulledRecord>& records) {
    return m_impl->apply_snapshot(records);
}

void RecordEngine::prepare_snapshot(std::vector<PulledRecord>& records) const {
    m_impl->prepare_snapshot(records);
}

Status RecordEngine::take_back(std::string_view id, const std::vector<std::int64_t>& seqs) {
    return m_impl->take_back(id, seqs);
}

Status RecordEngine::Impl::replace_schemas(std::vector<Schema> schemas) {
    // The search rows are taken out by the text the forms make of a record, so the index follows the
    // forms before any write: migrate_search rebuilds it when the searchable fields moved.
    m_schemas.swap(schemas);
    if (Status s = migrate_search(); !s.is_ok()) {
        m_schemas.swap(schemas);
        return s;
    }
    return Status::ok();
}

Status RecordEngine::replace_schemas(std::vector<Schema> schemas) {
    return m_impl->replace_schemas(std::move(schemas));
}

const Schema* RecordEngine::schema(std::string_view type) const {
    return m_impl->schema(type);
}

HybridClock& RecordEngine::clock() {
    return m_impl->m_hlc;
}

}  // namespace outpost::records
