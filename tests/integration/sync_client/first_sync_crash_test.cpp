// Crash safety of a first sync: the laptop process is killed with SIGKILL at 100+ random points while
// it writes snapshot pages in bulk mode (a rollback journal, Store::set_bulk_mode). After every kill
// the store must open in WAL mode, pass SQLite's and FTS5's integrity checks and the page
// authentication, and hold whole pages only: a prefix of the team's records in id order, each equal to
// the server's. The next run resumes, and the last one ends equal to the writer's laptop.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include "fork_child.h"
#include "store_helpers.h"
#include "sync_harness.h"

using namespace outpost;
using namespace outpost::sync;
using outpost::testing::Device;
using outpost::testing::fork_until_ready;
using outpost::testing::home_visit;
using outpost::testing::laptop_child;
using outpost::testing::query_text;
using outpost::testing::SyncServerHarness;

namespace {

constexpr int kKills = 100;
constexpr int kRecords = 160;
const SyncOptions kSmallPages{.pull_limit = 8};

void remove_store(const std::filesystem::path& db) {
    for (const char* suffix : {"", "-wal", "-journal"}) {
        std::filesystem::remove(db.string() + suffix);
    }
    std::filesystem::remove(Store::key_path_for(db));
}

// What a restarted laptop finds: the store's own checks, and whole pages only. Returns how many
// records it holds.
std::size_t check_after_kill(Device& d, const Device::HeadsMap& server, const std::vector<std::string>& ids) {
    {
        std::lock_guard lock(d.mutex);
        sqlite3* db = d.store->handle();
        CHECK(query_text(db, "PRAGMA journal_mode") == "wal");
        CHECK_FALSE(std::filesystem::exists(d.path.string() + "-journal"));  // no stale journal after a restart
        CHECK(query_text(db, "PRAGMA integrity_check") == "ok");
        CHECK(sqlite3_exec(db, "INSERT INTO records_fts(records_fts) VALUES('integrity-check')", nullptr, nullptr,
                           nullptr) == SQLITE_OK);
        CHECK(d.store->verify().is_ok());
    }
    const auto held = d.all();
    std::vector<std::string> held_ids;
    for (const auto& [id, r] : held) {
        held_ids.push_back(id);
    }
    REQUIRE(held_ids.size() <= ids.size());
    CHECK(std::equal(held_ids.begin(), held_ids.end(), ids.begin()));  // pages in id order, none half-written
    for (const auto& [key, head] : d.heads_map()) {
        const auto it = server.find(key);
        REQUIRE(it != server.end());
        CHECK(it->second == head);
    }
    return held.size();
}

}  // namespace

TEST_CASE(
    "First sync crash: kill -9 at 100 random points while snapshot pages are written, and every restart is whole") {
    SyncServerHarness server;
    server.add_team("a");
    server.add_user("ann", "a", "worker");
    server.add_user("sam", "a", "worker");
    Device ann(server.tmp / "ann.db", server.enrol("ann"), server.transport());
    std::vector<std::string> ids;
    for (int i = 0; i < kRecords; ++i) {
        auto v = home_visit("Household " + std::to_string(i));
        v["people_seen_notes"] =
            std::string("seen in the kitchen about the damp and the heating, visit ") + std::to_string(i);
        ids.push_back(ann.create("home_visit", v).id);
    }
    std::sort(ids.begin(), ids.end());
    REQUIRE(ann.sync().is_ok());
    const Device::HeadsMap on_server = ann.heads_map();  // ann synced everything; nobody else writes
    const Credentials sam = server.enrol("sam");
    const auto db = server.tmp / "sam.db";
    const std::string url = server.server->base_url();
    std::mt19937 rng(20261201);

    auto start_run = [&] {
        return fork_until_ready([&](int ready) { laptop_child(db, sam, url, kSmallPages, ready); });
    };
    // One unkilled first sync measures how long it takes, to spread the kills over it.
    pid_t pid = start_run();
    const auto t0 = std::chrono::steady_clock::now();
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 0);
    const long run_us =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
    MESSAGE(std::string("one first sync takes " + std::to_string(run_us / 1000) + " ms"));
    remove_store(db);

    int killed = 0;
    int finished = 0;
    std::size_t partial = 0;  // kills that left some pages but not all
    long bound_us = run_us;
    for (int run = 1; killed < kKills && run <= 4 * kKills; ++run) {
        pid = start_run();
        std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<long>(0, bound_us)(rng)));
        kill(pid, SIGKILL);
        REQUIRE(waitpid(pid, &status, 0) == pid);
        if (!WIFSIGNALED(status)) {
            REQUIRE(WEXITSTATUS(status) == 0);
            ++finished;
            bound_us = std::max(1000L, bound_us * 3 / 4);
        } else {
            ++killed;
        }
        std::size_t held = 0;
        {
            Device restarted(db, sam, server.transport(), kSmallPages);
            held = check_after_kill(restarted, on_server, ids);
        }
        partial += held > 0 && held < ids.size() ? 1 : 0;
        if (held == ids.size()) {
            remove_store(db);  // done: the next run is a new laptop's first sync again
        }
    }
    MESSAGE(std::string(std::to_string(killed) + " runs killed (" + std::to_string(partial) + " with some pages in), " +
                        std::to_string(finished) + " finished first"));
    CHECK(killed == kKills);
    CHECK(partial > kKills / 4);  // many kills landed between the first page and the last

    // The last restart syncs to completion and equals the writer's laptop, search included.
    Device last(db, sam, server.transport(), kSmallPages);
    auto done = last.sync();
    REQUIRE_MESSAGE(done.is_ok(), done.status().to_string());
    CHECK(last.heads_map() == on_server);
    std::lock_guard lock(last.mutex);
    CHECK(query_text(last.store->handle(), "PRAGMA journal_mode") == "wal");
    CHECK_FALSE(std::filesystem::exists(db.string() + "-journal"));
    records::ListQuery q;
    q.search = "Household 17";
    auto found = last.records->list(q);
    REQUIRE(found.is_ok());
    REQUIRE_FALSE(found->records.empty());
    CHECK(std::any_of(found->records.begin(), found->records.end(), [](const records::Record& r) {
        return std::get<std::string>(r.values.at("household")) == "Household 17";
    }));
}
