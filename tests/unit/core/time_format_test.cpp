// UTC times as text, against dates worked out by hand (leap years, the epoch, before it).
#include "outpost/core/time_format.h"

#include <doctest/doctest.h>

using outpost::iso_date_utc;
using outpost::iso_utc;

TEST_CASE("TimeFormat: known instants") {
    CHECK(iso_utc(0) == "1970-01-01T00:00:00Z");
    CHECK(iso_utc(999) == "1970-01-01T00:00:00Z");
    CHECK(iso_utc(-1) == "1969-12-31T23:59:59Z");
    CHECK(iso_utc(951'782'400'000) == "2000-02-29T00:00:00Z");  // a leap day in a century year
    CHECK(iso_utc(1'798'537'432'000) == "2026-12-29T09:43:52Z");
    CHECK(iso_utc(4'107'542'399'000) == "2100-02-28T23:59:59Z");  // 2100 is not a leap year
    CHECK(iso_utc(4'107'542'400'000) == "2100-03-01T00:00:00Z");
    CHECK(iso_date_utc(1'798'537'432'000) == "2026-12-29");
}
