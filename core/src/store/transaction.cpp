#include "outpost/core/store/transaction.h"

#include <sqlite3.h>

#include <utility>

#include "outpost/core/error_codes.h"
#include "outpost/core/store.h"

namespace outpost {

Status Transaction::run(Store* store, sqlite3* db, const std::string& sql) {
    if (store != nullptr) {
        return store->exec(sql);
    }
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK) {
        return Status::ok();
    }
    return Status::error(sqlite_error_code(sqlite3_extended_errcode(db)), sql + ": " + sqlite3_errmsg(db));
}

Result<Transaction> Transaction::begin(Store& store) {
    OUTPOST_TRY(run(&store, nullptr, "BEGIN IMMEDIATE"));
    return Transaction(&store, nullptr, "COMMIT", "ROLLBACK");
}

Result<Transaction> Transaction::savepoint(Store& store, std::string_view name) {
    const std::string n(name);
    OUTPOST_TRY(run(&store, nullptr, "SAVEPOINT " + n));
    return Transaction(&store, nullptr, "RELEASE " + n, "ROLLBACK TO " + n + "; RELEASE " + n);
}

Result<Transaction> Transaction::begin(sqlite3* db) {
    OUTPOST_TRY(run(nullptr, db, "BEGIN IMMEDIATE"));
    return Transaction(nullptr, db, "COMMIT", "ROLLBACK");
}

Result<Transaction> Transaction::savepoint(sqlite3* db, std::string_view name) {
    const std::string n(name);
    OUTPOST_TRY(run(nullptr, db, "SAVEPOINT " + n));
    return Transaction(nullptr, db, "RELEASE " + n, "ROLLBACK TO " + n + "; RELEASE " + n);
}

Transaction::Transaction(Transaction&& other) noexcept
    : m_store(std::exchange(other.m_store, nullptr)),
      m_db(std::exchange(other.m_db, nullptr)),
      m_commit_sql(std::move(other.m_commit_sql)),
      m_rollback_sql(std::move(other.m_rollback_sql)) {
}

Transaction::~Transaction() {
    rollback();
}

bool Transaction::open() const {
    if (m_db != nullptr) {
        return sqlite3_get_autocommit(m_db) == 0;
    }
    return m_store != nullptr && !m_store->is_locked();
}

Status Transaction::commit() {
    if (!active()) {
        return Status::ok();
    }
    Status s = run(m_store, m_db, m_commit_sql);
    if (!s.is_ok()) {
        rollback();
        return s;
    }
    release();
    return Status::ok();
}

Status Transaction::finish(Status work) {
    if (!work.is_ok()) {
        rollback();
        return work;
    }
    return commit();
}

void Transaction::rollback() {
    if (active() && open()) {
        (void)run(m_store, m_db, m_rollback_sql);  // nothing more to do if it fails: the connection ends it
    }
    release();
}

}  // namespace outpost
