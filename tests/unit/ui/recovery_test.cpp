// Recovery codes: offered when a profile is made (shown once, a group typed back, skippable unless
// the policy or the service desk's escrow requires it), "Forgot passphrase?" with the code keeping
// every change not yet sent, and the code sealed for the service desk. Through the App (headless)
// and through client::Session, against a real server in this process.
#include "outpost/client/recovery.h"

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "app_fixture.h"
#include "outpost/client/session.h"
#include "outpost/client/site_policy.h"
#include "outpost/core/error_codes.h"
#include "outpost/core/store/escrow.h"
#include "outpost/sync/profile.h"
#include "outpost/sync/server.h"
#include "outpost/ui/app.h"

using namespace outpost;
using namespace outpost::ui;
using namespace outpost::testing;

namespace {

constexpr const char* kNewPass = "a new passphrase for a new week";

// Creates profile "Ann" through the screens and enrols it from `provisioning`, up to the recovery code.
void enrol_to_code(Headless& ui, App& app, const std::filesystem::path& provisioning) {
    ui.run(app, std::string("type \"Your name\" Ann\ntype Passphrase ") + kPass + "\ntype \"Passphrase again\" " +
                    kPass + "\nclick Continue\nwait-for Enrol\ntype \"Enrolment file\" " + provisioning.string() +
                    "\nclick Enrol\nwait-idle 60\nframes 3\n");
    REQUIRE_MESSAGE(app.state().unlocked, app.state().problem);
    REQUIRE(app.state().screen == Screen::kRecoveryCode);
}

// "I have written it down", then the group asked for typed back (in lower case: forgiven), until
// `then` (a label of the screen it goes back to) shows.
void confirm_code(Headless& ui, App& app, const std::string& then = "\"New case\"") {
    const std::string code(app.state().recovery.code.view());
    ui.run(app, "click \"I have written it down\"\nwait-for Check\n");
    const int group = app.state().recovery.group;
    REQUIRE((group >= 1 && group <= 6));
    CHECK(app.window_title() == "Outpost - Type group " + std::to_string(group) + " of the code");
    std::string typed = client::recovery_code_groups(code)[static_cast<std::size_t>(group - 1)];
    for (char& c : typed) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    ui.run(app, "type Group " + typed + "\nclick Check\nwait-for " + then + " 10\n");
    REQUIRE(app.state().screen != Screen::kRecoveryCode);
}

// Writes a home visit for `household` (visit_answers) as the session's user; returns its id.
std::string write_visit(client::Session& session, const std::string& household) {
    const records::Actor me = session.actor();
    std::string id;
    REQUIRE(session
                .in_transaction([&](records::RecordEngine& e) -> Status {
                    auto r = e.create(me, "home_visit", visit_answers(household));
                    OUTPOST_TRY(r);
                    id = r->id;
                    return Status::ok();
                })
                .is_ok());
    return id;
}

std::string read_text(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// The last value of `field` of record `id` the server logged for team north, as JSON ("" none).
std::string server_value(Team& team, const std::string& id, const std::string& field) {
    std::string last;
    std::int64_t after = 0;
    for (;;) {
        std::int64_t safe_to = 0;
        auto page = team.server.storage->changes_after("north", "", after, 500, safe_to);
        if (!page.is_ok() || page->empty()) {
            return last;
        }
        for (const sync::WireChange& c : *page) {
            if (c.record == id && c.field == field) {
                last = c.value;
            }
            after = std::max(after, c.seq);
        }
    }
}

// `team`'s server again on the port it had (the profile's address names it).
void restart_server(Team& team, int port) {
    sync::ServerOptions o;
    o.log_sink = [](const std::string&) {};
    o.blob_dir = team.server.tmp / "server" / "blobs";
    o.port = port;
    auto srv = sync::Server::start(o, *team.server.storage, SystemClock::instance());
    REQUIRE_MESSAGE(srv.is_ok(), srv.status().to_string());
    team.server.server = std::move(*srv);
}

std::string one_wrong(std::string code) {
    code[0] = code[0] == 'A' ? 'B' : 'A';
    return code;
}

}  // namespace

TEST_CASE(
    "Recovery: create a profile, confirm the code, change a record offline, forget the passphrase, recover with "
    "the code, the change is there and syncs") {
    Team team;
    Headless ui;
    std::string old_code;
    std::string new_code;
    std::string id;
    std::filesystem::path dir;
    {
        App app(team.options());
        ui.look(app);
        enrol_to_code(ui, app, team.provisioning("ann"));
        CHECK(app.window_title() == "Outpost - Recovery code");
        old_code = std::string(app.state().recovery.code.view());
        CHECK(old_code.size() == 32);  // 26 characters in groups of four, and dashes
        CHECK(app.widgets().has("Skip"));
        CHECK_FALSE(app.widgets().has("New case"));  // nothing of the profile until the code is dealt with

        // A wrong group says so and shows the code again.
        ui.run(app, "click \"I have written it down\"\nwait-for Check\n");
        const int asked = app.state().recovery.group;
        const std::string wrong_group =
            asked == 1 ? client::recovery_code_groups(old_code)[1] : client::recovery_code_groups(old_code)[0];
        ui.run(app, "type Group " + wrong_group + "\nclick Check\nframes 2\n");
        CHECK(app.state().recovery.group == 0);
        CHECK(app.state().recovery.problem.find("not group " + std::to_string(asked)) != std::string::npos);
        CHECK(app.widgets().has("I have written it down"));
        confirm_code(ui, app);
        CHECK(app.state().recovery.code.view().empty());  // gone from memory once confirmed
        dir = app.session()->dir();
        REQUIRE(ui.until(app, [&] {
            auto st = app.session()->recovery_state();
            return st.is_ok() && st->stage == client::RecoveryStage::kConfirmed && st->has_slot && st->pending.empty();
        }));

        // A case, synced; then the server goes and the case is changed offline.
        const records::Actor me = app.session()->actor();
        id = write_visit(*app.session(), "The Okafor family");
        app.session()->request_sync();
        REQUIRE(ui.until(app, [&] { return server_value(team, id, "household") == "\"The Okafor family\""; }));
        const int port = team.server.server->port();
        team.server.server->stop();
        team.server.server.reset();
        REQUIRE(app.session()
                    ->in_transaction([&](records::RecordEngine& e) -> Status {
                        return e.update(me, id, {{"household", std::string("Changed offline")}}).status();
                    })
                    .is_ok());
        REQUIRE(app.session()->waiting().is_ok());
        CHECK(*app.session()->waiting() >= 1);

        // Locked, and the passphrase forgotten.
        ui.run(app, "key ctrl+l\nwait-for \"Forgot passphrase?\"\nclick \"Forgot passphrase?\"\nwait-for Recover\n");
        CHECK(app.window_title() == "Outpost - Forgot passphrase");
        ui.run(app, "type \"Recovery code\" " + one_wrong(old_code) + "\ntype \"New passphrase\" " + kNewPass +
                        "\ntype \"New passphrase again\" " + kNewPass + "\nclick Recover\nwait-idle 30\nframes 2\n");
        CHECK_FALSE(app.state().unlocked);
        CHECK(app.state().problem == errc::explain(errc::kStoreRecoveryWrong));
        // The code was typed wrong: it is typed again, the new passphrases kept.
        CHECK(app.state().recovery_code.view().empty());
        CHECK(app.state().passphrase.view() == kNewPass);
        ui.run(app, "type \"Recovery code\" " + old_code + "\nclick Recover\nwait-for \"I have written it down\" 30\n");
        REQUIRE(app.state().unlocked);
        CHECK(app.state().recovery.after_recovery);
        new_code = std::string(app.state().recovery.code.view());
        CHECK(new_code.size() == 32);
        CHECK(new_code != old_code);  // the one that was seen is replaced at once
        confirm_code(ui, app);

        // Everything is there, the change not yet sent included; it goes once the server is back.
        bool found = false;
        for (const records::Record& r : all_of(app, "home_visit")) {
            found = found || (r.id == id && std::get<std::string>(r.values.at("household")) == "Changed offline");
        }
        CHECK(found);
        REQUIRE(app.session()->waiting().is_ok());
        CHECK(*app.session()->waiting() >= 1);
        restart_server(team, port);
        app.session()->request_sync();
        REQUIRE(ui.until(
            app, [&] { return server_value(team, id, "household") == "\"Changed offline\""; }, 60));
        REQUIRE(ui.until(app, [&] {
            auto w = app.session()->waiting();
            return w.is_ok() && *w == 0;
        }));

        // The new passphrase unlocks.
        ui.run(app, "key ctrl+l\nwait-for Unlock\ntype Passphrase " + std::string(kNewPass) +
                        "\nclick Unlock\nwait-for \"New case\" 30\n");
        CHECK(app.state().screen != Screen::kRecoveryCode);  // the new code was confirmed: not shown again
    }
    // The forgotten passphrase and the used code open nothing; the new ones do.
    const std::filesystem::path db = dir / "outpost.db";
    CHECK(Store::open(db, kPass).status().code() == "store.passphrase.wrong");
    CHECK(Store::open_with_recovery_code(db, old_code).status().code() == "store.recovery_code.wrong");
    CHECK(Store::open_with_recovery_code(db, new_code).is_ok());
}

TEST_CASE("Recovery: closed before the code was typed back, the next unlock shows the same code again") {
    Team team;
    Headless ui;
    std::string code;
    {
        App app(team.options());
        ui.look(app);
        enrol_to_code(ui, app, team.provisioning("ann"));
        code = std::string(app.state().recovery.code.view());
    }  // the window closed on the code
    App app(team.options());
    ui.look(app);
    ui.run(app, "frames 2\ntype Passphrase " + std::string(kPass) +
                    "\nclick Unlock\nwait-for \"I have written it down\" 30\n");
    CHECK(std::string(app.state().recovery.code.view()) == code);
    // A lock on the code's screen comes back to it too, and then to the cases, not to the code.
    ui.run(app, "key ctrl+l\nwait-for Unlock\ntype Passphrase " + std::string(kPass) +
                    "\nclick Unlock\nwait-for \"I have written it down\" 30\n");
    CHECK(std::string(app.state().recovery.code.view()) == code);
    // Skipped: no slot, so a code nobody kept opens nothing; and it is not offered again.
    ui.run(app, "click Skip\nwait-for \"New case\" 10\nwait-idle 10\n");
    auto st = app.session()->recovery_state();
    REQUIRE(st.is_ok());
    CHECK(st->stage == client::RecoveryStage::kNone);
    CHECK_FALSE(st->has_slot);
    ui.run(app, "key ctrl+l\nwait-for Unlock\ntype Passphrase " + std::string(kPass) +
                    "\nclick Unlock\nwait-for \"New case\" 30\nframes 3\n");
    CHECK(app.state().screen == Screen::kCases);
    const std::filesystem::path db = app.session()->dir() / "outpost.db";
    ui.run(app, "key ctrl+l\nwait-for Unlock\nclick \"Forgot passphrase?\"\ntype \"Recovery code\" " + code +
                    "\ntype \"New passphrase\" " + kNewPass + "\ntype \"New passphrase again\" " + kNewPass +
                    "\nclick Recover\nwait-idle 30\nframes 2\n");
    CHECK_FALSE(app.state().unlocked);
    CHECK(app.state().problem.find("has no recovery code") != std::string::npos);
}

TEST_CASE("Recovery: the site policy's require_recovery_code takes Skip away") {
    Team team;
    Headless ui;
    AppOptions o = team.options();
    o.policy.require_recovery_code = true;
    App app(o);
    ui.look(app);
    enrol_to_code(ui, app, team.provisioning("ann"));
    CHECK_FALSE(app.widgets().has("Skip"));
    app.apply(SkipRecoveryIntent{});
    CHECK(app.state().screen == Screen::kRecoveryCode);
    CHECK(app.state().recovery.problem == errc::explain(errc::kRecoveryRequired));
    confirm_code(ui, app);
    auto st = app.session()->recovery_state();
    REQUIRE(st.is_ok());
    CHECK(st->has_slot);
    CHECK(app.session()->skip_recovery_code(true).code() == "policy.recovery_code.required");

    auto p = client::parse_site_policy(R"({"require_recovery_code": true})", "client.json");
    REQUIRE(p.is_ok());
    CHECK(p->require_recovery_code);
    CHECK_FALSE(client::parse_site_policy("{}", "client.json")->require_recovery_code);
    auto bad = client::parse_site_policy(R"({"require_recovery_code": "yes"})", "client.json");
    CHECK(bad.status().code() == "policy.file.invalid");
    CHECK(bad.status().message().find("require_recovery_code") != std::string::npos);
}

TEST_CASE("Recovery: with the service desk's escrow key the code is sealed for the desk and cannot be skipped") {
    Team team;
    Headless ui;
    Result<store::EscrowKeys> desk = store::make_escrow_keys();
    REQUIRE(desk.is_ok());
    const std::filesystem::path file = team.provisioning("ann");
    auto prov = sync::decode_provisioning(read_text(file));
    REQUIRE(prov.is_ok());
    prov->escrow_key = desk->public_hex;
    auto signing = team.server.storage->signing_key();  // signed again, as `provision --escrow` signs it
    REQUIRE(signing.is_ok());
    REQUIRE(
        sync::sign_provisioning(*prov, std::span<const std::uint8_t>(signing->secret.data(), signing->secret.size()))
            .is_ok());
    std::ofstream(file, std::ios::trunc) << sync::encode(*prov);
    App app(team.options());
    ui.look(app);
    enrol_to_code(ui, app, file);
    CHECK(app.state().recovery.escrowed);
    CHECK(app.state().recovery.required);
    CHECK_FALSE(app.widgets().has("Skip"));
    const std::string code(app.state().recovery.code.view());
    const std::filesystem::path sealed = app.session()->dir() / client::kSealedRecoveryFile;
    REQUIRE(std::filesystem::exists(sealed));
    CHECK(read_text(sealed).find(code) == std::string::npos);
    auto opened = store::open_sealed_recovery(read_text(sealed), *desk);
    REQUIRE_MESSAGE(opened.is_ok(), opened.status().to_string());
    CHECK(*opened == code);
    auto other = store::make_escrow_keys();
    REQUIRE(other.is_ok());
    CHECK(store::open_sealed_recovery(read_text(sealed), *other).status().code() == "store.escrow.open_failed");
    // A new code (after a recovery) is sealed again, to the key the profile keeps in its store.
    auto again = app.session()->make_recovery_code();
    REQUIRE(again.is_ok());
    CHECK(*store::open_sealed_recovery(read_text(sealed), *desk) == *again);
}

TEST_CASE(
    "Recovery: a session recovered with its code keeps the changes waiting to be sent; a wrong code changes "
    "nothing") {
    Team team;
    const std::filesystem::path root = team.tmp / "laptop";
    auto prov = sync::decode_provisioning(read_text(team.provisioning("ann")));
    REQUIRE(prov.is_ok());
    REQUIRE(sync::enrol_profile(root, "ann", kPass, *prov, "test laptop").is_ok());
    const Clock& clock = SystemClock::instance();
    std::string code;
    std::string id;
    std::int64_t waiting = 0;
    {
        auto s = client::Session::open(root, "ann", kPass, clock, [](const sync::SyncState&) {});
        REQUIRE_MESSAGE(s.is_ok(), s.status().to_string());
        auto c = (*s)->make_recovery_code();
        REQUIRE(c.is_ok());
        code = *c;
        REQUIRE((*s)->confirm_recovery_code().is_ok());
        id = write_visit(**s, "Written offline");
        waiting = *(*s)->waiting();  // one change a field; never sent: the sync was not started
        CHECK(waiting == 4);
    }
    auto wrong = client::Session::recover(root, "ann", one_wrong(code), kNewPass, clock, [](const sync::SyncState&) {});
    CHECK(wrong.status().code() == "store.recovery_code.wrong");
    auto bad_pass = client::Session::recover(root, "ann", code, "short", clock, [](const sync::SyncState&) {});
    CHECK(bad_pass.status().code() == "store.passphrase.too_short");
    {
        auto s = client::Session::open(root, "ann", kPass, clock, [](const sync::SyncState&) {});  // nothing changed
        REQUIRE(s.is_ok());
        CHECK(*(*s)->waiting() == waiting);
    }
    {
        auto s = client::Session::recover(root, "ann", code, kNewPass, clock, [](const sync::SyncState&) {});
        REQUIRE_MESSAGE(s.is_ok(), s.status().to_string());
        CHECK(*(*s)->waiting() == waiting);
        auto rec = (*s)->with_records([&](records::RecordEngine& e) { return e.get(id); });
        REQUIRE(rec.is_ok());
        CHECK(std::get<std::string>(rec->values.at("household")) == "Written offline");
        (*s)->start_sync();
        for (int i = 0; i < 300 && server_value(team, id, "household") != "\"Written offline\""; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        CHECK(server_value(team, id, "household") == "\"Written offline\"");
    }
    CHECK(client::Session::open(root, "ann", kPass, clock, [](const sync::SyncState&) {}).status().code() ==
          "store.passphrase.wrong");
    CHECK(client::Session::open(root, "ann", kNewPass, clock, [](const sync::SyncState&) {}).is_ok());
}

TEST_CASE("Recovery: a group typed back is read as the code is, forgiving case and look-alike letters") {
    const std::string code = "7KQ3-AB1C-D0EF-GHJK-MNPQ-RSTV-WX";
    const auto groups = client::recovery_code_groups(code);
    REQUIRE(groups.size() == 7);
    CHECK(groups[0] == "7KQ3");
    CHECK(groups[6] == "WX");
    CHECK(client::recovery_group_matches(code, 1, "7kq3"));
    CHECK(client::recovery_group_matches(code, 2, " ab lc "));  // l read as 1
    CHECK(client::recovery_group_matches(code, 3, "DOEF"));     // O read as 0
    CHECK_FALSE(client::recovery_group_matches(code, 2, "7KQ3"));
    CHECK_FALSE(client::recovery_group_matches(code, 1, "7KQ"));
    CHECK_FALSE(client::recovery_group_matches(code, 0, ""));
    CHECK_FALSE(client::recovery_group_matches(code, 8, "WX"));
}

TEST_CASE("Recovery: Settings makes a new code after the passphrase; the old code stops working") {
    Team team;
    Headless ui;
    std::string old_code;
    std::string new_code;
    std::filesystem::path dir;
    {
        App app(team.options());
        ui.look(app);
        enrol_to_code(ui, app, team.provisioning("ann"));
        old_code = std::string(app.state().recovery.code.view());
        confirm_code(ui, app);
        dir = app.session()->dir();
        // A wrong passphrase is said on Settings, and nothing is made.
        ui.run(app,
               "click Settings\nwait-for \"Make a new recovery code\"\ntype \"Your passphrase\" not my passphrase\n"
               "click \"Make a new recovery code\"\nwait-idle 30\nframes 2\n");
        CHECK(app.state().screen == Screen::kSettings);
        CHECK(app.state().recovery_message.find("passphrase is not right") != std::string::npos);
        CHECK(app.state().recovery_passphrase.view().empty());
        auto kept = app.session()->recovery_state();
        REQUIRE(kept.is_ok());
        CHECK(kept->stage == client::RecoveryStage::kConfirmed);
        // The right one: a new code, shown and typed back as at enrolment, then Settings again.
        ui.run(app, "type \"Your passphrase\" " + std::string(kPass) +
                        "\nclick \"Make a new recovery code\"\nwait-for \"I have written it down\" 30\n");
        REQUIRE(app.state().screen == Screen::kRecoveryCode);
        new_code = std::string(app.state().recovery.code.view());
        CHECK(new_code.size() == old_code.size());
        CHECK(new_code != old_code);
        confirm_code(ui, app, "\"Make a new recovery code\"");
        ui.run(app, "wait-idle 10\n");
        CHECK(app.state().screen == Screen::kSettings);
        auto now = app.session()->recovery_state();
        REQUIRE(now.is_ok());
        CHECK(now->stage == client::RecoveryStage::kConfirmed);
        CHECK(now->has_slot);
    }
    // From outside, the window closed: the old code opens nothing, the new one opens the store.
    CHECK(Store::open_with_recovery_code(dir / "outpost.db", old_code).status().code() == "store.recovery_code.wrong");
    auto opened = Store::open_with_recovery_code(dir / "outpost.db", new_code);
    CHECK_MESSAGE(opened.is_ok(), opened.status().to_string());
}
