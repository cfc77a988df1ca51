// The "Needs attention" screen, headless through the real views and a real server on loopback: the
// status bar counts the refused changes and opens the list; "Discard my change" asks, then takes the
// change back, by mouse and by keyboard. (Keys as ImGui receives them from the window: ui_harness.h.)
#include <doctest/doctest.h>
#include <imgui.h>
#include <imgui_internal.h>

#include "app_fixture.h"
#include "outpost/core/error_codes.h"
#include "outpost/ui/app.h"

using namespace outpost;
using namespace outpost::ui;
using namespace outpost::testing;

namespace {

// True when the keyboard's focus is on the widget drawn with `label`.
bool focused_on(const App& app, const std::string& label) {
    const ImGuiContext& g = *ImGui::GetCurrentContext();
    const std::optional<ImVec2> c = app.widgets().centre_of(label);
    if (c == std::nullopt || g.NavWindow == nullptr || g.NavId == 0) {
        return false;
    }
    const ImRect rel = g.NavWindow->NavRectRel[0];
    const ImVec2 at = g.NavWindow->Pos;
    const ImRect r(ImVec2(rel.Min.x + at.x, rel.Min.y + at.y), ImVec2(rel.Max.x + at.x, rel.Max.y + at.y));
    return r.Contains(*c);
}

// Tabs (at most 80 times) until `label` has the keyboard.
void tab_to(Headless& ui, App& app, const std::string& label) {
    for (int i = 0; i < 80 && !focused_on(app, label); ++i) {
        ui.run(app, "key tab\nframes 1\n");
    }
    const std::string why = "the keyboard never reached " + label;
    REQUIRE_MESSAGE(focused_on(app, label), why);
}

std::string status_of(App& app, const std::string& id) {
    auto r = app.session()->with_records([&](records::RecordEngine& e) { return e.get(id); });
    REQUIRE(r.is_ok());
    const auto it = r->values.find("status");
    return it != r->values.end() && std::holds_alternative<std::string>(it->second) ? std::get<std::string>(it->second)
                                                                                    : "<none>";
}

}  // namespace

TEST_CASE_FIXTURE(
    AnnEnrolled,
    "Needs attention: the status bar counts refused changes and opens the list; discard by mouse and by keyboard") {
    const records::Actor ann = app.session()->actor();
    auto idea = app.session()->with_records([&](records::RecordEngine& e) {
        return e.create(ann, "suggestion", outpost::testing::idea("One form, typed once"));
    });
    REQUIRE(idea.is_ok());
    sync_app(ui, app);
    // A laptop that still takes Ann for a lead moves her idea on; another team's case is written.
    records::Actor stale = ann;
    stale.role = "lead";
    records::Actor elsewhere = ann;
    elsewhere.team = "south";
    auto wrong = app.session()->with_records([&](records::RecordEngine& e) -> Result<records::Record> {
        OUTPOST_TRY(e.update(stale, idea->id, {{"status", std::string("under_review")}}));
        return e.create(elsewhere, "home_visit", visit_answers("Wrong team household"));
    });
    REQUIRE(wrong.is_ok());
    sync_app(ui, app);
    REQUIRE(ui.until(app, [&] { return app.state().attention.rows.size() == 2; }));
    ui.run(app, "wait-for \"2 need attention\"\n");
    CHECK(app.widgets().has("Needs attention (2)"));  // and in the navigation, for the keyboard

    // The status bar opens the list: why, where, and both answers.
    ui.run(app, "click \"2 need attention\"\nframes 3\n");
    REQUIRE(app.state().screen == Screen::kNeedsAttention);
    CHECK(app.window_title() == "Outpost - Needs attention");
    const std::vector<RefusedRow>& rows = app.state().attention.rows;
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].record == idea->id);
    CHECK(rows[0].question == "Status");
    CHECK(rows[0].reason == "Your role cannot change this answer.");
    CHECK(rows[0].server_said == "Only a lead can change Status.");
    CHECK(rows[0].value == "Under review");
    CHECK(rows[0].server_value.empty());  // the server never had a status for it (the form shows its first)
    CHECK(rows[1].record == wrong->id);
    CHECK(rows[1].field.empty());
    CHECK(rows[1].record_title == "Wrong team household");

    // By mouse: the new record refused whole. Asked first; "Keep it" keeps it.
    ui.run(app, "click \"Discard my change: Wrong team household\"\nframes 2\n");
    CHECK(app.state().attention.confirm == rows[1].key());
    ui.run(app, "click \"Keep it\"\nframes 2\n");
    CHECK(app.state().attention.confirm.empty());
    CHECK(all_of(app, "home_visit").size() == 1);
    ui.run(app, "click \"Discard my change: Wrong team household\"\nframes 2\nclick \"Yes, discard it\"\nframes 2\n");
    REQUIRE(ui.until(app, [&] { return app.state().attention.rows.size() == 1 && !app.busy(); }));
    CHECK(all_of(app, "home_visit").empty());
    ui.run(app, "wait-for \"1 needs attention\"\n");

    // By keyboard: the status the server refused.
    tab_to(ui, app, "Discard my change: Status");
    ui.run(app, "key enter\nframes 2\n");
    REQUIRE(app.state().attention.confirm == idea->id + "/status");
    tab_to(ui, app, "Yes, discard it");
    ui.run(app, "key enter\nframes 2\n");
    REQUIRE(ui.until(app, [&] { return app.state().attention.rows.empty() && !app.busy(); }));
    CHECK(status_of(app, idea->id) == "<none>");  // as the server: no status written
    ui.run(app, "frames 3\n");
    CHECK_FALSE(app.widgets().has("1 needs attention"));
    auto refused = app.session()->refused();
    REQUIRE(refused.is_ok());
    CHECK(refused->empty());

    // Laptop and server agree: the next sync sends nothing.
    sync_app(ui, app);
    CHECK(app.session()->waiting().value_or(-1) == 0);
    Device bob(team.tmp / "bob.db", team.server.enrol("bob"), team.server.transport());
    REQUIRE(bob.sync().is_ok());
    auto theirs = bob.all();
    REQUIRE(theirs.count(idea->id) == 1);
    CHECK(theirs[idea->id].values.count("status") == 0);
    CHECK(theirs.count(wrong->id) == 0);
}
