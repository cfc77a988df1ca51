// New form versions in the window, through a real App and server: after a sync the "New case" choices
// follow the server's forms without a new unlock (a retired form is no longer offered), and the next
// case is made with the new version.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <thread>

#include "app_fixture.h"
#include "outpost/sync/form_library.h"
#include "outpost/ui/app.h"

using namespace outpost;
using namespace outpost::ui;
using namespace outpost::testing;

namespace {

bool offered(const App& app, const std::string& type) {
    const auto& forms = app.state().forms;
    return std::any_of(forms.begin(), forms.end(), [&](const auto& f) { return f.first == type; });
}

}  // namespace

TEST_CASE("Forms: a sync brings new forms into the open window; a retired form leaves New case") {
    Team team;
    Headless ui;
    App app(team.options(), SystemClock::instance());
    ui.look(app);
    enrol_ann(ui, app, team);
    REQUIRE(offered(app, "inspection"));
    REQUIRE(offered(app, "home_visit"));
    const client::Session* session = app.session();

    // IT retires one form and publishes the next version of another.
    const std::int64_t now = SystemClock::instance().now_ms();
    REQUIRE(sync::retire_form(*team.server.storage, "inspection", now).is_ok());
    std::ifstream in(records::bundled_forms_dir() / "home_visit.json", std::ios::binary);
    nlohmann::json visit = nlohmann::json::parse(std::string(std::istreambuf_iterator<char>(in), {}));
    visit["fields"].push_back({{"name", "weather"}, {"kind", "text"}, {"label", "Weather on the day"}});
    auto published = sync::publish_form_text(*team.server.storage, visit.dump(), "home_visit.json", now);
    REQUIRE_MESSAGE(published.is_ok(), published.status().to_string());
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));  // the server looks again each second

    app.submit(SyncNowIntent{});
    // Both changes, whichever sync brings them (the window also syncs on its own, and may have run
    // between the retirement and the publish).
    int frames = 0;
    REQUIRE(ui.until(
        app,
        [&] {
            const records::Schema* v = app.session()->schema("home_visit");
            if (++frames % 250 == 0 && (v == nullptr || v->version != *published)) {
                app.submit(SyncNowIntent{});  // about every half second, until the publish is seen
            }
            return !offered(app, "inspection") && v != nullptr && v->version == *published;
        },
        30));
    CHECK(app.session() == session);  // no new unlock
    CHECK(offered(app, "home_visit"));
    CHECK(app.state().form_notices.empty());
    REQUIRE(app.session()->schema("home_visit") != nullptr);
    CHECK(app.session()->schema("home_visit")->version == *published);
    CHECK(app.session()->schema("home_visit")->field("weather") != nullptr);
    // The new case's form asks the new question.
    ui.run(app, kNewVisit);
    REQUIRE(app.state().record.has_value());
    REQUIRE(app.state().record->form.schema() != nullptr);
    CHECK(app.state().record->form.schema()->version == *published);
}

TEST_CASE("Forms: a record link is picked by searching the cases by name, and the form shows the case's title") {
    Team team;
    Headless ui;
    App app(team.options(), SystemClock::instance());
    ui.look(app);
    enrol_ann(ui, app, team);
    for (const char* household : {"The Okafor family", "The Nguyen household"}) {
        ui.run(app, new_visit_script(household) + "click Save\nframes 3\nclick Close\nframes 2\n");
    }
    std::string okafor;
    for (const records::Record& r : all_of(app, "home_visit")) {
        const auto* h = std::get_if<std::string>(&r.values.at("household"));
        if (h != nullptr && *h == "The Okafor family") {
            okafor = r.id;
        }
    }
    REQUIRE_FALSE(okafor.empty());
    ui.run(app,
           "click \"New case\"\nclick \"Safeguarding concern\"\nwait-for Save\n"
           "click \"Linked case\"\nframes 2\n"
           "type \"Search cases\" okafor\nframes 2\n");
    REQUIRE(app.state().record.has_value());
    const RecordScreen& screen = *app.state().record;
    CHECK(screen.link_options.size() == 2);  // both home visits, the linked form's type
    CHECK(screen.link_search.at("linked_case") == "okafor");
    ui.run(app, "click \"Home visit: The Okafor family\"\nframes 3\n");
    CHECK(app.state().record->form.text("linked_case") == okafor);
    CHECK(app.state().record->link_search.at("linked_case").empty());  // the search is cleared once picked
}
