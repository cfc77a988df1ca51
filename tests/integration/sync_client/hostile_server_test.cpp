// A hostile server (issue #22's probe): a proxy on loopback in front of a real outpost-server, passing
// every request through but for the one route it answers itself, as a compromised server or anything on
// the path might. The laptop must stay usable: nothing it cannot read is kept, no answer holds it
// pulling forever, no answer is read past its size, and a cursor the server no longer knows restarts
// the pull instead of failing every sync.
#include <doctest/doctest.h>
#include <httplib.h>
#include <sqlite3.h>

#include <atomic>
#include <functional>
#include <thread>

#include "hostile_proxy.h"
#include "outpost/core/error_codes.h"
#include "outpost/core/sql_stmt.h"
#include "outpost/sync/profile.h"
#include "outpost/sync/sync_messages.h"
#include "sync_harness.h"

using namespace outpost;
using outpost::testing::Device;
using outpost::testing::HostileProxy;
using outpost::testing::SyncServerHarness;

namespace {

struct Team : SyncServerHarness {
    Team() {
        add_team("north");
        add_user("ann", "north", "worker");
        add_user("bob", "north", "worker");
    }
};

std::unique_ptr<sync::Transport> through(const HostileProxy& p) {
    auto t = sync::make_http_transport({.base_url = p.url()});
    REQUIRE(t.is_ok());
    return std::move(*t);
}

std::string state(Device& d, const char* key) {
    std::lock_guard lock(d.mutex);
    auto v = sync::sync_state_value(*d.store, key);
    REQUIRE(v.is_ok());
    return *v;
}

// Writes a sync state value as an older client (or a damaged file) might have left it.
void put_state(Device& d, const char* key, const std::string& value) {
    std::lock_guard lock(d.mutex);
    sql::StmtRef st = sql::StmtRef::owned(
        d.store->handle(),
        "INSERT INTO sync_state(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    st.text(1, key).text(2, value);
    REQUIRE(st.step() == SQLITE_DONE);
}

void visit(Device& d, const std::string& household) {
    std::lock_guard lock(d.mutex);
    auto r = d.records->create(d.actor(), "home_visit",
                               {{"household", household},
                                {"visit_date", std::string("2026-12-01")},
                                {"visit_type", std::string("planned")},
                                {"concerns_identified", false}});
    REQUIRE(r.is_ok());
}

}  // namespace

TEST_CASE("Hostile server: regression F4 - a schemas answer nested 100,000 deep was kept and bricked the profile") {
    Team t;
    const std::string bomb = "{\"schemas\":" + std::string(100'000, '[') + std::string(100'000, ']') + "}";
    HostileProxy proxy(t.server->port(), [&](const httplib::Request& req, httplib::Response& res) {
        if (req.path != "/v1/schemas") {
            return false;
        }
        res.set_header("ETag", "\"bomb\"");
        res.set_content(bomb, "application/json");
        return true;
    });
    Device ann(t.tmp / "ann.db", t.enrol("ann"), through(proxy));
    visit(ann, "The Okafor family");
    auto s = ann.sync();
    REQUIRE_FALSE(s.is_ok());
    CHECK(s.status().code() == errc::kSyncSchemasInvalid);
    CHECK(state(ann, "schemas_json").empty());  // never kept
    // The case went all the same.
    Device bob(t.tmp / "bob.db", t.enrol("bob"), t.transport());
    REQUIRE(bob.sync().is_ok());
    CHECK(bob.all().size() == 1);
    // A profile that an older client let the bomb into still opens, on the forms this build ships.
    put_state(ann, "schemas_json", bomb);
    {
        std::lock_guard lock(ann.mutex);
        auto forms = sync::profile_schemas(*ann.store);
        REQUIRE(forms.is_ok());
        CHECK_FALSE(forms->empty());
    }
}

TEST_CASE("Hostile server: regression F5 - one change and 'more' forever kept a laptop pulling (78,000 requests)") {
    Team t;
    int next = 1'000'000;
    HostileProxy proxy(t.server->port(), [&](const httplib::Request& req, httplib::Response& res) {
        if (req.path != "/v1/pull") {
            return false;
        }
        ++next;
        const std::string c = R"({"changes":[{"seq":)" + std::to_string(next) +
                              R"(,"record":"0190f2a4-7b1c-7d3e-8f00-123456789abc","type":"home_visit","team":"north",)"
                              R"("field":"household","value":"\"x\"","hlc":"0000018c3e5a1b2c0001","device":"dev-x",)"
                              R"("base":"00000000000000000000","author":"zed"}],"cursor":")" +
                              std::to_string(next) + R"(","more":true})";
        res.set_content(c, "application/json");
        return true;
    });
    Device ann(t.tmp / "ann.db", t.enrol("ann"), through(proxy));
    const auto t0 = std::chrono::steady_clock::now();
    auto s = ann.sync();
    REQUIRE_FALSE(s.is_ok());
    CHECK(s.status().code() == errc::kProtocolMalformed);
    CHECK(proxy.requests() < 200);
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(20));
}

TEST_CASE("Hostile server: regression F6 - a negative cursor was stored, and every later sync failed") {
    Team t;
    std::atomic<bool> hostile{false};
    HostileProxy proxy(t.server->port(), [&](const httplib::Request& req, httplib::Response& res) {
        if (!hostile || req.path != "/v1/pull") {
            return false;
        }
        res.set_content(R"({"changes":[],"cursor":"-99999999999999999999","more":false})", "application/json");
        return true;
    });
    Device ann(t.tmp / "ann.db", t.enrol("ann"), through(proxy));
    REQUIRE(ann.sync().is_ok());  // the first sync takes a snapshot, honestly
    const std::string cursor = state(ann, "pull_cursor");
    hostile = true;
    auto s = ann.sync();
    REQUIRE_FALSE(s.is_ok());
    CHECK(s.status().code() == errc::kProtocolMalformed);
    CHECK(state(ann, "pull_cursor") == cursor);  // not kept
    hostile = false;
    CHECK(ann.sync().is_ok());  // and the next sync with an honest server is fine
}

TEST_CASE("Hostile server: regression F6 - a cursor the server does not know restarts the pull, as its words promise") {
    Team t;
    Device bob(t.tmp / "bob.db", t.enrol("bob"), t.transport());
    visit(bob, "Flat 3");
    REQUIRE(bob.sync().is_ok());
    Device ann(t.tmp / "ann.db", t.enrol("ann"), t.transport());
    REQUIRE(ann.sync().is_ok());
    put_state(ann, "pull_cursor", "99999999");  // past the end: a server restored from an older backup
    auto s = ann.sync();
    REQUIRE_MESSAGE(s.is_ok(), s.status().to_string());
    CHECK(ann.all().size() == 1);  // Bob's case, from a fresh snapshot
    CHECK(state(ann, "pull_cursor") != "99999999");
}

TEST_CASE("Hostile server: regression F8 - a pull declaring 10 GB was read to 300 MB; answers are bounded") {
    Team t;
    HostileProxy proxy(t.server->port(), [&](const httplib::Request& req, httplib::Response& res) {
        if (req.path != "/v1/pull" && req.path != "/v1/snapshot") {
            return false;
        }
        // 200 MB, streamed as it goes, in a JSON string that never ends.
        res.set_content_provider(200ULL * 1024 * 1024, "application/json",
                                 [](std::size_t offset, std::size_t, httplib::DataSink& sink) {
                                     static const std::string chunk(64 * 1024, 'a');
                                     if (offset == 0) {
                                         return sink.write("{\"records\":[\"", 13);
                                     }
                                     return sink.write(chunk.data(), chunk.size());
                                 });
        return true;
    });
    Device ann(t.tmp / "ann.db", t.enrol("ann"), through(proxy));
    const auto t0 = std::chrono::steady_clock::now();
    auto s = ann.sync();
    REQUIRE_FALSE(s.is_ok());
    CHECK(s.status().code() == errc::kSyncAnswerTooLarge);
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(30));
}
