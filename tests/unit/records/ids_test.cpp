// Record ids (core/src/records/ids.cpp): UUIDv7 text, its version and variant, and its time.
#include <doctest/doctest.h>

#include <cstdint>
#include <set>
#include <string>

#include "outpost/core/records/engine.h"

using namespace outpost::records;

TEST_CASE("Ids: a UUIDv7 is lower-case hex with version 7 and the RFC variant, and carries its time") {
    for (const std::int64_t ms : {std::int64_t{0}, std::int64_t{1'763'900'000'000}, (std::int64_t{1} << 48) - 1}) {
        const std::string id = make_uuid_v7(ms);
        REQUIRE(id.size() == 36);
        for (std::size_t i = 0; i < id.size(); ++i) {
            if (i == 8 || i == 13 || i == 18 || i == 23) {
                CHECK(id[i] == '-');
            } else {
                CHECK(std::string("0123456789abcdef").find(id[i]) != std::string::npos);
            }
        }
        CHECK(id[14] == '7');
        CHECK(std::string("89ab").find(id[19]) != std::string::npos);
        CHECK(uuid_v7_ms(id) == ms);
    }
}

TEST_CASE("Ids: ids made in the same millisecond differ, and later ones sort after earlier ones") {
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        seen.insert(make_uuid_v7(1'763'900'000'000));
    }
    CHECK(seen.size() == 1000);
    CHECK(make_uuid_v7(1'763'900'000'000) < make_uuid_v7(1'763'900'000'001));
    CHECK_FALSE(uuid_v7_ms("0190F2A4-7B1C-7D3E-8F00-123456789ABC").has_value());  // not lower case
    CHECK_FALSE(uuid_v7_ms("0190f2a4-7b1c-4d3e-8f00-123456789abc").has_value());  // version 4
}
