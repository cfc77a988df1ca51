// The field client, headless: a real App (real encrypted profile stores, a real outpost-server on
// 127.0.0.1, the sync engine) drawn by Dear ImGui without a window, and driven through its views
// by label with simulated mouse, keys and typed text (the same ScriptRunner as `outpost --script`).
#include "outpost/ui/app.h"

#include <doctest/doctest.h>
#include <imgui.h>
#include <imgui_internal.h>
#include <stb/stb_image_write.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "app_fixture.h"
#include "fake_clock.h"
#include "fault_vfs.h"
#include "outpost/core/error_codes.h"
#include "outpost/core/records/attachments.h"
#include "outpost/sync/provisioning.h"
#include "outpost/ui/automation.h"
#include "sync_harness.h"
#include "ui_harness.h"

using namespace outpost;
using namespace outpost::ui;
using namespace outpost::client;
using outpost::testing::all_of;
using outpost::testing::AnnEnrolled;
using outpost::testing::Device;
using outpost::testing::enrol_ann;
using outpost::testing::Headless;
using outpost::testing::kNewVisit;
using outpost::testing::kPass;
using outpost::testing::new_visit_script;
using outpost::testing::SyncServerHarness;
using outpost::testing::Team;
using outpost::testing::TempDir;
using outpost::testing::visit_answers;
using records::text_of;

namespace {

// Neither our buffers nor ImGui's own copy of the text being edited keep the passphrase.
void check_no_passphrase_left(const App& app) {
    CHECK(app.state().passphrase.view().empty());
    CHECK(app.state().passphrase_again.view().empty());
    const ImGuiInputTextState& edited = ImGui::GetCurrentContext()->InputTextState;
    const std::string imgui_copy(edited.TextA.Data != nullptr ? edited.TextA.Data : "",
                                 static_cast<std::size_t>(edited.TextA.Size));
    std::string imgui_wide;
    for (ImWchar c : edited.TextW) {
        imgui_wide.push_back(static_cast<char>(c & 0x7F));
    }
    CHECK(imgui_copy.find("horse") == std::string::npos);
    CHECK(imgui_wide.find("horse") == std::string::npos);
}

// A new home visit with its required answers, and `file` (in `dir`) attached through the picker.
void visit_with_file(Headless& ui, App& app, const std::string& household, const std::filesystem::path& dir,
                     const std::string& file) {
    ui.run(app, new_visit_script(household));
    app.mutable_state().attachments.browse_dir = dir.string();
    ui.run(app, "click \"Attach a file\"\nclick \"" + file + "\"\nframes 3\n");
}

}  // namespace

TEST_CASE("App: a new profile is created, enrolled from the provisioning file, and shows the empty case list") {
    Team team;
    Headless ui;
    App app(team.options());
    ui.look(app);
    ui.frame(app);
    CHECK(app.state().screen == Screen::kCreateProfile);  // first run
    enrol_ann(ui, app, team);
    CHECK(app.state().user == "ann");
    CHECK(app.state().team == "north");

    CHECK(app.state().cases.rows.empty());
    // The device reached the server: a sync succeeds with nothing waiting.
    ui.run(app, "click \"Sync now\"\nwait-synced 30\n");
    CHECK(app.state().sync.state.phase == sync::SyncPhase::kUpToDate);

    SUBCASE("the two passphrases must match, and nothing is created when they do not") {
        App second(team.options());
        ui.run(second,
               "click \"Someone else\"\n"
               "click \"Create a new profile\"\n"
               "type \"Your name\" Bob\n"
               "type Passphrase " +
                   std::string(kPass) +
                   "\n"
                   "type \"Passphrase again\" something else entirely\n"
                   "click Continue\n");
        CHECK(second.state().screen == Screen::kCreateProfile);
        CHECK(second.state().problem.find("not the same") != std::string::npos);
        CHECK_FALSE(std::filesystem::exists(team.tmp / "laptop" / "profiles" / "bob"));
    }
}

TEST_CASE_FIXTURE(
    AnnEnrolled,
    "App: creating a case through the form stores it; a missing required answer shows its message and stores nothing") {
    ui.run(app, std::string(kNewVisit) + "click Save\nframes 2\n");
    REQUIRE(app.state().record.has_value());
    const FormModel& form = app.state().record->form;
    REQUIRE(form.error("household") != nullptr);
    CHECK(*form.error("household") == "Household or person visited is required.");
    CHECK(form.error_count() >= 2);  // the record screen says how many (answers_problem_words)
    CHECK(answers_problem_words(form.error_count()).find("answers need another look") != std::string::npos);
    CHECK(all_of(app, "home_visit").empty());  // nothing stored half-way

    ui.run(app,
           "type \"Household or person visited\" The Patel household\n"
           "type \"Date of visit\" 2026-12-01\n"
           "click \"Type of visit\"\n"
           "click Planned\n"
           "click \"Concerns identified: No\"\n"
           "click Save\n"
           "frames 2\n");
    const auto stored = all_of(app, "home_visit");
    REQUIRE(stored.size() == 1);
    CHECK(text_of(stored[0], "household") == "The Patel household");
    CHECK(text_of(stored[0], "visit_type") == "planned");
    CHECK(text_of(stored[0], "visit_date") == "2026-12-01");
    CHECK(std::get<bool>(stored[0].values.at("concerns_identified")) == false);
    CHECK(app.state().record->form.error_count() == 0);
    CHECK_FALSE(app.state().record->form.is_new());  // the screen now shows the saved record

    SUBCASE("it reaches the server at the next sync") {
        ui.run(app, "click \"Sync now\"\nwait-synced 30\n");
        Device bob(team.tmp / "bob.db", team.server.enrol("bob"), team.server.transport());
        REQUIRE(bob.sync().is_ok());
        bool found = false;
        for (const auto& [id, r] : bob.all()) {
            found = found || (r.type == "home_visit" && text_of(r, "household") == "The Patel household");
        }
        CHECK(found);
    }
}

TEST_CASE_FIXTURE(AnnEnrolled, "App: typing a search narrows the case table") {
    {
        const records::Actor me = app.session()->actor();
        for (const char* name : {"Okafor family", "Nguyen household", "Okafor grandparents", "Smith flat"}) {
            auto r = app.session()->with_records(
                [&](records::RecordEngine& e) { return e.create(me, "home_visit", visit_answers(name)); });
            REQUIRE(r.is_ok());
        }
    }
    ui.run(app, "click Cases\n");
    REQUIRE(ui.until(app, [&] { return app.state().cases.rows.size() == 4; }));
    ui.run(app, "type Search okafor\n");
    REQUIRE(ui.until(app, [&] { return app.state().cases.rows.size() == 2 && !app.state().cases.loading; }));
    for (const CaseRow& r : app.state().cases.rows) {
        CHECK(r.title.find("Okafor") == 0);
    }
    ui.run(app, "type Search \" grand\"\n");
    REQUIRE(ui.until(app, [&] { return app.state().cases.rows.size() == 1 && !app.state().cases.loading; }));
    CHECK(app.state().cases.rows[0].title == "Okafor grandparents");
}

TEST_CASE_FIXTURE(AnnEnrolled, "App: resolving a conflict writes the chosen value and marks the conflict resolved") {
    const records::Actor ann = app.session()->actor();
    auto created = app.session()->with_records(
        [&](records::RecordEngine& e) { return e.create(ann, "home_visit", visit_answers("Original")); });
    REQUIRE(created.is_ok());
    const std::string id = created->id;
    // A sync that began after this call and left nothing waiting (one already running when it is
    // called may have missed a write made just before).
    auto sync_app = [&] { outpost::testing::sync_app(ui, app); };
    sync_app();
    Device bob(team.tmp / "bob.db", team.server.enrol("bob"), team.server.transport());
    REQUIRE(bob.sync().is_ok());
    // Both change the same answer without seeing each other's edit; Bob's reaches the server first.
    REQUIRE(app.session()
                ->with_records([&](records::RecordEngine& e) {
                    return e.update(ann, id, {{"household", std::string("Ann's spelling")}}).status();
                })
                .is_ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    REQUIRE(bob.update(id, {{"household", std::string("Bob's spelling")}}).is_ok());
    REQUIRE(bob.sync().is_ok());
    sync_app();  // Ann's push clashes: the server keeps the later value and makes a conflict record
    sync_app();  // ...which arrives here
    ui.run(app, "click \"Conflicts (1)\"\nframes 2\n");  // the navigation counts open conflicts
    REQUIRE(app.state().conflicts.size() == 1);
    const ConflictRow& c = app.state().conflicts[0];
    CHECK(c.record_id == id);
    CHECK(c.question == "Household or person visited");
    CHECK(((c.kept_value == "Ann's spelling" && c.other_value == "Bob's spelling") ||
           (c.kept_value == "Bob's spelling" && c.other_value == "Ann's spelling")));
    std::string chosen = "Bob's spelling";
    SUBCASE("keep one of the two") {
        ui.run(app, "click \"Keep bob's\"\nframes 2\n");
    }
    SUBCASE("or write a new answer (regression: it was refused as a hidden question)") {
        chosen = "The Okafor-Smith household";
        ui.run(app, "type \"Or write a new answer\" " + chosen + "\nclick \"Use my answer\"\nframes 2\n");
    }
    auto rec = app.session()->with_records([&](records::RecordEngine& e) { return e.get(id); });
    REQUIRE(rec.is_ok());
    CHECK(text_of(*rec, "household") == chosen);
    bool resolved = false;
    for (const records::Record& r : all_of(app, "conflict")) {
        resolved = resolved || text_of(r, "status") == "resolved";
    }
    CHECK(resolved);
    CHECK(ui.until(app, [&] { return app.state().conflicts.empty(); }));

    // And everyone gets it.
    sync_app();
    REQUIRE(bob.sync().is_ok());
    CHECK(text_of(bob.all().at(id), "household") == chosen);
}

TEST_CASE("App: auto-lock wipes the key and returns to unlock; unlocking brings back the unsaved form") {
    Team team;
    Headless ui;
    outpost::testing::FakeClock clock(SystemClock::instance().now_ms());
    App app(team.options(), clock);
    ui.look(app);
    enrol_ann(ui, app, team);
    ui.run(app, std::string(kNewVisit) + "type \"Household or person visited\" Half-written visit\nframes 2\n");
    REQUIRE(app.state().record->form.dirty());

    clock.advance(9 * 60'000);  // not yet
    ui.frame(app);
    CHECK(app.state().unlocked);
    clock.advance(2 * 60'000);  // 11 minutes without input
    ui.frame(app);
    CHECK_FALSE(app.state().unlocked);
    CHECK(app.session() == nullptr);  // the store is closed and its key wiped
    CHECK(app.state().screen == Screen::kUnlock);
    CHECK_FALSE(app.state().record.has_value());  // no decrypted answers left in memory
    CHECK(app.state().locked_note.find("10 minutes") != std::string::npos);

    // The draft sits in the encrypted store, never in a plaintext file.
    for (const auto& e : std::filesystem::recursive_directory_iterator(team.tmp / "laptop")) {
        if (e.is_regular_file()) {
            std::ifstream in(e.path(), std::ios::binary);
            const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            CHECK_MESSAGE(bytes.find("Half-written") == std::string::npos, e.path().string());
        }
    }

    ui.run(app, "type Passphrase " + std::string(kPass) + "\nclick Unlock\nwait-for Save 30\n");
    REQUIRE(app.state().unlocked);
    check_no_passphrase_left(app);
    CHECK(app.state().screen == Screen::kRecord);
    REQUIRE(app.state().record.has_value());
    CHECK(app.state().record->form.text("household") == "Half-written visit");

    SUBCASE("a wrong passphrase is refused in plain words") {
        ui.run(app, "key ctrl+l\nframes 2\n");
        REQUIRE_FALSE(app.state().unlocked);
        ui.run(app, "type Passphrase not the passphrase\nclick Unlock\nwait-idle 30\nframes 3\n");
        CHECK_FALSE(app.state().unlocked);
        CHECK(app.state().problem.find("passphrase") != std::string::npos);
    }
}

TEST_CASE_FIXTURE(AnnEnrolled,
                  "App: Ctrl+Shift+N captures an idea from anywhere; it is stored as the worker's suggestion") {
    ui.run(app, "click Settings\nkey ctrl+shift+n\nwait-for \"Save idea\"\n");
    REQUIRE(app.state().idea.has_value());
    ui.run(app,
           "type \"Your idea in one line\" Share the key safe codes by text\n"
           "type \"What problem did you see?\" We wait at the office for codes\n"
           "type \"What would you change?\" Send them to the worker's phone\n"
           "click Time\n"
           "click Category\n"
           "click Process\n"
           "click \"Save idea\"\n"
           "frames 2\n");
    CHECK_FALSE(app.state().idea.has_value());
    const auto ideas = all_of(app, "suggestion");
    REQUIRE(ideas.size() == 1);
    CHECK(text_of(ideas[0], "title") == "Share the key safe codes by text");
    CHECK(ideas[0].created_by == "ann");
    ui.run(app, "click Suggestions\n");
    REQUIRE(ui.until(app, [&] { return app.state().review.all.size() == 1; }));
    CHECK(app.state().review.all[0].status == "submitted");
}

TEST_CASE("App: the file picker finds the enrolment file by browsing folders") {
    Team team;
    Headless ui;
    App app(team.options());
    ui.look(app);
    const auto file = team.provisioning("ann");
    std::filesystem::create_directories(team.tmp / "Downloads" / "from IT");
    std::filesystem::rename(file, team.tmp / "Downloads" / "from IT" / "ann.outpost");
    app.mutable_state().browse_dir = team.tmp.path().string();
    ui.run(app,
           "type \"Your name\" Ann\n"
           "type Passphrase " +
               std::string(kPass) +
               "\n"
               "type \"Passphrase again\" " +
               kPass +
               "\n"
               "click Continue\n"
               "click Browse...\n"
               "click Downloads/\n"
               "click \"from IT/\"\n"
               "click ann.outpost\n"
               "frames 2\n");
    CHECK(app.state().provision_path == (team.tmp / "Downloads" / "from IT" / "ann.outpost").string());
    ui.run(app, "click Enrol\nwait-for Skip 30\nclick Skip\nwait-for \"New case\" 30\n");
    CHECK(app.state().unlocked);
}

TEST_CASE_FIXTURE(AnnEnrolled,
                  "App: the keyboard: Ctrl+N picks a form, Ctrl+S saves, Ctrl+F goes to the search, Ctrl+L locks") {
    ui.run(app,
           "click Settings\nkey ctrl+n\nwait-for \"Premises inspection\"\nclick \"Home visit\"\nwait-for Save\n"
           "type \"Household or person visited\" Keyboard household\n"
           "type \"Date of visit\" 2026-12-01\n"
           "click \"Type of visit\"\nclick Unannounced\n"
           "click \"Concerns identified: Yes\"\n"
           "key ctrl+s\nframes 2\n");
    // visible_if: "Concerns" shows once concerns are identified, and is then required.
    REQUIRE(app.state().record.has_value());
    REQUIRE(app.state().record->form.error("concerns") != nullptr);
    CHECK(all_of(app, "home_visit").empty());
    ui.run(app, "type Concerns \"Damp in the children's bedroom\"\nkey ctrl+s\nframes 2\n");
    const auto stored = all_of(app, "home_visit");
    REQUIRE(stored.size() == 1);
    CHECK(text_of(stored[0], "concerns") == "Damp in the children's bedroom");
    ui.run(app, "key ctrl+f\nframes 2\n");
    CHECK(app.state().screen == Screen::kCases);
    CHECK(ImGui::GetIO().WantTextInput);  // the search box has the keyboard
    ui.run(app, "key ctrl+l\nframes 2\n");
    CHECK_FALSE(app.state().unlocked);
    CHECK(app.session() == nullptr);
}

TEST_CASE("App: a crash loses nothing: the last autosaved draft is offered at the next unlock") {
    Team team;
    Headless ui;
    outpost::testing::FakeClock clock(SystemClock::instance().now_ms());
    {
        App app(team.options(), clock);
        ui.look(app);
        enrol_ann(ui, app, team);
        ui.run(app, std::string(kNewVisit) + "type \"Household or person visited\" Typed before the crash\nframes 2\n");
        clock.advance(3500);  // the autosave runs every 3 s
        ui.frame(app);
        // The process dies here: no lock, no save (the App goes away without either).
    }
    App again(team.options(), clock);
    ui.run(again, "type Passphrase " + std::string(kPass) + "\nclick Unlock\nwait-for \"Continue it\" 30\n");
    REQUIRE(again.state().drafts_found.size() == 1);
    ui.run(again, "click \"Continue it\"\nwait-for Save\n");
    REQUIRE(again.state().record.has_value());
    CHECK(again.state().record->form.text("household") == "Typed before the crash");
    CHECK(again.state().record->form.is_new());
    CHECK(again.state().drafts_found.empty());
}

TEST_CASE_FIXTURE(
    AnnEnrolled,
    "App: nothing read before a lock comes back after it (regression: a queued result refilled the lists)") {
    const records::Actor me = app.session()->actor();
    REQUIRE(app.session()
                ->with_records([&](records::RecordEngine& e) {
                    return e.create(me, "home_visit", visit_answers("Read before the lock")).status();
                })
                .is_ok());
    // A page is asked for, and the lock comes before its answer is drained.
    app.apply(QueryChangedIntent{});
    app.apply(LockIntent{});
    for (int i = 0; i < 5; ++i) {
        ui.frame(app);
    }
    CHECK_FALSE(app.state().unlocked);
    CHECK(app.state().cases.rows.empty());
    CHECK(app.state().conflicts.empty());
    CHECK(app.state().review.all.empty());
}

TEST_CASE_FIXTURE(
    AnnEnrolled,
    "App: an answer cleared on a record stays cleared through a lock (regression: the draft brought it back)") {
    const records::Actor me = app.session()->actor();
    auto r = app.session()->with_records([&](records::RecordEngine& e) {
        return e.create(me, "home_visit",
                        {{"household", std::string("Smith")},
                         {"visit_date", std::string("2026-11-30")},
                         {"visit_type", std::string("planned")},
                         {"people_seen_notes", std::string("Notes to take back")},
                         {"concerns_identified", false}});
    });
    REQUIRE(r.is_ok());
    app.apply(OpenRecordIntent{r->id});
    ui.frame(app);
    REQUIRE(app.state().record.has_value());
    app.mutable_state().record->form.text("people_seen_notes").clear();
    ui.run(app, "key ctrl+l\nframes 2\ntype Passphrase " + std::string(kPass) + "\nclick Unlock\nwait-for Save 30\n");
    REQUIRE(app.state().record.has_value());
    CHECK(app.state().record->form.text("people_seen_notes").empty());
    CHECK(app.state().record->form.dirty());
}

TEST_CASE_FIXTURE(AnnEnrolled,
                  "App: opening another form keeps the unsaved answers of the one it replaces as a draft") {
    ui.run(app, std::string(kNewVisit) +
                    "type \"Household or person visited\" Not saved yet\n"
                    "key ctrl+n\nclick \"Premises inspection\"\nwait-for Save\n");
    auto drafts = app.session()->drafts();
    REQUIRE(drafts.is_ok());
    REQUIRE(drafts->size() == 1);
    CHECK(drafts->front().type == "home_visit");
    CHECK(drafts->front().texts.at("household") == "Not saved yet");
}

TEST_CASE_FIXTURE(AnnEnrolled, "App: 'All forms' fills past a page of suggestions, so a case behind them still shows") {
    const records::Actor me = app.session()->actor();
    REQUIRE(app.session()
                ->in_transaction([&](records::RecordEngine& e) -> Status {
                    OUTPOST_TRY(e.create(me, "home_visit", visit_answers("The only case")).status());
                    for (int i = 0; i < 450; ++i) {  // newer than the case: they fill the first pages
                        OUTPOST_TRY(e.create(me, "suggestion",
                                             {{"title", "Idea number " + std::to_string(i)},
                                              {"problem", std::string("p")},
                                              {"proposed_change", std::string("c")},
                                              {"expected_benefit", std::vector<std::string>{"time"}},
                                              {"category", std::string("process")}})
                                        .status());
                    }
                    return Status::ok();
                })
                .is_ok());
    app.apply(QueryChangedIntent{});
    REQUIRE(ui.until(app, [&] { return !app.state().cases.loading && !app.state().cases.next; }));
    REQUIRE(app.state().cases.rows.size() == 1);
    CHECK(app.state().cases.rows[0].title == "The only case");
}

TEST_CASE_FIXTURE(
    AnnEnrolled,
    "App: a file is attached through the picker, marked waiting until a sync sends it, and saved back to disk") {
    std::filesystem::create_directories(team.tmp / "pics");
    std::string png_bytes;
    {
        // A small PNG, as a camera would leave one in a folder.
        unsigned char px[32 * 24 * 3];
        for (std::size_t i = 0; i < sizeof px; ++i) {
            px[i] = static_cast<unsigned char>(i * 7);
        }
        REQUIRE(stbi_write_png((team.tmp / "pics" / "damp wall.png").c_str(), 32, 24, 3, px, 32 * 3) != 0);
        std::ifstream in(team.tmp / "pics" / "damp wall.png", std::ios::binary);
        png_bytes.assign(std::istreambuf_iterator<char>(in), {});
    }
    visit_with_file(ui, app, "The Patel household", team.tmp / "pics", "damp wall.png");
    REQUIRE(app.state().record.has_value());
    auto files = records::parse_attachments(app.mutable_state().record->form.text("photos"));
    REQUIRE(files.is_ok());
    REQUIRE(files->size() == 1);
    const records::Attachment a = files->front();
    CHECK(a.name == "damp wall.png");
    CHECK(a.mime == "image/png");
    CHECK(a.size == static_cast<std::int64_t>(png_bytes.size()));
    REQUIRE(app.state().attachments.files.count(a.hash) == 1);
    CHECK(app.state().attachments.files.at(a.hash).here);
    CHECK_FALSE(app.state().attachments.files.at(a.hash).uploading);  // not saved yet: nothing queued

    // The server goes away; the saved case waits, and its file is marked waiting to upload.
    team.server.server->stop();
    ui.run(app, "click Save\nframes 3\n");
    REQUIRE(all_of(app, "home_visit").size() == 1);
    REQUIRE(app.state().attachments.files.count(a.hash) == 1);
    CHECK(app.state().attachments.files.at(a.hash).uploading);
    ui.run(app, "frames 30\n");
    CHECK(app.state().attachments.files.at(a.hash).uploading);  // still, while offline
    CHECK_FALSE(app.state().attachments.files.at(a.hash).uploaded);

    // Saved back to disk: the same bytes, under a free name in Downloads.
    const char* home = std::getenv("HOME");
    const std::string old_home = home != nullptr ? home : "";
    setenv("HOME", team.tmp.path().c_str(), 1);
    std::filesystem::create_directories(team.tmp / "Downloads");
    ui.run(app, "click \"Save damp wall.png to disk\"\nframes 2\nclick \"Save damp wall.png to disk\"\nframes 2\n");
    setenv("HOME", old_home.c_str(), 1);
    std::ifstream back(team.tmp / "Downloads" / "damp wall.png", std::ios::binary);
    CHECK(std::string(std::istreambuf_iterator<char>(back), {}) == png_bytes);
    CHECK(std::filesystem::exists(team.tmp / "Downloads" / "damp wall (2).png"));
    CHECK(app.state().toast.find("Saved to") == 0);
}

TEST_CASE_FIXTURE(AnnEnrolled, "App: an attached file's upload is marked sent once the server has it whole") {
    std::filesystem::create_directories(team.tmp / "docs");
    std::ofstream(team.tmp / "docs" / "consent.pdf", std::ios::binary) << std::string(700 * 1024, 'x');
    visit_with_file(ui, app, "The Okafor family", team.tmp / "docs", "consent.pdf");
    ui.run(app, "click Save\nframes 2\n");
    outpost::testing::sync_app(ui, app);
    const auto stored = all_of(app, "home_visit");
    REQUIRE(stored.size() == 1);
    auto files = records::parse_attachments(std::get<std::string>(stored[0].values.at("photos")));
    REQUIRE(files.is_ok());
    REQUIRE(files->size() == 1);
    REQUIRE(ui.until(app, [&] {
        const auto it = app.state().attachments.files.find(files->front().hash);
        return it != app.state().attachments.files.end() && it->second.uploaded;
    }));
    CHECK(std::filesystem::file_size(team.server.tmp / "server" / "blobs" / "north" / files->front().hash) ==
          700 * 1024);
}

// The site policy (issue #9): each setting is honoured by the running App.
TEST_CASE("App: the site policy raises the passphrase minimum, caps auto-lock and forbids saving files out") {
    Team team;
    Headless ui;
    outpost::testing::FakeClock clock(SystemClock::instance().now_ms());
    AppOptions o = team.options();
    o.policy.min_passphrase_length = 30;  // kPass has 28 characters
    o.policy.max_auto_lock_minutes = 5;
    o.policy.export_allowed = false;
    o.policy.server_url = team.server.server->base_url();
    App app(o, clock);
    ui.look(app);
    CHECK(app.state().settings.auto_lock_minutes == 5);  // the default 10 is capped

    // A passphrase the built-in rule accepts is too short under the policy.
    ui.run(app, std::string("type \"Your name\" Ann\ntype Passphrase ") + kPass + "\ntype \"Passphrase again\" " +
                    kPass + "\nclick Continue\nframes 2\n");
    CHECK(app.state().screen == Screen::kCreateProfile);
    CHECK(app.state().problem.find("at least 30 characters") != std::string::npos);
    app.mutable_state().problem.clear();
    app.mutable_state().passphrase.clear();
    app.mutable_state().passphrase_again.clear();
    const std::string long_pass = std::string(kPass) + " and more";
    ui.run(app, "type Passphrase " + long_pass + "\ntype \"Passphrase again\" " + long_pass +
                    "\nclick Continue\nwait-for Enrol\ntype \"Enrolment file\" " + team.provisioning("ann").string() +
                    "\nclick Enrol\nwait-for Skip 30\nclick Skip\nwait-for \"New case\" 30\n");
    REQUIRE(app.state().unlocked);

    // Settings cannot choose longer than the policy's 5 minutes, and the lock comes after 5.
    app.apply(SetAutoLockIntent{60});
    CHECK(app.state().settings.auto_lock_minutes == 5);
    clock.advance(4 * 60'000);
    ui.frame(app);
    CHECK(app.state().unlocked);
    clock.advance(60'000 + 1);
    ui.frame(app);
    CHECK_FALSE(app.state().unlocked);
    CHECK(app.state().locked_note.find("5 minutes") != std::string::npos);
}

TEST_CASE("App: with export turned off by the site policy, a file cannot be saved out of the store") {
    Team team;
    Headless ui;
    AppOptions o = team.options();
    o.policy.export_allowed = false;
    App app(o);
    ui.look(app);
    enrol_ann(ui, app, team);
    std::filesystem::create_directories(team.tmp / "docs");
    std::ofstream(team.tmp / "docs" / "letter.txt") << "Dear Ms Okafor";
    visit_with_file(ui, app, "The Okafor family", team.tmp / "docs", "letter.txt");
    ui.run(app, "click Save\nframes 3\n");
    REQUIRE(app.state().record.has_value());
    auto files = records::parse_attachments(app.mutable_state().record->form.text("photos"));
    REQUIRE(files.is_ok());
    REQUIRE(files->size() == 1);
    // No button is offered, and the intent itself is refused.
    CHECK_FALSE(app.widgets().has("Save letter.txt to disk"));
    CHECK_FALSE(app.widgets().hidden("Save letter.txt to disk"));
    const char* home = std::getenv("HOME");
    const std::string old_home = home != nullptr ? home : "";
    setenv("HOME", team.tmp.path().c_str(), 1);
    std::filesystem::create_directories(team.tmp / "Downloads");
    app.apply(SaveAttachmentIntent{files->front().hash, "letter.txt"});
    setenv("HOME", old_home.c_str(), 1);
    CHECK_FALSE(std::filesystem::exists(team.tmp / "Downloads" / "letter.txt"));
    CHECK(app.state().attachments.problem.find("does not allow") != std::string::npos);
}

TEST_CASE("App: a site policy locked to one server refuses a provisioning file for another") {
    Team team;
    Headless ui;
    AppOptions o = team.options();
    o.policy.server_url = "https://outpost.example.org:8443";
    App app(o);
    ui.look(app);
    ui.run(app, std::string("type \"Your name\" Ann\ntype Passphrase ") + kPass + "\ntype \"Passphrase again\" " +
                    kPass + "\nclick Continue\nwait-for Enrol\ntype \"Enrolment file\" " +
                    team.provisioning("ann").string() + "\nclick Enrol\nframes 3\n");
    CHECK_FALSE(app.state().unlocked);
    CHECK(app.state().problem.find("may only enrol with https://outpost.example.org:8443") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(team.tmp / "laptop" / "profiles" / "ann"));
}

TEST_CASE("App: an unreadable site policy shows only its error, and no profile can be opened") {
    Team team;
    Headless ui;
    AppOptions o = team.options();
    o.policy_error = "the site policy /etc/outpost/client.json has an unknown setting \"max_lock\"";
    App app(o);
    ui.look(app);
    ui.run(app, "frames 2\nwait-for Quit\n");
    CHECK_FALSE(app.widgets().has("Continue"));
    CHECK_FALSE(app.widgets().hidden("Continue"));
    CHECK_FALSE(app.widgets().has("Your name"));
    CHECK_FALSE(app.widgets().hidden("Your name"));
    ui.run(app, "click Quit\nframes 1\n");
    CHECK(app.quit_requested());
}

TEST_CASE(
    "App: a full disk refuses the save with words a worker can act on, keeps the typed answers and every "
    "saved case readable, and the same form saves once there is space") {
    auto& vfs = outpost::testing::FaultVfs::install();  // under every SQLite file this App opens from here
    Team team;
    Headless ui;
    App app(team.options());
    ui.look(app);
    enrol_ann(ui, app, team);
    const char* kFill =
        "click \"Date of visit: Today\"\n"
        "click \"Type of visit\"\nclick Planned\n"
        "click \"Concerns identified: No\"\n";
    ui.run(app, std::string(kNewVisit) + "type \"Household or person visited\" Saved before\n" + kFill +
                    "key ctrl+s\nframes 2\n");
    REQUIRE(all_of(app, "home_visit").size() == 1);

    vfs.arm(outpost::testing::FaultVfs::Fault::kDiskFull, team.tmp / "laptop");
    ui.run(app, "key ctrl+f\nframes 2\n" + std::string(kNewVisit) +
                    "type \"Household or person visited\" Typed on a full disk\n" + kFill + "key ctrl+s\nframes 2\n");
    CHECK(vfs.faults() >= 1);
    REQUIRE(app.state().record.has_value());
    CHECK(app.state().record->problem == errc::explain(errc::kDiskFull));
    CHECK(app.state().record->problem.find("disk is full") != std::string::npos);
    CHECK(app.state().record->form.text("household") == "Typed on a full disk");  // nothing typed is lost
    // Reading goes on: the saved case is still there, whole.
    const auto stored = all_of(app, "home_visit");
    REQUIRE(stored.size() == 1);
    CHECK(records::text_of(stored[0], "household") == "Saved before");

    vfs.disarm();  // space is freed
    ui.run(app, "key ctrl+s\nframes 2\n");
    REQUIRE(app.state().record.has_value());
    CHECK(app.state().record->problem.empty());
    CHECK(all_of(app, "home_visit").size() == 2);
}
