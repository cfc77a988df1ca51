// IT's controls as the worker sees them in the window (headless ImGui, a real server on loopback):
// a laptop wiped by IT locks at its next sync and says why; a role change given at a sync shows or
// hides the review queue.
#include <doctest/doctest.h>

#include <filesystem>
#include <set>

#include "app_fixture.h"
#include "outpost/core/error_codes.h"
#include "outpost/platform/utf8.h"
#include "ui_harness.h"

using namespace outpost;
using namespace outpost::testing;
using outpost::ui::Screen;

TEST_CASE("Device controls: a laptop wiped by IT locks at its next sync, and its unlock screen says why") {
    Team team;
    Headless ui;
    const std::filesystem::path profile = team.tmp / "laptop" / "profiles" / "ann";
    std::string device;
    {
        App app(team.options());
        ui.look(app);
        enrol_ann(ui, app, team);
        ui.run(app, new_visit_script("The Wiped Household") + "click Save\nwait-idle\n");
        device = app.state().device_id;
        REQUIRE(team.server.storage->revoke_device(device, SystemClock::instance().now_ms(), sync::RevokeMode::kWipe)
                    .is_ok());
        ui.run(app, "click \"Sync now\"\n");
        REQUIRE(ui.until(app, [&] { return app.state().screen == Screen::kUnlock; }));
        CHECK_FALSE(app.state().unlocked);
        CHECK(app.state().locked_note.find("IT asked") != std::string::npos);
        CHECK(app.session() == nullptr);
        REQUIRE(ui.until(app, [&] { return !app.busy(); }));
    }
    std::set<std::string> left;
    for (const auto& e : std::filesystem::directory_iterator(profile)) {
        left.insert(path_to_utf8(e.path().filename()));
    }
    CHECK(left == std::set<std::string>{"profile.json", "wiped.json"});
    // Started again: the profile says what happened before anyone types into it, and will not open.
    App again(team.options());
    ui.look(again);
    REQUIRE(ui.until(again, [&] { return again.state().screen == Screen::kUnlock; }));
    CHECK(again.state().locked_note.find("IT asked") != std::string::npos);
    ui.frame(again);
    CHECK(again.widgets().has("Make a new profile"));
    CHECK_FALSE(again.widgets().has("Unlock"));  // nothing to unlock
    CHECK_FALSE(again.widgets().has("Passphrase"));
    // IT hands the laptop back with a new file: the same person makes a profile again (a new folder;
    // the wiped one stays listed as such) and it enrols and opens.
    ui.run(again, "click \"Make a new profile\"\n");
    enrol_ann(ui, again, team);
    CHECK(again.state().profile == "ann-2");
    CHECK(again.state().device_id != device);
}

TEST_CASE("Device controls: a role change given at a sync shows the review queue to a new lead") {
    Team team;
    Headless ui;
    App app(team.options());
    ui.look(app);
    enrol_ann(ui, app, team);
    ui.run(app, "click \"Sync now\"\nwait-synced 30\n");
    CHECK_FALSE(app.widgets().has("Review queue"));
    REQUIRE(team.server.storage->set_user_role("ann", "lead", SystemClock::instance().now_ms()).is_ok());
    ui.run(app, "click \"Sync now\"\nwait-synced 30\n");
    REQUIRE(ui.until(app, [&] { return app.state().role == "lead"; }));
    ui.frame(app);
    CHECK(app.widgets().has("Review queue"));
    REQUIRE(team.server.storage->set_user_role("ann", "worker", SystemClock::instance().now_ms()).is_ok());
    ui.run(app, "click \"Sync now\"\nwait-synced 30\n");
    REQUIRE(ui.until(app, [&] { return app.state().role == "worker"; }));
    ui.frame(app);
    CHECK_FALSE(app.widgets().has("Review queue"));
}
