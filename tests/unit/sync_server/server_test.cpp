#include "outpost/sync/server.h"

#include <doctest/doctest.h>
#include <httplib.h>

#include <cstdio>
#include <mutex>
#include <sstream>
#include <vector>

#include "fake_clock.h"
#include "outpost/sync/messages.h"
#include "outpost/sync/server_storage.h"
#include "temp_dir.h"

using namespace outpost::sync;
using outpost::testing::FakeClock;
using outpost::testing::TempDir;

namespace {

struct LogCapture {
    std::mutex mutex;
    std::vector<std::string> lines;
    std::function<void(const std::string&)> sink() {
        return [this](const std::string& l) {
            std::lock_guard lock(mutex);
            lines.push_back(l);
        };
    }
};

}  // namespace

TEST_CASE("ServerStorage: init creates a database once and open reads its identity") {
    TempDir tmp;
    REQUIRE(init_sqlite_data_dir(tmp / "data").is_ok());
    auto again = init_sqlite_data_dir(tmp / "data");
    CHECK(again.code() == "store.file.exists");

    auto storage = open_sqlite_storage(tmp / "data");
    REQUIRE(storage.is_ok());
    auto id = (*storage)->identity();
    REQUIRE(id.is_ok());
    CHECK(id->schema_version == kServerSchemaVersion);
    CHECK(id->server_id.size() == 32);
}

TEST_CASE("ServerStorage: opening an uninitialised directory names the fix") {
    TempDir tmp;
    auto storage = open_sqlite_storage(tmp / "nothing");
    CHECK(storage.status().code() == "server.data_dir.invalid");
    CHECK(storage.status().message().find("outpost-server init") != std::string::npos);
}

TEST_CASE("Server: serves /v1/health on a random loopback port") {
    TempDir tmp;
    REQUIRE(init_sqlite_data_dir(tmp.path()).is_ok());
    auto storage = open_sqlite_storage(tmp.path());
    REQUIRE(storage.is_ok());
    FakeClock clock(1'234'567);
    LogCapture logs;
    auto server = Server::start({.log_sink = logs.sink()}, **storage, clock);
    REQUIRE(server.is_ok());
    CHECK((*server)->port() > 0);

    httplib::Client cli("127.0.0.1", (*server)->port());
    auto res = cli.Get("/v1/health");
    REQUIRE(res);
    CHECK(res->status == 200);
    auto health = decode_health(res->body);
    REQUIRE(health.is_ok());
    CHECK(health->service == "outpost-server");
    CHECK(health->server_time_ms == 1'234'567);
    CHECK(health->protocols == std::vector<std::string>{"v1"});

    SUBCASE("unknown routes get a JSON error with a stable code, and the server keeps serving") {
        auto missing = cli.Get("/v1/nope");
        REQUIRE(missing);
        CHECK(missing->status == 404);
        CHECK(decode_error(missing->body).code() == "sync.route.not_found");
        auto next = cli.Get("/v1/health");
        REQUIRE(next);
        CHECK(next->status == 200);
    }
    SUBCASE("a push body over the limit gets 413 with a code (a laptop then halves its batch)") {
        auto big = cli.Post("/v1/push", std::string(9U * 1024U * 1024U, 'x'), "application/json");
        REQUIRE(big);
        CHECK(big->status == 413);
        CHECK(decode_error(big->body).code() == "sync.request.too_large");
    }
    SUBCASE("a body where no body belongs is refused before it is read, and the connection closed") {
        auto big = cli.Post("/v1/health", std::string(64U * 1024U, 'x'), "application/json");
        CHECK((!big || big->status == 413));
        auto next = cli.Get("/v1/health");
        REQUIRE(next);
        CHECK(next->status == 200);
    }
    SUBCASE("the access log never contains headers") {
        httplib::Headers h{{"Authorization", "Bearer secret-token-123"}};
        REQUIRE(cli.Get("/v1/health", h));
        (*server)->stop();
        std::lock_guard lock(logs.mutex);
        bool saw_request = false;
        for (const auto& line : logs.lines) {
            CHECK(line.find("secret-token-123") == std::string::npos);
            saw_request = saw_request || line.find("\"/v1/health\"") != std::string::npos;
        }
        CHECK(saw_request);
    }
}

TEST_CASE("Server: refuses plain HTTP on a non-loopback address") {
    TempDir tmp;
    REQUIRE(init_sqlite_data_dir(tmp.path()).is_ok());
    auto storage = open_sqlite_storage(tmp.path());
    REQUIRE(storage.is_ok());
    auto server = Server::start({.host = "0.0.0.0"}, **storage);
    CHECK(server.status().code() == "server.tls.required");
    auto half = Server::start({.tls_cert_path = "cert.pem"}, **storage);
    CHECK(half.status().code() == "server.config.invalid");
}

TEST_CASE("Server: loopback detection") {
    CHECK(is_loopback_host("127.0.0.1"));
    CHECK(is_loopback_host("127.10.0.3"));
    CHECK(is_loopback_host("localhost"));
    CHECK(is_loopback_host("::1"));
    CHECK_FALSE(is_loopback_host("0.0.0.0"));
    CHECK_FALSE(is_loopback_host("127.0.0.1.evil.example"));
    CHECK_FALSE(is_loopback_host("10.0.0.1"));
    CHECK_FALSE(is_loopback_host("1270.0.0.1"));
}

TEST_CASE("Server: regression - the listen backlog was 5, and a burst of laptops connecting at once was dropped") {
    TempDir tmp;
    REQUIRE(init_sqlite_data_dir(tmp.path()).is_ok());
    auto storage = open_sqlite_storage(tmp.path());
    REQUIRE(storage.is_ok());
    auto srv = Server::start({.log_sink = [](const std::string&) {}}, **storage);
    REQUIRE(srv.is_ok());
    // ss shows a listening socket's backlog as its Send-Q.
    const std::string cmd = "ss -Hltn 'sport = :" + std::to_string((*srv)->port()) + "'";
    FILE* p = popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    char line[512] = {};
    const bool read = fgets(line, sizeof line, p) != nullptr;
    pclose(p);
    REQUIRE_MESSAGE(read, "ss printed nothing for " << cmd);
    std::istringstream cols(line);
    std::string state;
    long recv_q = 0;
    long backlog = 0;
    cols >> state >> recv_q >> backlog;
    CHECK(state == "LISTEN");
    CHECK(backlog >= 1024);
}
