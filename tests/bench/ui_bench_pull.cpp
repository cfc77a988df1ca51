// ui_bench's third measure: the window while a first sync pulls N records (see ui_bench.cpp's header).
//
// Untimed: a server in the parent process; "bob" enrols, writes N home visits and pushes them; two
// fresh laptops of "cara" are enrolled. Then, in a child process, for each laptop: the App unlocks,
// which starts the first sync, and frames are drawn every 8 ms until the sync has pulled everything.
// Every 25 frames the worker starts a new case, types into it while it is open (the draft autosave
// writes it to the store) and saves it, as a social worker carries on while a first sync runs.
// - frame_p50/p99/max_ms: WALL time of each frame and the tick after it (a wait on a lock costs wall
//   time, not CPU time), laptop A, through the App as the views use it (App::submit): store work
//   that the sync thread holds up waits for a later frame instead of holding this one.
// - blocking_frame_p99_ms (laptop B): the same, but every 25 frames the UI thread also reads through
//   the Session as a UI that waits for the store mutex would (with_records), for the ratio.
#include "ui_bench_pull.h"

#include <imgui.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "outpost/core/blob_store.h"
#include "outpost/core/records/engine.h"
#include "outpost/core/store.h"
#include "outpost/core/store/transaction.h"
#include "outpost/sync/profile.h"
#include "outpost/sync/provisioning.h"
#include "outpost/sync/server.h"
#include "outpost/sync/sync_engine.h"
#include "outpost/ui/app.h"

namespace outpost::bench {
namespace {

namespace fs = std::filesystem;
using Steady = std::chrono::steady_clock;
constexpr const char* kPullPass = "bench passphrase for the pull";

[[noreturn]] void fail(const std::string& what, const Status& s) {
    std::cerr << "ui_bench pull: " << what << ": " << s.to_string() << "\n";
    std::exit(1);
}

sync::Provisioning provisioning_for(sync::ServerStorage& storage, const std::string& url, const std::string& user) {
    auto code = storage.create_enrolment_code(user, 86'400'000, SystemClock::instance().now_ms());
    if (!code.is_ok()) {
        fail("code", code.status());
    }
    sync::Provisioning p;
    p.server_url = url;
    p.code = *code;
    p.user = user;
    p.team = "north";
    p.expires_ms = SystemClock::instance().now_ms() + 86'400'000;
    return p;
}

// Bob's laptop: N home visits written and pushed (untimed).
void seed_server(const fs::path& root, sync::ServerStorage& storage, const std::string& url, int n) {
    auto info = sync::enrol_profile(root, "bob", kPullPass, provisioning_for(storage, url, "bob"), "bob's laptop");
    if (!info.is_ok()) {
        fail("enrol bob", info.status());
    }
    const fs::path dir = root / "bob";
    auto store = sync::open_profile_store(dir, kPullPass);
    auto schemas =
        store.is_ok() ? sync::profile_schemas(**store) : Result<std::vector<records::Schema>>(store.status());
    if (!schemas.is_ok()) {
        fail("open bob", schemas.status());
    }
    auto engine = records::RecordEngine::open(**store, std::move(*schemas), SystemClock::instance());
    auto creds = sync::load_credentials(**store);
    if (!engine.is_ok() || !creds.is_ok()) {
        fail("records of bob", engine.is_ok() ? creds.status() : engine.status());
    }
    const records::Actor bob{creds->user, creds->device_id, creds->role, creds->team};
    std::mt19937 rng(11);
    for (int i = 0; i < n; i += 1000) {
        auto txn = Transaction::begin(**store);
        if (!txn.is_ok()) {
            fail("begin", txn.status());
        }
        for (int k = i; k < std::min(n, i + 1000); ++k) {
            auto r = (*engine)->create(bob, "home_visit",
                                       {{"household", "Household " + std::to_string(k)},
                                        {"visit_date", std::string("2026-11-20")},
                                        {"visit_type", std::string("planned")},
                                        {"people_seen_notes", "seen " + std::to_string(rng() % 100000)},
                                        {"concerns_identified", false}});
            if (!r.is_ok()) {
                fail("create", r.status());
            }
        }
        if (Status s = txn->commit(); !s.is_ok()) {
            fail("commit", s);
        }
    }
    auto blobs = BlobStore::open(**store);
    auto transport = sync::profile_transport(dir, *info);
    if (!blobs.is_ok() || !transport.is_ok()) {
        fail("sync of bob", blobs.is_ok() ? transport.status() : blobs.status());
    }
    sync::StoreMutex mutex;
    auto sync_engine = sync::SyncEngine::open(**store, **engine, **blobs, mutex, **transport, *creds, {});
    if (!sync_engine.is_ok()) {
        fail("sync engine of bob", sync_engine.status());
    }
    auto pushed = (*sync_engine)->sync_now();
    if (!pushed.is_ok()) {
        fail("push of bob", pushed.status());
    }
    sync_engine->reset();
    blobs->reset();
    engine->reset();
    (*store)->lock();
}

struct Frames {
    std::vector<double> wall_ms;
    int saves = 0;  // asked for
    double pull_s = 0;
    std::int64_t records_here = 0;  // records in the laptop's store at the end
};

double pct(std::vector<double> v, double p) {
    if (v.empty()) {
        return 0;
    }
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

// One laptop's first sync with the window running. `blocking`: the UI thread also reads through the
// Session every 25 frames, waiting for the store mutex as it comes.
Frames run_laptop(const fs::path& laptop, bool blocking) {
    ui::AppOptions options;
    options.data_dir = laptop;
    ui::App app(options);
    app.apply_look();
    unsigned char* px = nullptr;
    int w = 0;
    int h = 0;
    ImGui::GetIO().Fonts->GetTexDataAsRGBA32(&px, &w, &h);
    auto draw = [&app] {
        ImGui::NewFrame();
        app.frame();
        ImGui::Render();
        if (app.frame_wait_ms() == 0) {
            (void)app.tick();
        }
    };
    draw();
    const std::int64_t started_ms = SystemClock::instance().now_ms();  // the first sync starts at unlock
    app.mutable_state().passphrase.assign(kPullPass);
    app.apply(ui::UnlockIntent{});
    const auto unlock_deadline = Steady::now() + std::chrono::seconds(60);
    while (!(app.state().unlocked && app.session() != nullptr) && Steady::now() < unlock_deadline) {
        draw();
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    if (!app.state().unlocked || app.session() == nullptr) {
        std::cerr << "ui_bench pull: the laptop did not unlock\n";
        std::exit(1);
    }
    Frames out;
    const auto start = Steady::now();
    const auto deadline = start + std::chrono::seconds(300);
    bool synced = false;
    for (int i = 0; Steady::now() < deadline; ++i) {
        const auto t0 = Steady::now();
        if (i % 25 == 5) {
            if (!app.state().record) {
                app.submit(ui::NewRecordIntent{"home_visit"});
            }
        } else if (i % 25 == 15 && app.state().record) {
            client::FormModel& form = app.mutable_state().record->form;
            form.text("household") = "Visited during the first sync " + std::to_string(i);
            form.text("visit_date") = "2026-12-06";
            form.set_choice("visit_type", "planned", true);
            form.text("concerns_identified") = "no";
            app.submit(ui::SaveRecordIntent{});
            ++out.saves;
        } else if (i % 25 == 19 && app.state().record && std::getenv("UI_BENCH_DEBUG") != nullptr) {
            for (const char* f :
                 {"household", "visit_date", "visit_type", "concerns_identified", "concerns", "people_seen_notes"}) {
                if (const std::string* e = app.state().record->form.error(f)) {
                    std::fprintf(stderr, "  %s: %s\n", f, e->c_str());
                }
            }
            std::fprintf(stderr, "after save: %zu problems, '%s', saved_ms %lld, busy %d\n",
                         app.state().record->form.error_count(), app.state().record->problem.c_str(),
                         static_cast<long long>(app.state().record->saved_ms), app.busy() ? 1 : 0);
        } else if (i % 25 == 20 && app.state().record) {
            app.submit(ui::CloseRecordIntent{});
        } else if (app.state().record) {
            app.mutable_state().record->form.text("people_seen_notes") += "a";  // typing: the autosave keeps it
        }
        if (app.state().record && app.state().record->focus_first) {
            // The answers are written into the form model below, not typed through ImGui: a field ImGui
            // holds active would put its own copy of the text back over them.
            app.mutable_state().record->focus_first = false;
        }
        if (blocking && i % 25 == 0) {
            records::ListQuery newest;
            newest.limit = 1;
            (void)app.session()->with_records([&](records::RecordEngine& e) { return e.list(newest); });
        }
        draw();
        out.wall_ms.push_back(std::chrono::duration<double, std::milli>(Steady::now() - t0).count());
        const sync::SyncState st = app.session()->sync_state();
        if (std::getenv("UI_BENCH_DEBUG") != nullptr && i % 100 == 0) {
            std::fprintf(stderr, "frame %d: phase %d, last success %lld (since %lld), pulled %lld, %s %s\n", i,
                         static_cast<int>(st.phase), static_cast<long long>(st.last_success_ms),
                         static_cast<long long>(started_ms), static_cast<long long>(st.pulled), st.code.c_str(),
                         st.reason.c_str());
        }
        if (st.phase == sync::SyncPhase::kUpToDate && st.last_success_ms >= started_ms) {
            synced = true;
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(8));
    }
    out.pull_s = std::chrono::duration<double>(Steady::now() - start).count();
    if (!synced) {
        std::cerr << "ui_bench pull: the first sync did not finish in 300 s\n";
        std::exit(1);
    }
    // The saves that waited behind the pull land now (these frames are not counted above); each is a
    // record beyond the N pulled (saves_landed).
    const auto settle = Steady::now() + std::chrono::seconds(20);
    while (Steady::now() < settle && app.busy()) {
        draw();
        std::this_thread::sleep_for(std::chrono::milliseconds(8));
    }
    if (std::getenv("UI_BENCH_DEBUG") != nullptr) {
        std::fprintf(stderr, "settled: busy %d, record %d, saved_ms %lld, problem '%s', toast '%s'\n",
                     app.busy() ? 1 : 0, app.state().record ? 1 : 0,
                     static_cast<long long>(app.state().record ? app.state().record->saved_ms : -1),
                     app.state().record ? app.state().record->problem.c_str() : "", app.state().toast.c_str());
    }
    out.records_here = app.session()->with_store([](Store& store) {
        sqlite3_stmt* st = nullptr;
        std::int64_t n = -1;
        if (sqlite3_prepare_v2(store.handle(), "SELECT count(*) FROM records", -1, &st, nullptr) == SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW) {
            n = sqlite3_column_int64(st, 0);
        }
        sqlite3_finalize(st);
        return n;
    });
    return out;
}

}  // namespace

int measure_pull(const fs::path& dir, int n) {
    struct Imgui {
        Imgui() {
            ImGui::CreateContext();
            ImGuiIO& io = ImGui::GetIO();
            io.IniFilename = nullptr;
            io.DisplaySize = ImVec2(1280, 800);
            io.DeltaTime = 1.0F / 60.0F;
        }
        ~Imgui() { ImGui::DestroyContext(); }
    } imgui;
    const Frames a = run_laptop(dir / "laptop_a", false);
    const Frames b = run_laptop(dir / "laptop_b", true);
    const double p99 = pct(a.wall_ms, 0.99);
    const double blocking_p99 = pct(b.wall_ms, 0.99);
    std::printf(
        "{\"bench\":\"ui_pull\",\"records\":%d,\"records_here\":%lld,\"pull_s\":%.2f,\"frames\":%zu,\"saves\":%d,"
        "\"saves_landed\":%lld,\"frame_"
        "p50_ms\":%.2f,"
        "\"frame_p99_ms\":%.2f,\"frame_max_ms\":%.2f,\"blocking_pull_s\":%.2f,\"blocking_frames\":%zu,"
        "\"blocking_frame_p99_ms\":%.2f,\"blocking_frame_max_ms\":%.2f,\"p99_vs_blocking\":%.3f}\n",
        n, static_cast<long long>(a.records_here), a.pull_s, a.wall_ms.size(), a.saves,
        static_cast<long long>(a.records_here - n), pct(a.wall_ms, 0.5), p99, pct(a.wall_ms, 1.0), b.pull_s,
        b.wall_ms.size(), blocking_p99, pct(b.wall_ms, 1.0), blocking_p99 > 0 ? p99 / blocking_p99 : 0.0);
    return a.wall_ms.empty() ? 1 : 0;
}

int run_pull(const fs::path& dir, int n, const char* self) {
    fs::remove_all(dir);
    fs::create_directories(dir);
    if (Status s = sync::init_sqlite_data_dir(dir / "server"); !s.is_ok()) {
        fail("init", s);
    }
    auto storage = sync::open_sqlite_storage(dir / "server");
    if (!storage.is_ok()) {
        fail("storage", storage.status());
    }
    (void)(*storage)->add_team("north", 0);
    (void)(*storage)->add_user("bob", "north", "worker", 0);
    (void)(*storage)->add_user("cara", "north", "worker", 0);
    auto server = sync::Server::start({.log_sink = [](const std::string&) {}}, **storage);
    if (!server.is_ok()) {
        fail("server", server.status());
    }
    const std::string url = (*server)->base_url();
    seed_server(dir / "bob_laptop" / "profiles", **storage, url, n);
    for (const char* laptop : {"laptop_a", "laptop_b"}) {
        auto info = sync::enrol_profile(dir / laptop / "profiles", "bench", kPullPass,
                                        provisioning_for(**storage, url, "cara"), "cara's laptop");
        if (!info.is_ok()) {
            fail("enrol cara", info.status());
        }
    }
    std::fflush(stdout);
    const pid_t pid = fork();
    if (pid == 0) {
        const std::string records = std::to_string(n);
        execl("/proc/self/exe", self, "--measure-pull", dir.c_str(), "--cases", records.c_str(), nullptr);
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    (*server)->stop();
    fs::remove_all(dir);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

}  // namespace outpost::bench
