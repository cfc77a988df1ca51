// The review loop end to end through the field client (issue #7): a real outpost-server on
// 127.0.0.1, and laptops running the real App headless, driven by label and by keyboard.
//  - A worker sends an idea while the network is down, and it goes at the next sync.
//  - The lead triages from the keyboard (j/k, Enter, a), accepts with a note and shares it.
//  - The worker's client shows "Decisions arrived" after its sync, until read.
//  - A lead of another team finds it in the library and marks it adopted here; the spread shows on
//    the first team's dashboard.
#include "outpost/core/records/review.h"

#include <doctest/doctest.h>

#include <fstream>

#include "fault_proxy.h"
#include "outpost/sync/provisioning.h"
#include "sync_harness.h"
#include "ui_harness.h"

using namespace outpost;
using namespace outpost::ui;
using outpost::testing::Device;
using outpost::testing::FaultProxy;
using outpost::testing::Headless;
using outpost::testing::sync_app;
using outpost::testing::SyncServerHarness;
using outpost::testing::TempDir;

namespace {

constexpr const char* kPass = "correct horse battery staple";

// Two teams on a real server; laptops reach it through a proxy that can cut the network.
struct Council {
    SyncServerHarness server;
    TempDir tmp;
    FaultProxy proxy;
    Council() : proxy(server.server->port()) {
        server.add_team("north");
        server.add_team("south");
        server.add_user("ann", "north", "worker");
        server.add_user("bob", "north", "worker");
        server.add_user("lee", "north", "lead");
        server.add_user("sue", "south", "lead");
    }
    std::filesystem::path provisioning(const std::string& user, const std::string& team) {
        auto code = server.storage->create_enrolment_code(user, 86'400'000, SystemClock::instance().now_ms());
        REQUIRE(code.is_ok());
        sync::Provisioning p;
        p.server_url = "http://127.0.0.1:" + std::to_string(proxy.port());
        p.code = *code;
        p.user = user;
        p.team = team;
        p.expires_ms = SystemClock::instance().now_ms() + 86'400'000;
        auto key = server.storage->signing_key();
        REQUIRE(key.is_ok());
        REQUIRE(
            sync::sign_provisioning(p, std::span<const std::uint8_t>(key->secret.data(), key->secret.size())).is_ok());
        const auto file = tmp / (user + ".outpost");
        std::ofstream(file) << sync::encode(p);
        return file;
    }
    AppOptions laptop(const std::string& user) const {
        AppOptions o;
        o.data_dir = tmp / user / "data";
        o.config_dir = tmp / user / "config";
        o.device_name = user + "'s laptop";
        o.store_cache_kib = 2048;
        return o;
    }
};

void enrol(Headless& ui, App& app, Council& c, const std::string& user, const std::string& team) {
    ui.run(app, "type \"Your name\" " + user + "\ntype Passphrase " + kPass + "\ntype \"Passphrase again\" " + kPass +
                    "\nclick Continue\nwait-for Enrol\ntype \"Enrolment file\" " + c.provisioning(user, team).string() +
                    "\nclick Enrol\nwait-for Skip 30\nclick Skip\nwait-for \"New case\" 30\n");
    REQUIRE(app.state().unlocked);
}

std::vector<records::Record> all_of(App& app, const std::string& type) {
    records::ListQuery q;
    q.type = type;
    q.limit = 500;
    auto page = app.session()->with_records([&](records::RecordEngine& e) { return e.list(q); });
    REQUIRE(page.is_ok());
    return page->records;
}

const records::SuggestionSummary* summary(const App& app, const std::string& id) {
    for (const auto& s : app.state().review.all) {
        if (s.id == id) {
            return &s;
        }
    }
    return nullptr;
}

}  // namespace

TEST_CASE("Review app: offline idea, keyboard triage, decision notice, library and adoption, end to end") {
    Council council;
    Headless ui;
    std::string idea_id;

    // 1. Ann sends an idea with the network down; it waits on her laptop, then goes at the next sync.
    {
        App ann(council.laptop("ann"));
        ui.look(ann);
        enrol(ui, ann, council, "ann", "north");
        council.proxy.set(FaultProxy::Mode::kResetMidBody);
        ui.run(ann,
               "key ctrl+shift+n\nwait-for \"Save idea\"\n"
               "type \"Your idea in one line\" One visit form, typed once\n"
               "type \"What problem did you see?\" We copy the paper form out three times\n"
               "type \"What would you change?\" Type it once on the laptop\n"
               "click Time\nclick Category\nclick Paperwork\nclick \"Save idea\"\nframes 2\n");
        const auto ideas = all_of(ann, "suggestion");
        REQUIRE(ideas.size() == 1);
        idea_id = ideas[0].id;
        ann.apply(SyncNowIntent{});
        REQUIRE(ui.until(ann, [&] { return ann.session()->sync_state().phase == sync::SyncPhase::kOffline; }));
        CHECK(ann.session()->waiting().value_or(0) > 0);
        council.proxy.set(FaultProxy::Mode::kPass);
        sync_app(ui, ann);
    }
    // Bob's idea comes second, so the queue (oldest first) is Ann's, then Bob's.
    Device bob(council.tmp / "bob.db", council.server.enrol("bob"), council.server.transport());
    const records::Record bobs = bob.create("suggestion", {{"title", std::string("Shared printer by the door")},
                                                           {"problem", std::string("It is upstairs")},
                                                           {"proposed_change", std::string("Move it")},
                                                           {"expected_benefit", std::vector<std::string>{"time"}},
                                                           {"category", std::string("process")}});
    REQUIRE(bob.sync().is_ok());

    // 2. Lee triages from the keyboard: j moves down, k back up, Enter opens, a asks for the note.
    {
        App lee(council.laptop("lee"));
        ui.look(lee);
        enrol(ui, lee, council, "lee", "north");
        sync_app(ui, lee);
        ui.run(lee, "wait-for \"Review queue (2)\" 30\nclick \"Review queue (2)\"\nframes 3\n");
        REQUIRE(lee.state().review.queue.size() == 2);
        CHECK(lee.state().review.all[lee.state().review.queue[0]].id == idea_id);
        ui.run(lee, "key j\nframes 2\n");
        CHECK(lee.state().review.cursor == 1);
        ui.run(lee, "key k\nframes 2\nkey enter\nframes 2\n");
        CHECK(lee.state().review.selected == idea_id);
        ui.run(lee, "key a\nframes 3\n");
        CHECK(lee.state().review.pending == "accepted");  // no note yet: nothing written
        CHECK(summary(lee, idea_id)->status == "submitted");
        CHECK(lee.state().review.problem == "Write a decision note to accept.");
        ui.run(lee, "type \"Decision note\" Yes: one form from January\nclick \"Accept (a)\"\nframes 3\n");
        REQUIRE(ui.until(lee, [&] { return summary(lee, idea_id)->status == "accepted"; }));
        ui.run(lee, "wait-for \"Share to every team\"\nclick \"Share to every team\"\nframes 2\n");
        REQUIRE(ui.until(lee, [&] { return summary(lee, idea_id)->shared; }));
        // The other one: declined from the keyboard, with its note.
        ui.run(lee,
               "key j\nkey enter\nframes 2\nkey d\nframes 2\ntype \"Decision note\" Fire exit rules\n"
               "click \"Decline (d)\"\nframes 3\n");
        REQUIRE(ui.until(lee, [&] { return summary(lee, bobs.id)->status == "declined"; }));
        sync_app(ui, lee);
        ui.run(lee, "click Dashboard\nframes 3\n");
        REQUIRE(ui.until(lee, [&] { return lee.state().review.dashboard.decisions == 2; }));
        CHECK(lee.state().review.dashboard.median_days_to_decision.has_value());
        CHECK(lee.state().review.dashboard.by_status[3] == std::pair<std::string, int>{"accepted", 1});
    }

    // 3. Ann's laptop shows the decision after its sync, until she has read it.
    {
        App ann(council.laptop("ann"));
        ui.run(ann, "type Passphrase " + std::string(kPass) + "\nclick Unlock\nwait-for \"New case\" 30\n");
        sync_app(ui, ann);
        ui.run(ann, "wait-for \"Suggestions (1 new)\" 30\nclick \"Suggestions (1 new)\"\nwait-for \"Mark all read\"\n");
        REQUIRE(ann.state().review.notices.size() == 1);
        CHECK(ann.state().review.notices[0].text == "Accepted: Yes: one form from January");
        ui.run(ann, "click \"Mark all read\"\nframes 2\n");
        CHECK(ann.state().review.notices.empty());
        auto read = ann.session()->read_notices();
        REQUIRE(read.is_ok());
        CHECK(read->count(idea_id + "/accepted") == 1);
    }

    // 4. Sue, a lead in another team, finds it in the library and adopts it; Lee's team sees the spread.
    {
        App sue(council.laptop("sue"));
        ui.look(sue);
        enrol(ui, sue, council, "sue", "south");
        sync_app(ui, sue);
        ui.run(sue, "click Library\nwait-for \"Mark adopted here\" 30\n");
        REQUIRE(sue.state().review.library.size() == 1);
        const PracticeRow& p = sue.state().review.library[0];
        CHECK(p.title == "One visit form, typed once");
        CHECK(p.source_team == "north");
        CHECK(all_of(sue, "suggestion").empty());  // north's suggestions stay in north
        ui.run(sue, "click \"Mark adopted here\"\nframes 2\n");
        REQUIRE(ui.until(
            sue, [&] { return !sue.state().review.library.empty() && sue.state().review.library[0].adopted_here; }));
        sync_app(ui, sue);
    }
    REQUIRE(bob.sync().is_ok());
    bool spread = false;
    for (const auto& [id, r] : bob.all()) {
        if (r.type == "practice") {
            spread = records::text_of(r, "adopted_by") == "south" &&
                     std::get<std::int64_t>(r.values.at("adoption_count")) == 1;
        }
    }
    CHECK(spread);
}
