// A first sync by snapshot (GET /v1/snapshot) against a real server: it must end exactly where a first
// sync by the change log ends, resume after a cut, and miss nothing written while it pages.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <mutex>

#include "outpost/core/error_codes.h"
#include "outpost/sync/sync_engine.h"
#include "store_helpers.h"
#include "sync_harness.h"

using namespace outpost;
using namespace outpost::sync;
using outpost::testing::Device;
using outpost::testing::home_visit;
using outpost::testing::SyncServerHarness;
using outpost::testing::TempDir;

namespace {

// Fault injection around a real transport: `hook` sees each request first and may answer it instead.
// Requests come from the sync thread and the snapshot's helper thread, one at a time.
class HookTransport final : public Transport {
public:
    using Hook = std::function<std::optional<Result<HttpResponse>>(const HttpRequest&)>;
    HookTransport(std::unique_ptr<Transport> real, Hook hook) : m_real(std::move(real)), m_hook(std::move(hook)) {}
    Result<HttpResponse> request(const HttpRequest& req) override {
        {
            std::lock_guard lock(m_mutex);
            paths.push_back(req.path);
        }
        if (auto answer = m_hook(req)) {
            return std::move(*answer);
        }
        return m_real->request(req);
    }
    std::vector<std::string> snapshot_paths() {
        std::lock_guard lock(m_mutex);
        std::vector<std::string> out;
        for (const auto& p : paths) {
            if (p.rfind("/v1/snapshot", 0) == 0) {
                out.push_back(p);
            }
        }
        return out;
    }

private:
    std::unique_ptr<Transport> m_real;
    Hook m_hook;
    std::mutex m_mutex;
    std::vector<std::string> paths;
};

std::optional<Result<HttpResponse>> pass(const HttpRequest&) {
    return std::nullopt;
}

// A hook that drops the connection on the nth snapshot request while `armed`, after calling `before`.
HookTransport::Hook cut_snapshot_request(int n, std::atomic<int>& count, std::atomic<bool>& armed,
                                         std::function<void()> before = {}) {
    return [n, &count, &armed, before = std::move(before)](const HttpRequest& req) {
        std::optional<Result<HttpResponse>> out;
        if (req.path.rfind("/v1/snapshot", 0) == 0 && ++count == n && armed) {
            if (before) {
                before();
            }
            out = Result<HttpResponse>(Status::error(errc::kSyncNetworkUnreachable, "cable pulled"));
        }
        return out;
    };
}

// A team "north" whose worker Ann has written `n` visits and synced; Sam is a worker still to enrol.
struct NorthTeam {
    SyncServerHarness server;
    TempDir tmp;
    std::unique_ptr<Device> ann;
    std::vector<std::string> ids;  // Ann's records, in record id order (the snapshot's page order)
    explicit NorthTeam(int n) {
        server.add_team("north");
        server.add_user("ann", "north", "worker");
        server.add_user("sam", "north", "worker");
        ann = std::make_unique<Device>(tmp / "ann.db", server.enrol("ann"), server.transport());
        for (int i = 0; i < n; ++i) {
            ids.push_back(ann->create("home_visit", home_visit("House " + std::to_string(i))).id);
        }
        REQUIRE(ann->sync().is_ok());
        std::sort(ids.begin(), ids.end());
    }
};

}  // namespace

TEST_CASE("Snapshot: a first sync by snapshot ends where a first sync by the change log ends") {
    SyncServerHarness server;
    server.add_team("north");
    server.add_user("ann", "north", "worker");
    server.add_user("bob", "north", "worker");
    server.add_user("sam", "north", "worker");
    server.add_user("lou", "north", "worker");
    TempDir tmp;
    Device ann(tmp / "ann.db", server.enrol("ann"), server.transport());
    Device bob(tmp / "bob.db", server.enrol("bob"), server.transport());
    std::vector<std::string> ids;
    for (int i = 0; i < 40; ++i) {
        ids.push_back(ann.create("home_visit", home_visit("House " + std::to_string(i))).id);
    }
    {
        std::lock_guard lock(ann.mutex);
        REQUIRE(ann.records->remove(ann.actor(), ids[3]).is_ok());
    }
    REQUIRE(ann.sync().is_ok());
    REQUIRE(bob.sync().is_ok());
    // A clash (both edit from the same base), edits on top, and a record of Bob's.
    REQUIRE(ann.update(ids[0], {{"household", std::string("Ann's")}}).is_ok());
    REQUIRE(bob.update(ids[0], {{"household", std::string("Bob's")}}).is_ok());
    REQUIRE(bob.update(ids[1], {{"visit_type", std::string("unannounced")}}).is_ok());
    bob.create("home_visit", home_visit("Bob's own"));
    REQUIRE(ann.sync().is_ok());
    REQUIRE(bob.sync().is_ok());
    REQUIRE(ann.sync().is_ok());

    SyncOptions small_pages;
    small_pages.pull_limit = 7;
    auto snap_t = std::make_unique<HookTransport>(server.transport(), pass);
    HookTransport* snap_hooks = snap_t.get();
    Device sam(tmp / "sam.db", server.enrol("sam"), std::move(snap_t), small_pages);
    // Lou's server "has no snapshot" (404, as an older server): the change log from the start.
    auto log_t = std::make_unique<HookTransport>(server.transport(), [](const HttpRequest& req) {
        std::optional<Result<HttpResponse>> out;
        if (req.path.rfind("/v1/snapshot", 0) == 0) {
            out = Result<HttpResponse>(HttpResponse{404, R"({"error":{"code":"x","message":"no"}})", ""});
        }
        return out;
    });
    Device lou(tmp / "lou.db", server.enrol("lou"), std::move(log_t), small_pages);
    auto s = sam.sync();
    REQUIRE_MESSAGE(s.is_ok(), s.status().to_string());
    REQUIRE(lou.sync().is_ok());
    // 42 records (40, Bob's, a conflict) in pages of 7, then the practice library's page (empty)
    CHECK(snap_hooks->snapshot_paths().size() == 7);

    const auto by_snapshot = sam.heads_map();
    CHECK(by_snapshot.size() > 40 * 4);
    CHECK(by_snapshot == lou.heads_map());
    CHECK(by_snapshot == ann.heads_map());
    const auto all = sam.all();
    CHECK(all.at(ids[3]).deleted);
    int conflicts = 0;
    for (const auto& [id, rec] : all) {
        conflicts += rec.type == "conflict" ? 1 : 0;
        CHECK(rec.created_by == lou.all().at(id).created_by);
        CHECK(rec.created_ms == lou.all().at(id).created_ms);
    }
    CHECK(conflicts == 1);
    // Search works on what came by snapshot, and the history shows who wrote each value.
    {
        std::lock_guard lock(sam.mutex);
        records::ListQuery q;
        q.search = "Bob's own";
        auto hits = sam.records->list(q);
        REQUIRE(hits.is_ok());
        CHECK(hits->records.size() == 1);
        auto h = sam.records->history(ids[1]);
        REQUIRE(h.is_ok());
        bool bobs = false;
        for (const auto& c : *h) {
            bobs = bobs || (c.field == "visit_type" && c.author == "bob");
        }
        CHECK(bobs);
    }
    // Then it is an ordinary device: new changes arrive by the log, and a no-op sync moves nothing.
    REQUIRE(ann.update(ids[5], {{"household", std::string("After")}}).is_ok());
    REQUIRE(ann.sync().is_ok());
    auto again = sam.sync();
    REQUIRE(again.is_ok());
    CHECK(again->pulled == 1);
    CHECK(std::get<std::string>(sam.all().at(ids[5]).values.at("household")) == "After");
}

TEST_CASE("Snapshot: a first sync cut between pages resumes where it was, and a write made meanwhile arrives") {
    NorthTeam north(20);
    Device& ann = *north.ann;
    const std::vector<std::string>& in_order = north.ids;  // in_order[0..4] is page 1

    std::atomic<int> snapshot_requests = 0;
    std::atomic<bool> cut = true;
    auto t = std::make_unique<HookTransport>(
        north.server.transport(), cut_snapshot_request(2, snapshot_requests, cut, [&] {
            // While the first page is being written, Ann edits a record it already holds; then the line drops.
            REQUIRE(ann.update(in_order[0], {{"household", std::string("Edited meanwhile")}}).is_ok());
            REQUIRE(ann.sync().is_ok());
        }));
    HookTransport* hooks = t.get();
    SyncOptions small_pages;
    small_pages.pull_limit = 5;
    Device sam(north.tmp / "sam.db", north.server.enrol("sam"), std::move(t), small_pages);
    auto first = sam.sync();
    REQUIRE_FALSE(first.is_ok());
    CHECK(first.status().code() == errc::kSyncNetworkUnreachable);
    CHECK(sam.all().size() == 5);  // the first page is kept
    cut = false;
    auto second = sam.sync();
    REQUIRE_MESSAGE(second.is_ok(), second.status().to_string());
    const auto paths = hooks->snapshot_paths();
    // pages 1 and 2 (cut), then 2, 3 and 4 of 5 records each, then the practice library's
    REQUIRE(paths.size() == 6);
    CHECK(paths[5].find("after=*") != std::string::npos);
    CHECK(paths[2].find("after=" + in_order[4]) != std::string::npos);  // resumed after the first page
    const auto all = sam.all();
    CHECK(all.size() == 20);
    CHECK(std::get<std::string>(all.at(in_order[0]).values.at("household")) == "Edited meanwhile");
    CHECK(sam.heads_map() == ann.heads_map());
}

TEST_CASE("Snapshot: a first sync leaves the store on its durable settings, even when it fails") {
    NorthTeam north(12);
    std::atomic<int> calls = 0;
    std::atomic<bool> armed = true;
    auto t = std::make_unique<HookTransport>(north.server.transport(), cut_snapshot_request(2, calls, armed));
    SyncOptions small_pages;
    small_pages.pull_limit = 5;
    Device sam(north.tmp / "sam.db", north.server.enrol("sam"), std::move(t), small_pages);
    auto pragmas = [&] {
        std::lock_guard lock(sam.mutex);
        return std::make_pair(outpost::testing::query_int(sam.store->handle(), "PRAGMA synchronous"),
                              outpost::testing::query_int(sam.store->handle(), "PRAGMA wal_autocheckpoint"));
    };
    const auto durable = pragmas();
    CHECK(durable.first == 2);  // FULL
    CHECK_FALSE(sam.sync().is_ok());
    CHECK(pragmas() == durable);
    REQUIRE(sam.sync().is_ok());
    CHECK(pragmas() == durable);
    CHECK(sam.all().size() == 12);
}
