// Store: crash safety. A child process writes transactions in a loop and is killed (SIGKILL;
// TerminateProcess on Windows) at a random moment, 100 times each in WAL mode, in WAL mode switched to bulk mode, and
// in DELETE mode (encrypted). After each kill the parent reopens the store: integrity_check must be ok, the store must
// be back in its own journal mode, the committed-count invariant must hold, and every commit the child reported as done
// must be there.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "child_process.h"
#include "outpost/core/store.h"
#include "outpost/platform/os.h"
#include "outpost/platform/utf8.h"
#include "store_helpers.h"
#include "temp_dir.h"

using namespace outpost;
using namespace outpost::testing;

namespace {

constexpr const char* kPass = "correct horse battery staple";

// The store options of all_store_modes()[mode], with a small cache: transactions spill to the
// journal / WAL before commit.
StoreOptions small_cache_options(std::size_t mode) {
    StoreOptions o = options_for(all_store_modes().at(mode));
    o.cache_kib = 256;
    return o;
}

}  // namespace

// The child of crash_loop: commits transactions forever. It reports -1 when a transaction begins and
// the number of committed transactions once COMMIT has returned.
// args: the store's path, the index of its mode in all_store_modes(), the seed, and "bulk" or "wal".
// In bulk mode, the child writes in bulk mode (Store::set_bulk_mode: a rollback journal) and now and
// then switches back to WAL and into bulk mode again, so some kills land in a switch. Its
// transactions are bigger, as a first sync's are, so they spill pages before COMMIT.
OUTPOST_CHILD_ROLE(store_writer) {
    const std::filesystem::path path = path_from_utf8(args.at(0));
    const StoreOptions o = small_cache_options(std::stoul(args.at(1)));
    const auto seed = static_cast<unsigned>(std::stoul(args.at(2)));
    const bool bulk = args.at(3) == "bulk";
    auto s = Store::open(path, kPass, o);
    if (!s.is_ok() || (bulk && !(*s)->set_bulk_mode(true).is_ok())) {
        os::exit_now(3);
    }
    sqlite3* db = (*s)->handle();
    std::mt19937 rng(seed);
    sqlite3_stmt* ins = nullptr;
    sqlite3_prepare_v2(db, "INSERT INTO items(doc) VALUES(?)", -1, &ins, nullptr);
    for (;;) {
        if (bulk && rng() % 8 == 0 && (!(*s)->set_bulk_mode(false).is_ok() || !(*s)->set_bulk_mode(true).is_ok())) {
            os::exit_now(9);
        }
        const int k = 1 + static_cast<int>(rng() % (bulk ? 400 : 60));
        if (!(*s)->exec("BEGIN IMMEDIATE").is_ok()) {
            os::exit_now(4);
        }
        report_value(std::int64_t{-1});
        for (int i = 0; i < k; ++i) {
            std::string doc(200 + rng() % 3000, static_cast<char>('a' + rng() % 26));
            sqlite3_bind_text(ins, 1, doc.c_str(), static_cast<int>(doc.size()), SQLITE_TRANSIENT);
            if (sqlite3_step(ins) != SQLITE_DONE) {
                os::exit_now(5);
            }
            sqlite3_reset(ins);
        }
        // Delete some old rows too, so pages are freed and reused.
        if (rng() % 4 == 0 &&
            !(*s)->exec("DELETE FROM items WHERE id IN (SELECT id FROM items ORDER BY random() LIMIT 5);"
                        "UPDATE counter SET n = (SELECT count(*) FROM items)")
                 .is_ok()) {
            os::exit_now(6);
        }
        if (!(*s)->exec("UPDATE counter SET n = (SELECT count(*) FROM items), commits = commits + 1").is_ok() ||
            !(*s)->exec("COMMIT").is_ok()) {
            os::exit_now(7);
        }
        report_value(query_int(db, "SELECT commits FROM counter"));
    }
}

namespace {

// OUTPOST_STORE_CRASH_KILLS caps the kills per mode: a child starts in about a second under Wine,
// against a millisecond on Linux, so the Windows suite runs fewer (tests/windows/CMakeLists.txt).
int kill_budget(int kills) {
    if (const std::optional<std::string> cap = os::environment("OUTPOST_STORE_CRASH_KILLS")) {
        return std::min(kills, std::max(1, std::stoi(*cap)));
    }
    return kills;
}

void crash_loop(std::size_t mode_index, int wanted_kills, unsigned seed, bool bulk = false) {
    const int kills = kill_budget(wanted_kills);
    const StoreMode& mode = all_store_modes().at(mode_index);
    TempDir tmp;
    const auto path = tmp / "crash.db";
    const StoreOptions o = small_cache_options(mode_index);
    {
        auto s = Store::create(path, kPass, o);
        REQUIRE(s.is_ok());
        REQUIRE((*s)->exec("CREATE TABLE items(id INTEGER PRIMARY KEY, doc TEXT);"
                           "CREATE TABLE counter(n INTEGER NOT NULL, commits INTEGER NOT NULL);"
                           "INSERT INTO counter VALUES(0, 0);")
                    .is_ok());
    }
    std::mt19937 rng(seed);
    int failures = 0;
    int mid_transaction_kills = 0;
    for (int round = 0; round < kills; ++round) {
        Child child = Child::start("store_writer",
                                   {path_to_utf8(path), std::to_string(mode_index),
                                    std::to_string(seed * 1000 + static_cast<unsigned>(round)), bulk ? "bulk" : "wal"});
        // Wait for the child to get going (first commit), then kill it at a random later moment.
        std::int64_t last_reported = -1;  // most commits the child confirmed
        std::int64_t last_message = 0;
        std::int64_t v = 0;
        while (last_reported < 0 && child.read_value(v)) {
            last_message = v;
            last_reported = std::max(last_reported, v);
        }
        std::this_thread::sleep_for(std::chrono::microseconds(rng() % 40'000));
        child.kill();
        const os::ChildProcess::Exit exit = child.wait();
        while (child.read_value(v)) {
            last_message = v;
            last_reported = std::max(last_reported, v);
        }
        if (!exit.killed) {
            ++failures;
            MESSAGE("child exited on its own with status " << exit.code << " in round " << round);
            continue;
        }
        mid_transaction_kills += last_message < 0 ? 1 : 0;  // killed between BEGIN and COMMIT returning
        auto s = Store::open(path, kPass, o);
        if (!s.is_ok()) {
            ++failures;
            MESSAGE("round " << round << ": reopen failed: " << s.status().to_string());
            break;
        }
        sqlite3* db = (*s)->handle();
        const std::string check = query_text(db, "PRAGMA integrity_check");
        const std::int64_t n = query_int(db, "SELECT n FROM counter");
        const std::int64_t rows = query_int(db, "SELECT count(*) FROM items");
        const std::int64_t commits = query_int(db, "SELECT commits FROM counter");
        // The store opens in its own journal mode, whatever mode the child was killed in.
        const std::string journal = query_text(db, "PRAGMA journal_mode");
        const bool right_journal = journal == (mode.journal == JournalMode::kWal ? "wal" : "delete");
        // A WAL store keeps no rollback journal after it opens (a stale one would also switch off
        // the page-1 and length checks of every later open).
        const bool stale_journal =
            mode.journal == JournalMode::kWal && std::filesystem::exists(path.string() + "-journal");
        // Every confirmed commit is there, and at most the one in flight beyond it.
        if (check != "ok" || n != rows || commits < last_reported || commits > last_reported + 1 || !right_journal ||
            stale_journal || !(*s)->verify().is_ok()) {
            ++failures;
            MESSAGE("round " << round << ": check=" << check << " n=" << n << " rows=" << rows << " commits=" << commits
                             << " last_reported=" << last_reported << " journal=" << journal
                             << (stale_journal ? " (a -journal file is left)" : ""));
        }
    }
    CHECK(failures == 0);
    // Most kills must land inside a transaction, or the test proves little.
    CHECK(mid_transaction_kills > kills / 2);
    MESSAGE((std::string(mode.name) + (bulk ? " (bulk mode)" : "") + ": " + std::to_string(kills) + " kills, " +
             std::to_string(mid_transaction_kills) + " mid-transaction"));
}

}  // namespace

TEST_CASE("Store: survives 100 kill -9 mid-transaction in WAL mode") {
    crash_loop(0, 100, 11);
}

TEST_CASE("Store: survives 100 kill -9 mid-transaction in bulk mode, and reopens in WAL mode") {
    crash_loop(0, 100, 17, /*bulk=*/true);
}

TEST_CASE("Store: survives 100 kill -9 mid-transaction in DELETE mode") {
    crash_loop(1, 100, 23);
}

TEST_CASE("Store: survives 50 kill -9 mid-transaction in plain WAL and plain DELETE modes") {
    crash_loop(2, 50, 31);  // plain WAL
    crash_loop(3, 50, 37);  // plain DELETE
}

// The child of spilled_transaction_rolls_back: opens the store, leaves the spilling transaction open,
// reports ready, and waits to be killed. args: the store's path, the index of its mode in
// all_store_modes(), and "bulk" or "wal".
OUTPOST_CHILD_ROLE(store_spiller) {
    const std::filesystem::path path = path_from_utf8(args.at(0));
    const StoreOptions o = small_cache_options(std::stoul(args.at(1)));
    const bool bulk = args.at(2) == "bulk";
    auto s = Store::open(path, kPass, o);
    if (!s.is_ok() || (bulk && !(*s)->set_bulk_mode(true).is_ok()) ||
        !(*s)->exec("BEGIN IMMEDIATE; UPDATE t SET doc = doc || doc; UPDATE t SET doc = 'x' WHERE id % 3 = 0")
             .is_ok()) {
        os::exit_now(3);
    }
    report_ready();
    for (;;) {
        // Killed here, the transaction open and its spilled pages in the database file.
        std::this_thread::sleep_for(std::chrono::seconds(1));
    }
}

namespace {

// A transaction that rewrites every row of a table several times the cache's size, so SQLite spills
// pages to the database before COMMIT and the rollback journal grows a second and later header. The
// child is killed with the transaction open; the reopened store must be exactly as before it.
void spilled_transaction_rolls_back(std::size_t mode_index, bool bulk) {
    TempDir tmp;
    const auto path = tmp / "spill.db";
    const StoreOptions o = small_cache_options(mode_index);
    std::int64_t before = 0;
    {
        auto s = Store::create(path, kPass, o);
        REQUIRE(s.is_ok());
        REQUIRE((*s)->exec("CREATE TABLE t(id INTEGER PRIMARY KEY, doc TEXT)").is_ok());
        insert_rows(**s, 0, 3000);
        before = query_int((*s)->handle(), "SELECT sum(length(doc) * id) FROM t");
    }
    Child child =
        Child::start("store_spiller", {path_to_utf8(path), std::to_string(mode_index), bulk ? "bulk" : "wal"});
    child.wait_ready();
    // The database file holds spilled pages of the open transaction, the journal their old contents.
    REQUIRE(std::filesystem::file_size(path.string() + "-journal") > 2 * 4096 * 64);
    child.kill();
    REQUIRE(child.wait().killed);
    auto s = Store::open(path, kPass, o);
    REQUIRE(s.is_ok());
    CHECK(query_text((*s)->handle(), "PRAGMA integrity_check") == "ok");
    CHECK(query_int((*s)->handle(), "SELECT count(*) FROM t") == 3000);
    CHECK(query_int((*s)->handle(), "SELECT sum(length(doc) * id) FROM t") == before);
    CHECK((*s)->verify().is_ok());
}

}  // namespace

TEST_CASE("Store: regression - a transaction that spilled past one journal header rolls back whole after a kill") {
    // The shim took a later journal header's 4-byte fields for record checksums and unmasked them,
    // so SQLite stopped playing the journal back at the second header and left the rest half-written.
    spilled_transaction_rolls_back(1, /*bulk=*/false);  // encrypted DELETE
    spilled_transaction_rolls_back(0, /*bulk=*/true);   // encrypted WAL in bulk mode
    spilled_transaction_rolls_back(3, /*bulk=*/false);  // plain DELETE: SQLite alone
}
