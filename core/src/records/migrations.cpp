// Migrations: the engine's tables (schema step 1 of component "records"), and the moves that bring
// older stores to today's layout when they are opened: session-1 stores (one field_values row per
// field) to heads, and any earlier search index (or one built for other forms) rebuilt.
#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "engine_impl.h"
#include "outpost/core/store/schema_steps.h"
#include "outpost/core/store/transaction.h"
#include "search.h"

namespace outpost::records {
namespace {

constexpr const char* kSchemaSql = R"sql(
CREATE TABLE IF NOT EXISTS records(
  rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, team TEXT NOT NULL,
  created_by TEXT NOT NULL, created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0, fts_rowid INTEGER, heads BLOB NOT NULL DEFAULT x'');
CREATE UNIQUE INDEX IF NOT EXISTS records_fts_rowid ON records(fts_rowid);
CREATE INDEX IF NOT EXISTS records_updated ON records(updated_ms, id);
CREATE TABLE IF NOT EXISTS changes(
  seq INTEGER PRIMARY KEY AUTOINCREMENT, record TEXT NOT NULL, type TEXT NOT NULL, team TEXT NOT NULL,
  field TEXT NOT NULL, value TEXT NOT NULL, hlc INTEGER NOT NULL, device TEXT NOT NULL,
  base INTEGER NOT NULL, author TEXT NOT NULL, at_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS changes_record ON changes(record, seq);
CREATE VIRTUAL TABLE IF NOT EXISTS records_fts USING fts5(body, content='',
  tokenize='unicode61 remove_diacritics 2');
CREATE TABLE IF NOT EXISTS engine_meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;
)sql";

// The search index holds no copy of the text (content='': the heads have it), so a first sync writes
// half the bytes. (detail=none, without word positions, was smaller still but made prefix searches
// about three times slower; docs/PERFORMANCE.md has the figures.) Replacing a row means telling FTS5
// the old text, which fts_body() rebuilds from the old heads; the index is rebuilt whenever the forms'
// searchable fields change (search_fingerprint).
constexpr const char* kSearchTableSql =
    "CREATE VIRTUAL TABLE records_fts USING fts5(body, content='', "
    "tokenize='unicode61 remove_diacritics 2')";

// Session-1 stores kept one row per field in field_values; each record's fields move into its heads
// blob (every one of those versions is already in the change log, so all are marked logged).
constexpr const char* kHasFieldValuesSql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'field_values'";

}  // namespace

Status RecordEngine::Impl::create_tables(Store& store) {
    // Schema versions (outpost_store_meta 'schema.records'): 1 is the tables above.
    // Stores from before versions read as 0; step 1 is CREATE ... IF NOT EXISTS, so they keep their
    // tables, and the older moves (field_values, the search index) run after it as before.
    // 2 adds the form version each change was written under.
    return migrate_schema(store, "records",
                          {{1, [](Store& s) { return s.exec(kSchemaSql); }},
                           {2, [](Store& s) -> Status {
                                // A store whose version was lost may have the column already.
                                sqlite3_stmt* st = nullptr;
                                bool has = false;
                                if (sqlite3_prepare_v2(s.handle(),
                                                       "SELECT 1 FROM pragma_table_info('changes') "
                                                       "WHERE name = 'form_version'",
                                                       -1, &st, nullptr) == SQLITE_OK) {
                                    has = sqlite3_step(st) == SQLITE_ROW;
                                }
                                sqlite3_finalize(st);
                                return has ? Status::ok()
                                           : s.exec(
                                                 "ALTER TABLE changes ADD COLUMN form_version INTEGER NOT "
                                                 "NULL DEFAULT 0");
                            }}});
}

Status RecordEngine::Impl::migrate_field_values() {
    {
        Stmt has = prepare(kHasFieldValuesSql);
        if (has.step() != SQLITE_ROW) {
            return Status::ok();
        }
    }
    Result<Transaction> txn = Transaction::begin(m_store);  // rolls back on any return before commit
    OUTPOST_TRY(txn);
    bool has_heads = false;
    {
        Stmt col = prepare("SELECT 1 FROM pragma_table_info('records') WHERE name = 'heads'");
        has_heads = col.step() == SQLITE_ROW;
    }
    if (!has_heads) {
        OUTPOST_TRY(m_store.exec("ALTER TABLE records ADD COLUMN heads BLOB NOT NULL DEFAULT x''"));
    }
    std::map<std::int64_t, std::vector<Head>> by_record;
    Stmt rows = prepare("SELECT rid, field, value, hlc, device, base, author FROM field_values ORDER BY rid, field");
    int rc = 0;
    while ((rc = rows.step()) == SQLITE_ROW) {
        by_record[rows.col_i64(0)].push_back(Head{
            rows.col_text(1), rows.col_text(2), Hlc{static_cast<std::uint64_t>(rows.col_i64(3))},
            Hlc{static_cast<std::uint64_t>(rows.col_i64(5))}, rows.col_text(4), rows.col_text(6), /*logged=*/true});
    }
    if (rc != SQLITE_DONE) {
        return m_store.sql_status(rc, "moving fields to the new layout");
    }
    Stmt put = prepare("UPDATE records SET heads = ? WHERE rid = ?");
    for (const auto& [rid, heads] : by_record) {
        put.blob(1, encode_heads(heads)).i64(2, rid);
        if (rc = put.step(); rc != SQLITE_DONE) {
            return m_store.sql_status(rc, "moving fields to the new layout");
        }
        put.reset();
    }
    OUTPOST_TRY(m_store.exec("DROP TABLE field_values"));
    return txn->commit();
}

Status RecordEngine::Impl::migrate_search() {
    std::string current_sql;
    std::string stored_fingerprint;
    {
        Stmt t = prepare("SELECT sql FROM sqlite_master WHERE name = 'records_fts'");
        if (t.step() == SQLITE_ROW) {
            current_sql = t.col_text(0);
        }
    }
    {
        Stmt m = prepare("SELECT value FROM engine_meta WHERE key = 'search_fingerprint'");
        if (m.step() == SQLITE_ROW) {
            stored_fingerprint = m.col_text(0);
        }
    }
    const std::string fingerprint = search_fingerprint(m_schemas);
    // Earlier layouts: the index kept its own copy of the text, or (briefly) no word positions, which
    // made prefix searches three times slower.
    const bool old_layout =
        current_sql.find("content=''") == std::string::npos || current_sql.find("detail=none") != std::string::npos;
    if (!old_layout && stored_fingerprint == fingerprint) {
        return Status::ok();
    }
    Result<Transaction> txn = Transaction::begin(m_store);  // rolls back on any return before commit
    OUTPOST_TRY(txn);
    OUTPOST_TRY(old_layout ? m_store.exec(std::string("DROP TABLE records_fts; ") + kSearchTableSql)
                           : m_store.exec("INSERT INTO records_fts(records_fts) VALUES('delete-all')"));
    std::int64_t last = 0;
    {
        Stmt mx = prepare("SELECT COALESCE(max(fts_rowid), 0) FROM records");
        last = mx.step() == SQLITE_ROW ? mx.col_i64(0) : 0;
    }
    Stmt rows = prepare("SELECT rid, type, deleted, fts_rowid, heads FROM records ORDER BY rid");
    Stmt ins = prepare("INSERT INTO records_fts(rowid, body) VALUES(?, ?)");
    Stmt set = prepare("UPDATE records SET fts_rowid = ? WHERE rid = ?");
    std::vector<std::pair<std::int64_t, std::optional<std::int64_t>>> moved;  // rid -> new search rowid
    int rc = 0;
    while ((rc = rows.step()) == SQLITE_ROW) {
        const Schema* sch = schema(rows.col_text(1));
        const bool has_row = sqlite3_column_type(rows.get(), 3) != SQLITE_NULL;
        if (rows.col_i64(2) != 0 || sch == nullptr) {
            if (has_row) {
                moved.emplace_back(rows.col_i64(0), std::nullopt);
            }
            continue;
        }
        Result<std::vector<Head>> heads = decode_heads(rows.col_blob(4));
        OUTPOST_TRY(heads);
        const std::int64_t fts = has_row ? rows.col_i64(3) : ++last;
        if (!has_row) {
            moved.emplace_back(rows.col_i64(0), fts);
        }
        ins.i64(1, fts).text(2, fts_body(*sch, *heads));
        if (rc = ins.step(); rc != SQLITE_DONE) {
            return m_store.sql_status(rc, "rebuilding the search index");
        }
        ins.reset();
    }
    if (rc != SQLITE_DONE) {
        return m_store.sql_status(rc, "rebuilding the search index");
    }
    for (const auto& [rid, fts] : moved) {
        if (fts) {
            set.i64(1, *fts);
        }
        set.i64(2, rid);
        if (rc = set.step(); rc != SQLITE_DONE) {
            return m_store.sql_status(rc, "rebuilding the search index");
        }
        set.reset();
    }
    Stmt meta = prepare("INSERT OR REPLACE INTO engine_meta(key, value) VALUES('search_fingerprint', ?)");
    meta.text(1, fingerprint);
    if (rc = meta.step(); rc != SQLITE_DONE) {
        return m_store.sql_status(rc, "rebuilding the search index");
    }
    return txn->commit();
}

}  // namespace outpost::records
