#include "outpost/client/drafts.h"

#include <sqlite3.h>

#include "outpost/core/sql_stmt.h"
#include "outpost/core/store.h"
#include "outpost/core/store/schema_steps.h"
#include "outpost/core/store/transaction.h"

namespace outpost::client {
namespace {

constexpr const char* kDraftTables =
    "CREATE TABLE IF NOT EXISTS ui_drafts(key TEXT PRIMARY KEY, type TEXT NOT NULL, record TEXT NOT NULL, "
    "saved_ms INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS ui_draft_texts(key TEXT NOT NULL, field TEXT NOT NULL, text TEXT NOT NULL, "
    "PRIMARY KEY(key, field)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS ui_notices_read(key TEXT PRIMARY KEY) WITHOUT ROWID;";

bool has_tables(Store& store) {
    sql::StmtRef q =
        sql::StmtRef::owned(store.handle(), "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'ui_drafts'");
    return q.step() == SQLITE_ROW;
}

}  // namespace

Status migrate_ui_tables(Store& store) {
    // Schema versions (outpost_store_meta 'schema.ui'): 1 is kDraftTables.
    return migrate_schema(store, "ui", {{1, [](Store& st) { return st.exec(kDraftTables); }}});
}

Status Drafts::save(const Draft& d) {
    sqlite3* db = m_store.handle();
    Result<Transaction> sp = Transaction::savepoint(m_store, "ui_draft");
    OUTPOST_TRY(sp);
    auto run = [&]() -> Status {
        sql::StmtRef head = sql::StmtRef::owned(
            db,
            "INSERT INTO ui_drafts(key, type, record, saved_ms) VALUES(?,?,?,?) ON CONFLICT(key) DO UPDATE SET "
            "type = excluded.type, record = excluded.record, saved_ms = excluded.saved_ms");
        head.text(1, d.key).text(2, d.type).text(3, d.record_id).i64(4, d.saved_ms);
        if (int rc = head.step(); rc != SQLITE_DONE) {
            return m_store.sql_status(rc, "saving a draft");
        }
        sql::StmtRef clear = sql::StmtRef::owned(db, "DELETE FROM ui_draft_texts WHERE key = ?");
        clear.text(1, d.key);
        if (int rc = clear.step(); rc != SQLITE_DONE) {
            return m_store.sql_status(rc, "saving a draft");
        }
        sql::StmtRef text = sql::StmtRef::owned(db, "INSERT INTO ui_draft_texts(key, field, text) VALUES(?,?,?)");
        for (const auto& [field, t] : d.texts) {
            // Empty too: an answer cleared on an existing record must stay cleared when restored.
            text.text(1, d.key).text(2, field).text(3, t);
            if (int rc = text.step(); rc != SQLITE_DONE) {
                return m_store.sql_status(rc, "saving a draft");
            }
            text.reset();
        }
        return Status::ok();
    };
    return sp->finish(run());
}

Result<std::vector<Draft>> Drafts::all() {
    if (!has_tables(m_store)) {
        return std::vector<Draft>{};
    }
    sqlite3* db = m_store.handle();
    std::vector<Draft> out;
    sql::StmtRef heads =
        sql::StmtRef::owned(db, "SELECT key, type, record, saved_ms FROM ui_drafts ORDER BY saved_ms DESC");
    int rc = 0;
    while ((rc = heads.step()) == SQLITE_ROW) {
        out.push_back({heads.col_text(0), heads.col_text(1), heads.col_text(2), {}, heads.col_i64(3)});
    }
    if (rc != SQLITE_DONE) {
        return m_store.sql_status(rc, "reading drafts");
    }
    sql::StmtRef texts = sql::StmtRef::owned(db, "SELECT field, text FROM ui_draft_texts WHERE key = ?");
    for (Draft& d : out) {
        texts.text(1, d.key);
        while ((rc = texts.step()) == SQLITE_ROW) {
            d.texts[texts.col_text(0)] = texts.col_text(1);
        }
        if (rc != SQLITE_DONE) {
            return m_store.sql_status(rc, "reading drafts");
        }
        texts.reset();
    }
    return out;
}

Status Drafts::discard(const std::string& key) {
    sql::StmtRef a = sql::StmtRef::owned(m_store.handle(), "DELETE FROM ui_draft_texts WHERE key = ?");
    a.text(1, key);
    sql::StmtRef b = sql::StmtRef::owned(m_store.handle(), "DELETE FROM ui_drafts WHERE key = ?");
    b.text(1, key);
    if (int rc = a.step(); rc != SQLITE_DONE) {
        return m_store.sql_status(rc, "discarding a draft");
    }
    if (int rc = b.step(); rc != SQLITE_DONE) {
        return m_store.sql_status(rc, "discarding a draft");
    }
    return Status::ok();
}

}  // namespace outpost::client
