#include "outpost/core/store/transaction.h"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <string>

#include "outpost/core/error_codes.h"

namespace {

// A bare SQLite connection, as the server's storage holds them.
struct Db {
    Db() {
        REQUIRE(sqlite3_open(":memory:", &db) == SQLITE_OK);
        REQUIRE(sqlite3_exec(db, "CREATE TABLE t(v INTEGER UNIQUE)", nullptr, nullptr, nullptr) == SQLITE_OK);
    }
    ~Db() { sqlite3_close_v2(db); }
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;
    int rows() const {
        sqlite3_stmt* st = nullptr;
        sqlite3_prepare_v2(db, "SELECT count(*) FROM t", -1, &st, nullptr);
        sqlite3_step(st);
        const int n = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        return n;
    }
    void insert(int v) const {
        REQUIRE(sqlite3_exec(db, ("INSERT INTO t VALUES(" + std::to_string(v) + ")").c_str(), nullptr, nullptr,
                             nullptr) == SQLITE_OK);
    }
    sqlite3* db = nullptr;
};

}  // namespace

using outpost::Status;
using outpost::Transaction;

TEST_CASE("Transaction: on a bare connection, rolls back unless committed") {
    Db d;
    {
        auto txn = Transaction::begin(d.db);
        REQUIRE(txn.is_ok());
        CHECK(txn->open());
        d.insert(1);
    }  // abandoned: rolled back
    CHECK(d.rows() == 0);
    CHECK(sqlite3_get_autocommit(d.db) != 0);

    auto txn = Transaction::begin(d.db);
    REQUIRE(txn.is_ok());
    d.insert(2);
    REQUIRE(txn->commit().is_ok());
    CHECK_FALSE(txn->open());
    CHECK(d.rows() == 1);
}

TEST_CASE("Transaction: a savepoint on a bare connection undoes only its own work") {
    Db d;
    auto outer = Transaction::begin(d.db);
    REQUIRE(outer.is_ok());
    d.insert(1);
    {
        auto sp = Transaction::savepoint(d.db, "push");
        REQUIRE(sp.is_ok());
        d.insert(2);
        const Status failed = Status::error(outpost::errc::kInvalidArgument, "refused");
        CHECK(sp->finish(failed).code() == "core.argument.invalid");  // the work's error comes back
    }
    {
        auto sp = Transaction::savepoint(d.db, "push");
        REQUIRE(sp.is_ok());
        d.insert(3);
        REQUIRE(sp->finish(Status::ok()).is_ok());
    }
    REQUIRE(outer->commit().is_ok());
    CHECK(d.rows() == 2);  // 1 and 3
}

TEST_CASE("Transaction: begin on a bare connection reports SQLite's error with a stable code") {
    Db d;
    auto first = Transaction::begin(d.db);
    REQUIRE(first.is_ok());
    auto nested = Transaction::begin(d.db);  // BEGIN inside a transaction
    REQUIRE_FALSE(nested.is_ok());
    CHECK(nested.status().code() == "store.sql.failed");
    CHECK(first->open());  // the first one still stands
}
