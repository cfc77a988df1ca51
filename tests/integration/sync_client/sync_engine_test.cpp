// The client sync engine against a real server on 127.0.0.1, with real encrypted stores.
#include "outpost/sync/sync_engine.h"

#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "outpost/core/error_codes.h"
#include "sync_harness.h"

using namespace outpost;
using namespace outpost::sync;
using outpost::testing::Device;
using outpost::testing::field_text;
using outpost::testing::home_visit;
using outpost::testing::SyncServerHarness;
using Team = outpost::testing::TeamA;
using outpost::testing::TempDir;

namespace {}  // namespace

TEST_CASE("SyncEngine: two laptops exchange records, and the state goes syncing, then up to date") {
    Team t;
    auto ann = t.device("ann");
    auto bob = t.device("bob");
    const records::Record r = ann->create("home_visit", home_visit("Smith household"));
    auto s1 = ann->sync();
    REQUIRE(s1.is_ok());
    CHECK(s1->pushed == 4);
    CHECK(s1->applied == 4);
    auto s2 = bob->sync();
    REQUIRE(s2.is_ok());
    CHECK(s2->pulled == 4);
    auto got = bob->all();
    REQUIRE(got.count(r.id) == 1);
    CHECK(field_text(got[r.id], "household") == "Smith household");
    CHECK(got[r.id].created_by == "ann");
    // Bob's history shows who wrote it.
    {
        std::lock_guard lock(bob->mutex);
        auto h = bob->records->history(r.id);
        REQUIRE(h.is_ok());
        REQUIRE(h->size() == 4);
        CHECK(h->front().author == "ann");
    }
    // Search finds pulled records.
    {
        std::lock_guard lock(bob->mutex);
        records::ListQuery q;
        q.search = "smith";
        auto page = bob->records->list(q);
        REQUIRE(page.is_ok());
        CHECK(page->records.size() == 1);
    }
    {
        std::lock_guard lock(ann->states_mutex);
        REQUIRE(ann->states.size() >= 2);
        CHECK(ann->states.front().phase == SyncPhase::kSyncing);
        CHECK(ann->states.front().to_push == 4);
        CHECK(ann->states.back().phase == SyncPhase::kUpToDate);
        CHECK(ann->states.back().waiting == 0);
        CHECK(ann->states.back().last_success_ms > 0);
    }
    // A sync with nothing to do pushes and pulls nothing.
    auto again = ann->sync();
    REQUIRE(again.is_ok());
    CHECK(again->pushed == 0);
    CHECK(again->pulled == 0);
}

TEST_CASE("SyncEngine: concurrent edits end in one value everywhere and a conflict record; resolving supersedes both") {
    Team t;
    auto ann = t.device("ann");
    auto bob = t.device("bob");
    auto lee = t.device("lee");
    const records::Record r = ann->create("home_visit", home_visit("Original"));
    REQUIRE(ann->sync().is_ok());
    REQUIRE(bob->sync().is_ok());
    // Both offline, both change the same answer, and a different answer each.
    REQUIRE(ann->update(r.id, {{"household", std::string("Ann's edit")}, {"home_conditions", std::string("good")}})
                .is_ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
    REQUIRE(bob->update(r.id, {{"household", std::string("Bob's edit")}, {"actions_agreed", std::string("Call GP")}})
                .is_ok());
    auto sa = ann->sync();
    REQUIRE(sa.is_ok());
    auto sb = bob->sync();
    REQUIRE(sb.is_ok());
    CHECK(sb->conflicts == 1);
    REQUIRE(ann->sync().is_ok());
    REQUIRE(lee->sync().is_ok());
    for (Device* d : {ann.get(), bob.get(), lee.get()}) {
        auto all = d->all();
        const records::Record& mine = all[r.id];
        CHECK(field_text(mine, "household") == "Bob's edit");  // the later write wins...
        CHECK(field_text(mine, "home_conditions") == "good");  // ...and different fields merge silently
        CHECK(field_text(mine, "actions_agreed") == "Call GP");
        int conflicts = 0;
        for (const auto& [id, rec] : all) {
            if (rec.type == "conflict") {
                ++conflicts;
                CHECK(field_text(rec, "record") == r.id);
                CHECK(field_text(rec, "field") == "household");
                CHECK(field_text(rec, "other_value") == "\"Ann's edit\"");  // ...and the other is kept
                CHECK(field_text(rec, "other_author") == "ann");
                CHECK(field_text(rec, "kept_author") == "bob");
                CHECK(field_text(rec, "status") == "open");
            }
        }
        CHECK(conflicts == 1);
    }
    // The lead resolves it: a normal write that saw both values, and the conflict marked resolved.
    std::string conflict_id;
    for (const auto& [id, rec] : lee->all()) {
        if (rec.type == "conflict") {
            conflict_id = id;
        }
    }
    REQUIRE(lee->update(r.id, {{"household", std::string("Agreed name")}}).is_ok());
    REQUIRE(lee->update(conflict_id, {{"status", std::string("resolved")}}).is_ok());
    auto sl = lee->sync();
    REQUIRE(sl.is_ok());
    CHECK(sl->conflicts == 0);
    CHECK(sl->applied == 2);
    REQUIRE(ann->sync().is_ok());
    REQUIRE(bob->sync().is_ok());
    for (Device* d : {ann.get(), bob.get()}) {
        auto all = d->all();
        CHECK(field_text(all[r.id], "household") == "Agreed name");
        CHECK(field_text(all[conflict_id], "status") == "resolved");
        int conflicts = 0;
        for (const auto& [id, rec] : all) {
            conflicts += rec.type == "conflict" ? 1 : 0;
        }
        CHECK(conflicts == 1);
    }
}

TEST_CASE("SyncEngine: a change the server refuses is kept and marked, and never blocks the queue") {
    Team t;
    auto ann = t.device("ann");
    auto bob = t.device("bob");
    // A record written under another team (a misconfigured laptop): the server refuses it.
    records::Actor wrong = ann->actor();
    wrong.team = "b";
    const std::string refused_id = ann->create_as(wrong, "home_visit", home_visit("Wrong team")).id;
    const records::Record ok = ann->create("home_visit", home_visit("Right team"));
    auto s = ann->sync();
    REQUIRE(s.is_ok());
    CHECK(s->rejected == 4);
    CHECK(s->applied == 4);
    auto refused = ann->engine->refused();
    REQUIRE(refused.is_ok());
    REQUIRE(refused->size() == 4);
    for (const RefusedChange& c : *refused) {
        CHECK(c.record == refused_id);
        CHECK(c.code == errc::kSyncScopeForbidden);
        CHECK_FALSE(c.message.empty());
    }
    CHECK(ann->engine->state().refused_total == 4);
    CHECK(ann->engine->state().waiting == 0);
    // Still on the laptop, and the next sync does not send it again.
    CHECK(ann->all().count(refused_id) == 1);
    auto again = ann->sync();
    REQUIRE(again.is_ok());
    CHECK(again->pushed == 0);
    REQUIRE(bob->sync().is_ok());
    CHECK(bob->all().count(ok.id) == 1);
    CHECK(bob->all().count(refused_id) == 0);
}

TEST_CASE("SyncEngine: a batch too big for the server is split, and one oversized change is refused alone") {
    TempDir tmp;
    REQUIRE(init_sqlite_data_dir(tmp / "server").is_ok());
    auto storage = open_sqlite_storage(tmp / "server");
    REQUIRE(storage.is_ok());
    REQUIRE((*storage)->add_team("a", 0).is_ok());
    REQUIRE((*storage)->add_user("ann", "a", "worker", 0).is_ok());
    ServerOptions so{.max_body_bytes = 16 * 1024, .log_sink = [](const std::string&) {}};
    auto server = Server::start(so, **storage);
    REQUIRE(server.is_ok());
    SyncServerHarness enroller;  // only for its enrol() over HTTP: point it at this server
    enroller.storage.swap(*storage);
    enroller.server.swap(*server);
    Device ann(tmp / "ann.db", enroller.enrol("ann"), enroller.transport());
    for (int i = 0; i < 60; ++i) {
        ann.create("home_visit", home_visit("Household " + std::to_string(i)));
    }
    std::string euro;
    for (int i = 0; i < 7000; ++i) {
        euro += "\xe2\x82\xac";  // 21,000 bytes of UTF-8 in 7,000 characters: within the form, over the body limit
    }
    records::Values big = home_visit("Big one");
    big["concerns_identified"] = true;
    big["concerns"] = euro;
    const records::Record big_rec = ann.create("home_visit", big);
    for (int i = 60; i < 80; ++i) {
        ann.create("home_visit", home_visit("Household " + std::to_string(i)));
    }
    auto s = ann.sync();
    REQUIRE(s.is_ok());
    // The big record's concerns cannot be sent; without them the record breaks its form's rule
    // (concerns are required once identified), so the server refuses its other answers too.
    CHECK(s->applied == 80 * 4);
    CHECK(s->rejected == 5);
    auto refused = ann.engine->refused();
    REQUIRE(refused.is_ok());
    REQUIRE(refused->size() == 5);
    for (const auto& r : *refused) {
        CHECK(r.record == big_rec.id);
        CHECK(r.code == (r.field == "concerns" ? errc::kSyncBodyTooLarge : errc::kFieldRequired));
    }
    auto logged = enroller.storage->logged_changes(ann.creds.device_id);
    REQUIRE(logged.is_ok());
    CHECK(*logged == 80 * 4);
    enroller.server->stop();
    ann.engine.reset();
}

TEST_CASE("SyncEngine: offline is reported with a reason, and the worker retries with backoff until it syncs") {
    Team t;
    SyncOptions o;
    o.backoff_min = std::chrono::milliseconds(50);
    o.backoff_max = std::chrono::milliseconds(200);
    const Credentials creds = t.enrol("ann");
    // A port with nothing listening: take the server's, then stop it.
    const std::string url = t.server->base_url();
    t.server->stop();
    auto transport = make_http_transport({.base_url = url, .connect_timeout = std::chrono::milliseconds(300)});
    REQUIRE(transport.is_ok());
    Device ann(t.tmp / "ann.db", creds, std::move(*transport), o);
    const records::Record r = ann.create("home_visit", home_visit("Offline visit"));
    auto s = ann.sync();
    REQUIRE_FALSE(s.is_ok());
    CHECK(s.status().code() == errc::kSyncNetworkUnreachable);
    CHECK(ann.engine->state().phase == SyncPhase::kOffline);
    CHECK(ann.engine->state().code == errc::kSyncNetworkUnreachable);
    CHECK_FALSE(ann.engine->state().reason.empty());
    CHECK(ann.engine->state().waiting == 4);
    ann.engine->start();
    std::this_thread::sleep_for(std::chrono::milliseconds(600));
    int offline_reports = 0;
    {
        std::lock_guard lock(ann.states_mutex);
        for (const SyncState& st : ann.states) {
            offline_reports += st.phase == SyncPhase::kOffline ? 1 : 0;
        }
    }
    CHECK(offline_reports >= 3);  // retried several times
    CHECK(offline_reports < 15);  // with backoff, not in a tight loop
    // The server comes back on the same port; the worker gets through on its own.
    const int port = std::stoi(url.substr(url.rfind(':') + 1));
    auto back = Server::start({.port = port, .log_sink = [](const std::string&) {}}, *t.storage);
    REQUIRE(back.is_ok());
    for (int i = 0; i < 100 && ann.engine->state().phase != SyncPhase::kUpToDate; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ann.engine->stop();
    CHECK(ann.engine->state().phase == SyncPhase::kUpToDate);
    CHECK(ann.engine->state().waiting == 0);
    auto logged = t.storage->logged_changes(creds.device_id);
    REQUIRE(logged.is_ok());
    CHECK(*logged == 4);
    (*back)->stop();
    (void)r;
}

namespace {

// Fault injection: a server that answers every pull with "more" and the same cursor; its snapshot
// either does the same (stuck_snapshot) or does not exist (an older server: 404).
class StuckCursorTransport final : public Transport {
public:
    explicit StuckCursorTransport(bool stuck_snapshot = false) : m_stuck_snapshot(stuck_snapshot) {}
    Result<HttpResponse> request(const HttpRequest& req) override {
        if (req.path == "/v1/whoami") {
            return HttpResponse{200, R"({"device_id":"dev-1","user":"ann","team":"a","role":"worker"})", ""};
        }
        ++calls;
        if (req.path == "/v1/schemas") {
            return HttpResponse{304, "", ""};
        }
        if (req.path.rfind("/v1/snapshot", 0) == 0) {
            ++snapshot_calls;
            return m_stuck_snapshot
                       ? HttpResponse{200, R"({"team":"a","records":[],"next":"","cursor":"5","more":true})", ""}
                       : HttpResponse{404, R"({"error":{"code":"x","message":"no such path"}})", ""};
        }
        return HttpResponse{200, R"({"changes":[],"cursor":"5","more":true})", ""};
    }
    std::atomic<int> calls = 0;
    std::atomic<int> snapshot_calls = 0;

private:
    bool m_stuck_snapshot;
};

}  // namespace

TEST_CASE("SyncEngine: a server whose cursor never moves gets a clear error, not an endless pull") {
    TempDir tmp;
    auto stuck = std::make_unique<StuckCursorTransport>();
    StuckCursorTransport* t = stuck.get();
    Device d(tmp / "d.db", Credentials{"dev-1", "token", "ann", "a", "worker"}, std::move(stuck));
    auto s = d.sync();
    REQUIRE_FALSE(s.is_ok());
    CHECK(s.status().code() == errc::kSyncServerError);
    CHECK(d.engine->state().phase == SyncPhase::kError);
    CHECK(t->calls == 4);           // schemas, snapshot (404), a first pull, and the pull that did not move
    CHECK(t->snapshot_calls == 1);  // no snapshot there: the log from the start
}

TEST_CASE("SyncEngine: a snapshot that never moves on gets a clear error, not an endless first sync") {
    TempDir tmp;
    auto stuck = std::make_unique<StuckCursorTransport>(/*stuck_snapshot=*/true);
    StuckCursorTransport* t = stuck.get();
    Device d(tmp / "d.db", Credentials{"dev-1", "token", "ann", "a", "worker"}, std::move(stuck));
    auto s = d.sync();
    REQUIRE_FALSE(s.is_ok());
    CHECK(s.status().code() == errc::kSyncServerError);
    CHECK(t->snapshot_calls == 1);  // the first page already shows it did not move
}

namespace {

// Fault injection: the real server, but the first push is lost on the way (no response).
class FirstPushLost final : public Transport {
public:
    explicit FirstPushLost(std::unique_ptr<Transport> real) : m_real(std::move(real)) {}
    Result<HttpResponse> request(const HttpRequest& req) override {
        if (req.path == "/v1/push" && !m_failed) {
            m_failed = true;
            return Status::error(errc::kSyncNetworkUnreachable, "connection reset");
        }
        return m_real->request(req);
    }

private:
    std::unique_ptr<Transport> m_real;
    bool m_failed = false;
};

}  // namespace

// Found in review: an oversized value was refused (moving the outbox position past it) before the
// smaller changes ahead of it had been sent; when that push then failed, those changes were skipped
// for good.
TEST_CASE("SyncEngine: regression-oversized-value-never-skips-the-changes-before-it") {
    Team t;
    auto note = records::parse_schema(
        R"({"type":"note","version":1,"title":"Note","fields":[{"name":"body","kind":"long_text","label":"Body"}]})",
        "note.json");
    REQUIRE(note.is_ok());
    Device ann(t.tmp / "ann.db", t.enrol("ann"), std::make_unique<FirstPushLost>(t.transport()), {},
               SystemClock::instance(), {*note});
    const records::Record before = ann.create("home_visit", home_visit("Before the big one"));
    const records::Record big = ann.create("note", {{"body", std::string(70'000, 'x')}});
    const records::Record after = ann.create("home_visit", home_visit("After the big one"));
    auto lost = ann.sync();
    REQUIRE_FALSE(lost.is_ok());
    CHECK(lost.status().code() == errc::kSyncNetworkUnreachable);
    CHECK(ann.engine->state().waiting == 9);  // nothing moved past: 4 + 1 + 4 changes still wait
    auto s = ann.sync();
    REQUIRE(s.is_ok());
    CHECK(s->applied == 8);
    CHECK(s->rejected == 1);
    auto refused = ann.engine->refused();
    REQUIRE(refused.is_ok());
    REQUIRE(refused->size() == 1);
    CHECK(refused->front().record == big.id);
    CHECK(refused->front().code == errc::kSyncValueTooLarge);
    auto logged = t.storage->logged_changes(ann.creds.device_id);
    REQUIRE(logged.is_ok());
    CHECK(*logged == 8);
    auto bob = t.device("bob");
    REQUIRE(bob->sync().is_ok());
    CHECK(bob->all().count(before.id) == 1);
    CHECK(bob->all().count(after.id) == 1);
}
