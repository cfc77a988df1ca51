// Shared by the App tests (tests/unit/ui/*): a team on a real outpost-server, its enrolment files,
// a laptop folder, and the screens that create and enrol a profile. Headless (ui_harness.h).
#pragma once

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "outpost/core/clock.h"
#include "outpost/sync/provisioning.h"
#include "sync_harness.h"
#include "ui_harness.h"

namespace outpost::testing {

using namespace outpost::ui;

inline constexpr const char* kPass = "correct horse battery staple";

// A team "north" on a real server, and an enrolment file for `user`.
struct Team {
    SyncServerHarness server;
    TempDir tmp;
    Team() {
        server.add_team("north");
        server.add_user("ann", "north", "worker");
        server.add_user("bob", "north", "worker");
    }
    std::filesystem::path provisioning(const std::string& user) {
        auto code = server.storage->create_enrolment_code(user, 86'400'000, SystemClock::instance().now_ms());
        REQUIRE(code.is_ok());
        sync::Provisioning p;
        p.server_url = server.server->base_url();
        p.code = *code;
        p.user = user;
        p.team = "north";
        p.expires_ms = SystemClock::instance().now_ms() + 86'400'000;
        auto key = server.storage->signing_key();  // signed as outpost-server provision signs
        REQUIRE(key.is_ok());
        REQUIRE(
            sync::sign_provisioning(p, std::span<const std::uint8_t>(key->secret.data(), key->secret.size())).is_ok());
        const auto file = tmp / (user + ".outpost");
        std::ofstream(file) << sync::encode(p);
        return file;
    }
    AppOptions options() const {
        AppOptions o;
        o.data_dir = tmp / "laptop";
        o.device_name = "test laptop";
        o.store_cache_kib = 2048;
        return o;
    }
};

// Creates profile "Ann" (folder "ann") through the screens and enrols it; returns once the case list shows.
inline void enrol_ann(Headless& ui, App& app, Team& team) {
    ui.run(app,
           "type \"Your name\" Ann\n"
           "type Passphrase " +
               std::string(kPass) +
               "\n"
               "type \"Passphrase again\" " +
               kPass +
               "\n"
               "click Continue\n"
               "wait-for Enrol\n"
               "type \"Enrolment file\" " +
               team.provisioning("ann").string() +
               "\n"
               "click Enrol\n"
               "wait-for Skip 30\n"  // the recovery code offered: not kept in these tests
               "click Skip\n"
               "wait-for \"New case\" 30\n");
    REQUIRE(app.state().unlocked);
    REQUIRE(app.session() != nullptr);
}

// A team on a real server, a headless window, and an App on which Ann is enrolled and unlocked
// (enrol_ann). For TEST_CASE_FIXTURE: the test body names `team`, `ui` and `app`.
struct AnnEnrolled {
    Team team;
    Headless ui;
    App app{team.options()};
    AnnEnrolled() {
        ui.look(app);
        enrol_ann(ui, app, team);
    }
};

// The answers a home visit needs to be saved (household `household`, a planned visit on 2026-11-30,
// no concerns); add more to the map before creating the record.
inline records::Values visit_answers(const std::string& household) {
    return {{"household", household},
            {"visit_date", std::string("2026-11-30")},
            {"visit_type", std::string("planned")},
            {"concerns_identified", false}};
}

inline std::vector<records::Record> all_of(App& app, const std::string& type) {
    records::ListQuery q;
    q.type = type;
    q.limit = 500;
    auto page = app.session()->with_records([&](records::RecordEngine& e) { return e.list(q); });
    REQUIRE(page.is_ok());
    return page->records;
}

inline constexpr const char* kNewVisit =
    "click \"New case\"\n"
    "click \"Home visit\"\n"
    "wait-for Save\n";

// A script: a new home visit for `household` with its other required answers given (today, planned,
// no concerns), not yet saved.
inline std::string new_visit_script(const std::string& household) {
    return std::string(kNewVisit) + "type \"Household or person visited\" " + household +
           "\n"
           "click \"Date of visit: Today\"\n"
           "click \"Type of visit\"\nclick Planned\n"
           "click \"Concerns identified: No\"\n";
}

}  // namespace outpost::testing
