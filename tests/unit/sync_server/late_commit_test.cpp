// Late commits with PostgreSQL (issue #10): two real `outpost-server serve --db` processes on one
// database, 50 laptops pushing through them at once, and two readers pulling all the while. A change
// that takes a lower seq but commits after a higher one has been pulled would be skipped by every
// cursor past it; the test proves none is: every laptop ends with every record, and every laptop
// received every other laptop's changes exactly once (its pulled count equals them, no more).
//
// Needs the throwaway cluster (CTest fixture "pg": OUTPOST_TEST_PG); fails, saying so, without it.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "server_process.h"
#include "sync_harness.h"

using namespace outpost;
using namespace outpost::testing;

namespace {

constexpr int kDevices = 50;
constexpr int kRounds = 4;
constexpr int kRecordsPerRound = 2;
constexpr int kFieldsPerRecord = 4;  // home_visit() answers

std::unique_ptr<sync::Transport> transport_to(const ServerProcess& server) {
    auto t = sync::make_http_transport({.base_url = server.url, .read_timeout = std::chrono::milliseconds(30000)});
    REQUIRE(t.is_ok());
    return std::move(*t);
}

}  // namespace

TEST_CASE("Late commits: two server processes, 50 laptops pushing, readers pulling: every change arrives once") {
    const std::string pg = test_pg_conninfo();
    REQUIRE_MESSAGE(!pg.empty(), "this test needs PostgreSQL: run it through ctest (fixture pg)");
    TempDir tmp;
    // A schema of its own, made and initialised through the test storage, then served by two processes.
    std::string conninfo;
    auto storage = make_test_storage(tmp / "unused", &conninfo);
    REQUIRE(storage->add_team("a", 1).is_ok());
    for (int i = 0; i < kDevices; ++i) {
        REQUIRE(storage->add_user("w" + std::to_string(i), "a", "worker", 1).is_ok());
    }
    REQUIRE(storage->add_user("reader1", "a", "lead", 1).is_ok());
    REQUIRE(storage->add_user("reader2", "a", "lead", 1).is_ok());

    ServerProcess one(OUTPOST_SERVER_BIN, {"--db", conninfo, "--db-pool", "4", "--data", (tmp / "shared").string()},
                      tmp / "one.log");
    ServerProcess two(OUTPOST_SERVER_BIN, {"--db", conninfo, "--db-pool", "4", "--data", (tmp / "shared").string()},
                      tmp / "two.log");
    REQUIRE_MESSAGE(one.ok(), one.error);
    REQUIRE_MESSAGE(two.ok(), two.error);
    auto enrol = [&](const std::string& user, const ServerProcess& via) {
        return enrol_over(*transport_to(via), *storage, user, user);
    };
    std::vector<std::unique_ptr<Device>> laptops;
    for (int i = 0; i < kDevices; ++i) {
        const ServerProcess& via = i % 2 == 0 ? one : two;
        laptops.push_back(std::make_unique<Device>(tmp / ("w" + std::to_string(i)), enrol("w" + std::to_string(i), via),
                                                   transport_to(via)));
    }
    Device reader1(tmp / "reader1", enrol("reader1", one), transport_to(one));
    Device reader2(tmp / "reader2", enrol("reader2", two), transport_to(two));
    // Everyone's first sync before any writes: from here on, everything flows through the pull log.
    std::vector<std::int64_t> pulled(kDevices + 2, 0);
    for (auto& d : laptops) {
        REQUIRE(d->sync().is_ok());
    }
    REQUIRE(reader1.sync().is_ok());
    REQUIRE(reader2.sync().is_ok());

    std::atomic<int> writing{kDevices};
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < kDevices; ++i) {
        threads.emplace_back([&, i] {
            Device& d = *laptops[static_cast<std::size_t>(i)];
            for (int r = 0; r < kRounds; ++r) {
                {
                    std::lock_guard lock(d.mutex);
                    for (int k = 0; k < kRecordsPerRound; ++k) {
                        auto rec = d.records->create(d.actor(), "home_visit",
                                                     home_visit(d.creds.user + " " + std::to_string(r * 10 + k)));
                        failures += rec.is_ok() ? 0 : 1;
                    }
                }
                auto s = d.sync();
                failures += s.is_ok() ? 0 : 1;
                pulled[static_cast<std::size_t>(i)] += s.is_ok() ? s->pulled : 0;
            }
            --writing;
        });
    }
    std::int64_t reader_syncs = 0;
    auto read_all_the_while = [&](Device& reader, std::size_t slot) {
        while (writing > 0) {
            auto s = reader.sync();
            failures += s.is_ok() ? 0 : 1;
            pulled[slot] += s.is_ok() ? s->pulled : 0;
            ++reader_syncs;
        }
    };
    std::thread r1([&] { read_all_the_while(reader1, kDevices); });
    std::thread r2([&] { read_all_the_while(reader2, kDevices + 1); });
    for (auto& t : threads) {
        t.join();
    }
    r1.join();
    r2.join();
    REQUIRE(failures == 0);
    MESSAGE(reader_syncs << " reader syncs ran during the writes");
    CHECK(reader_syncs > 4);

    // Everyone catches up; then every laptop holds exactly what the readers hold.
    for (std::size_t i = 0; i < laptops.size(); ++i) {
        auto s = laptops[i]->sync();
        REQUIRE(s.is_ok());
        pulled[i] += s->pulled;
    }
    for (std::size_t slot : {static_cast<std::size_t>(kDevices), static_cast<std::size_t>(kDevices + 1)}) {
        Device& reader = slot == kDevices ? reader1 : reader2;
        auto s = reader.sync();
        REQUIRE(s.is_ok());
        pulled[slot] += s->pulled;
    }
    const std::int64_t per_device = kRounds * kRecordsPerRound * kFieldsPerRecord;
    const std::int64_t total = per_device * kDevices;
    std::int64_t logged = 0;
    for (auto& d : laptops) {
        auto n = storage->logged_changes(d->creds.device_id);
        REQUIRE(n.is_ok());
        logged += *n;
    }
    CHECK(logged == total);
    const auto expected = reader1.heads_map();
    CHECK(static_cast<std::int64_t>(expected.size()) == total);
    CHECK(reader2.heads_map() == expected);
    CHECK(pulled[kDevices] == total);  // each reader received every change once
    CHECK(pulled[kDevices + 1] == total);
    for (std::size_t i = 0; i < laptops.size(); ++i) {
        CAPTURE(i);
        CHECK(laptops[i]->heads_map() == expected);
        CHECK(pulled[i] == total - per_device);  // every other laptop's changes, once each
    }
}
