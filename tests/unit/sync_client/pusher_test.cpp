// Pusher (the push pipeline) and the StateBoard it reports to, against a scripted server: what is
// sent, what is committed with the outbox position, what is refused, and what is published.
#include "pusher.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <set>

#include "outpost/sync/sync_messages.h"
#include "state_board.h"
#include "sync_pieces.h"

using namespace outpost;
using namespace outpost::sync;
using outpost::testing::error_answer;
using outpost::testing::PiecesLaptop;

namespace {

// A push server: refuses whole any batch holding `bad_seq` (413, as a server does for a batch it cannot
// take), refuses `rejected_seq` alone in its answers, applies the rest. Keeps every batch it saw.
struct PushServer {
    std::int64_t bad_seq = -1;
    std::int64_t rejected_seq = -1;
    std::vector<PushRequest> seen;

    Result<HttpResponse> operator()(const HttpRequest& req) {
        REQUIRE(req.path == "/v1/push");
        auto push = decode_push_request(req.body);
        REQUIRE(push.is_ok());
        seen.push_back(*push);
        const bool holds_bad = std::any_of(push->changes.begin(), push->changes.end(),
                                           [&](const WireChange& w) { return w.seq == bad_seq; });
        if (holds_bad) {
            return push->changes.size() > 1 ? error_answer(413, errc::kSyncBatchTooLarge, "too many")
                                            : error_answer(413, errc::kSyncValueTooLarge, "too large");
        }
        PushResponse answer;
        for (const WireChange& w : push->changes) {
            ChangeResult r{.seq = w.seq};
            if (w.seq == rejected_seq) {
                r.outcome = ChangeOutcome::kRejected;
                r.code = errc::kSyncScopeForbidden;
                r.message = "not your team's";
            }
            answer.results.push_back(r);
        }
        return HttpResponse{.status = 200, .body = encode(answer)};
    }
};

}  // namespace

TEST_CASE("StateBoard: progress is counted, and each step publishes a copy of the state") {
    std::vector<SyncState> seen;
    StateBoard board([&](const SyncState& s) { seen.push_back(s); });
    board.update([](SyncState& s) { s.phase = SyncPhase::kSyncing; });
    CHECK(seen.empty());  // an update alone publishes nothing
    board.add_pushed(3);
    board.add_pulled(5);
    board.add_pushed(2);
    REQUIRE(seen.size() == 3);
    CHECK(seen[0].pushed == 3);
    CHECK(seen[0].pulled == 0);
    CHECK(seen[1].pulled == 5);
    CHECK(seen[2].pushed == 5);
    CHECK(seen[2].phase == SyncPhase::kSyncing);
    CHECK(board.get().pushed == 5);
    StateBoard silent(nullptr);
    silent.add_pulled(1);  // no callback: counted only
    CHECK(silent.get().pulled == 1);
}

TEST_CASE("Pusher: batches are answered and committed with the outbox position, the progress published") {
    SyncOptions o;
    o.push_batch = 3;
    PiecesLaptop l(o);
    l.visit("The Okafor family");
    l.visit("Flat 3");
    const std::vector<records::Change> all = l.outbox();
    PushServer server;
    server.rejected_seq = all[1].seq;
    l.transport.answer = std::ref(server);
    SyncSummary summary;
    REQUIRE(Pusher(*l.ctx, summary).run().is_ok());

    const auto n = static_cast<std::int64_t>(all.size());
    CHECK(summary.pushed == n);
    CHECK(summary.applied == n - 1);
    CHECK(summary.rejected == 1);
    // Two records of four answers in pushes of three: a push that would split a record's save ends
    // before it (the server checks a record as a whole), unless the record alone fills it.
    REQUIRE(all.size() == 8);
    CHECK(summary.requests == 4);
    REQUIRE(server.seen.size() == 4);
    CHECK(server.seen[0].from_seq == all[0].seq);
    CHECK(server.seen[0].to_seq == all[2].seq);
    CHECK(server.seen[1].from_seq == all[3].seq);
    CHECK(server.seen[1].to_seq == all[3].seq);
    CHECK(server.seen[2].from_seq == all[4].seq);
    CHECK(server.seen[3].to_seq == all[7].seq);
    CHECK(server.seen[0].device_id == "dev-ann");
    CHECK(*l.ctx->client.get_i64("pushed_upto") == all.back().seq);
    CHECK(*l.ctx->client.count_waiting("dev-ann") == 0);
    auto refused = l.ctx->client.refused();
    REQUIRE(refused->size() == 1);
    CHECK(refused->front().seq == all[1].seq);
    CHECK(refused->front().code == errc::kSyncScopeForbidden);
    CHECK(l.ctx->board.get().pushed == n);
    REQUIRE_FALSE(l.published.empty());
    CHECK(l.published.back().pushed == n);
    CHECK(l.transport.requests.front().bearer_token == "token-ann");

    // Nothing left: a second push sends nothing.
    SyncSummary again;
    REQUIRE(Pusher(*l.ctx, again).run().is_ok());
    CHECK(again.requests == 0);
}

TEST_CASE("Pusher: a batch the server cannot take whole is halved until the one change at fault is refused alone") {
    PiecesLaptop l;
    l.visit("The Okafor family");
    l.visit("Flat 3");
    const std::vector<records::Change> all = l.outbox();
    REQUIRE(all.size() >= 4);
    PushServer server;
    server.bad_seq = all[all.size() / 2].seq;
    l.transport.answer = std::ref(server);
    SyncSummary summary;
    REQUIRE(Pusher(*l.ctx, summary).run().is_ok());

    CHECK(summary.rejected == 1);
    CHECK(summary.applied == static_cast<std::int64_t>(all.size()) - 1);
    CHECK(server.seen.front().changes.size() == all.size());  // first the whole outbox
    auto refused = l.ctx->client.refused();
    REQUIRE(refused->size() == 1);
    CHECK(refused->front().seq == server.bad_seq);
    CHECK(refused->front().code == errc::kSyncValueTooLarge);
    CHECK(*l.ctx->client.get_i64("pushed_upto") == all.back().seq);
    std::set<std::int64_t> answered;
    for (const PushRequest& p : server.seen) {
        for (const WireChange& w : p.changes) {
            answered.insert(w.seq);
        }
    }
    CHECK(answered.size() == all.size());  // every change was offered; none skipped
}

TEST_CASE("Pusher: a change too large to send is refused here, after the changes before it, and never sent") {
    auto note = records::parse_schema(
        R"({"type":"note","version":1,"title":"Note","fields":[{"name":"body","kind":"long_text","label":"Body"}]})",
        "note.json");
    REQUIRE(note.is_ok());
    PiecesLaptop l({}, {*note});
    l.visit("Before the big one");
    std::string big_id;
    {
        std::lock_guard lock(l.mutex);
        auto r = l.records->create(l.actor(), "note", {{"body", std::string(70'000, 'x')}});
        REQUIRE(r.is_ok());
        big_id = r->id;
    }
    l.visit("After the big one");
    const std::vector<records::Change> all = l.outbox();
    PushServer server;
    l.transport.answer = std::ref(server);
    SyncSummary summary;
    REQUIRE(Pusher(*l.ctx, summary).run().is_ok());

    CHECK(summary.rejected == 1);
    CHECK(summary.applied == static_cast<std::int64_t>(all.size()) - 1);
    for (const PushRequest& p : server.seen) {
        for (const WireChange& w : p.changes) {
            CHECK(w.record != big_id);
        }
    }
    REQUIRE(server.seen.size() == 2);  // before it, then after it
    auto refused = l.ctx->client.refused();
    REQUIRE(refused->size() == 1);
    CHECK(refused->front().record == big_id);
    CHECK(refused->front().code == errc::kSyncValueTooLarge);
    CHECK(*l.ctx->client.get_i64("pushed_upto") == all.back().seq);
}

TEST_CASE("Pusher: a lost network stops the push, and the outbox position stays after the last batch answered") {
    SyncOptions o;
    o.push_batch = 2;
    PiecesLaptop l(o);
    l.visit("The Okafor family");
    const std::vector<records::Change> all = l.outbox();
    REQUIRE(all.size() > 2);
    PushServer server;
    int pushes = 0;
    l.transport.answer = [&](const HttpRequest& req) -> Result<HttpResponse> {
        if (++pushes > 1) {
            return Status::error(errc::kSyncNetworkUnreachable, "cable pulled");
        }
        return server(req);
    };
    SyncSummary summary;
    const Status s = Pusher(*l.ctx, summary).run();
    CHECK(s.code() == errc::kSyncNetworkUnreachable);
    CHECK(summary.pushed == 2);  // the first batch's commit was settled before returning
    CHECK(*l.ctx->client.get_i64("pushed_upto") == all[1].seq);
    CHECK(*l.ctx->client.count_waiting("dev-ann") == static_cast<std::int64_t>(all.size()) - 2);
    CHECK(l.ctx->client.refused()->empty());
}
