// Transaction: the one way Outpost opens, commits and rolls back a unit of work on a Store's
// connection. It rolls back in its destructor unless it was committed, so an early return can never
// leave one open (as LiteCore's Transaction does).
//
//   auto txn = Transaction::begin(store);          // BEGIN IMMEDIATE
//   OUTPOST_TRY(txn);
//   ... work ...
//   return txn->finish(status_of_the_work);        // COMMIT when ok, else ROLLBACK; returns the first error
//
// Transaction::savepoint(store, name) nests inside whatever transaction is open (or opens one):
// SAVEPOINT name, then RELEASE name on commit, or ROLLBACK TO name; RELEASE name when abandoned.
//
// The server's SQLite storage has no Store, only connections: begin(sqlite3*) and savepoint(sqlite3*,
// name) do the same on one, with SQLite's errors mapped as Store's are (a full disk is
// core.disk.full). SQLite itself ends a transaction after a full disk or an I/O error; open() tells
// whether it still stands, and rollback() then has nothing left to do.
//
// Ownership: borrows the Store (or connection), which must outlive it. Threads: the thread that uses
// it. Failure: begin/commit return the Store's Status; a failed COMMIT or RELEASE is rolled back first.
#pragma once

#include <string>
#include <string_view>

#include "outpost/core/status.h"

namespace outpost {

class Store;
}  // namespace outpost
struct sqlite3;
namespace outpost {

class Transaction {
public:
    [[nodiscard]] static Result<Transaction> begin(Store& store);
    // `name` is an SQL identifier chosen by the caller (letters and '_').
    [[nodiscard]] static Result<Transaction> savepoint(Store& store, std::string_view name);
    [[nodiscard]] static Result<Transaction> begin(sqlite3* db);
    [[nodiscard]] static Result<Transaction> savepoint(sqlite3* db, std::string_view name);
    Transaction(Transaction&& other) noexcept;
    Transaction& operator=(Transaction&&) = delete;
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    ~Transaction();

    // COMMIT (RELEASE). On failure it is rolled back and the error returned.
    [[nodiscard]] Status commit();
    // `work` ok: commit() and its result; else rollback and `work`.
    [[nodiscard]] Status finish(Status work);
    void rollback();
    // False once committed or rolled back, or when SQLite has ended the transaction by itself.
    [[nodiscard]] bool open() const;

private:
    Transaction(Store* store, sqlite3* db, std::string commit_sql, std::string rollback_sql)
        : m_store(store), m_db(db), m_commit_sql(std::move(commit_sql)), m_rollback_sql(std::move(rollback_sql)) {}
    [[nodiscard]] static Status run(Store* store, sqlite3* db, const std::string& sql);
    [[nodiscard]] bool active() const { return m_store != nullptr || m_db != nullptr; }
    void release() {
        m_store = nullptr;
        m_db = nullptr;
    }
    Store* m_store;  // one of these two, both nullptr once committed, rolled back or moved from
    sqlite3* m_db;
    std::string m_commit_sql;
    std::string m_rollback_sql;
};

}  // namespace outpost
