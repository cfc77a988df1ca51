// sync_bench: sync over HTTP on loopback, SQLite server back end, encrypted client store (DESIGN §4,
// issue #5). In one run:
//   floor             bulk-insert the same N records (10 fields, about 600 bytes) into a plain SQLite
//                     table in-process: the floor any sync must stand on (median of three runs)
//   initial_pull      N records from the server into an empty client
//   push_10k          10,000 new records from the client
//   incremental_1000  pull 1,000 changes made on the server side
//   noop              a sync with nothing to do
// Prints one JSON line; docs/PERFORMANCE.md records the figures and the command. Every timed step
// starts after sync(2), so write-back of the untimed steps before it (the seed push writes about
// 500 MB) does not land inside it.
//   sync_bench [--records N] [--push M] [--dir DIR]
// Diagnostics: SYNC_BENCH_PROBE=1 times the first sync's wire and apply parts apart;
// SYNC_BENCH_STOP_AFTER_PULL=1 ends after the first sync (for a profiler), printing its time and
// the shim's page counters; SYNC_BENCH_PAUSE=S and SYNC_BENCH_PAUSE_PUSH=S wait S seconds before
// the first sync or the push so a profiler can attach.
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "outpost/core/records/engine.h"
#include "outpost/sync/messages.h"
#include "outpost/sync/server.h"
#include "outpost/sync/sync_engine.h"
#include "outpost/sync/sync_messages.h"

namespace {

using Steady = std::chrono::steady_clock;
using namespace outpost;
namespace fs = std::filesystem;

double cpu_ms(clockid_t clock) {
    timespec t{};
    clock_gettime(clock, &t);
    return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

double ms_since(Steady::time_point t) {
    return std::chrono::duration<double, std::milli>(Steady::now() - t).count();
}

[[noreturn]] void die(const std::string& what, const Status& s) {
    std::cerr << "sync_bench: " << what << ": " << s.to_string() << "\n";
    std::exit(1);
}

// Ten fields of a home visit, about 600 bytes in all.
records::Values visit(std::mt19937& rng, int i) {
    static const char* words[] = {"kitchen", "damp",       "school",   "carer",   "benefits", "tenancy",
                                  "garden",  "medication", "landlord", "nursery", "debt",     "heating"};
    auto sentence = [&](int n) {
        std::string s;
        while (static_cast<int>(s.size()) < n) {
            s += words[rng() % 12];
            s += ' ';
        }
        return s;
    };
    return {{"household", "Household " + std::to_string(i)},
            {"visit_date", std::string("2026-11-20")},
            {"visit_type", std::string("planned")},
            {"people_seen", std::vector<std::string>{"parent_or_carer", "child"}},
            {"people_seen_notes", sentence(200)},
            {"seen_alone", true},
            {"concerns_identified", false},
            {"home_conditions", std::string("adequate")},
            {"actions_agreed", sentence(200)},
            {"next_visit_date", std::string("2026-12-04")}};
}

// Writes back what earlier, untimed steps left dirty in the page cache (the seed push writes about
// 500 MB), so the kernel's write-back does not land inside the next timed step.
void quiet_disk() {
    ::sync();
}

double floor_ms(const fs::path& dir, const std::vector<records::Values>& rows) {
    sqlite3* db = nullptr;
    const std::string path = (dir / "floor.db").string();
    sqlite3_open(path.c_str(), &db);
    sqlite3_exec(db,
                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; CREATE TABLE r(id TEXT PRIMARY KEY, f1, f2, f3, "
                 "f4, f5, f6, f7, f8, f9, f10)",
                 nullptr, nullptr, nullptr);
    quiet_disk();
    const auto t0 = Steady::now();
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "INSERT INTO r VALUES(?,?,?,?,?,?,?,?,?,?,?)", -1, &st, nullptr);
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const std::string id = records::make_uuid_v7(1'763'900'000'000 + static_cast<std::int64_t>(i));
        sqlite3_bind_text(st, 1, id.c_str(), -1, SQLITE_TRANSIENT);
        int col = 2;
        for (const auto& [k, v] : rows[i]) {
            const std::string e = records::encode_value(v);
            sqlite3_bind_text(st, col++, e.c_str(), static_cast<int>(e.size()), SQLITE_TRANSIENT);
        }
        sqlite3_step(st);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    const double ms = ms_since(t0);
    sqlite3_close(db);
    return ms;
}

struct Client {
    std::unique_ptr<Store> store;
    std::unique_ptr<records::RecordEngine> records;
    std::unique_ptr<BlobStore> blobs;
    sync::StoreMutex mutex;
    std::unique_ptr<sync::Transport> transport;
    std::unique_ptr<sync::SyncEngine> engine;
    sync::Credentials creds;

    Client(const fs::path& path, const std::string& url, sync::Credentials c) : creds(std::move(c)) {
        StoreOptions so;
        so.kdf = KdfPolicy::kInteractiveFloor;  // unlock time is not what this measures
        auto st = Store::create(path, "bench passphrase", so);
        if (!st.is_ok()) {
            die("store", st.status());
        }
        store = std::move(*st);
        auto forms = records::load_schemas(records::bundled_forms_dir());
        auto r = records::RecordEngine::open(*store, std::move(*forms), SystemClock::instance());
        if (!r.is_ok()) {
            die("records", r.status());
        }
        records = std::move(*r);
        auto t = sync::make_http_transport({.base_url = url});
        transport = std::move(*t);
        auto b = BlobStore::open(*store);
        if (!b.is_ok()) {
            die("attachments", b.status());
        }
        blobs = std::move(*b);
        auto e = sync::SyncEngine::open(*store, *records, *blobs, mutex, *transport, creds, {});
        if (!e.is_ok()) {
            die("engine", e.status());
        }
        engine = std::move(*e);
    }
    ~Client() {
        engine.reset();
        records.reset();
        store->lock();
    }
    records::Actor actor() const { return {creds.user, creds.device_id, creds.role, creds.team}; }
    double timed_sync(const char* what, std::int64_t* moved = nullptr) {
        quiet_disk();
        const auto t0 = Steady::now();
        auto s = engine->sync_now();
        const double ms = ms_since(t0);
        if (!s.is_ok()) {
            die(what, s.status());
        }
        if (moved != nullptr) {
            *moved = s->pushed + s->pulled;
        }
        return ms;
    }
};

sync::Credentials enrol(sync::ServerStorage& st, sync::Transport& t, const std::string& user) {
    auto code = st.create_enrolment_code(user, 86'400'000, SystemClock::instance().now_ms());
    auto res =
        t.request({.method = "POST", .path = "/v1/enroll", .body = sync::encode(sync::EnrollRequest{*code, "b"})});
    auto e = sync::decode_enroll_response(res->body);
    if (!e.is_ok()) {
        die("enrol", e.status());
    }
    return {e->device_id, e->token, e->user, e->team, e->role};
}

}  // namespace

int main(int argc, char** argv) {
    int n = 100'000;
    int push_n = 10'000;
    fs::path dir = fs::temp_directory_path() / "outpost-sync-bench";
    for (int i = 1; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "--records") == 0) {
            n = std::atoi(argv[i + 1]);
        } else if (std::strcmp(argv[i], "--push") == 0) {
            push_n = std::atoi(argv[i + 1]);
        } else if (std::strcmp(argv[i], "--dir") == 0) {
            dir = argv[i + 1];
        }
    }
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::mt19937 rng(5);
    std::vector<records::Values> rows;
    rows.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        rows.push_back(visit(rng, i));
    }
    // The floor is the median of three runs: on a shared VM one run can be off by a third.
    std::vector<double> floors;
    for (int i = 0; i < 3; ++i) {
        fs::remove(dir / "floor.db");
        fs::remove(dir / "floor.db-wal");
        fs::remove(dir / "floor.db-shm");
        floors.push_back(floor_ms(dir, rows));
    }
    std::sort(floors.begin(), floors.end());
    const double floor = floors[1];

    if (Status s = sync::init_sqlite_data_dir(dir / "server"); !s.is_ok()) {
        die("init", s);
    }
    auto storage = sync::open_sqlite_storage(dir / "server");
    (void)(*storage)->add_team("north", 0);
    (void)(*storage)->add_user("writer", "north", "worker", 0);
    (void)(*storage)->add_user("reader", "north", "worker", 0);
    auto server = sync::Server::start({.log_sink = [](const std::string&) {}}, **storage);
    if (!server.is_ok()) {
        die("server", server.status());
    }
    const std::string url = (*server)->base_url();
    auto admin_transport = sync::make_http_transport({.base_url = url});

    // The server's N records arrive the way they would in life: pushed by a writer laptop (not timed).
    Client writer(dir / "writer.db", url, enrol(**storage, **admin_transport, "writer"));
    {
        std::lock_guard lock(writer.mutex);
        (void)writer.store->exec("BEGIN");
        for (int i = 0; i < n; ++i) {
            if (!writer.records->create(writer.actor(), "home_visit", rows[static_cast<std::size_t>(i)]).is_ok()) {
                die("seed", Status::error("bench.seed.failed", "create"));
            }
        }
        (void)writer.store->exec("COMMIT");
    }
    std::int64_t seeded = 0;
    const double seed_push_ms = writer.timed_sync("seed push", &seeded);

    if (std::getenv("SYNC_BENCH_PAUSE") != nullptr) {  // lets a profiler attach to the part that is timed
        std::fprintf(stderr, "seeded; pid %d\n", static_cast<int>(getpid()));
        std::this_thread::sleep_for(std::chrono::seconds(std::atoi(std::getenv("SYNC_BENCH_PAUSE"))));
    }
    Client reader(dir / "reader.db", url, enrol(**storage, **admin_transport, "reader"));
    if (std::getenv("SYNC_BENCH_PROBE") != nullptr) {
        // Diagnostic: the first sync's wire part alone (server + HTTP + decode), without applying anything.
        double http_ms = 0;
        double decode_ms = 0;
        std::string after;
        std::size_t bytes = 0;
        std::vector<sync::SnapshotResponse> pages;
        for (;;) {
            auto t0 = Steady::now();
            auto res =
                reader.transport->request({.method = "GET",
                                           .path = "/v1/snapshot?limit=5000" + (after.empty() ? "" : "&after=" + after),
                                           .bearer_token = reader.creds.token});
            http_ms += ms_since(t0);
            bytes += res->body.size();
            t0 = Steady::now();
            auto page = sync::decode_snapshot_response(res->body);
            decode_ms += ms_since(t0);
            after = page->next;
            pages.push_back(std::move(*page));
            if (!pages.back().more) {
                break;
            }
        }
        // ... and the apply part alone, into a scratch store.
        Client scratch(dir / "scratch.db", url, reader.creds);
        (void)scratch.store->set_bulk_mode(true);  // as the sync engine's first sync does
        double apply_ms = 0;
        for (sync::SnapshotResponse& page : pages) {
            std::vector<records::PulledRecord> recs = sync::to_pulled_records(page);
            scratch.records->prepare_snapshot(recs);  // as the sync engine's helper thread does
            const auto t0 = Steady::now();
            (void)scratch.store->exec("BEGIN IMMEDIATE");
            (void)scratch.records->apply_snapshot(recs);
            (void)scratch.store->exec("COMMIT");
            apply_ms += ms_since(t0);
        }
        (void)scratch.store->set_bulk_mode(false);
        std::fprintf(stderr, "probe: apply %.0f ms\n", apply_ms);
        std::fprintf(stderr, "probe: http %.0f ms, decode %.0f ms, %zu bytes\n", http_ms, decode_ms, bytes);
    }
    std::int64_t pulled = 0;
    // CPU time of the whole process (server included) and of the sync thread (sync_now runs on this
    // one) during the first sync: which side sets the pace.
    const double process_cpu0 = cpu_ms(CLOCK_PROCESS_CPUTIME_ID);
    const double thread_cpu0 = cpu_ms(CLOCK_THREAD_CPUTIME_ID);
    const double initial_pull = reader.timed_sync("initial pull", &pulled);
    const double pull_process_cpu = cpu_ms(CLOCK_PROCESS_CPUTIME_ID) - process_cpu0;
    const double pull_thread_cpu = cpu_ms(CLOCK_THREAD_CPUTIME_ID) - thread_cpu0;
    if (std::getenv("SYNC_BENCH_STOP_AFTER_PULL") != nullptr) {  // lets a profiler see the first sync alone
        std::fprintf(stderr, "initial pull %.0f ms (floor %.0f ms), CPU %.0f ms, sync thread %.0f ms\n", initial_pull,
                     floor, pull_process_cpu, pull_thread_cpu);
        const Store::CryptCounters c = reader.store->crypt_counters();
        std::fprintf(stderr, "pages encrypted %llu, decrypted %llu\n",
                     static_cast<unsigned long long>(c.pages_encrypted),
                     static_cast<unsigned long long>(c.pages_decrypted));
        std::_Exit(0);
    }

    {
        std::lock_guard lock(reader.mutex);
        (void)reader.store->exec("BEGIN");
        for (int i = 0; i < push_n; ++i) {
            (void)reader.records->create(reader.actor(), "home_visit", rows[static_cast<std::size_t>(i)]);
        }
        (void)reader.store->exec("COMMIT");
    }
    if (std::getenv("SYNC_BENCH_PAUSE_PUSH") != nullptr) {  // lets a profiler attach to the push
        std::fprintf(stderr, "pushing; pid %d\n", static_cast<int>(getpid()));
        std::this_thread::sleep_for(std::chrono::seconds(std::atoi(std::getenv("SYNC_BENCH_PAUSE_PUSH"))));
    }
    std::int64_t pushed = 0;
    const double push_ms = reader.timed_sync("push", &pushed);

    // 1,000 changes on the server side: the writer edits 1,000 fields and syncs (not timed).
    (void)writer.timed_sync("writer catch-up");
    {
        std::lock_guard lock(writer.mutex);
        records::ListQuery q;
        q.limit = 500;
        q.type = "home_visit";
        int edited = 0;
        while (edited < 1000) {
            auto page = writer.records->list(q);
            for (const auto& r : page->records) {
                if (edited < 1000 && r.created_by == "writer") {
                    (void)writer.records->update(writer.actor(), r.id, {{"home_conditions", std::string("good")}});
                    ++edited;
                }
            }
            if (!page->next) {
                break;
            }
            q.after = page->next;
        }
    }
    (void)writer.timed_sync("writer edits");
    std::int64_t incremental = 0;
    const double incremental_ms = reader.timed_sync("incremental", &incremental);
    double noop_ms = 1e9;
    for (int i = 0; i < 5; ++i) {
        noop_ms = std::min(noop_ms, reader.timed_sync("noop"));
    }

    std::printf(
        "{\"bench\":\"sync\",\"records\":%d,\"floor_ms\":%.0f,\"initial_pull_ms\":%.0f,\"push_10k_ms\":%.0f,"
        "\"incremental_1000_ms\":%.1f,\"noop_ms\":%.1f,\"initial_pull_vs_floor\":%.2f,\"pulled_changes\":%lld,"
        "\"pushed_changes\":%lld,\"incremental_changes\":%lld,\"seed_push_ms\":%.0f,\"seed_changes\":%lld,"
        "\"initial_pull_cpu_ms\":%.0f,\"initial_pull_sync_thread_cpu_ms\":%.0f}\n",
        n, floor, initial_pull, push_ms, incremental_ms, noop_ms, initial_pull / floor, static_cast<long long>(pulled),
        static_cast<long long>(pushed), static_cast<long long>(incremental), seed_push_ms,
        static_cast<long long>(seeded), pull_process_cpu, pull_thread_cpu);
    (*server)->stop();
    fs::remove_all(dir);
    return 0;
}
