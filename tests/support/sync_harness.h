// Sync test harness: a real outpost-server (SQLite back end) on 127.0.0.1 with a random port, and
// devices with real encrypted stores, records engines, HTTP transports and sync engines.
#pragma once

#include <doctest/doctest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "outpost/core/records/engine.h"
#include "outpost/core/store.h"
#include "outpost/sync/messages.h"
#include "outpost/sync/server.h"
#include "outpost/sync/sync_engine.h"
#include "outpost/sync/sync_messages.h"
#include "outpost/sync/transport.h"
#include "temp_dir.h"

// Tests built to run against PostgreSQL too (the pg/ list in tests/CMakeLists.txt) define
// OUTPOST_TEST_WITH_PG and link outpost::sync_server_pg; the others never link libpq.
#if defined(OUTPOST_TEST_WITH_PG)
#include <libpq-fe.h>

#include "outpost/sync/pg_storage.h"
#endif

namespace outpost::testing {

inline std::vector<records::Schema> shipped_forms() {
    auto s = records::load_schemas(records::bundled_forms_dir());
    REQUIRE(s.is_ok());
    return std::move(*s);
}

// The server back end the tests run against: embedded SQLite in `dir`, or, when OUTPOST_TEST_PG
// names the state folder of a running throwaway cluster (tests/support/pg.sh, CTest fixture "pg"),
// a fresh schema of its own in that PostgreSQL database.
inline std::string test_pg_conninfo() {
    const char* state = std::getenv("OUTPOST_TEST_PG");
    if (state == nullptr || *state == '\0') {
        return "";
    }
    std::ifstream in(std::filesystem::path(state) / "conninfo");
    std::string conninfo;
    std::getline(in, conninfo);
    REQUIRE_MESSAGE(!conninfo.empty(), "OUTPOST_TEST_PG is set but names no running cluster");
    return conninfo;
}

// `pg_conninfo` (optional) receives the PostgreSQL connection string, schema included.
inline std::unique_ptr<sync::ServerStorage> make_test_storage(const std::filesystem::path& dir,
                                                              std::string* pg_conninfo = nullptr) {
    const std::string pg = test_pg_conninfo();
    if (pg.empty()) {
        REQUIRE(sync::init_sqlite_data_dir(dir).is_ok());
        auto s = sync::open_sqlite_storage(dir);
        REQUIRE_MESSAGE(s.is_ok(), s.status().to_string());
        return std::move(*s);
    }
#if !defined(OUTPOST_TEST_WITH_PG)
    (void)pg_conninfo;
    FAIL("OUTPOST_TEST_PG is set, but this test is not built for PostgreSQL (the pg/ list in tests/CMakeLists.txt)");
    return nullptr;
#else
    std::random_device rd;
    const std::string schema = "t" + std::to_string(rd()) + std::to_string(rd());
    PGconn* c = PQconnectdb(pg.c_str());
    REQUIRE_MESSAGE(PQstatus(c) == CONNECTION_OK, PQerrorMessage(c));
    PGresult* r = PQexec(c, ("CREATE SCHEMA " + schema).c_str());
    const bool made = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    PQfinish(c);
    REQUIRE(made);
    std::filesystem::create_directories(dir);
    const std::string conninfo = pg + " options='-c search_path=" + schema + "'";
    if (pg_conninfo != nullptr) {
        *pg_conninfo = conninfo;
    }
    REQUIRE(sync::init_pg_database(conninfo).is_ok());
    auto s = sync::open_pg_storage(conninfo, 6);
    REQUIRE_MESSAGE(s.is_ok(), s.status().to_string());
    return std::move(*s);
#endif
}

// Enrols a new device for `user` over HTTP through `t`, as a laptop would, with a code made in `storage`.
inline sync::Credentials enrol_over(sync::Transport& t, sync::ServerStorage& storage, const std::string& user,
                                    const std::string& device_name = "laptop") {
    auto code = storage.create_enrolment_code(user, 86'400'000, SystemClock::instance().now_ms());
    REQUIRE(code.is_ok());
    auto res = t.request(
        {.method = "POST", .path = "/v1/enroll", .body = sync::encode(sync::EnrollRequest{*code, device_name})});
    REQUIRE(res.is_ok());
    REQUIRE(res->status == 200);
    auto e = sync::decode_enroll_response(res->body);
    REQUIRE(e.is_ok());
    return {e->device_id, e->token, e->user, e->team, e->role};
}

// A real outpost-server in this process, on 127.0.0.1 with a random port, over `storage`.
struct ServerOver {
    std::unique_ptr<sync::ServerStorage> storage;
    std::unique_ptr<sync::Server> server;

    void start(const std::filesystem::path& blob_dir, const Clock& clock = SystemClock::instance(),
               std::int64_t max_blob_bytes = 25LL * 1024 * 1024) {
        sync::ServerOptions o;
        o.log_sink = [](const std::string&) {};
        o.blob_dir = blob_dir;
        o.max_blob_bytes = max_blob_bytes;
        auto srv = sync::Server::start(o, *storage, clock);
        REQUIRE(srv.is_ok());
        server = std::move(*srv);
    }
    void add_team(const std::string& team) { REQUIRE(storage->add_team(team, 0).is_ok()); }
    void add_user(const std::string& user, const std::string& team, const std::string& role) {
        REQUIRE(storage->add_user(user, team, role, 0).is_ok());
    }
    std::unique_ptr<sync::Transport> transport() const {
        auto t = sync::make_http_transport({.base_url = server->base_url(),
                                            .connect_timeout = std::chrono::milliseconds(2000),
                                            .read_timeout = std::chrono::milliseconds(10000)});
        REQUIRE(t.is_ok());
        return std::move(*t);
    }
    sync::Credentials enrol(const std::string& user) { return enrol_over(*transport(), *storage, user); }
};

struct HarnessDir {
    TempDir tmp;
};

// A fresh server: SQLite in a temp dir, or PostgreSQL under the pg fixture (make_test_storage). The
// folder is a base, not a member, so that it outlives the server and storage (destroyed first).
struct SyncServerHarness : HarnessDir, ServerOver {
    explicit SyncServerHarness(const Clock& clock = SystemClock::instance(),
                               std::int64_t max_blob_bytes = 25LL * 1024 * 1024) {
        storage = make_test_storage(tmp / "server");
        start(tmp / "server" / "blobs", clock, max_blob_bytes);
    }
};

// A server on an existing SQLite data directory (golden databases, restored backups).
struct SqliteServerOn : ServerOver {
    explicit SqliteServerOn(const std::filesystem::path& data) {
        auto s = sync::open_sqlite_storage(data);
        REQUIRE_MESSAGE(s.is_ok(), s.status().to_string());
        storage = std::move(*s);
        start(data / "blobs");
    }
};

// One laptop: an encrypted store, its records engine and its sync engine, all real.
struct Device {
    std::filesystem::path path;
    std::unique_ptr<Store> store;
    std::unique_ptr<records::RecordEngine> records;
    std::unique_ptr<BlobStore> blobs;  // handed to the engine, as a Session hands its own
    sync::StoreMutex mutex;
    std::unique_ptr<sync::Transport> transport;
    std::unique_ptr<sync::SyncEngine> engine;
    sync::Credentials creds;
    std::vector<sync::SyncState> states;  // every state the engine reported
    std::mutex states_mutex;

    Device(const std::filesystem::path& p, sync::Credentials c, std::unique_ptr<sync::Transport> t,
           sync::SyncOptions options = {}, const Clock& clock = SystemClock::instance(),
           std::vector<records::Schema> extra_forms = {})
        : path(p), transport(std::move(t)), creds(std::move(c)) {
        StoreOptions so;
        so.kdf = KdfPolicy::kInteractiveFloor;
        so.cache_kib = 8 * 1024;
        auto st = std::filesystem::exists(path) ? Store::open(path, "correct horse battery", so)
                                                : Store::create(path, "correct horse battery", so);
        REQUIRE(st.is_ok());
        store = std::move(*st);
        std::vector<records::Schema> forms = shipped_forms();
        forms.insert(forms.end(), extra_forms.begin(), extra_forms.end());
        auto r = records::RecordEngine::open(*store, std::move(forms), clock);
        REQUIRE(r.is_ok());
        records = std::move(*r);
        auto b = BlobStore::open(*store);
        REQUIRE(b.is_ok());
        blobs = std::move(*b);
        REQUIRE(sync::save_credentials(*store, creds).is_ok());
        options.on_state = [this](const sync::SyncState& s) {
            std::lock_guard lock(states_mutex);
            states.push_back(s);
        };
        auto e = sync::SyncEngine::open(*store, *records, *blobs, mutex, *transport, creds, options, clock);
        REQUIRE(e.is_ok());
        engine = std::move(*e);
    }
    ~Device() {
        engine.reset();
        blobs.reset();
        records.reset();
        if (store) {
            store->lock();
        }
    }
    [[nodiscard]] records::Actor actor() const { return {creds.user, creds.device_id, creds.role, creds.team}; }

    records::Record create(const std::string& type, const records::Values& v) { return create_as(actor(), type, v); }
    // Written as `who` (another role or team than the laptop's own: what a stale laptop would write).
    records::Record create_as(const records::Actor& who, const std::string& type, const records::Values& v) {
        std::lock_guard lock(mutex);
        std::vector<records::FieldError> errors;
        auto r = records->create(who, type, v, &errors);
        if (!r.is_ok()) {
            for (const auto& e : errors) {
                MESSAGE(std::string(e.field + ": " + e.code));
            }
        }
        REQUIRE(r.is_ok());
        return *r;
    }
    Status update(const std::string& id, const records::Values& v) {
        std::lock_guard lock(mutex);
        return records->update(actor(), id, v).status();
    }
    Result<sync::SyncSummary> sync() { return engine->sync_now(); }

    // (value, hlc, device) of every field of every record on this device: what "the same data" means.
    using HeadsMap = std::map<std::pair<std::string, std::string>, std::tuple<std::string, std::uint64_t, std::string>>;
    HeadsMap heads_map() {
        std::lock_guard lock(mutex);
        HeadsMap out;
        sqlite3_stmt* st = nullptr;
        REQUIRE(sqlite3_prepare_v2(store->handle(), "SELECT id FROM records", -1, &st, nullptr) == SQLITE_OK);
        std::vector<std::string> ids;
        while (sqlite3_step(st) == SQLITE_ROW) {
            ids.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
        }
        sqlite3_finalize(st);
        for (const std::string& id : ids) {
            auto heads = records->heads(id);
            REQUIRE(heads.is_ok());
            for (const auto& h : *heads) {
                out[{id, h.field}] = {h.value, h.hlc.packed, h.device};
            }
        }
        return out;
    }

    // Every record on this device (deleted ones too), id -> record.
    std::map<std::string, records::Record> all() {
        std::lock_guard lock(mutex);
        std::map<std::string, records::Record> out;
        records::ListQuery q;
        q.include_deleted = true;
        q.limit = 500;
        for (;;) {
            auto page = records->list(q);
            REQUIRE(page.is_ok());
            for (auto& r : page->records) {
                out[r.id] = r;
            }
            if (!page->next) {
                break;
            }
            q.after = page->next;
        }
        return out;
    }
};

// A fresh server with team "a": workers ann and bob, lead lee; and laptops for them, each on a profile
// file of its own (two for one user are two laptops).
struct TeamA : SyncServerHarness {
    TeamA() {
        add_team("a");
        add_user("ann", "a", "worker");
        add_user("bob", "a", "worker");
        add_user("lee", "a", "lead");
    }
    std::unique_ptr<Device> device(const std::string& user, sync::SyncOptions o = {}) {
        return std::make_unique<Device>(tmp / (user + "-" + std::to_string(++m_devices) + ".db"), enrol(user),
                                        transport(), std::move(o));
    }
    int m_devices = 0;
};

// The laptop side of a sync crash test, in a forked child: opens (or creates) the profile at `db`,
// runs `before_sync` on it, writes one byte on `ready`, syncs, and exits: 0 when the sync succeeded,
// 3 without a transport, 4 when the sync failed, 5 when the pipe broke.
[[noreturn]] inline void laptop_child(const std::filesystem::path& db, const sync::Credentials& creds,
                                      const std::string& url, const sync::SyncOptions& options, int ready,
                                      const std::function<void(Device&)>& before_sync = {}) {
    {
        auto transport = sync::make_http_transport({.base_url = url});
        if (!transport.is_ok()) {
            _exit(3);
        }
        Device d(db, creds, std::move(*transport), options);
        if (before_sync) {
            before_sync(d);
        }
        const char byte = 's';
        if (write(ready, &byte, 1) != 1) {
            _exit(5);
        }
        if (!d.sync().is_ok()) {
            _exit(4);
        }
    }
    _exit(0);
}

// A valid home visit for tests.
inline records::Values home_visit(const std::string& name) {
    return {{"household", std::string(name)},
            {"visit_date", std::string("2026-11-20")},
            {"visit_type", std::string("planned")},
            {"concerns_identified", false}};
}

// A valid suggestion (an idea) titled `title`, for tests.
inline records::Values idea(const std::string& title) {
    return {{"title", title},
            {"problem", std::string("The paper form is copied out three times")},
            {"proposed_change", std::string("Type it once, on the laptop")},
            {"expected_benefit", std::vector<std::string>{"time"}},
            {"category", std::string("paperwork")}};
}

// The answer `field` of `r` as text: "<none>" when it has none, "yes"/"no" for a check box,
// "<not text>" for any other kind of answer.
inline std::string field_text(const records::Record& r, const std::string& field) {
    auto it = r.values.find(field);
    if (it == r.values.end()) {
        return "<none>";
    }
    if (const auto* b = std::get_if<bool>(&it->second)) {
        return *b ? "yes" : "no";
    }
    const auto* s = std::get_if<std::string>(&it->second);
    return s != nullptr ? *s : "<not text>";
}

}  // namespace outpost::testing
