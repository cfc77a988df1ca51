// People and devices through a real server on 127.0.0.1 (SQLite here; PostgreSQL as
// pg/sync_server/people): token expiry and renewal on the server's fake clock, the administrator's
// user and device commands (run through the same functions outpost-server runs, on the database the
// running server uses) taking effect at the next request, refused enrolments limited per address,
// and the server's signing key with the provisioning files it signs.
#include <doctest/doctest.h>
#include <httplib.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "fake_clock.h"
#include "outpost/core/error_codes.h"
#include "outpost/core/records/hlc.h"
#include "outpost/platform/utf8.h"
#include "outpost/sync/admin_commands.h"
#include "outpost/sync/messages.h"
#include "outpost/sync/pg_storage.h"
#include "outpost/sync/provisioning.h"
#include "outpost/sync/sync_messages.h"
#include "raw_conn.h"
#include "sync_harness.h"

using namespace outpost;
using namespace outpost::sync;
using outpost::testing::FakeClock;
using outpost::testing::RawConn;

namespace {

constexpr std::int64_t kDay = 86'400'000;

// An answer: HTTP status, the error code (empty on success) and the JSON body.
struct Answer {
    int status = 0;
    std::string code;
    nlohmann::json body;
};

Answer answer_of(const httplib::Result& r) {
    REQUIRE(r);
    Answer a{r->status, "", nlohmann::json::parse(r->body, nullptr, false)};
    if (r->status >= 400) {
        a.code = decode_error(r->body).code();
    }
    return a;
}

struct Fixture : outpost::testing::HarnessDir {
    FakeClock clock{1'763'900'000'000};
    std::string pg;  // the PostgreSQL connection string under the pg fixture; empty on SQLite
    std::unique_ptr<ServerStorage> storage;
    std::unique_ptr<Server> server;
    std::unique_ptr<httplib::Client> http;
    std::ostringstream out;

    explicit Fixture(const std::function<void(ServerOptions&)>& tweak = {}) {
        storage = outpost::testing::make_test_storage(tmp / "server", &pg);
        REQUIRE(storage->add_team("north", clock.now_ms()).is_ok());
        REQUIRE(storage->add_team("south", clock.now_ms()).is_ok());
        REQUIRE(storage->add_user("ann", "north", "worker", clock.now_ms()).is_ok());
        ServerOptions o;
        o.log_sink = [](const std::string&) {};
        if (tweak) {
            tweak(o);
        }
        auto srv = Server::start(o, *storage, clock);
        REQUIRE(srv.is_ok());
        server = std::move(*srv);
        http = std::make_unique<httplib::Client>("127.0.0.1", server->port());
    }
    std::string code(const std::string& user) {
        auto c = storage->create_enrolment_code(user, 7 * kDay, clock.now_ms());
        REQUIRE_MESSAGE(c.is_ok(), c.status().to_string());
        return *c;
    }
    Answer enrol_with(const std::string& code) {
        return answer_of(http->Post("/v1/enroll", encode(EnrollRequest{code, "laptop"}), "application/json"));
    }
    // A new device for `user`, enrolled over HTTP now (on the fake clock).
    EnrollResponse enrol(const std::string& user) {
        auto r = http->Post("/v1/enroll", encode(EnrollRequest{code(user), "laptop"}), "application/json");
        REQUIRE(r);
        REQUIRE(r->status == 200);
        auto e = decode_enroll_response(r->body);
        REQUIRE(e.is_ok());
        return *e;
    }
    httplib::Headers bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }
    Answer whoami(const std::string& token) { return answer_of(http->Get("/v1/whoami", bearer(token))); }
    Answer renew(const std::string& token) {
        return answer_of(http->Post("/v1/token/renew", bearer(token), "{}", "application/json"));
    }
    Answer pull(const std::string& token) { return answer_of(http->Get("/v1/pull", bearer(token))); }
    Answer push(const EnrollResponse& who, std::int64_t seq, const std::string& record, const std::string& team) {
        WireChange c;
        c.seq = seq;
        c.record = record;
        c.type = "home_visit";
        c.team = team;
        c.field = "household";
        c.value = "\"" + record + "\"";
        c.hlc =
            records::Hlc::from(static_cast<std::uint64_t>(clock.now_ms()), static_cast<std::uint16_t>(seq)).to_string();
        c.base = records::Hlc{}.to_string();
        PushRequest req;
        req.device_id = who.device_id;
        req.from_seq = seq;
        req.to_seq = seq;
        req.changes = {c};
        return answer_of(http->Post("/v1/push", bearer(who.token), encode(req), "application/json"));
    }
    // The records a device's first pull brings (every change of its team it did not write).
    std::set<std::string> pulled_records(const std::string& token) {
        const Answer a = pull(token);
        REQUIRE(a.status == 200);
        std::set<std::string> ids;
        for (const auto& c : a.body["changes"]) {
            ids.insert(c["record"].get<std::string>());
        }
        return ids;
    }
    // Runs an outpost-server command on the database the server uses, as the administrator would.
    CommandResult admin(std::vector<std::string> argv) {
        out.str("");
        if (pg.empty()) {
            argv.insert(argv.end(), {"--data", path_to_utf8(tmp / "server")});
        } else {
            argv.insert(argv.end(), {"--db", pg, "--db-pool", "1"});
        }
        AdminArgs args;
        CommandResult parsed = parse_admin_args(argv, args);
        if (!parsed.is_ok()) {
            return parsed;
        }
        AdminEnv env{out, clock};
        env.storage = pg_storage_factory();
        return run_command(args, env);
    }
    void admin_ok(std::vector<std::string> argv) {
        CommandResult r = admin(std::move(argv));
        REQUIRE_MESSAGE(r.is_ok(), std::string(r.status().to_string() + r.usage_message()));
    }
    bool audited(const std::string& event, const std::string& detail) {
        auto log = storage->audit_log(100);
        REQUIRE(log.is_ok());
        return std::any_of(log->begin(), log->end(),
                           [&](const auto& e) { return e.event == event && e.detail == detail; });
    }
};

// POST /v1/enroll from `source` (an address on loopback), on a connection of its own.
Answer enrol_from(int port, const char* source, const std::string& code) {
    RawConn c(port, source);
    const std::string body = encode(EnrollRequest{code, "laptop"});
    REQUIRE(
        c.send("POST /v1/enroll HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
               "Connection: close\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\n\r\n" + body));
    c.read_to_close(std::chrono::seconds(10));
    const std::string& text = c.answer();
    REQUIRE(text.rfind("HTTP/1.1 ", 0) == 0);
    Answer a;
    a.status = std::stoi(text.substr(9, 3));
    const std::string json = text.substr(text.find("\r\n\r\n") + 4);
    a.body = nlohmann::json::parse(json, nullptr, false);
    if (a.status >= 400) {
        a.code = decode_error(json).code();
    }
    return a;
}

}  // namespace

TEST_CASE("Tokens: a token past its expiry is refused with sync.auth.expired") {
    Fixture f;
    const std::int64_t enrolled = f.clock.now_ms();
    const EnrollResponse ann = f.enrol("ann");
    const Answer me = f.whoami(ann.token);
    REQUIRE(me.status == 200);
    CHECK(me.body["token_expires_ms"] == enrolled + 90 * kDay);  // token_days: 90 by default
    CHECK(me.body["renew"] == false);

    f.clock.set(enrolled + 90 * kDay - 1);
    CHECK(f.whoami(ann.token).status == 200);
    f.clock.set(enrolled + 90 * kDay);
    for (const Answer& refused :
         {f.whoami(ann.token), f.pull(ann.token), f.push(ann, 1, "r1", "north"), f.renew(ann.token)}) {
        CHECK(refused.status == 401);
        CHECK(refused.code == errc::kAuthExpired);
    }
}

TEST_CASE(
    "Tokens: renewal gives a working new token while the old one still works until its expiry; whoami says renew "
    "once less than a third of its life remains") {
    Fixture f([](ServerOptions& o) { o.token_days = 30; });
    const std::int64_t enrolled = f.clock.now_ms();
    const EnrollResponse ann = f.enrol("ann");
    CHECK(f.whoami(ann.token).body["token_expires_ms"] == enrolled + 30 * kDay);  // the server's token_days

    f.clock.set(enrolled + 20 * kDay);  // exactly a third left: not yet
    CHECK(f.whoami(ann.token).body["renew"] == false);
    f.clock.set(enrolled + 20 * kDay + 1);
    CHECK(f.whoami(ann.token).body["renew"] == true);

    const Answer renewed = f.renew(ann.token);
    REQUIRE(renewed.status == 200);
    const std::string fresh = renewed.body["token"];
    CHECK(fresh.size() == 64);
    CHECK(fresh != ann.token);
    CHECK(renewed.body["token_expires_ms"] == f.clock.now_ms() + 30 * kDay);
    const Answer me = f.whoami(fresh);
    REQUIRE(me.status == 200);
    CHECK(me.body["device_id"] == ann.device_id);
    CHECK(me.body["renew"] == false);
    CHECK(me.body["token_expires_ms"] == renewed.body["token_expires_ms"]);
    // The old token works until its own expiry (a renewal answer lost on the way locks nobody out).
    CHECK(f.whoami(ann.token).status == 200);
    CHECK(f.push(ann, 1, "r1", "north").status == 200);
    CHECK(f.audited("token.renewed", ann.device_id));
    CHECK(f.storage->audit_log(1)->front().actor == "ann");

    f.clock.set(enrolled + 30 * kDay);
    CHECK(f.whoami(ann.token).code == errc::kAuthExpired);
    CHECK(f.whoami(fresh).status == 200);
    CHECK(f.pull(fresh).status == 200);

    SUBCASE("a revoked device cannot renew") {
        REQUIRE(f.storage->revoke_device(ann.device_id, f.clock.now_ms()).is_ok());
        const Answer refused = f.renew(fresh);
        CHECK(refused.status == 403);
        CHECK(refused.code == errc::kAuthRevoked);
    }
}

TEST_CASE("People: user disable refuses a user's devices at once and their codes at enrolment; enable lets them back") {
    Fixture f;
    const EnrollResponse ann = f.enrol("ann");
    const std::string spare = f.code("ann");  // made before the user is disabled
    REQUIRE(f.whoami(ann.token).status == 200);

    f.admin_ok({"user", "disable", "ann"});
    CHECK(f.out.str().find("Disabled ann") == 0);
    Answer refused = f.whoami(ann.token);
    CHECK(refused.status == 403);
    CHECK(refused.code == errc::kAuthDisabled);
    CHECK(f.pull(ann.token).code == errc::kAuthDisabled);
    refused = f.enrol_with(spare);
    CHECK(refused.status == 403);
    CHECK(refused.code == errc::kAccountDisabled);
    CommandResult no_file = f.admin({"enroll", "--user", "ann", "--out", path_to_utf8(f.tmp / "ann.outpost")});
    CHECK(no_file.status().code() == errc::kAccountDisabled);
    f.admin_ok({"user", "disable", "ann"});
    CHECK(f.out.str() == "ann was already disabled; nothing changed\n");
    f.admin_ok({"user", "list"});
    CHECK(f.out.str().find("user\tteam\trole\tstate\tdevices\nann\tnorth\tworker\tdisabled ") == 0);
    CHECK(f.out.str().find("\t1\n") != std::string::npos);

    f.admin_ok({"user", "enable", "ann"});
    CHECK(f.whoami(ann.token).status == 200);
    CHECK(f.enrol_with(spare).status == 200);  // the unused code was kept, not spent by the refusal
    f.admin_ok({"user", "list"});
    CHECK(f.out.str() == "user\tteam\trole\tstate\tdevices\nann\tnorth\tworker\tactive\t2\n");
    CHECK(f.audited("user.disabled", "ann"));
    CHECK(f.audited("user.enabled", "ann"));
    CHECK(f.admin({"user", "disable", "nobody"}).status().code() == errc::kAccountMissing);
}

TEST_CASE("People: user move and user role take effect at the next request: whoami, pull and push follow them") {
    Fixture f;
    REQUIRE(f.storage->add_user("nat", "north", "worker", 0).is_ok());
    REQUIRE(f.storage->add_user("sam", "south", "worker", 0).is_ok());
    const EnrollResponse ann = f.enrol("ann");
    const EnrollResponse nat = f.enrol("nat");
    const EnrollResponse sam = f.enrol("sam");
    REQUIRE(f.push(nat, 1, "r-north", "north").status == 200);
    REQUIRE(f.push(sam, 1, "r-south", "south").status == 200);
    CHECK(f.pulled_records(ann.token) == std::set<std::string>{"r-north"});

    f.admin_ok({"user", "move", "ann", "--team", "south"});
    CHECK(f.out.str().find("Moved ann: team north -> south") == 0);
    f.admin_ok({"user", "role", "ann", "lead"});
    CHECK(f.out.str().find("Role of ann: worker -> lead") == 0);

    const Answer me = f.whoami(ann.token);
    REQUIRE(me.status == 200);
    CHECK(me.body["team"] == "south");
    CHECK(me.body["role"] == "lead");
    CHECK(f.pulled_records(ann.token) == std::set<std::string>{"r-south"});
    // Pushes are the new team's: a new record of south is taken, one of north is out of scope.
    Answer pushed = f.push(ann, 1, "r-ann-south", "south");
    REQUIRE(pushed.status == 200);
    CHECK(pushed.body["results"][0]["result"] == "applied");
    pushed = f.push(ann, 2, "r-ann-north", "north");
    REQUIRE(pushed.status == 200);
    CHECK(pushed.body["results"][0]["result"] == "rejected");
    CHECK(pushed.body["results"][0]["code"] == errc::kSyncScopeForbidden);
    CHECK(f.pulled_records(sam.token) == std::set<std::string>{"r-ann-south"});

    CHECK(f.audited("user.moved", "ann: north -> south"));
    CHECK(f.audited("user.role", "ann: worker -> lead"));
    f.admin_ok({"user", "role", "ann", "lead"});
    CHECK(f.out.str() == "ann is already lead; nothing changed\n");
    CHECK(f.admin({"user", "role", "ann", "boss"}).status().code() == errc::kAccountInvalid);
    CHECK(f.admin({"user", "move", "ann", "--team", "east"}).status().code() == errc::kAccountMissing);
    CHECK(f.admin({"user", "move", "ann"}).is_usage_error());
    f.admin_ok({"user", "list"});
    CHECK(f.out.str().find("ann\tsouth\tlead\tactive\t1\n") != std::string::npos);
}

TEST_CASE(
    "Devices: revoke --wipe is answered sync.auth.wiped, before revoked and disabled; a revoked device can be "
    "upgraded to wipe") {
    Fixture f;
    const EnrollResponse lost = f.enrol("ann");
    const EnrollResponse old = f.enrol("ann");
    const EnrollResponse kept = f.enrol("ann");

    f.admin_ok({"device", "revoke", lost.device_id, "--wipe"});
    CHECK(f.out.str().find("with --wipe") != std::string::npos);
    Answer refused = f.whoami(lost.token);
    CHECK(refused.status == 403);
    CHECK(refused.code == errc::kAuthWiped);

    f.admin_ok({"device", "revoke", old.device_id});
    CHECK(f.whoami(old.token).code == errc::kAuthRevoked);
    f.admin_ok({"device", "revoke", old.device_id, "--wipe"});
    CHECK(f.out.str().find("was revoked before") != std::string::npos);
    CHECK(f.whoami(old.token).code == errc::kAuthWiped);
    f.admin_ok({"device", "revoke", old.device_id, "--wipe"});
    CHECK(f.out.str() == "Device " + old.device_id + " was already revoked with --wipe; nothing changed\n");
    CHECK(f.audited("device.wiped", lost.device_id));
    CHECK(f.audited("device.wiped", old.device_id + " (revoked before; now also wiped)"));

    // Wiped comes before disabled; the active device of a disabled user is told it is disabled.
    f.admin_ok({"user", "disable", "ann"});
    CHECK(f.whoami(lost.token).code == errc::kAuthWiped);
    CHECK(f.whoami(kept.token).code == errc::kAuthDisabled);

    f.admin_ok({"device", "list"});
    const std::string listed = f.out.str();
    CHECK(listed.find(lost.device_id) != std::string::npos);
    CHECK(std::count(listed.begin(), listed.end(), '\n') == 4);
    std::size_t wiped = 0;
    for (std::size_t at = listed.find("\trevoked+wipe "); at != std::string::npos;
         at = listed.find("\trevoked+wipe ", at + 1)) {
        ++wiped;
    }
    CHECK(wiped == 2);
    CHECK(listed.find("\tactive\n") != std::string::npos);
}

TEST_CASE(
    "Enrolment: refused enrolments are limited per address: the 11th in a minute gets 429; another address, "
    "and the next minute, still enrol") {
    Fixture f([](ServerOptions& o) { o.limit_loopback_connections = true; });  // each 127.x address its own
    const int port = f.server->port();
    for (int i = 0; i < 10; ++i) {
        const Answer wrong = enrol_from(port, "127.0.0.2", "AAAA-BBBB-CCCC-DDD" + std::to_string(i));
        CHECK(wrong.status == 401);
        CHECK(wrong.code == errc::kEnrolCodeInvalid);
    }
    const std::string good = f.code("ann");
    const Answer limited = enrol_from(port, "127.0.0.2", good);
    CHECK(limited.status == 429);
    CHECK(limited.code == errc::kServerRateLimited);

    const Answer elsewhere = enrol_from(port, "127.0.0.3", good);
    CHECK(elsewhere.status == 200);
    CHECK(elsewhere.body["user"] == "ann");

    const std::string another = f.code("ann");
    f.clock.advance(30'000);  // half the minute: five refusals' worth back, and this one allowed
    CHECK(enrol_from(port, "127.0.0.2", "AAAA-BBBB-CCCC-DDDX").code == errc::kEnrolCodeInvalid);
    f.clock.advance(30'000);
    const Answer later = enrol_from(port, "127.0.0.2", another);
    CHECK(later.status == 200);
}

TEST_CASE("Server key: GET /v1/server-key serves the key that signs provisioning files; a changed file fails") {
    Fixture f;
    const Answer key = answer_of(f.http->Get("/v1/server-key"));
    REQUIRE(key.status == 200);
    const std::string signing_key = key.body["signing_key"];
    CHECK(signing_key.size() == 64);

    const std::filesystem::path file = f.tmp / "ann.outpost";
    f.admin_ok({"enroll", "--user", "ann", "--url", f.server->base_url(), "--out", path_to_utf8(file)});
    std::ifstream in(file, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    auto prov = decode_provisioning(text.str());
    REQUIRE(prov.is_ok());
    CHECK(prov->signature.size() == 128);
    CHECK(verify_provisioning_signature(*prov, signing_key).is_ok());
    Provisioning moved = *prov;
    moved.team = "south";
    CHECK(verify_provisioning_signature(moved, signing_key).code() == errc::kProvisioningSignature);
    Provisioning bare = *prov;
    bare.signature.clear();
    CHECK(verify_provisioning_signature(bare, signing_key).code() == errc::kProvisioningUnsigned);
    // The key is the database's: a process opening it again serves the same one.
    auto held = f.storage->signing_key();
    REQUIRE(held.is_ok());
    CHECK(held->public_key.size() == 32);
    CHECK(held->secret.size() == 64);
    // The secret never reaches the log or an answer; the public key is what /v1/server-key says.
    f.server->stop();
    ServerOptions o;
    o.log_sink = [](const std::string&) {};
    auto again = Server::start(o, *f.storage, f.clock);
    REQUIRE(again.is_ok());
    httplib::Client c("127.0.0.1", (*again)->port());
    CHECK(answer_of(c.Get("/v1/server-key")).body["signing_key"] == signing_key);
}
