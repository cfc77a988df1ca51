// Drafts through a real App (encrypted profile store, a real server on loopback): a saved form leaves
// nothing behind, however the autosave, the save, the lock and a restart fall; a draft names its form
// and case; a saved case's draft reopens that case.
#include "outpost/client/drafts.h"

#include <doctest/doctest.h>

#include "app_fixture.h"
#include "fake_clock.h"
#include "outpost/client/words.h"
#include "outpost/core/store.h"
#include "outpost/ui/app.h"

using namespace outpost;
using namespace outpost::ui;
using namespace outpost::client;
using namespace outpost::testing;

namespace {

// A home visit typed and saved with Ctrl+S, the autosave running while it is typed.
void save_visit(Headless& ui, App& app, FakeClock& clock, const std::string& household) {
    ui.run(app, "key ctrl+n\nclick \"Home visit\"\nwait-for Save\ntype \"Household or person visited\" " + household +
                    "\nclick \"Date of visit: Today\"\nclick \"Type of visit\"\nclick Planned\n"
                    "click \"Concerns identified: No\"\nframes 2\n");
    clock.advance(3500);  // the autosave keeps the typed answers as a draft
    ui.frame(app);
    // ...in that frame, or (a sync holding the store then: the UI thread does not wait for it) a
    // moment later.
    REQUIRE(ui.until(
        app, [&] { return app.state().record->draft_saved_ms != 0; }, 10));
    REQUIRE(app.session()->drafts()->size() == 1);
    ui.run(app, "key ctrl+s\nframes 3\n");
    REQUIRE(app.state().record.has_value());
    REQUIRE_FALSE(app.state().record->form.is_new());
    clock.advance(3500);  // and runs again after the save
    ui.frame(app);
}

}  // namespace

TEST_CASE("Drafts: regression - a saved new case came back as an unsaved draft, and continuing it made a duplicate") {
    Team team;
    Headless ui;
    FakeClock clock(SystemClock::instance().now_ms());
    {
        App app(team.options(), clock);
        ui.look(app);
        enrol_ann(ui, app, team);
        for (const char* household : {"Corner Cafe", "The Okafor family", "Flat 3"}) {
            save_visit(ui, app, clock, household);
            auto drafts = app.session()->drafts();
            REQUIRE(drafts.is_ok());
            CHECK_MESSAGE(drafts->empty(), "a draft was left by saving " << household);
        }
        ui.run(app,
               "key ctrl+l\nframes 2\ntype Passphrase " + std::string(kPass) + "\nclick Unlock\nwait-for Save 30\n");
        CHECK(app.state().drafts_found.empty());
        REQUIRE(all_of(app, "home_visit").size() == 3);
        ui.run(app, "key ctrl+l\nframes 2\n");
    }
    // A restart: the same laptop, a new process.
    App again(team.options(), clock);
    ui.look(again);
    ui.run(again, "type Passphrase " + std::string(kPass) + "\nclick Unlock\nwait-idle 30\nframes 3\n");
    REQUIRE(again.state().unlocked);
    CHECK(again.state().drafts_found.empty());
    CHECK(again.session()->drafts()->empty());
    CHECK(all_of(again, "home_visit").size() == 3);
}

TEST_CASE("Drafts: a saved case's draft reopens that case, names its form and case, and saves onto it") {
    Team team;
    Headless ui;
    FakeClock clock(SystemClock::instance().now_ms());
    std::string id;
    {
        App app(team.options(), clock);
        ui.look(app);
        enrol_ann(ui, app, team);
        save_visit(ui, app, clock, "The Okafor family");
        id = app.state().record->form.record_id();
        ui.run(app, "type \"Who was seen, and how they were\" Mum and both children.\nframes 2\n");
        clock.advance(3500);
        ui.frame(app);
        // The process dies here, the answer unsaved but in its draft.
    }
    App again(team.options(), clock);
    ui.look(again);
    ui.run(again, "type Passphrase " + std::string(kPass) + "\nclick Unlock\nwait-for \"Continue it\" 30\n");
    REQUIRE(again.state().drafts_found.size() == 1);
    const FoundDraft& found = again.state().drafts_found.front();
    CHECK(found.form == "Home visit");
    CHECK(found.title == "The Okafor family");
    CHECK(found.draft.record_id == id);
    CHECK(draft_words(found.form, found.title, false, found.draft.saved_ms, clock.now_ms()) ==
          "Unsaved changes to Home visit \"The Okafor family\" (kept just now).");
    ui.run(again, "click \"Continue it\"\nwait-for Save\n");
    REQUIRE(again.state().record.has_value());
    CHECK(again.state().record->form.record_id() == id);  // that case, not a new one
    CHECK(again.state().record->form.text("people_seen_notes") == "Mum and both children.");
    ui.run(again, "key ctrl+s\nframes 3\n");
    const auto visits = all_of(again, "home_visit");
    REQUIRE(visits.size() == 1);
    CHECK(records::text_of(visits[0], "people_seen_notes") == "Mum and both children.");
    CHECK(again.session()->drafts()->empty());
}

TEST_CASE("Drafts: a draft holding nothing the record does not is dropped at unlock, unseen") {
    Team team;
    Headless ui;
    FakeClock clock(SystemClock::instance().now_ms());
    App app(team.options(), clock);
    ui.look(app);
    enrol_ann(ui, app, team);
    save_visit(ui, app, clock, "Flat 3");
    const std::string id = app.state().record->form.record_id();
    // As a lock on a clean record leaves it, and a draft whose answers were saved since.
    REQUIRE(app.session()->save_draft({"draft-marker", "home_visit", id, {}, clock.now_ms()}).is_ok());
    REQUIRE(
        app.session()->save_draft({"draft-same", "home_visit", id, {{"household", "Flat 3"}}, clock.now_ms()}).is_ok());
    REQUIRE(app.session()->save_draft({"draft-empty-new", "home_visit", "", {}, clock.now_ms()}).is_ok());
    ui.run(app, "key ctrl+l\nframes 2\n");
    // What was open at the lock comes back; every other draft is looked at afresh.
    ui.run(app, "type Passphrase " + std::string(kPass) + "\nclick Unlock\nwait-idle 30\nframes 3\n");
    REQUIRE(app.state().unlocked);
    CHECK(app.state().drafts_found.empty());
    auto left = app.session()->drafts();
    REQUIRE(left.is_ok());
    for (const Draft& d : *left) {
        CHECK_MESSAGE(d.key != "draft-marker", "the empty marker was kept");
        CHECK_MESSAGE(d.key != "draft-same", "a draft with nothing unsaved was kept");
        CHECK_MESSAGE(d.key != "draft-empty-new", "an empty new form's draft was kept");
    }
}

TEST_CASE("Drafts: kept whole in the store, newest first, replaced by key and discarded") {
    TempDir tmp;
    StoreOptions o;
    o.kdf = KdfPolicy::kInteractiveFloor;
    auto store = Store::create(tmp / "profile.db", kPass, o);
    REQUIRE(store.is_ok());
    Drafts drafts(**store);
    auto none = drafts.all();  // a store the window never opened has none
    REQUIRE(none.is_ok());
    CHECK(none->empty());
    REQUIRE(migrate_ui_tables(**store).is_ok());
    REQUIRE(drafts.save({"k1", "home_visit", "", {{"household", "Flat 3"}, {"notes", ""}}, 1000}).is_ok());
    REQUIRE(drafts.save({"k2", "home_visit", "rec-1", {{"household", "Flat 9"}}, 2000}).is_ok());
    REQUIRE(drafts.save({"k1", "home_visit", "", {{"household", "Flat 4"}}, 3000}).is_ok());  // replaces k1 whole
    auto all = drafts.all();
    REQUIRE(all.is_ok());
    REQUIRE(all->size() == 2);
    CHECK((*all)[0].key == "k1");
    CHECK((*all)[0].saved_ms == 3000);
    CHECK((*all)[0].texts == std::map<std::string, std::string>{{"household", "Flat 4"}});
    CHECK((*all)[1].key == "k2");
    CHECK((*all)[1].record_id == "rec-1");
    REQUIRE(drafts.discard("k1").is_ok());
    all = drafts.all();
    REQUIRE(all.is_ok());
    REQUIRE(all->size() == 1);
    CHECK(all->front().key == "k2");
    (*store)->lock();
}
