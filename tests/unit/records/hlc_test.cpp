#include "outpost/core/records/hlc.h"

#include <doctest/doctest.h>

#include <random>

#include "fake_clock.h"

using namespace outpost::records;
using outpost::testing::FakeClock;

TEST_CASE("HLC: strictly increasing even when the wall clock jumps back") {
    FakeClock clock(1'700'000'000'000);
    HybridClock hlc(clock);
    std::mt19937 rng(5);
    Hlc prev = hlc.now();
    for (int i = 0; i < 20'000; ++i) {
        switch (rng() % 4) {
            case 0:
                clock.advance(-static_cast<std::int64_t>(rng() % 100'000));  // NTP correction backwards
                break;
            case 1:
                clock.advance(static_cast<std::int64_t>(rng() % 50));
                break;
            default:
                break;  // same millisecond
        }
        const Hlc next = hlc.now();
        REQUIRE(next > prev);
        prev = next;
    }
}

TEST_CASE("HLC: the counter overflows into the next millisecond") {
    FakeClock clock(1000);
    HybridClock hlc(clock);
    Hlc prev = hlc.now();
    for (int i = 0; i < 70'000; ++i) {
        const Hlc next = hlc.now();
        REQUIRE(next > prev);
        prev = next;
    }
    CHECK(prev.ms() == 1001);
}

TEST_CASE("HLC: observing a remote stamp orders later events after it, tolerating skew") {
    FakeClock clock(1'700'000'000'000);
    HybridClock hlc(clock);
    // A laptop whose clock runs 3 hours fast sent a change; ours is right.
    const Hlc remote = Hlc::from(1'700'000'000'000 + 3 * 3'600'000, 7);
    REQUIRE(hlc.observe(remote).is_ok());
    CHECK(hlc.now() > remote);
    // An old remote stamp does not move the clock backwards.
    const Hlc before = hlc.last();
    REQUIRE(hlc.observe(Hlc::from(5, 0)).is_ok());
    CHECK(hlc.last() == before);
}

TEST_CASE("HLC: a stamp more than 24 hours ahead is refused and changes nothing") {
    FakeClock clock(1'700'000'000'000);
    HybridClock hlc(clock);
    const Hlc before = hlc.now();
    const Hlc two_days = Hlc::from(1'700'000'000'000 + 2 * 86'400'000, 0);
    auto s = hlc.observe(two_days);
    CHECK(s.code() == "record.clock.ahead");
    CHECK(s.message().find("48 hours") != std::string::npos);
    CHECK(hlc.last() == before);
    // Just inside the bound is accepted.
    CHECK(hlc.observe(Hlc::from(1'700'000'000'000 + 86'400'000 - 1, 0)).is_ok());
}

TEST_CASE("HLC: text form sorts like the value and parses back") {
    const Hlc a = Hlc::from(1'700'000'000'000, 3);
    const Hlc b = Hlc::from(1'700'000'000'001, 0);
    CHECK(a.to_string() < b.to_string());
    auto back = Hlc::parse(a.to_string());
    REQUIRE(back.is_ok());
    CHECK(*back == a);
    CHECK(Hlc::parse("xyz").status().code() == "record.clock.invalid");
    CHECK(Hlc::parse("000000000000000G").status().code() == "record.clock.invalid");
}
