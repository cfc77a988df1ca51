// Merge rule: randomised property tests over many thousands of cases.
#include "outpost/core/records/merge.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <deque>
#include <map>
#include <random>

#include "fake_clock.h"

using namespace outpost::records;
using outpost::testing::FakeClock;

namespace {

// A simulated device: its own skewed clock, its own replica of one field, and the writes it made.
struct Device {
    std::string id;
    FakeClock clock;
    HybridClock hlc;
    FieldState replica;
    Device(std::string name, std::int64_t skew) : id(std::move(name)), clock(1'700'000'000'000 + skew), hlc(clock) {}
};

FieldVersion write(Device& d, const std::string& value) {
    const Hlc base = d.replica.frontier.empty() ? Hlc{} : winner(d.replica).stamp.hlc;
    for (const auto& v : d.replica.frontier) {
        (void)d.hlc.observe(v.stamp.hlc);
    }
    FieldVersion v{value, {d.hlc.now(), d.id}, base, "user-" + d.id};
    d.replica = merge(d.replica, v);
    return v;
}

// Random histories: devices write, sync pairwise, and go quiet; returns every version written.
std::vector<FieldVersion> random_history(std::mt19937& rng, int devices, int steps) {
    std::deque<Device> ds;  // deque: Devices hold references and never move
    for (int i = 0; i < devices; ++i) {
        ds.emplace_back("d" + std::to_string(i), static_cast<std::int64_t>(rng() % 7'200'000) - 3'600'000);
    }
    std::vector<FieldVersion> all;
    for (int s = 0; s < steps; ++s) {
        Device& d = ds[rng() % ds.size()];
        d.clock.advance(static_cast<std::int64_t>(rng() % 5000));
        if (rng() % 3 == 0) {
            Device& other = ds[rng() % ds.size()];
            const FieldState joined = merge(d.replica, other.replica);
            d.replica = joined;
            other.replica = joined;
        } else {
            all.push_back(write(d, "v" + std::to_string(rng() % 4)));
        }
    }
    return all;
}

FieldState fold(const std::vector<FieldVersion>& vs) {
    FieldState s;
    for (const auto& v : vs) {
        s = merge(s, v);
    }
    return s;
}

}  // namespace

TEST_CASE("Merge: commutative, associative and idempotent over 10,000 random cases") {
    std::mt19937 rng(20261123);
    int checked = 0;
    for (int c = 0; c < 10'000; ++c) {
        auto all = random_history(rng, 2 + static_cast<int>(rng() % 4), 2 + static_cast<int>(rng() % 12));
        std::shuffle(all.begin(), all.end(), rng);
        const std::size_t i = all.empty() ? 0 : rng() % (all.size() + 1);
        const std::size_t j = i + (all.size() - i == 0 ? 0 : rng() % (all.size() - i + 1));
        const FieldState a = fold({all.begin(), all.begin() + static_cast<std::ptrdiff_t>(i)});
        const FieldState b =
            fold({all.begin() + static_cast<std::ptrdiff_t>(i), all.begin() + static_cast<std::ptrdiff_t>(j)});
        const FieldState c3 = fold({all.begin() + static_cast<std::ptrdiff_t>(j), all.end()});
        REQUIRE(merge(a, b) == merge(b, a));
        REQUIRE(merge(merge(a, b), c3) == merge(a, merge(b, c3)));
        REQUIRE(merge(a, a) == a);
        const FieldState whole = merge(merge(a, b), c3);
        REQUIRE(whole == fold(all));
        // Delivery order never matters.
        auto reordered = all;
        std::shuffle(reordered.begin(), reordered.end(), rng);
        REQUIRE(fold(reordered) == whole);
        ++checked;
    }
    CHECK(checked == 10'000);
}

TEST_CASE("Merge: nothing is silently lost - every version is the winner, a loser, or was seen and overwritten") {
    std::mt19937 rng(77);
    for (int c = 0; c < 3'000; ++c) {
        const auto all = random_history(rng, 3, 15);
        const FieldState s = fold(all);
        if (all.empty()) {
            continue;
        }
        const auto ls = losers(s);
        for (const FieldVersion& v : all) {
            const bool is_winner = winner(s) == v;
            const bool is_loser = std::find(ls.begin(), ls.end(), v) != ls.end();
            const bool overwritten =
                std::any_of(all.begin(), all.end(), [&](const auto& u) { return supersedes(u, v); });
            const bool same_value_as_winner = v.value == winner(s).value;
            REQUIRE((is_winner || is_loser || overwritten || same_value_as_winner));
        }
    }
}

TEST_CASE("Merge: concurrent different values on one field give exactly one conflict keeping the loser") {
    std::mt19937 rng(3);
    for (int c = 0; c < 2'000; ++c) {
        Device a("laptop-a", static_cast<std::int64_t>(rng() % 100'000));
        Device b("laptop-b", static_cast<std::int64_t>(rng() % 100'000));
        // Both start from the same synced value, then edit offline.
        const FieldVersion start = write(a, "moderate");
        b.replica = a.replica;
        const FieldVersion va = write(a, "high");
        const FieldVersion vb = write(b, "low");
        FieldState server;
        server = apply_write(server, start).state;
        const ApplyResult first = apply_write(server, c % 2 == 0 ? va : vb);
        CHECK(first.outcome == MergeOutcome::kApplied);
        const ApplyResult second = apply_write(first.state, c % 2 == 0 ? vb : va);
        CHECK(second.outcome == MergeOutcome::kConflict);
        REQUIRE(second.new_losers.size() == 1);
        const FieldVersion& expected_winner = va.stamp > vb.stamp ? va : vb;
        const FieldVersion& expected_loser = va.stamp > vb.stamp ? vb : va;
        CHECK(winner(second.state) == expected_winner);
        CHECK(second.new_losers.front() == expected_loser);
        CHECK(losers(second.state) == std::vector<FieldVersion>{expected_loser});
        // Resolving: a write that saw the winner supersedes both sides.
        Device resolver("lead", 200'000);
        resolver.replica = second.state;
        const ApplyResult resolved = apply_write(second.state, write(resolver, "high"));
        CHECK(resolved.outcome == MergeOutcome::kApplied);
        CHECK(losers(resolved.state).empty());
    }
}

TEST_CASE("Merge: edits to different fields never conflict; sequential edits never conflict") {
    std::mt19937 rng(9);
    for (int c = 0; c < 1'000; ++c) {
        Device a("a", 0);
        Device b("b", 0);
        std::map<std::string, FieldState> record_a;
        std::map<std::string, FieldState> record_b;
        // Device a edits "risk", device b edits "notes", concurrently.
        record_a["risk"] = merge(record_a["risk"], write(a, "high"));
        record_b["notes"] = merge(record_b["notes"], write(b, "text " + std::to_string(rng())));
        std::map<std::string, FieldState> merged = record_a;
        for (const auto& [k, v] : record_b) {
            merged[k] = merge(merged[k], v);
        }
        for (const auto& [k, v] : merged) {
            CHECK(losers(v).empty());
        }
        // A chain of edits on one device, each seeing the last, never conflicts either.
        FieldState chain;
        for (int i = 0; i < 5; ++i) {
            const ApplyResult r = apply_write(chain, write(a, "x" + std::to_string(i)));
            CHECK(r.outcome == MergeOutcome::kApplied);
            chain = r.state;
        }
        CHECK(chain.frontier.size() == 1);
    }
}

TEST_CASE("Merge: a replayed or stale write is superseded, not applied twice") {
    Device a("a", 0);
    FieldState s;
    const FieldVersion v1 = write(a, "one");
    const FieldVersion v2 = write(a, "two");
    s = apply_write(s, v1).state;
    s = apply_write(s, v2).state;
    CHECK(apply_write(s, v2).outcome == MergeOutcome::kSuperseded);
    CHECK(apply_write(s, v1).outcome == MergeOutcome::kSuperseded);
    CHECK(apply_write(s, v1).state == s);
}

// Found while building sync: the frontier was sorted with the default member-wise order, which compares
// the value first, so "winner" was the greatest value rather than the latest write.
TEST_CASE("Merge: regression-winner-is-latest-stamp-not-greatest-value") {
    const FieldVersion early{"zzz", {Hlc::from(1000, 0), "dev-a"}, Hlc{}, "ann"};
    const FieldVersion late{"aaa", {Hlc::from(2000, 0), "dev-b"}, Hlc{}, "bob"};
    for (const FieldState& s : {merge(FieldState{{early}}, late), merge(FieldState{{late}}, early)}) {
        CHECK(winner(s) == late);
        REQUIRE(losers(s).size() == 1);
        CHECK(losers(s).front() == early);
    }
    const ApplyResult r = apply_write(FieldState{{late}}, early);
    CHECK(r.outcome == MergeOutcome::kConflict);
    CHECK(winner(r.state) == late);
    REQUIRE(r.new_losers.size() == 1);
    CHECK(r.new_losers.front() == early);
}
