// Network faults between a laptop and the server, injected by a TCP proxy on 127.0.0.1: a reset in
// the middle of a request body, delay, a truncated response, a stall. Sync either completes or reports
// a clear error, later completes, and the store is never corrupted.
#include <doctest/doctest.h>

#include <set>

#include "fault_proxy.h"
#include "outpost/core/error_codes.h"
#include "sync_harness.h"

using namespace outpost;
using namespace outpost::sync;
using outpost::testing::Device;
using outpost::testing::FaultProxy;
using outpost::testing::home_visit;
using outpost::testing::SyncServerHarness;

TEST_CASE("Network faults: every fault ends in a clear error or success, and the next sync completes") {
    SyncServerHarness server;
    server.add_team("a");
    server.add_user("ann", "a", "worker");
    server.add_user("bob", "a", "worker");
    FaultProxy proxy(server.server->port());
    auto via_proxy = make_http_transport({.base_url = "http://127.0.0.1:" + std::to_string(proxy.port()),
                                          .connect_timeout = std::chrono::milliseconds(1000),
                                          .read_timeout = std::chrono::milliseconds(800)});
    REQUIRE(via_proxy.is_ok());
    Device ann(server.tmp / "ann.db", server.enrol("ann"), std::move(*via_proxy),
               SyncOptions{.push_batch = 20, .pull_limit = 30});
    Device bob(server.tmp / "bob.db", server.enrol("bob"), server.transport());

    const std::vector<std::pair<FaultProxy::Mode, const char*>> modes = {
        {FaultProxy::Mode::kResetMidBody, "reset mid-body"},
        {FaultProxy::Mode::kTruncateReply, "truncated response"},
        {FaultProxy::Mode::kStall, "stall"},
        {FaultProxy::Mode::kDelay, "delay"},
    };
    int errors = 0;
    for (int round = 0; round < 3; ++round) {
        for (const auto& [mode, name] : modes) {
            CAPTURE(name);
            for (int i = 0; i < 15; ++i) {
                ann.create("home_visit", home_visit(std::string(name) + " " + std::to_string(round * 100 + i)));
                bob.create("home_visit", home_visit("bob " + std::to_string(round * 100 + i)));
            }
            REQUIRE(bob.sync().is_ok());
            proxy.set(mode);
            auto faulty = ann.sync();
            if (!faulty.is_ok()) {
                ++errors;
                const std::string code = faulty.status().code();
                CHECK((code == errc::kSyncNetworkUnreachable || code == errc::kSyncServerError ||
                       code == errc::kProtocolMalformed));
                CHECK_FALSE(ann.engine->state().reason.empty());
                CHECK((ann.engine->state().phase == SyncPhase::kOffline ||
                       ann.engine->state().phase == SyncPhase::kError));
            } else {
                CHECK(mode == FaultProxy::Mode::kDelay);  // only a slow link may still succeed
            }
            proxy.set(FaultProxy::Mode::kPass);
            auto healed = ann.sync();
            REQUIRE(healed.is_ok());
            CHECK(ann.engine->state().phase == SyncPhase::kUpToDate);
            CHECK(ann.engine->state().waiting == 0);
        }
    }
    CHECK(errors >= 9);
    CHECK(proxy.faults() >= 9);
    REQUIRE(bob.sync().is_ok());
    // Exactly once, nothing lost, identical replicas, intact store.
    auto logged = server.storage->logged_changes(ann.creds.device_id);
    REQUIRE(logged.is_ok());
    CHECK(*logged == 3 * 4 * 15 * 4);
    std::set<std::string> on_ann;
    std::set<std::string> on_bob;
    for (const auto& [id, r] : ann.all()) {
        on_ann.insert(id);
    }
    for (const auto& [id, r] : bob.all()) {
        on_bob.insert(id);
    }
    CHECK(on_ann.size() == 2 * 3 * 4 * 15);
    CHECK(on_ann == on_bob);
    std::lock_guard lock(ann.mutex);
    CHECK(ann.store->verify().is_ok());
}
