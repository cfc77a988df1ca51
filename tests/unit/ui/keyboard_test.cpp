// The keyboard, headless: key events as ImGui receives them from the window (ui_harness.h), through the
// real views. Tab and Shift+Tab visit every control; Enter presses what is focused; Escape keeps what
// was typed; focus lands where a person expects it. (tests/ui/real_input.sh does the same with real X
// events in a real window.)
#include <doctest/doctest.h>
#include <imgui.h>
#include <imgui_internal.h>

#include "app_fixture.h"
#include "fake_clock.h"
#include "outpost/ui/app.h"

using namespace outpost;
using namespace outpost::ui;
using namespace outpost::client;
using namespace outpost::testing;

namespace {

const char* kNewVisitByKeys =
    "key ctrl+n\n"
    "frames 2\n"
    "key down\n"  // the form menu opens on its first form (Carer's assessment); down: Home visit
    "key enter\n"
    "wait-for Save\n"
    "frames 2\n";

}  // namespace

TEST_CASE("Keyboard: Tab visits buttons, drop-downs, check boxes and radio buttons, not only text fields") {
    Team team;
    Headless ui;
    App app(team.options());
    ui.look(app);
    enrol_ann(ui, app, team);
    ui.run(app, std::string(kNewVisitByKeys) +
                    "text 2026-12-01\n"   // the date has the keyboard
                    "key tab\nkey tab\n"  // past "Today" (1.86 skipped it)
                    "text Corner Cafe\n"
                    "key tab\nkey enter\n"                       // Type of visit: Enter opens it...
                    "frames 2\nkey down\nkey enter\nframes 2\n"  // ...on its first choice; down, pick
                    "key tab\nkey space\n"                       // People seen: the first check box
                    "key tab\nkey tab\nkey tab\nkey tab\nkey tab\nkey tab\n"
                    "text Seen at the counter.\n"    // the notes take the keyboard on a tab
                    "key tab\nkey tab\nkey space\n"  // Seen alone: No
                    "key tab\nkey tab\nkey space\n"  // Concerns identified: No
                    "frames 2\n");
    REQUIRE(app.state().record.has_value());
    const FormModel& f = app.state().record->form;
    CHECK(f.text("visit_date") == "2026-12-01");
    CHECK(f.text("household") == "Corner Cafe");
    CHECK(f.text("visit_type") == "unannounced");
    CHECK(f.text("people_seen") == "parent_or_carer");
    CHECK(f.text("people_seen_notes") == "Seen at the counter.");
    CHECK(f.text("seen_alone") == "no");
    CHECK(f.text("concerns_identified") == "no");
    ui.run(app, "key ctrl+s\nframes 3\n");
    CHECK(all_of(app, "home_visit").size() == 1);
    ui.run(app, "key shift+tab\nframes 2\n");  // and back: Shift+Tab goes to the control before
    CHECK(ImGui::GetCurrentContext()->NavId != 0);
}

TEST_CASE("Keyboard: regression - Escape just after Ctrl+S put back an old date and marked the form not saved") {
    Team team;
    Headless ui;
    App app(team.options());
    ui.look(app);
    enrol_ann(ui, app, team);
    ui.run(app, std::string(kNewVisitByKeys) +
                    "text 2026-13-45\n"
                    "type \"Household or person visited\" Flat 3\n"
                    "click \"Type of visit\"\nclick Planned\n"
                    "click \"Concerns identified: No\"\n"
                    "key ctrl+s\nframes 3\n");
    // Refused: the keyboard is in the first answer to fix, the date.
    REQUIRE(app.state().record.has_value());
    REQUIRE(app.state().record->form.error("visit_date") != nullptr);
    CHECK(ImGui::GetIO().WantTextInput);
    ui.run(app, "key ctrl+a\ntext 2026-12-04\nkey ctrl+s\nframes 3\nkey escape\nframes 3\n");
    REQUIRE(app.state().record.has_value());
    CHECK_FALSE(app.state().record->form.is_new());
    CHECK(app.state().record->form.text("visit_date") == "2026-12-04");
    CHECK_FALSE(app.state().record->form.dirty());
    CHECK(app.window_title() == "Outpost - Home visit");
}

TEST_CASE("Keyboard: Escape in a field keeps what was typed") {
    Team team;
    Headless ui;
    App app(team.options());
    ui.look(app);
    enrol_ann(ui, app, team);
    ui.run(app, std::string(kNewVisitByKeys) + "text 2026-12-01\nkey escape\nframes 2\n");
    CHECK(app.state().record->form.text("visit_date") == "2026-12-01");  // 1.86 would put back ""
}

TEST_CASE("Keyboard: after a wrong passphrase the field keeps the keyboard; Enter unlocks") {
    Team team;
    Headless ui;
    App app(team.options());
    ui.look(app);
    enrol_ann(ui, app, team);
    ui.run(app, "key ctrl+l\nframes 3\ntext not the passphrase\nkey enter\nwait-idle 30\nframes 3\n");
    REQUIRE_FALSE(app.state().unlocked);
    REQUIRE_FALSE(app.state().problem.empty());
    ui.run(app, "text " + std::string(kPass) + "\nkey enter\nwait-for \"New case\" 30\n");
    CHECK(app.state().unlocked);
}

TEST_CASE("Keyboard: Ctrl+Shift+N puts the cursor in the idea; Escape closes it and keeps it as a draft") {
    Team team;
    Headless ui;
    App app(team.options());
    ui.look(app);
    enrol_ann(ui, app, team);
    ui.run(app, "key ctrl+shift+n\nwait-for \"Save idea\"\nframes 2\ntext Text families the day before\nframes 2\n");
    REQUIRE(app.state().idea.has_value());
    CHECK(app.state().idea->form.dirty());
    ui.run(app, "key escape\nframes 3\n");
    CHECK_FALSE(app.state().idea.has_value());
    REQUIRE(app.state().drafts_found.size() == 1);
    CHECK(app.state().drafts_found[0].title == "Text families the day before");
    ui.run(app, "click \"Continue it\"\nwait-for \"Save idea\"\n");
    REQUIRE(app.state().idea.has_value());  // back where it was typed
    CHECK(app.state().idea->form.text("title") == "Text families the day before");
    CHECK(app.state().drafts_found.empty());
}

TEST_CASE("Keyboard: Enter submits the create-profile screen and the enrolment file") {
    Team team;
    Headless ui;
    App app(team.options());
    ui.look(app);
    ui.run(app, "frames 3\ntext Ann\nkey enter\nframes 2\ntext " + std::string(kPass) + "\nkey tab\ntext " +
                    std::string(kPass) + "\nkey enter\nwait-for Enrol\nframes 3\ntext " +
                    team.provisioning("ann").string() +
                    "\nkey enter\nwait-for Skip 30\nclick Skip\nwait-for \"New case\" 30\n");
    CHECK(app.state().unlocked);
    CHECK(app.state().profile_display == "Ann");
}
