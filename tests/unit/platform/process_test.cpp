#include "outpost/platform/process.h"

#include <doctest/doctest.h>

TEST_CASE("Process: disabling core dumps takes effect") {
    // The test process starts with whatever the shell allowed; after the call it must be zero.
    REQUIRE(outpost::platform::disable_core_dumps().is_ok());
    CHECK(outpost::platform::core_dumps_disabled());
}
