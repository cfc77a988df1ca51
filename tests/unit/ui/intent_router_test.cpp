// The UI thread never waits for the store: with the session's store mutex held by another thread (as
// the sync thread holds it while it writes a pulled page), intents that touch the store wait in
// order for a later frame, the frame and the timers return at once, and everything is applied once
// the store is free. A real App on a real server, headless.
#include "controllers/intent_router.h"

#include <doctest/doctest.h>

#include <chrono>
#include <future>
#include <thread>

#include "app_fixture.h"
#include "fake_clock.h"
#include "outpost/ui/app.h"
#include "ui_harness.h"

using namespace outpost;
using namespace outpost::ui;
using outpost::testing::all_of;
using outpost::testing::enrol_ann;
using outpost::testing::FakeClock;
using outpost::testing::Headless;
using outpost::testing::kNewVisit;
using outpost::testing::kPass;
using outpost::testing::Team;
using Steady = std::chrono::steady_clock;

namespace {

// Holds a session's store mutex on its own thread until release(), or until `longest` has passed (so
// that a UI thread that waited for it shows as a slow frame rather than a test that hangs).
class StoreHolder {
public:
    explicit StoreHolder(client::Session& session, std::chrono::milliseconds longest = std::chrono::seconds(5))
        : m_thread([this, &session, longest] {
              std::unique_lock<sync::StoreMutex> hold;
              while (!(hold = session.try_hold()).owns_lock()) {  // the sync thread or the reader may have it
                  std::this_thread::sleep_for(std::chrono::milliseconds(1));
              }
              m_held.set_value();
              (void)m_release_asked.wait_for(longest);
          }) {
        m_held.get_future().wait();
    }
    ~StoreHolder() { release(); }
    StoreHolder(const StoreHolder&) = delete;
    StoreHolder& operator=(const StoreHolder&) = delete;

    void release() {
        if (m_thread.joinable()) {
            m_release.set_value();
            m_thread.join();
        }
    }

private:
    std::promise<void> m_held;
    std::promise<void> m_release;
    std::shared_future<void> m_release_asked = m_release.get_future().share();
    std::thread m_thread;  // last: starts once the rest is ready
};

double ms_since(Steady::time_point t) {
    return std::chrono::duration<double, std::milli>(Steady::now() - t).count();
}

// A new home visit with every required answer, not saved yet.
void type_visit(Headless& ui, App& app, const std::string& household) {
    ui.run(app, std::string(kNewVisit) + "type \"Household or person visited\" " + household +
                    "\n"
                    "click \"Date of visit: Today\"\n"
                    "click \"Type of visit\"\nclick Planned\n"
                    "click \"Concerns identified: No\"\nframes 2\n");
    REQUIRE(app.state().record.has_value());
    REQUIRE(app.state().record->form.dirty());
}

}  // namespace

TEST_CASE("IntentRouter: intents that read or write the store are the ones that wait for it") {
    CHECK(IntentRouter::touches_store(SaveRecordIntent{}));
    CHECK(IntentRouter::touches_store(OpenRecordIntent{"r1"}));
    CHECK(IntentRouter::touches_store(DiscardDraftIntent{"d1"}));
    CHECK(IntentRouter::touches_store(CommentIntent{"s1", "A comment"}));
    CHECK(IntentRouter::touches_store(MarkNoticesReadIntent{{"k1"}}));
    CHECK(IntentRouter::touches_store(AttachFileIntent{"photos", "/tmp/a.png"}));
    CHECK(IntentRouter::touches_store(SetPrefetchIntent{true}));
    // A lock hands the drafts to the slow worker; the case list, unlocking and settings use workers or
    // AppState only.
    CHECK_FALSE(IntentRouter::touches_store(LockIntent{}));
    CHECK_FALSE(IntentRouter::touches_store(GoToIntent{Screen::kCases}));
    CHECK_FALSE(IntentRouter::touches_store(QueryChangedIntent{"okafor"}));
    CHECK_FALSE(IntentRouter::touches_store(UnlockIntent{}));
    CHECK_FALSE(IntentRouter::touches_store(SetThemeIntent{}));
}

TEST_CASE(
    "App: a save while another thread holds the store does not block the frame; it lands once the store is free") {
    Team team;
    Headless ui;
    App app(team.options());
    ui.look(app);
    enrol_ann(ui, app, team);
    type_visit(ui, app, "Held up by a sync");
    {
        StoreHolder sync(*app.session());
        const Steady::time_point asked = Steady::now();
        app.submit(SaveRecordIntent{});
        for (int i = 0; i < 5; ++i) {
            ui.frame(app);
            (void)app.tick();
        }
        CHECK(ms_since(asked) < 1000.0);  // the holder lets go after 5 s: a frame that waited took that
        CHECK(app.waiting_intents() == 1);
        CHECK(app.busy());  // the host keeps drawing
        CHECK(app.frame_wait_ms() <= 50);
        CHECK(app.state().record->form.is_new());  // not saved yet
        sync.release();
    }
    REQUIRE(ui.until(
        app, [&] { return app.waiting_intents() == 0; }, 10));
    REQUIRE(app.state().record.has_value());
    CHECK_FALSE(app.state().record->form.is_new());
    CHECK(app.state().record->saved_ms > 0);
    const auto visits = all_of(app, "home_visit");
    REQUIRE(visits.size() == 1);
    CHECK(records::text_of(visits[0], "household") == "Held up by a sync");
}

TEST_CASE("App: an intent after one that waits for the store waits behind it, so they apply in order") {
    Team team;
    Headless ui;
    App app(team.options());
    ui.look(app);
    enrol_ann(ui, app, team);
    type_visit(ui, app, "First the save");
    {
        StoreHolder sync(*app.session());
        app.submit(SaveRecordIntent{});
        app.submit(GoToIntent{Screen::kSettings});  // needs no store, but comes after the save
        ui.frame(app);
        ui.frame(app);
        CHECK(app.waiting_intents() == 2);
        CHECK(app.state().screen == Screen::kRecord);
        sync.release();
    }
    REQUIRE(ui.until(
        app, [&] { return app.waiting_intents() == 0; }, 10));
    // Saved first (which shows the saved record), then Settings: the other order would end on the record.
    CHECK(app.state().screen == Screen::kSettings);
    CHECK(all_of(app, "home_visit").size() == 1);
}

TEST_CASE("App: the autosave finds the store held, returns at once, and keeps the draft in a moment") {
    Team team;
    Headless ui;
    FakeClock clock(SystemClock::instance().now_ms());
    App app(team.options(), clock);
    ui.look(app);
    enrol_ann(ui, app, team);
    type_visit(ui, app, "Typed while a sync ran");
    {
        StoreHolder sync(*app.session());
        clock.advance(61'000);  // the autosave is due, and the sync bar's read (with the open form's files)
        const Steady::time_point asked = Steady::now();
        app.tick();
        ui.frame(app);
        CHECK(ms_since(asked) < 1000.0);
        CHECK(app.state().record->draft_saved_ms == 0);
        CHECK(app.frame_wait_ms() <= 50);  // tried again soon, without the clock moving
        sync.release();
    }
    const Steady::time_point end = Steady::now() + std::chrono::seconds(10);
    while (app.state().record->draft_saved_ms == 0 && Steady::now() < end) {
        std::this_thread::sleep_for(std::chrono::milliseconds(std::max(1, app.frame_wait_ms())));
        app.tick();
    }
    CHECK(app.state().record->draft_saved_ms != 0);
    auto drafts = app.session()->drafts();
    REQUIRE(drafts.is_ok());
    REQUIRE(drafts->size() == 1);
    CHECK(drafts->front().texts.at("household") == "Typed while a sync ran");
}

TEST_CASE("App: locking while another thread holds the store locks at once; the unsaved form comes back after") {
    Team team;
    Headless ui;
    App app(team.options());
    ui.look(app);
    enrol_ann(ui, app, team);
    type_visit(ui, app, "Kept through the lock");
    {
        StoreHolder sync(*app.session());
        const Steady::time_point asked = Steady::now();
        app.submit(LockIntent{});
        ui.frame(app);
        CHECK(ms_since(asked) < 1000.0);
        CHECK_FALSE(app.state().unlocked);
        CHECK(app.session() == nullptr);
        CHECK_FALSE(app.state().record.has_value());
        sync.release();  // the slow worker saves the draft, then closes the session
    }
    ui.run(app, "type Passphrase " + std::string(kPass) + "\nclick Unlock\nwait-for Save 30\n");
    REQUIRE(app.state().record.has_value());
    CHECK(app.state().record->form.text("household") == "Kept through the lock");
}

TEST_CASE("Automation: a click's line ends once its intent is applied, so the next line finds the result") {
    Team team;
    Headless ui;
    App app(team.options());
    ui.look(app);
    enrol_ann(ui, app, team);
    type_visit(ui, app, "Saved by a script");
    const Steady::time_point start = Steady::now();
    StoreHolder sync(*app.session(), std::chrono::milliseconds(300));
    ui.run(app, "click Save\n");
    CHECK(ms_since(start) >= 300.0);
    CHECK(app.waiting_intents() == 0);
    REQUIRE(app.state().record.has_value());
    CHECK_FALSE(app.state().record->form.is_new());
}
