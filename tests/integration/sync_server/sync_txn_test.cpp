// Sync transactions under concurrent pushes (ServerStorage::with_sync_txn): a push that fails is
// undone alone, whatever else commits with it, and the pushes that wait together are written as one
// group (SQLite: one fsync; PostgreSQL: a team's pushes in one transaction), their bodies run on the
// thread that writes the group. Runs against SQLite, and against PostgreSQL under the pg fixture
// (pg/sync_server/sync_txn).
#include <doctest/doctest.h>

#include <atomic>
#include <latch>
#include <mutex>
#include <thread>

#include "sync_harness.h"

using namespace outpost;
using namespace outpost::testing;

namespace {

sync::WireChange change_for(const std::string& device, int n) {
    sync::WireChange c;
    c.record = device + "-r" + std::to_string(n);
    c.type = "home_visit";
    c.team = "a";
    c.field = "household";
    c.value = "\"v\"";
    c.hlc = records::Hlc{(std::uint64_t{1'800'000'000'000} << 16) + static_cast<std::uint64_t>(n)}.to_string();
    c.base = records::Hlc{0}.to_string();
    c.device = device;
    return c;
}

}  // namespace

TEST_CASE("Sync transactions: a failing push is undone alone while the pushes around it commit") {
    TempDir tmp;
    auto storage = make_test_storage(tmp / "server");
    constexpr int kPushes = 12;
    std::latch start(kPushes);
    std::vector<std::thread> threads;
    std::vector<Status> results(kPushes, Status::ok());
    for (int i = 0; i < kPushes; ++i) {
        threads.emplace_back([&, i] {
            const std::string device = "dev-" + std::to_string(i);
            start.arrive_and_wait();
            results[static_cast<std::size_t>(i)] = storage->with_sync_txn("a", [&](sync::SyncTxn& txn) -> Status {
                for (int k = 0; k < 3; ++k) {
                    OUTPOST_TRY(txn.append_change(change_for(device, k), 1));
                }
                return i % 4 == 0 ? Status::error("test.push.refused", "this push fails after writing") : Status::ok();
            });
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    std::int64_t total = 0;
    for (int i = 0; i < kPushes; ++i) {
        CAPTURE(i);
        const bool fails = i % 4 == 0;
        CHECK(results[static_cast<std::size_t>(i)].is_ok() == !fails);
        if (fails) {
            CHECK(results[static_cast<std::size_t>(i)].code() == "test.push.refused");
        }
        auto logged = storage->logged_changes("dev-" + std::to_string(i));
        REQUIRE(logged.is_ok());
        CHECK(*logged == (fails ? 0 : 3));
        total += *logged;
    }
    std::int64_t cursor = 0;
    auto page = storage->changes_after("a", "nobody", 0, 1000, cursor);
    REQUIRE(page.is_ok());
    CHECK(static_cast<std::int64_t>(page->size()) == total);
    CHECK(total == 27);
}

TEST_CASE("Sync transactions: pushes that wait together are written together") {
    TempDir tmp;
    auto storage = make_test_storage(tmp / "server");
    // The first push holds its transaction while eight more arrive; they are then written after it,
    // in one group: one of the eight writes all eight, so seven run on another's thread.
    std::latch first_inside(1);
    std::atomic<int> calling{0};
    std::atomic<int> on_other_thread{0};
    std::thread first([&] {
        REQUIRE(storage
                    ->with_sync_txn("a",
                                    [&](sync::SyncTxn& txn) -> Status {
                                        first_inside.count_down();
                                        while (calling < 8) {
                                            std::this_thread::sleep_for(std::chrono::milliseconds(5));
                                        }
                                        std::this_thread::sleep_for(std::chrono::milliseconds(200));
                                        return txn.append_change(change_for("dev-first", 0), 1);
                                    })
                    .is_ok());
    });
    first_inside.wait();
    std::vector<std::thread> rest;
    for (int i = 0; i < 8; ++i) {
        rest.emplace_back([&, i] {
            const auto caller = std::this_thread::get_id();
            ++calling;
            REQUIRE(storage
                        ->with_sync_txn("a",
                                        [&](sync::SyncTxn& txn) -> Status {
                                            on_other_thread += std::this_thread::get_id() != caller ? 1 : 0;
                                            return txn.append_change(change_for("dev-" + std::to_string(i), 0), 1);
                                        })
                        .is_ok());
        });
    }
    first.join();
    for (auto& t : rest) {
        t.join();
    }
    MESSAGE(on_other_thread.load() << " of 8 pushes were written by another push's thread");
    CHECK(on_other_thread == 7);
    std::int64_t cursor = 0;
    auto page = storage->changes_after("a", "nobody", 0, 1000, cursor);
    REQUIRE(page.is_ok());
    CHECK(page->size() == 9);
}

TEST_CASE("Sync transactions: values with quotes, backslashes, braces and commas are logged byte for byte") {
    TempDir tmp;
    auto storage = make_test_storage(tmp / "server");
    // PostgreSQL takes a push's rows as array literals: each of these would break a careless one.
    const std::vector<std::string> values = {
        "\"a \\\"quoted\\\" word\"",    "\"back\\\\slash\\n\"", "\"{braces},[commas]\"", "NULL", "\"\"",
        "\"caf\xc3\xa9 \xe2\x9c\x93\"", "\"  spaced  \""};
    REQUIRE(storage
                ->with_sync_txn("a",
                                [&](sync::SyncTxn& txn) -> Status {
                                    for (std::size_t i = 0; i < values.size(); ++i) {
                                        sync::WireChange c = change_for("dev-x", static_cast<int>(i));
                                        c.value = values[i];
                                        c.author = i % 2 == 0 ? "ann \"the\" lead" : "";
                                        OUTPOST_TRY(txn.append_change(c, 1));
                                    }
                                    return Status::ok();
                                })
                .is_ok());
    std::int64_t cursor = 0;
    auto page = storage->changes_after("a", "nobody", 0, 1000, cursor);
    REQUIRE(page.is_ok());
    REQUIRE(page->size() == values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
        CAPTURE(i);
        CHECK((*page)[i].value == values[i]);
        CHECK((*page)[i].author == (i % 2 == 0 ? "ann \"the\" lead" : ""));
        CHECK((*page)[i].record == "dev-x-r" + std::to_string(i));
    }
}
