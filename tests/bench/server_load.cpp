// server_load: N simulated devices (default 200) each push 100 changes and then pull everything of
// their team, all at once, over real HTTP on loopback, against real `outpost-server serve`
// processes: embedded SQLite (1 process), and PostgreSQL (1 and 2 processes). One JSON line per
// configuration:
//   {"bench":"server_load","backend":"sqlite|postgresql","processes":1|2,"devices":N,
//    "changes_per_s":…,"push_p50_ms":…,"push_p99_ms":…,"pull_s":…}
// changes_per_s: N × 100 over the time from the start signal to the last push answered. Devices are
// in teams of 20 (a device pulls its team's changes, (20 - 1) × 100 of them), and every pull is
// checked to hold exactly the others' changes. A device is the wire protocol only (no local store):
// enrolment over HTTP, one push of 25 home visits, pulls until `more` is false.
//
// Usage: server_load [--devices N] [--backend sqlite|postgresql|all] [--processes 1|2] [--dir DIR]
//                    [--pg-sql SQL]
// --pg-sql runs SQL in each fresh PostgreSQL schema once it is made, for A/B runs of a schema change
// (e.g. --pg-sql 'ALTER TABLE srv_changes ADD PRIMARY KEY (seq)' measures the log as schema 2 had it).
// PostgreSQL: a throwaway cluster is started with tests/support/pg.sh (or OUTPOST_TEST_PG is used).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "outpost/core/records/engine.h"
#include "outpost/core/records/hlc.h"
#include "outpost/sync/messages.h"
#include "outpost/sync/pg_storage.h"
#include "outpost/sync/server_storage.h"
#include "outpost/sync/sync_messages.h"
#include "outpost/sync/transport.h"
#include "server_process.h"

using namespace outpost;
namespace fs = std::filesystem;

namespace {

constexpr int kChanges = 100;  // per device: 25 records × 4 answers
constexpr int kTeamSize = 20;

struct Config {
    std::string backend;
    int processes = 1;
    std::string pg_sql;  // run in the schema after it is made (A/B runs)
};

struct Outcome {
    double changes_per_s = 0;
    double push_p50_ms = 0;
    double push_p99_ms = 0;
    double pull_s = 0;
    bool ok = true;
    std::string problem;
};

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

double percentile(std::vector<double> v, double p) {
    if (v.empty()) {
        return 0;
    }
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
}

std::string json_string(const std::string& s) {
    return "\"" + s + "\"";
}

// One simulated device: enrols, waits for the start, pushes, then pulls its team's log.
struct SimDevice {
    std::string team;
    std::string url;
    std::string code;
    std::string token;
    std::string device_id;
};

Outcome run(const Config& cfg, int devices, const fs::path& dir, const std::string& pg_state) {
    Outcome out;
    fs::remove_all(dir);
    fs::create_directories(dir);
    std::string conninfo;
    std::unique_ptr<sync::ServerStorage> storage;
    std::vector<std::string> serve_args;
    if (cfg.backend == "sqlite") {
        if (!sync::init_sqlite_data_dir(dir / "data").is_ok()) {
            return {0, 0, 0, 0, false, "init"};
        }
        auto s = sync::open_sqlite_storage(dir / "data");
        storage = std::move(*s);
        serve_args = {"--data", (dir / "data").string()};
    } else {
        std::ifstream in(fs::path(pg_state) / "conninfo");
        std::getline(in, conninfo);
        const std::string schema = "load" + std::to_string(now_ms());
        {
            // The schema, through a first storage on the default search path.
            const std::string create = "psql \"" + conninfo + "\" -qc 'CREATE SCHEMA " + schema + "' >/dev/null";
            if (std::system(create.c_str()) != 0) {
                return {0, 0, 0, 0, false, "create schema (psql)"};
            }
        }
        conninfo += " options='-c search_path=" + schema + "'";
        if (Status s = sync::init_pg_database(conninfo); !s.is_ok()) {
            return {0, 0, 0, 0, false, s.to_string()};
        }
        if (!cfg.pg_sql.empty()) {
            // The conninfo holds single quotes, the SQL may too: both go through the environment.
            setenv("OUTPOST_LOAD_CONNINFO", conninfo.c_str(), 1);
            setenv("OUTPOST_LOAD_SQL", cfg.pg_sql.c_str(), 1);
            if (std::system(
                    "psql \"$OUTPOST_LOAD_CONNINFO\" -v ON_ERROR_STOP=1 -qc \"$OUTPOST_LOAD_SQL\" >/dev/null") != 0) {
                return {0, 0, 0, 0, false, "--pg-sql failed"};
            }
        }
        auto s = sync::open_pg_storage(conninfo, 4);
        if (!s.is_ok()) {
            return {0, 0, 0, 0, false, s.status().to_string()};
        }
        storage = std::move(*s);
        serve_args = {"--db", conninfo, "--db-pool", "8", "--data", (dir / "shared").string()};
    }
    std::vector<std::unique_ptr<testing::ServerProcess>> servers;
    for (int i = 0; i < cfg.processes; ++i) {
        servers.push_back(std::make_unique<testing::ServerProcess>(OUTPOST_SERVER_BIN, serve_args,
                                                                   dir / ("server" + std::to_string(i) + ".log")));
        if (!servers.back()->ok()) {
            return {0, 0, 0, 0, false, servers.back()->error};
        }
    }
    std::vector<SimDevice> sims(static_cast<std::size_t>(devices));
    for (int i = 0; i < devices; ++i) {
        SimDevice& d = sims[static_cast<std::size_t>(i)];
        d.team = "t" + std::to_string(i / kTeamSize);
        if (i % kTeamSize == 0) {
            (void)storage->add_team(d.team, 1);
        }
        const std::string user = "u" + std::to_string(i);
        (void)storage->add_user(user, d.team, "worker", 1);
        auto code = storage->create_enrolment_code(user, 86'400'000, now_ms());
        d.code = *code;
        d.url = servers[static_cast<std::size_t>(i) % servers.size()]->url;
    }
    std::mutex m;
    std::condition_variable cv;
    bool go = false;
    std::atomic<int> ready{0};
    std::atomic<int> failures{0};
    std::atomic<int> pushes_done{0};
    std::vector<double> push_ms(static_cast<std::size_t>(devices), 0);
    std::vector<std::chrono::steady_clock::time_point> pushed_at(static_cast<std::size_t>(devices));
    std::vector<std::chrono::steady_clock::time_point> pulled_at(static_cast<std::size_t>(devices));
    std::string first_problem;
    std::mutex problem_mutex;
    auto problem = [&](const std::string& what) {
        ++failures;
        std::lock_guard lock(problem_mutex);
        if (first_problem.empty()) {
            first_problem = what;
        }
    };
    auto finish_push = [&] {
        if (++pushes_done == devices) {
            std::lock_guard lock(m);
            cv.notify_all();
        }
    };
    std::vector<std::thread> threads;
    for (int i = 0; i < devices; ++i) {
        threads.emplace_back([&, i] {
            SimDevice& d = sims[static_cast<std::size_t>(i)];
            auto t = sync::make_http_transport({.base_url = d.url,
                                                .connect_timeout = std::chrono::milliseconds(10000),
                                                .read_timeout = std::chrono::milliseconds(120000)});
            if (!t.is_ok()) {
                problem("transport");
                ++ready;
                finish_push();
                return;
            }
            auto res = (*t)->request(
                {.method = "POST", .path = "/v1/enroll", .body = sync::encode(sync::EnrollRequest{d.code, "sim"})});
            auto e = res.is_ok() && res->status == 200 ? sync::decode_enroll_response(res->body)
                                                       : Result<sync::EnrollResponse>(Status::error("x.y.z", "enrol"));
            if (!e.is_ok()) {
                problem("enrol: " + (res.is_ok() ? res->body : res.status().to_string()));
                ++ready;
                finish_push();
                return;
            }
            d.token = e->token;
            d.device_id = e->device_id;
            sync::PushRequest push;
            push.device_id = d.device_id;
            const std::int64_t ms = now_ms();
            std::uint64_t hlc = static_cast<std::uint64_t>(ms) << 16;
            for (int r = 0; r < kChanges / 4; ++r) {
                const std::string id = records::make_uuid_v7(ms);
                const std::pair<const char*, std::string> answers[] = {
                    {"household", "\"Family " + std::to_string(i) + "-" + std::to_string(r) + "\""},
                    {"visit_date", "\"2026-11-20\""},
                    {"visit_type", "\"planned\""},
                    {"concerns_identified", "false"}};
                for (const auto& [field, value] : answers) {
                    sync::WireChange c;
                    c.seq = static_cast<std::int64_t>(push.changes.size()) + 1;
                    c.record = id;
                    c.type = "home_visit";
                    c.team = d.team;
                    c.field = field;
                    c.value = value;
                    c.hlc = records::Hlc{++hlc}.to_string();
                    c.base = records::Hlc{0}.to_string();
                    push.changes.push_back(std::move(c));
                }
            }
            push.from_seq = 1;
            push.to_seq = static_cast<std::int64_t>(push.changes.size());
            const std::string body = sync::encode(push);
            ++ready;
            {
                std::unique_lock lock(m);
                cv.wait(lock, [&] { return go; });
            }
            const auto t0 = std::chrono::steady_clock::now();
            auto pr = (*t)->request({.method = "POST", .path = "/v1/push", .body = body, .bearer_token = d.token});
            pushed_at[static_cast<std::size_t>(i)] = std::chrono::steady_clock::now();
            push_ms[static_cast<std::size_t>(i)] =
                std::chrono::duration<double, std::milli>(pushed_at[static_cast<std::size_t>(i)] - t0).count();
            auto answers = pr.is_ok() && pr->status == 200 ? sync::decode_push_response(pr->body)
                                                           : Result<sync::PushResponse>(Status::error("x.y.z", "push"));
            if (!answers.is_ok() || answers->results.size() != push.changes.size() ||
                std::any_of(answers->results.begin(), answers->results.end(),
                            [](const sync::ChangeResult& c) { return c.outcome != sync::ChangeOutcome::kApplied; })) {
                problem("push (after " + std::to_string(static_cast<int>(push_ms[static_cast<std::size_t>(i)])) +
                        " ms): " + (pr.is_ok() ? pr->body.substr(0, 300) : pr.status().to_string()));
                finish_push();
                return;
            }
            // Then pull the team's log (others' changes) once every push has been answered, and
            // count exactly what arrives.
            // A condition variable, not a sleep loop: 200 threads polling every few ms would take the
            // server's CPU on this 2-core machine, where real devices are other machines.
            finish_push();
            {
                std::unique_lock lock(m);
                cv.wait(lock, [&] { return pushes_done >= devices; });
            }
            std::string cursor;
            std::int64_t got = 0;
            for (bool more = true; more;) {
                auto pl = (*t)->request({.method = "GET",
                                         .path = "/v1/pull?limit=1000" + (cursor.empty() ? "" : "&cursor=" + cursor),
                                         .bearer_token = d.token});
                auto page = pl.is_ok() && pl->status == 200
                                ? sync::decode_pull_response(pl->body)
                                : Result<sync::PullResponse>(Status::error("x.y.z", "pull"));
                if (!page.is_ok()) {
                    problem("pull: " + (pl.is_ok() ? pl->body.substr(0, 200) : pl.status().to_string()));
                    return;
                }
                got += static_cast<std::int64_t>(page->changes.size());
                cursor = page->cursor;
                more = page->more;
            }
            pulled_at[static_cast<std::size_t>(i)] = std::chrono::steady_clock::now();
            const int team_devices = std::min(kTeamSize, devices - (i / kTeamSize) * kTeamSize);
            if (got != static_cast<std::int64_t>(team_devices - 1) * kChanges) {
                problem("device " + std::to_string(i) + " pulled " + std::to_string(got) + " changes, not " +
                        std::to_string((team_devices - 1) * kChanges));
            }
        });
    }
    while (ready < devices) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    const auto start = std::chrono::steady_clock::now();
    {
        std::lock_guard lock(m);
        go = true;
    }
    cv.notify_all();
    for (auto& th : threads) {
        th.join();
    }
    if (failures > 0) {
        return {0, 0, 0, 0, false, std::to_string(failures.load()) + " failures; first: " + first_problem};
    }
    const auto last_push = *std::max_element(pushed_at.begin(), pushed_at.end());
    const auto last_pull = *std::max_element(pulled_at.begin(), pulled_at.end());
    const double push_s = std::chrono::duration<double>(last_push - start).count();
    out.changes_per_s = static_cast<double>(devices) * kChanges / push_s;
    out.push_p50_ms = percentile(push_ms, 0.50);
    out.push_p99_ms = percentile(push_ms, 0.99);
    out.pull_s = std::chrono::duration<double>(last_pull - start).count();
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    int devices = 200;
    int only_processes = 0;  // 0: PostgreSQL with 1 and with 2 processes
    std::string backend = "all";
    std::string pg_sql;
    fs::path dir = fs::temp_directory_path() / "outpost-server-load";
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--devices") {
            devices = std::max(2, std::atoi(argv[i + 1]));
        } else if (a == "--processes") {
            only_processes = std::atoi(argv[i + 1]);
        } else if (a == "--backend") {
            backend = argv[i + 1];
        } else if (a == "--dir") {
            dir = argv[i + 1];
        } else if (a == "--pg-sql") {
            pg_sql = argv[i + 1];
        }
    }
    std::vector<Config> configs;
    if (backend == "sqlite" || backend == "all") {
        configs.push_back({"sqlite", 1});
    }
    std::string pg_state;
    bool started_pg = false;
    if (backend == "postgresql" || backend == "all") {
        for (int n : {1, 2}) {
            if (only_processes == 0 || only_processes == n) {
                configs.push_back({"postgresql", n, pg_sql});
            }
        }
        if (const char* env = std::getenv("OUTPOST_TEST_PG"); env != nullptr && *env != '\0') {
            pg_state = env;
        } else {
            pg_state = (dir.string() + "-pg");
            const std::string cmd = std::string(OUTPOST_PG_SH) + " start " + pg_state + " >/dev/null";
            if (std::system(cmd.c_str()) != 0) {
                std::cerr << "server_load: could not start PostgreSQL with " << OUTPOST_PG_SH << "\n";
                return 1;
            }
            started_pg = true;
        }
    }
    int code = 0;
    for (const Config& c : configs) {
        const Outcome o = run(c, devices, dir / (c.backend + std::to_string(c.processes)), pg_state);
        if (!o.ok) {
            std::cerr << "server_load: " << c.backend << " x" << c.processes << ": " << o.problem << "\n";
            code = 1;
            continue;
        }
        std::printf(
            "{\"bench\":\"server_load\",\"backend\":%s,\"processes\":%d,\"devices\":%d,\"changes_per_s\":%.0f,"
            "\"push_p50_ms\":%.1f,\"push_p99_ms\":%.1f,\"pull_s\":%.2f}\n",
            json_string(c.backend).c_str(), c.processes, devices, o.changes_per_s, o.push_p50_ms, o.push_p99_ms,
            o.pull_s);
        std::fflush(stdout);
    }
    if (started_pg) {
        const std::string cmd = std::string(OUTPOST_PG_SH) + " stop " + pg_state + " >/dev/null";
        (void)std::system(cmd.c_str());
    }
    if (code == 0) {
        fs::remove_all(dir);
    } else {
        std::cerr << "server_load: the servers' logs are kept in " << dir.string() << "\n";
    }
    return code;
}
