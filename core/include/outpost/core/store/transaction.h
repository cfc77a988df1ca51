// Transaction and Savepoint: the one way Outpost opens, commits and rolls back a unit of work on a
// Store's connection. Each rolls back in its destructor unless it was committed, so an early return
// can never leave a transaction open (as LiteCore's Transaction does).
//
//   auto txn = Transaction::begin(store);          // BEGIN IMMEDIATE
//   if (!txn.is_ok()) return txn.status();
//   ... work ...
//   return txn->finish(status_of_the_work);        // COMMIT when ok, else ROLLBACK; returns the first error
//
// A Savepoint nests inside whatever transaction is open (or opens one): SAVEPOINT name, then
// RELEASE name on commit, or ROLLBACK TO name; RELEASE name when abandoned.
//
// Ownership: each borrows the Store, which must outlive it. Threads: the thread that uses the Store.
// Failure: begin/commit return the Store's Status; a failed COMMIT is rolled back before it returns.
#pragma once

#include <string>
#include <string_view>

#include "outpost/core/status.h"

namespace outpost {

class Store;

class Transaction {
public:
    [[nodiscard]] static Result<Transaction> begin(Store& store);
    Transaction(Transaction&& other) noexcept;
    Transaction& operator=(Transaction&&) = delete;
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    ~Transaction();

    // COMMIT. On failure the transaction is rolled back and the error returned.
    [[nodiscard]] Status commit();
    // `work` ok: commit() and its result; else rollback and `work`.
    [[nodiscard]] Status finish(Status work);
    void rollback();

private:
    explicit Transaction(Store& store) : m_store(&store) {}
    Store* m_store;  // nullptr once committed, rolled back or moved from
};

class Savepoint {
public:
    // `name` is an SQL identifier chosen by the caller (letters and '_').
    [[nodiscard]] static Result<Savepoint> begin(Store& store, std::string_view name);
    Savepoint(Savepoint&& other) noexcept;
    Savepoint& operator=(Savepoint&&) = delete;
    Savepoint(const Savepoint&) = delete;
    Savepoint& operator=(const Savepoint&) = delete;
    ~Savepoint();

    // RELEASE. On failure the savepoint is rolled back and the error returned.
    [[nodiscard]] Status commit();
    [[nodiscard]] Status finish(Status work);
    void rollback();

private:
    Savepoint(Store& store, std::string name) : m_store(&store), m_name(std::move(name)) {}
    Store* m_store;
    std::string m_name;
};

}  // namespace outpost
