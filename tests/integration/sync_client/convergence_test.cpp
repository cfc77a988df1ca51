// Convergence: five laptops make thousands of random creates, edits and deletes on overlapping records,
// go offline at random and sync in random orders; after a final sync every replica equals the server
// field for field, every overwritten concurrent value is in a conflict record, and no write is lost.
//
// Seeds: OUTPOST_CONVERGENCE_SEEDS (default "1,2,3"); operations per device: OUTPOST_CONVERGENCE_OPS
// (default 2000). Run more seeds by hand: OUTPOST_CONVERGENCE_SEEDS=4,5,6,7 ./test_sync_client_convergence
#include <doctest/doctest.h>

#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "outpost/core/records/engine.h"
#include "outpost/core/records/heads.h"
#include "sync_harness.h"

using namespace outpost;
using namespace outpost::sync;
using outpost::testing::Device;
using outpost::testing::SyncServerHarness;

namespace {

// A laptop whose clock is wrong by a fixed amount.
class SkewedClock final : public Clock {
public:
    explicit SkewedClock(std::int64_t skew_ms) : m_skew(skew_ms) {}
    [[nodiscard]] std::int64_t now_ms() const override { return SystemClock::instance().now_ms() + m_skew; }

private:
    std::int64_t m_skew;
};

struct Version {
    std::string value;
    std::int64_t hlc = 0;
    std::string device;
    std::int64_t base = 0;
    std::string author;
};
using Key = std::pair<std::string, std::string>;  // (record, field)

std::vector<int> env_list(const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    std::stringstream in(v != nullptr ? v : fallback);
    std::vector<int> out;
    std::string item;
    while (std::getline(in, item, ',')) {
        out.push_back(std::atoi(item.c_str()));
    }
    return out;
}

void run_seed(unsigned seed, int ops_per_device) {
    CAPTURE(seed);
    std::mt19937 rng(seed);
    SyncServerHarness server;
    server.add_team("a");
    const int kDevices = 5;
    std::vector<std::unique_ptr<SkewedClock>> clocks;
    std::vector<std::unique_ptr<Device>> devices;
    for (int i = 0; i < kDevices; ++i) {
        const std::string user = "w" + std::to_string(i);
        server.add_user(user, "a", i == 0 ? "lead" : "worker");
        clocks.push_back(
            std::make_unique<SkewedClock>(std::uniform_int_distribution<std::int64_t>(-300'000, 300'000)(rng)));
        devices.push_back(std::make_unique<Device>(server.tmp / (user + ".db"), server.enrol(user), server.transport(),
                                                   SyncOptions{.push_batch = 100, .pull_limit = 300}, *clocks.back()));
    }
    const std::vector<std::string> names = {"Smith", "Jones", "Patel", "Nowak", "Okafor", "Silva"};
    const std::vector<std::string> conditions = {"good", "adequate", "poor", "unsafe"};
    std::vector<bool> offline(kDevices, false);
    auto pick = [&](int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); };
    int syncs = 0;
    for (int step = 0; step < ops_per_device * kDevices; ++step) {
        const int d = pick(kDevices);
        Device& dev = *devices[static_cast<std::size_t>(d)];
        if (pick(100) < 2) {
            offline[static_cast<std::size_t>(d)] = !offline[static_cast<std::size_t>(d)];
        }
        if (pick(100) < 8 && !offline[static_cast<std::size_t>(d)]) {
            auto synced = dev.sync();
            REQUIRE_MESSAGE(synced.is_ok(), synced.status().to_string());
            ++syncs;
        }
        // Pick a live record this laptop has (recently created ones more often, so edits overlap).
        std::string target;
        {
            std::lock_guard lock(dev.mutex);
            records::ListQuery q;
            q.limit = 20;
            auto page = dev.records->list(q);
            REQUIRE(page.is_ok());
            std::vector<std::string> ids;
            for (const auto& r : page->records) {
                if (r.type == "home_visit") {
                    ids.push_back(r.id);
                }
            }
            if (!ids.empty() && pick(100) >= 15) {
                target = ids[static_cast<std::size_t>(pick(static_cast<int>(ids.size())))];
            }
        }
        if (target.empty()) {
            dev.create("home_visit", outpost::testing::home_visit(names[static_cast<std::size_t>(pick(6))]));
            continue;
        }
        const int kind = pick(100);
        std::lock_guard lock(dev.mutex);
        Status s = Status::ok();
        if (kind < 4) {
            s = dev.records->remove(dev.actor(), target);
        } else {
            records::Values v;
            if (pick(2) == 0) {
                v["household"] = names[static_cast<std::size_t>(pick(6))];
            }
            if (pick(2) == 0) {
                v["home_conditions"] = conditions[static_cast<std::size_t>(pick(4))];
            }
            if (pick(3) == 0) {
                v["actions_agreed"] = "step " + std::to_string(step);
            }
            if (v.empty()) {
                v["seen_alone"] = pick(2) == 0;
            }
            s = dev.records->update(dev.actor(), target, v).status();
        }
        REQUIRE(s.is_ok());
    }
    // Final sync: everyone online, everything pushed, then everything (with conflict records) pulled.
    for (int round = 0; round < 2; ++round) {
        for (auto& dev : devices) {
            auto r = dev->sync();
            REQUIRE(r.is_ok());
            CHECK(r->rejected == 0);
        }
    }
    MESSAGE(std::string("seed " + std::to_string(seed) + ": " + std::to_string(syncs) + " random syncs"));

    // The server's frontiers, every version of every field, through its storage (SQLite or
    // PostgreSQL) as a first sync's snapshot reads them.
    std::map<Key, std::vector<Version>> frontier;
    std::string from_id;
    for (bool more = true; more;) {
        std::int64_t log_end = 0;
        std::string last;
        REQUIRE(server.storage
                    ->snapshot_page("a", "", from_id, 500, std::size_t{64} << 20, log_end, more,
                                    [&](const ServerStorage::SnapshotRow& row) {
                                        last = std::string(row.id);
                                        frontier[{last, std::string(row.field)}].push_back(
                                            {std::string(row.value), static_cast<std::int64_t>(row.hlc),
                                             std::string(row.device), static_cast<std::int64_t>(row.base),
                                             std::string(row.author)});
                                    })
                    .is_ok());
        REQUIRE((!more || !last.empty()));
        from_id = last;
    }
    std::map<Key, Version> winners;
    for (auto& [k, vs] : frontier) {
        std::sort(vs.begin(), vs.end(), [](const Version& a, const Version& b) {
            return std::tie(a.hlc, a.device) < std::tie(b.hlc, b.device);
        });
        winners[k] = vs.back();
    }
    REQUIRE(winners.size() > 100);

    // 1. Every replica equals the server, field for field (value and stamp).
    for (auto& dev : devices) {
        std::map<Key, Version> replica;
        for (const auto& [key, head] : dev->heads_map()) {
            const auto& [value, hlc, device] = head;
            replica[key] = {value, static_cast<std::int64_t>(hlc), device, 0, ""};
        }
        CHECK(replica.size() == winners.size());
        int mismatches = 0;
        for (const auto& [k, w] : winners) {
            auto it = replica.find(k);
            if (it == replica.end() || it->second.value != w.value || it->second.hlc != w.hlc ||
                it->second.device != w.device) {
                ++mismatches;
            }
        }
        CHECK(mismatches == 0);
    }

    // Conflict records, as every replica holds them: (record, field, other_hlc, other_author) -> other_value.
    // (Two laptops with skewed clocks can stamp the same HLC; the author tells them apart here.)
    std::map<std::tuple<std::string, std::string, std::string, std::string>, std::string> conflicts;
    {
        auto all = devices[0]->all();
        for (const auto& [id, rec] : all) {
            if (rec.type != "conflict") {
                continue;
            }
            auto get = [&](const char* f) { return std::get<std::string>(rec.values.at(f)); };
            conflicts[{get("record"), get("field"), get("other_hlc"), get("other_author")}] = get("other_value");
        }
    }

    // 2. Every overwritten concurrent value on the server is in a conflict record.
    int losers = 0;
    for (const auto& [k, vs] : frontier) {
        const Version& w = winners[k];
        for (const Version& v : vs) {
            if (v.value != w.value) {
                ++losers;
                auto it = conflicts.find(
                    {k.first, k.second, records::Hlc{static_cast<std::uint64_t>(v.hlc)}.to_string(), v.author});
                CHECK(it != conflicts.end());
                if (it != conflicts.end()) {
                    CHECK(it->second == v.value);
                }
            }
        }
    }

    // 3. Every operation's value is current, in a conflict record, or was seen and overwritten.
    std::map<Key, std::vector<Version>> ops;
    for (auto& dev : devices) {
        std::lock_guard lock(dev->mutex);
        auto mine = dev->records->outbox_after(dev->creds.device_id, 0, 10'000);
        REQUIRE(mine.is_ok());
        std::int64_t total = 0;
        for (std::int64_t after = 0;;) {
            auto page = dev->records->outbox_after(dev->creds.device_id, after, 10'000);
            REQUIRE(page.is_ok());
            if (page->empty()) {
                break;
            }
            for (const auto& c : *page) {
                ops[{c.record, c.field}].push_back({c.value, static_cast<std::int64_t>(c.hlc.packed), c.device,
                                                    static_cast<std::int64_t>(c.base.packed), c.author});
            }
            total += static_cast<std::int64_t>(page->size());
            after = page->back().seq;
        }
        auto logged = server.storage->logged_changes(dev->creds.device_id);
        REQUIRE(logged.is_ok());
        CHECK(*logged <= total);  // superseded writes are answered but not logged; nothing is logged twice
    }
    int current = 0;
    int in_conflict = 0;
    int overwritten = 0;
    int lost = 0;
    for (const auto& [k, vs] : ops) {
        const Version& w = winners[k];
        for (const Version& o : vs) {
            if (o.value == w.value) {
                ++current;
            } else if (conflicts.count({k.first, k.second, records::Hlc{static_cast<std::uint64_t>(o.hlc)}.to_string(),
                                        o.author})) {
                ++in_conflict;
            } else if (std::any_of(vs.begin(), vs.end(), [&](const Version& p) {
                           return std::tie(p.hlc, p.device) > std::tie(o.hlc, o.device) && p.base >= o.hlc;
                       })) {
                ++overwritten;
            } else {
                ++lost;
            }
        }
    }
    MESSAGE(std::string("seed " + std::to_string(seed) + ": " + std::to_string(current) + " current, " +
                        std::to_string(in_conflict) + " in conflict records, " + std::to_string(overwritten) +
                        " seen and overwritten, " + std::to_string(losers) + " conflict losers"));
    CHECK(lost == 0);
    CHECK(in_conflict > 0);  // the workload does provoke real clashes
}

}  // namespace

TEST_CASE("Convergence: five laptops, random edits, offline periods and sync orders, end identical to the server") {
    const std::vector<int> ops = env_list("OUTPOST_CONVERGENCE_OPS", "2000");
    for (int seed : env_list("OUTPOST_CONVERGENCE_SEEDS", "1,2,3")) {
        run_seed(static_cast<unsigned>(seed), ops.front());
    }
}
