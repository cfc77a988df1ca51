// Profiles on one laptop: the list is always current, names are kept as typed, and the next person
// starts with an empty enrolment form.
#include <doctest/doctest.h>

#include "app_fixture.h"
#include "outpost/sync/profile.h"
#include "outpost/ui/app.h"

using namespace outpost;
using namespace outpost::ui;
using namespace outpost::testing;

TEST_CASE("Profiles: a folder name is derived from the name as typed, which is kept for display") {
    CHECK(sync::profile_folder_name("Ann") == "ann");
    CHECK(sync::profile_folder_name("  Lee   Jones ") == "lee-jones");
    CHECK(sync::profile_folder_name("Siân Llŷr") == "sian-llyr");
    CHECK(sync::profile_folder_name("Zażółć Gęślą") == "zazolc-gesla");
    CHECK(sync::profile_folder_name("O'Brien-Smith") == "o-brien-smith");
    CHECK(sync::profile_folder_name("محمد").empty());  // the caller picks "profile"
    CHECK(sync::profile_folder_name("王伟 2").size() == 1);
    CHECK(sync::profile_folder_name(std::string(200, 'a')).size() == 48);
    for (const char* typed : {"Ann", "Lee Jones", "Siân Llŷr", "O'Brien-Smith"}) {
        CHECK(sync::profile_dir("/tmp", sync::profile_folder_name(typed)).is_ok());
    }
}

TEST_CASE("Profiles: regression - 'Someone else' after the first enrolment said there was no profile") {
    Team team;
    team.server.add_user("lee", "north", "lead");
    Headless ui;
    App app(team.options());
    ui.look(app);
    ui.frame(app);
    REQUIRE(app.state().screen == Screen::kCreateProfile);
    enrol_ann(ui, app, team);
    CHECK(app.state().profile == "ann");
    CHECK(app.state().profile_display == "Ann");  // as typed, not "ann"

    ui.run(app, "key ctrl+l\nframes 2\nclick \"Someone else\"\nframes 2\n");
    REQUIRE(app.state().screen == Screen::kProfiles);
    REQUIRE(app.state().profiles.size() == 1);
    CHECK(app.state().profiles[0].display == "Ann");

    // A second person: the create screen can go back, the enrolment file box starts empty.
    ui.run(app, "click \"Create a new profile\"\nframes 2\n");
    CHECK(app.widgets().has("Back"));
    ui.run(app,
           "type \"Your name\" Lee Jones\ntype Passphrase another horse battery staple\n"
           "type \"Passphrase again\" another horse battery staple\nclick Continue\nwait-for Enrol\n");
    CHECK(app.state().provision_path.empty());
    ui.run(app, "type \"Enrolment file\" " + team.provisioning("lee").string() +
                    "\nclick Enrol\nwait-for Skip 30\nclick Skip\nwait-for \"New case\" 30\n");
    REQUIRE(app.state().unlocked);
    CHECK(app.state().profile == "lee-jones");
    CHECK(app.state().profile_display == "Lee Jones");
    CHECK(app.state().role == "lead");

    // And back, both ways, by the names as typed.
    ui.run(app, "key ctrl+l\nframes 2\nclick \"Someone else\"\nframes 2\n");
    REQUIRE(app.state().profiles.size() == 2);
    CHECK(app.state().profiles[0].display == "Ann");
    CHECK(app.state().profiles[1].display == "Lee Jones");
    ui.run(app, "click Ann\nframes 2\n");
    CHECK(app.state().screen == Screen::kUnlock);
    CHECK(app.state().profile_display == "Ann");
    ui.run(app, "type Passphrase " + std::string(kPass) + "\nclick Unlock\nwait-for \"New case\" 30\n");
    CHECK(app.state().user == "ann");
    ui.run(app,
           "key ctrl+l\nframes 2\nclick \"Someone else\"\nframes 2\nclick \"Lee Jones\"\nframes 2\n"
           "type Passphrase another horse battery staple\nclick Unlock\nwait-for \"New case\" 30\n");
    CHECK(app.state().user == "lee");
}

TEST_CASE("Profiles: the same name twice is refused; a name in another script gets a folder of its own") {
    Team team;
    team.server.add_user("lee", "north", "lead");
    Headless ui;
    App app(team.options());
    ui.look(app);
    enrol_ann(ui, app, team);
    ui.run(app,
           "key ctrl+l\nframes 2\nclick \"Someone else\"\nframes 2\nclick \"Create a new profile\"\nframes 2\n"
           "type \"Your name\" ann\ntype Passphrase another horse battery staple\n"
           "type \"Passphrase again\" another horse battery staple\nclick Continue\nframes 2\n");
    CHECK(app.state().screen == Screen::kCreateProfile);
    CHECK(app.state().problem.find("already a profile called Ann") != std::string::npos);
    app.mutable_state().new_profile_name = "محمد";
    ui.run(app, "click Continue\nwait-for Enrol\ntype \"Enrolment file\" " + team.provisioning("lee").string() +
                    "\nclick Enrol\nwait-for Skip 30\nclick Skip\nwait-for \"New case\" 30\n");
    CHECK(app.state().profile == "profile");
    CHECK(app.state().profile_display == "محمد");
}
