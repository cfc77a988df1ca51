// The status bar's "Online": the newest evidence wins, a probe's answer or a sync that moved; and
// through a real App and server, "Offline" within a probe's interval of the server going.
#include <doctest/doctest.h>

#include "app_fixture.h"
#include "fake_clock.h"
#include "outpost/ui/app.h"

using namespace outpost;
using namespace outpost::ui;
using namespace outpost::testing;

TEST_CASE("SyncBar: a probe's answer is not undone by the same sync state read again") {
    SyncBar bar;
    sync::SyncState ok;
    ok.phase = sync::SyncPhase::kUpToDate;
    ok.last_success_ms = 1000;
    bar.take_sync_state(ok);
    CHECK(bar.online);
    bar.take_probe(false);
    CHECK_FALSE(bar.online);
    bar.take_sync_state(ok);  // read again a second later: nothing new
    CHECK_FALSE(bar.online);
    CHECK(connection_label(bar) == "Offline");
    ok.last_success_ms = 2000;  // a sync that succeeded since: online again
    bar.take_sync_state(ok);
    CHECK(bar.online);
    sync::SyncState off = ok;
    off.phase = sync::SyncPhase::kOffline;
    bar.take_sync_state(off);
    CHECK_FALSE(bar.online);
    bar.take_probe(true);
    CHECK(bar.online);
}

TEST_CASE("SyncBar: regression - 'Online' stayed for about 90 s after the server had gone") {
    Team team;
    Headless ui;
    FakeClock clock(SystemClock::instance().now_ms());
    App app(team.options(), clock);
    ui.look(app);
    enrol_ann(ui, app, team);
    REQUIRE(ui.until(
        app, [&] { return connection_label(app.state().sync) == "Online"; }, 30));
    team.server.server->stop();
    // The next probe (at most 10 s on) finds nothing listening.
    clock.advance(10'500);
    REQUIRE(ui.until(
        app, [&] { return connection_label(app.state().sync) == "Offline"; }, 15));
    // The sync bar keeps reading the last sync's state, a success: it must not say "Online" again
    // (each read said so, until the next sync failed a minute and a half later).
    for (int i = 0; i < 3; ++i) {
        clock.advance(16'000);
        REQUIRE_FALSE(ui.until(
            app, [&] { return connection_label(app.state().sync) == "Online"; }, 1.0));
    }
}
