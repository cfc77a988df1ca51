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
// Ownership: borrows the Store, which must outlive it. Threads: the thread that uses the Store.
// Failure: begin/commit return the Store's Status; a failed COMMIT or RELEASE is rolled back first.
#pragma once

#include <string>
#include <string_view>

#include "outpost/core/status.h"

namespace outpost {

class Store;

class Transaction {
public:
    [[nodiscard]] static Result<Transaction> begin(Store& store);
    // `name` is an SQL identifier chosen by the caller (letters and '_').
    [[nodiscard]] static Result<Transaction> savepoint(Store& store, std::string_view name);
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

private:
    Transaction(Store& store, std::string commit_sql, std::string rollback_sql)
        : m_store(&store), m_commit_sql(std::move(commit_sql)), m_rollback_sql(std::move(rollback_sql)) {}
    Store* m_store;  // nullptr once committed, rolled back or moved from
    std::string m_commit_sql;
    std::string m_rollback_sql;
};

}  // namespace outpost
