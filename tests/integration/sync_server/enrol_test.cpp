// Enrolment and device authentication through a real server on 127.0.0.1: the security cases of the
// matrix that this part of the protocol covers.
#include <doctest/doctest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "fake_clock.h"
#include "outpost/sync/messages.h"
#include "outpost/sync/pg_storage.h"
#include "outpost/sync/server.h"
#include "outpost/sync/sync_messages.h"
#include "store_helpers.h"
#include "sync_harness.h"
#include "temp_dir.h"

using namespace outpost::sync;
using outpost::testing::FakeClock;
using outpost::testing::TempDir;

namespace {

constexpr std::int64_t kDay = 86'400'000;

struct Fixture {
    TempDir tmp;
    FakeClock clock{1'763'900'000'000};
    std::unique_ptr<ServerStorage> storage;
    std::unique_ptr<Server> server;
    std::unique_ptr<httplib::Client> http;

    Fixture() {
        storage = outpost::testing::make_test_storage(tmp / "data");  // SQLite, or PostgreSQL (pg/ tests)
        REQUIRE(storage->add_team("team-a", clock.now_ms()).is_ok());
        REQUIRE(storage->add_user("ann", "team-a", "worker", clock.now_ms()).is_ok());
        auto srv = Server::start({.log_sink = [](const std::string&) {}}, *storage, clock);
        REQUIRE(srv.is_ok());
        server = std::move(*srv);
        http = std::make_unique<httplib::Client>("127.0.0.1", server->port());
    }
    httplib::Result enrol(const std::string& code) {
        return http->Post("/v1/enroll", encode(EnrollRequest{code, "Ann's laptop"}), "application/json");
    }
    httplib::Result whoami(const std::string& token) {
        httplib::Headers h;
        if (!token.empty()) {
            h.emplace("Authorization", "Bearer " + token);
        }
        return http->Get("/v1/whoami", h);
    }
    std::string code(std::int64_t ttl = 7 * kDay) {
        auto c = storage->create_enrolment_code("ann", ttl, clock.now_ms());
        REQUIRE(c.is_ok());
        return *c;
    }
};

std::string error_code(const httplib::Result& r) {
    return decode_error(r->body).code();
}

}  // namespace

TEST_CASE("Enrolment: a code enrols a device once, and its token authenticates") {
    Fixture f;
    const std::string code = f.code();
    auto r = f.enrol(code);
    REQUIRE(r);
    REQUIRE(r->status == 200);
    auto e = decode_enroll_response(r->body);
    REQUIRE(e.is_ok());
    CHECK(e->user == "ann");
    CHECK(e->team == "team-a");
    CHECK(e->role == "worker");
    CHECK(e->token.size() == 64);
    auto me = f.whoami(e->token);
    REQUIRE(me);
    CHECK(me->status == 200);
    CHECK(nlohmann::json::parse(me->body)["device_id"] == e->device_id);

    SUBCASE("a used code is refused") {
        auto again = f.enrol(code);
        REQUIRE(again);
        CHECK(again->status == 409);
        CHECK(error_code(again) == "sync.enroll.code_used");
    }
    SUBCASE("codes forgive case and dashes") {
        std::string sloppy = f.code();
        std::transform(sloppy.begin(), sloppy.end(), sloppy.begin(),
                       [](char c) { return c == '-' ? ' ' : static_cast<char>(std::tolower(c)); });
        auto ok = f.enrol(sloppy);
        REQUIRE(ok);
        CHECK(ok->status == 200);
    }
    SUBCASE("the server keeps only hashes: no token or code in its files") {
        f.server->stop();
        f.storage.reset();
        for (const auto& [name, bytes] : outpost::testing::snapshot_dir(f.tmp / "data")) {
            CAPTURE(name);
            CHECK_FALSE(outpost::testing::contains(bytes, e->token));
            CHECK_FALSE(outpost::testing::contains(bytes, code));
        }
    }
    SUBCASE("a revoked device is refused at once") {
        REQUIRE(f.storage->revoke_device(e->device_id, f.clock.now_ms()).is_ok());
        auto denied = f.whoami(e->token);
        REQUIRE(denied);
        CHECK(denied->status == 403);
        CHECK(error_code(denied) == "sync.auth.revoked");
        // Regression: revoking it again said the device did not exist.
        CHECK(f.storage->revoke_device(e->device_id, f.clock.now_ms()).code() == "server.device.already_revoked");
        CHECK(f.storage->revoke_device("dev-nothing", f.clock.now_ms()).code() == "server.account.not_found");
    }
}

TEST_CASE("Enrolment: expired, unknown and malformed enrolments are refused, and the server keeps serving") {
    Fixture f;
    const std::string code = f.code(7 * kDay);
    f.clock.advance(7 * kDay + 1);
    auto expired = f.enrol(code);
    REQUIRE(expired);
    CHECK(expired->status == 410);
    CHECK(error_code(expired) == "sync.enroll.code_expired");
    auto unknown = f.enrol("AAAA-BBBB-CCCC-DDDD");
    REQUIRE(unknown);
    CHECK(unknown->status == 401);
    CHECK(error_code(unknown) == "sync.enroll.code_invalid");
    for (const std::string& body :
         {std::string("{"), std::string("[]"), std::string(R"({"code":5})"),
          std::string(R"({"code":"x","device_name":"y","role":"admin"})"), std::string(10'000, '[')}) {
        auto bad = f.http->Post("/v1/enroll", body, "application/json");
        REQUIRE(bad);
        CHECK(bad->status == 400);
        CHECK(error_code(bad) == "sync.protocol.malformed");
    }
    // More than an enrolment can be is refused before it is read.
    auto huge = f.http->Post("/v1/enroll", std::string(20'000, '['), "application/json");
    REQUIRE(huge);
    CHECK(huge->status == 413);
    CHECK(error_code(huge) == "sync.request.too_large");
    auto health = f.http->Get("/v1/health");
    REQUIRE(health);
    CHECK(health->status == 200);
    // Refusals are audited without secrets.
    auto log = f.storage->audit_log(50);
    REQUIRE(log.is_ok());
    CHECK(std::count_if(log->begin(), log->end(), [](const auto& e) { return e.event == "enroll.refused"; }) == 2);
    for (const auto& entry : *log) {
        CHECK(entry.detail.find(code) == std::string::npos);
    }
}

TEST_CASE("Authentication: no token and a bad token are refused with their codes") {
    Fixture f;
    auto none = f.whoami("");
    REQUIRE(none);
    CHECK(none->status == 401);
    CHECK(error_code(none) == "sync.auth.missing");
    auto bad = f.whoami(std::string(64, 'a'));
    REQUIRE(bad);
    CHECK(bad->status == 401);
    CHECK(error_code(bad) == "sync.auth.invalid");
    auto log = f.storage->audit_log(10);
    REQUIRE(log.is_ok());
    REQUIRE(log->size() == 2);
    CHECK(log->front().detail.find(std::string(64, 'a')) == std::string::npos);
}

TEST_CASE("Server storage: accounts are validated, and an old database migrates forward") {
    Fixture f;
    CHECK(f.storage->add_team("Team A!", 0).code() == "server.account.invalid");
    CHECK(f.storage->add_team("team-a", 0).code() == "server.account.exists");
    CHECK(f.storage->add_user("bob", "team-z", "worker", 0).code() == "server.account.not_found");
    CHECK(f.storage->add_user("bob", "team-a", "boss", 0).code() == "server.account.invalid");
    CHECK(f.storage->create_enrolment_code("nobody", kDay, 0).status().code() == "server.account.not_found");
    // init writes schema version 1; opening migrated it to the current version.
    auto id = f.storage->identity();
    REQUIRE(id.is_ok());
    CHECK(id->schema_version ==
          (outpost::testing::test_pg_conninfo().empty() ? kServerSchemaVersion : kPgServerSchemaVersion));
}

TEST_CASE("Enrolment: regression F13 - a key named twice or bytes after the JSON were accepted; now 400") {
    Fixture f;
    const std::string code = f.code();
    for (const std::string& body : {R"({"code":")" + code + R"(","device_name":"a","device_name":"b"})",
                                    R"({"code":")" + code + R"(","device_name":"a"} {"x":1})",
                                    R"({"code":")" + code + R"(","device_name":"a"}x)"}) {
        CAPTURE(body);
        auto bad = f.http->Post("/v1/enroll", body, "application/json");
        REQUIRE(bad);
        CHECK(bad->status == 400);
        CHECK(error_code(bad) == "sync.protocol.malformed");
    }
    // None of them used the code.
    auto ok = f.enrol(code);
    REQUIRE(ok);
    CHECK(ok->status == 200);
}

TEST_CASE("Enrolment: regression F7 - a device name with tabs, line breaks or escapes was kept; now 400") {
    Fixture f;
    const std::string code = f.code();
    for (const std::string& name :
         {std::string("laptop\tann\tnorth"), std::string("laptop\nforged row"), std::string("\x1b[2J\x1b[31mred"),
          std::string("del\x7f"), std::string("nul\\u0000")}) {
        CAPTURE(name);
        nlohmann::json body = {{"code", code}, {"device_name", name}};
        std::string text = body.dump();
        if (name.rfind("nul", 0) == 0) {
            text = R"({"code":")" + code + R"(","device_name":"nul\u0000"})";
        }
        auto bad = f.http->Post("/v1/enroll", text, "application/json");
        REQUIRE(bad);
        CHECK(bad->status == 400);
        CHECK(error_code(bad) == "sync.protocol.malformed");
    }
    // Letters of any language are names, not control characters.
    auto ok = f.http->Post("/v1/enroll", encode(EnrollRequest{code, "Gliniadur Siân – Llŷr"}), "application/json");
    REQUIRE(ok);
    CHECK(ok->status == 200);
}

TEST_CASE("Enrolment: regression F9 - a second provisioning left the first codes working; now only the newest") {
    Fixture f;
    const std::string first = f.code();
    f.clock.advance(1000);
    const std::string second = f.code();
    auto old = f.enrol(first);
    REQUIRE(old);
    CHECK(old->status == 410);
    CHECK(error_code(old) == "sync.enroll.code_expired");
    auto fresh = f.enrol(second);
    REQUIRE(fresh);
    CHECK(fresh->status == 200);
    // A used code is not touched by a later one: the device it enrolled keeps working.
    auto e = decode_enroll_response(fresh->body);
    REQUIRE(e.is_ok());
    (void)f.code();
    auto me = f.whoami(e->token);
    REQUIRE(me);
    CHECK(me->status == 200);
}

TEST_CASE("Authentication: regression - 3,000 bad tokens in 8 s wrote 3,000 audit rows; now 429 and one row") {
    TempDir tmp;
    auto storage = outpost::testing::make_test_storage(tmp / "data");
    REQUIRE(storage->add_team("team-a", 0).is_ok());
    REQUIRE(storage->add_user("ann", "team-a", "worker", 0).is_ok());
    // Loopback is every address here: limit it as a server facing laptops directly would.
    auto srv = Server::start({.limit_loopback_connections = true,
                              .auth_failures_per_second = 2,
                              .auth_failure_burst = 20,
                              .log_sink = [](const std::string&) {}},
                             *storage);
    REQUIRE(srv.is_ok());
    httplib::Client http("127.0.0.1", (*srv)->port());
    int refused = 0;
    int limited = 0;
    for (int i = 0; i < 300; ++i) {
        auto r = http.Get("/v1/whoami", {{"Authorization", "Bearer " + std::string(64, 'a' + i % 6)}});
        REQUIRE(r);
        refused += r->status == 401 ? 1 : 0;
        limited += r->status == 429 ? 1 : 0;
        if (r->status == 429) {
            CHECK(error_code(r) == "server.rate.limited");
        }
    }
    CHECK(refused >= 20);
    CHECK(refused <= 30);  // the burst, and what two a second refilled while the loop ran
    CHECK(limited == 300 - refused);
    auto log = storage->audit_log(1000);
    REQUIRE(log.is_ok());
    CHECK(std::count_if(log->begin(), log->end(), [](const auto& e) { return e.event == "request.refused"; }) == 1);
}
