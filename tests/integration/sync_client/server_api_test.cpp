#include "outpost/sync/server_api.h"

#include <doctest/doctest.h>

#include "outpost/sync/server.h"
#include "temp_dir.h"

using namespace outpost::sync;
using outpost::testing::TempDir;

TEST_CASE("ServerApi: reads health from a real server over HTTP") {
    TempDir tmp;
    REQUIRE(init_sqlite_data_dir(tmp.path()).is_ok());
    auto storage = open_sqlite_storage(tmp.path());
    REQUIRE(storage.is_ok());
    auto server = Server::start({.log_sink = [](const std::string&) {}}, **storage);
    REQUIRE(server.is_ok());

    auto transport = make_http_transport({.base_url = (*server)->base_url()});
    REQUIRE(transport.is_ok());
    ServerApi api(**transport);
    auto health = api.health();
    REQUIRE(health.is_ok());
    CHECK(health->service == "outpost-server");
    CHECK_FALSE(health->version.empty());

    SUBCASE("a stopped server is reported as unreachable, not as a crash") {
        (*server)->stop();
        auto down = api.health();
        CHECK(down.status().code() == "sync.network.unreachable");
    }
}

TEST_CASE("ServerApi: bad URLs are refused up front") {
    CHECK(make_http_transport({.base_url = "ftp://x"}).status().code() == "core.argument.invalid");
    CHECK(make_http_transport({.base_url = ""}).status().code() == "core.argument.invalid");
}
