// The suggestion review loop end to end (issue #7), through a real server on 127.0.0.1 and laptops
// with real encrypted stores: decisions reaching the submitter, the practice library reaching other
// teams, adoptions, endorsements once per worker, duplicates and comment threads.
#include <doctest/doctest.h>

#include <chrono>
#include <ctime>
#include <thread>

#include "outpost/core/error_codes.h"
#include "outpost/core/records/review.h"
#include "sync_harness.h"

using namespace outpost;
using outpost::testing::Device;
using outpost::testing::idea;
using outpost::testing::SyncServerHarness;

namespace {

struct Loop : SyncServerHarness {
    outpost::testing::TempDir dirs;
    Loop() {
        add_team("a");
        add_team("b");
        add_user("ann", "a", "worker");
        add_user("bob", "a", "worker");
        add_user("cat", "a", "worker");
        add_user("lee", "a", "lead");
        add_user("zed", "b", "worker");
        add_user("zoe", "b", "lead");
    }
    std::unique_ptr<Device> laptop(const std::string& user, const std::string& name = "") {
        return std::make_unique<Device>(dirs / (name.empty() ? user : name), enrol(user), transport());
    }
};

void sync_ok(Device& d) {
    auto s = d.sync();
    REQUIRE(s.is_ok());
}

std::vector<records::Record> of_type(Device& d, const std::string& type) {
    std::vector<records::Record> out;
    for (auto& [id, r] : d.all()) {
        if (r.type == type) {
            out.push_back(r);
        }
    }
    return out;
}

std::vector<records::SuggestionSummary> summaries(Device& d) {
    return records::summarise(of_type(d, "suggestion"), of_type(d, "endorsement"), of_type(d, "comment"), d.creds.user);
}

const records::SuggestionSummary& find(const std::vector<records::SuggestionSummary>& all, const std::string& id) {
    for (const auto& s : all) {
        if (s.id == id) {
            return s;
        }
    }
    FAIL("no suggestion " << id);
    throw std::logic_error("unreachable");
}

// Now, as a datetime answer (the dashboard measures days to a decision from it).
std::string iso_now() {
    const std::time_t t = std::time(nullptr) + 60;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

Status decide(Device& lead, const std::string& id, const std::string& status, const std::string& note) {
    return lead.update(
        id,
        {{"decision_note", note}, {"status", status}, {"reviewed_by", lead.creds.user}, {"reviewed_at", iso_now()}});
}

// The lead takes `id` through review to accepted, with `note`, and shares it to the library.
void accept_and_share(Device& lead, const std::string& id, const std::string& note) {
    REQUIRE(lead.update(id, {{"status", std::string("under_review")}}).is_ok());
    REQUIRE(decide(lead, id, "accepted", note).is_ok());
    REQUIRE(lead.update(id, {{"shared_to_library", true}}).is_ok());
}

Status put(Device& d, const std::string& id, const std::string& type, const records::Values& v) {
    std::lock_guard lock(d.mutex);
    return d.records->put(d.actor(), id, type, v).status();
}

}  // namespace

TEST_CASE("Review loop: an offline suggestion is accepted, the worker sees the decision, another team adopts it") {
    Loop f;
    auto ann = f.laptop("ann");
    auto lee = f.laptop("lee");
    auto zed = f.laptop("zed");
    auto zoe = f.laptop("zoe");
    // The worker writes offline; the suggestion waits on her laptop until a sync.
    const records::Record s = ann->create("suggestion", idea("Type the visit form once"));
    sync_ok(*lee);
    CHECK(of_type(*lee, "suggestion").empty());
    sync_ok(*ann);
    sync_ok(*lee);
    REQUIRE(of_type(*lee, "suggestion").size() == 1);

    REQUIRE(lee->update(s.id, {{"status", std::string("under_review")}}).is_ok());
    REQUIRE(decide(*lee, s.id, "accepted", "Yes: from January, one form").is_ok());
    sync_ok(*lee);
    CHECK(records::notices(summaries(*ann), "ann", {}).empty());  // not before her sync
    sync_ok(*ann);
    const auto news = records::notices(summaries(*ann), "ann", {});
    REQUIRE(news.size() == 1);
    CHECK(news[0].suggestion == s.id);
    CHECK(news[0].status == "accepted");
    CHECK(news[0].text == "Accepted: Yes: from January, one form");
    CHECK(records::notices(summaries(*ann), "ann", {news[0].key}).empty());  // read: gone

    // Shared, it reaches team b's laptops, read-only, naming the team and not the person.
    REQUIRE(lee->update(s.id, {{"shared_to_library", true}}).is_ok());
    sync_ok(*lee);
    sync_ok(*zed);
    const auto practices = of_type(*zed, "practice");
    REQUIRE(practices.size() == 1);
    const records::Record& p = practices[0];
    CHECK(p.id == records::practice_id(s.id));
    CHECK(p.team == "*");
    CHECK(p.created_by == "server");
    CHECK(records::text_of(p, "title") == "Type the visit form once");
    CHECK(records::text_of(p, "source_team") == "a");
    CHECK(records::text_of(p, "decision_note") == "Yes: from January, one form");
    CHECK(of_type(*zed, "suggestion").empty());  // team a's suggestion itself stays in team a
    Status edit = zed->update(p.id, {{"title", std::string("Mine now")}});
    CHECK(edit.code() == errc::kRecordReadOnly);

    // Only a lead marks "adopted here"; then the spread shows on the sharing team's dashboard.
    Status worker_adopts = put(*zed, records::adoption_id(p.id, "b"), "adoption", {{"practice", p.id}});
    CHECK(worker_adopts.code() == errc::kRecordInvalid);
    REQUIRE(put(*zoe, records::adoption_id(p.id, "b"), "adoption", {{"practice", p.id}}).is_ok());
    sync_ok(*zoe);
    sync_ok(*lee);
    const auto lee_practices = of_type(*lee, "practice");
    REQUIRE(lee_practices.size() == 1);
    CHECK(records::text_of(lee_practices[0], "adopted_by") == "b");
    const auto dash = records::dashboard(summaries(*lee), lee_practices, of_type(*lee, "adoption"), "a");
    REQUIRE(dash.adoption.size() == 1);
    CHECK(dash.adoption[0] == std::pair<std::string, int>{"Type the visit form once", 1});
    CHECK(dash.decisions == 1);
    sync_ok(*zoe);
    CHECK(records::dashboard({}, of_type(*zoe, "practice"), of_type(*zoe, "adoption"), "b").adopted_here == 1);

    // Implemented later: the library copy follows the suggestion.
    REQUIRE(lee->update(s.id, {{"status", std::string("implemented")}}).is_ok());
    sync_ok(*lee);
    sync_ok(*zed);
    CHECK(records::text_of(of_type(*zed, "practice")[0], "status") == "implemented");
    // Unshared, it leaves the library.
    REQUIRE(lee->update(s.id, {{"shared_to_library", false}}).is_ok());
    sync_ok(*lee);
    sync_ok(*zed);
    CHECK(of_type(*zed, "practice")[0].deleted);
}

TEST_CASE("Review loop: a suggestion is not published while it is undecided, even when marked shared") {
    Loop f;
    auto ann = f.laptop("ann");
    auto lee = f.laptop("lee");
    auto zed = f.laptop("zed");
    const records::Record s = ann->create("suggestion", idea("Not yet decided"));
    sync_ok(*ann);
    sync_ok(*lee);
    REQUIRE(lee->update(s.id, {{"shared_to_library", true}}).is_ok());
    sync_ok(*lee);
    sync_ok(*zed);
    CHECK(of_type(*zed, "practice").empty());
    // Accepting it, later and offline in the same push, publishes it then.
    REQUIRE(lee->update(s.id, {{"status", std::string("under_review")}}).is_ok());
    REQUIRE(decide(*lee, s.id, "accepted", "Good").is_ok());
    sync_ok(*lee);
    sync_ok(*zed);
    CHECK(of_type(*zed, "practice").size() == 1);
}

TEST_CASE("Review loop: a practice reaches a laptop that joins later, through its first-sync snapshot") {
    Loop f;
    auto ann = f.laptop("ann");
    auto lee = f.laptop("lee");
    const records::Record s = ann->create("suggestion", idea("Shared before b joined"));
    sync_ok(*ann);
    sync_ok(*lee);
    accept_and_share(*lee, s.id, "Good");
    sync_ok(*lee);
    auto zed = f.laptop("zed");  // enrols now: the first sync is a snapshot
    sync_ok(*zed);
    const auto practices = of_type(*zed, "practice");
    REQUIRE(practices.size() == 1);
    CHECK(records::text_of(practices[0], "title") == "Shared before b joined");
    CHECK(practices[0].team == "*");
    auto zoe = f.laptop("zoe");
    sync_ok(*zoe);
    CHECK(of_type(*zoe, "practice").size() == 1);
    CHECK(of_type(*zoe, "suggestion").empty());
}

TEST_CASE("Review loop: endorsements count once per worker, even from two laptops offline") {
    Loop f;
    auto ann = f.laptop("ann");
    auto lee = f.laptop("lee");
    auto bob1 = f.laptop("bob", "bob1");
    auto bob2 = f.laptop("bob", "bob2");
    auto cat = f.laptop("cat");
    const records::Record s = ann->create("suggestion", idea("Endorse me"));
    sync_ok(*ann);
    for (Device* d : {bob1.get(), bob2.get(), cat.get()}) {
        sync_ok(*d);
    }
    const std::string bob_e = records::endorsement_id(s.id, "bob");
    REQUIRE(put(*bob1, bob_e, "endorsement", {{"suggestion", s.id}}).is_ok());
    REQUIRE(put(*bob2, bob_e, "endorsement", {{"suggestion", s.id}}).is_ok());  // the same +1, offline
    REQUIRE(put(*ann, records::endorsement_id(s.id, "ann"), "endorsement", {{"suggestion", s.id}}).is_ok());
    // A +1 forged on cat's laptop under an id that is not cat's is refused.
    REQUIRE(put(*cat, records::endorsement_id(s.id, "dan"), "endorsement", {{"suggestion", s.id}}).is_ok());
    for (Device* d : {bob1.get(), bob2.get(), ann.get(), cat.get()}) {
        sync_ok(*d);
    }
    auto refused = cat->engine->refused();
    REQUIRE(refused.is_ok());
    REQUIRE(refused->size() == 2);  // the forged target, then the record it would have made
    for (const auto& r : *refused) {
        CHECK(r.code == errc::kSyncScopeForbidden);
    }
    sync_ok(*lee);
    CHECK(of_type(*lee, "endorsement").size() == 2);       // bob's one record, ann's own
    CHECK(find(summaries(*lee), s.id).endorsements == 1);  // the submitter's own +1 does not count
    REQUIRE(put(*cat, records::endorsement_id(s.id, "cat"), "endorsement", {{"suggestion", s.id}}).is_ok());
    sync_ok(*cat);
    // cat cannot take back bob's +1: the server refuses, and bob's +1 stands.
    sync_ok(*cat);
    REQUIRE(cat->records != nullptr);
    {
        std::lock_guard lock(cat->mutex);
        REQUIRE(cat->records->remove(cat->actor(), bob_e).is_ok());
    }
    sync_ok(*cat);
    refused = cat->engine->refused();
    REQUIRE(refused.is_ok());
    CHECK(refused->size() == 3);
    sync_ok(*lee);
    CHECK(find(summaries(*lee), s.id).endorsements == 2);
    // bob takes his back himself.
    {
        std::lock_guard lock(bob1->mutex);
        REQUIRE(bob1->records->remove(bob1->actor(), bob_e).is_ok());
    }
    sync_ok(*bob1);
    sync_ok(*lee);
    CHECK(find(summaries(*lee), s.id).endorsements == 1);
    sync_ok(*bob2);
    CHECK(!find(summaries(*bob2), s.id).endorsed_by_me);
}

TEST_CASE("Review loop: a duplicate folds its support into the original and tells both submitters") {
    Loop f;
    auto ann = f.laptop("ann");
    auto bob = f.laptop("bob");
    auto cat = f.laptop("cat");
    auto lee = f.laptop("lee");
    const records::Record original = ann->create("suggestion", idea("One visit form"));
    sync_ok(*ann);
    const records::Record dup = bob->create("suggestion", idea("Single form for visits"));
    sync_ok(*bob);
    sync_ok(*cat);
    REQUIRE(put(*cat, records::endorsement_id(dup.id, "cat"), "endorsement", {{"suggestion", dup.id}}).is_ok());
    sync_ok(*cat);
    sync_ok(*lee);
    CHECK(find(summaries(*lee), original.id).endorsements == 0);
    REQUIRE(lee->update(dup.id, {{"status", std::string("under_review")}}).is_ok());
    REQUIRE(lee->update(dup.id, {{"duplicate_of", original.id},
                                 {"decision_note", std::string("Same idea as \u201cOne visit form\u201d")},
                                 {"status", std::string("declined")},
                                 {"reviewed_by", std::string("lee")},
                                 {"reviewed_at", std::string("2026-12-01T10:00:00Z")}})
                .is_ok());
    sync_ok(*lee);
    sync_ok(*ann);
    sync_ok(*bob);
    const auto folded = find(summaries(*ann), original.id);
    CHECK(folded.endorsements == 2);  // bob (who had the idea too) and cat (who backed his)
    CHECK(folded.duplicates == std::vector<std::string>{dup.id});
    const auto ann_news = records::notices(summaries(*ann), "ann", {});
    REQUIRE(ann_news.size() == 1);
    CHECK(ann_news[0].status == "duplicate");
    CHECK(ann_news[0].suggestion == original.id);
    const auto bob_news = records::notices(summaries(*bob), "bob", {});
    REQUIRE(bob_news.size() == 1);
    CHECK(bob_news[0].suggestion == dup.id);
    CHECK(bob_news[0].text == "Declined as a duplicate: Same idea as \u201cOne visit form\u201d");
}

TEST_CASE("Review loop: a comment thread syncs to the team, and only a comment's author may change it") {
    Loop f;
    auto ann = f.laptop("ann");
    auto lee = f.laptop("lee");
    auto zed = f.laptop("zed");
    const records::Record s = ann->create("suggestion", idea("Discuss me"));
    sync_ok(*ann);
    sync_ok(*lee);
    const records::Record q = lee->create("comment", {{"suggestion", s.id}, {"body", std::string("Which form?")}});
    sync_ok(*lee);
    sync_ok(*ann);
    const records::Record a =
        ann->create("comment", {{"suggestion", s.id}, {"body", std::string("The visit form, \"HV1\"")}});
    sync_ok(*ann);
    sync_ok(*lee);
    auto thread = of_type(*lee, "comment");
    REQUIRE(thread.size() == 2);
    std::sort(thread.begin(), thread.end(), [](const auto& x, const auto& y) { return x.created_ms < y.created_ms; });
    CHECK(thread[0].id == q.id);
    CHECK(thread[1].id == a.id);
    CHECK(records::text_of(thread[1], "body") == "The visit form, \"HV1\"");
    CHECK(find(summaries(*lee), s.id).comments == 2);
    // The lead edits ann's comment on his laptop; the server refuses it, and ann's words stand.
    REQUIRE(lee->update(a.id, {{"body", std::string("Something else")}}).is_ok());
    sync_ok(*lee);
    auto refused = lee->engine->refused();
    REQUIRE(refused.is_ok());
    REQUIRE(refused->size() == 1);
    CHECK(refused->front().code == errc::kSyncScopeForbidden);
    sync_ok(*ann);
    CHECK(records::text_of(ann->all().at(a.id), "body") == "The visit form, \"HV1\"");
    sync_ok(*zed);
    CHECK(of_type(*zed, "comment").empty());  // another team sees none of it
}

namespace {

// A device that speaks the protocol by hand (a modified or hostile laptop), with its own seqs.
struct RawDevice {
    sync::Credentials creds;
    std::unique_ptr<sync::Transport> transport;
    std::int64_t seq = 0;
    // Pushes one change; returns the server's answer to it.
    sync::ChangeResult push(const std::string& record, const std::string& type, const std::string& field,
                            const std::string& value) {
        sync::WireChange c;
        c.seq = ++seq;
        c.record = record;
        c.type = type;
        c.team = creds.team;
        c.field = field;
        c.value = value;
        c.hlc = records::Hlc::from(static_cast<std::uint64_t>(SystemClock::instance().now_ms()), 7).to_string();
        c.base = records::Hlc{}.to_string();
        sync::PushRequest req;
        req.device_id = creds.device_id;
        req.from_seq = c.seq;
        req.to_seq = c.seq;
        req.changes = {c};
        auto res = transport->request(
            {.method = "POST", .path = "/v1/push", .body = sync::encode(req), .bearer_token = creds.token});
        REQUIRE(res.is_ok());
        REQUIRE(res->status == 200);
        auto answer = sync::decode_push_response(res->body);
        REQUIRE(answer.is_ok());
        REQUIRE(answer->results.size() == 1);
        return answer->results[0];
    }
};

}  // namespace

TEST_CASE(
    "Review loop: regression - a worker could rewrite or delete a suggestion after the lead accepted and shared it") {
    Loop f;
    auto ann = f.laptop("ann");
    auto lee = f.laptop("lee");
    const records::Record s = ann->create("suggestion", idea("Accepted as written"));
    sync_ok(*ann);
    sync_ok(*lee);
    accept_and_share(*lee, s.id, "As written");
    sync_ok(*lee);
    sync_ok(*ann);
    // On her laptop: refused, with the reason.
    Status local = ann->update(s.id, {{"proposed_change", std::string("Something nobody accepted")}});
    CHECK(local.code() == errc::kRecordInvalid);
    {
        std::lock_guard lock(ann->mutex);
        CHECK(ann->records->remove(ann->actor(), s.id).code() == errc::kRecordInvalid);
    }
    // From a modified laptop: refused by the server, and the library keeps what was accepted.
    RawDevice raw{f.enrol("bob"), f.transport()};
    CHECK(raw.push(s.id, "suggestion", "proposed_change", "\"Something nobody accepted\"").code ==
          errc::kFieldNotEditable);
    CHECK(raw.push(s.id, "suggestion", "_deleted", "true").code == errc::kFieldNotEditable);
    CHECK(raw.push("p-in-my-team", "practice", "_deleted", "false").code == errc::kFieldNotEditable);
    auto zed = f.laptop("zed");
    sync_ok(*zed);
    const auto practices = of_type(*zed, "practice");
    REQUIRE(practices.size() == 1);
    CHECK(records::text_of(practices[0], "proposed_change") == "Type it once, on the laptop");
    CHECK_FALSE(practices[0].deleted);
    // The lead still may.
    REQUIRE(lee->update(s.id, {{"proposed_change", std::string("Type it once, on the laptop, from May")}}).is_ok());
    sync_ok(*lee);
    sync_ok(*zed);
    CHECK(records::text_of(of_type(*zed, "practice")[0], "proposed_change") == "Type it once, on the laptop, from May");
}

TEST_CASE("Review loop: regression - another person's endorsement id could be taken first, through another field") {
    Loop f;
    auto ann = f.laptop("ann");
    auto cat = f.laptop("cat");
    const records::Record s = ann->create("suggestion", idea("Squat on my +1"));
    sync_ok(*ann);
    sync_ok(*cat);
    RawDevice bob{f.enrol("bob"), f.transport()};
    CHECK(bob.push(records::endorsement_id(s.id, "cat"), "endorsement", "_deleted", "false").code ==
          errc::kSyncScopeForbidden);
    CHECK(bob.push("*0000", "comment", "body", "\"sorts first\"").code == errc::kProtocolMalformed);
    // cat's +1 goes through as if nothing happened.
    REQUIRE(put(*cat, records::endorsement_id(s.id, "cat"), "endorsement", {{"suggestion", s.id}}).is_ok());
    sync_ok(*cat);
    auto refused = cat->engine->refused();
    REQUIRE(refused.is_ok());
    CHECK(refused->empty());
    sync_ok(*ann);
    CHECK(find(summaries(*ann), s.id).endorsements == 1);
}

TEST_CASE("Review loop: regression - a +1 given again on a second laptop was lost to the first laptop's take-back") {
    Loop f;
    auto ann = f.laptop("ann");
    auto bob1 = f.laptop("bob", "bob1");
    auto bob2 = f.laptop("bob", "bob2");
    const records::Record s = ann->create("suggestion", idea("Back and forth"));
    sync_ok(*ann);
    sync_ok(*bob1);
    sync_ok(*bob2);
    const std::string e = records::endorsement_id(s.id, "bob");
    REQUIRE(put(*bob1, e, "endorsement", {{"suggestion", s.id}}).is_ok());
    sync_ok(*bob1);
    {
        std::lock_guard lock(bob1->mutex);
        REQUIRE(bob1->records->remove(bob1->actor(), e).is_ok());
    }
    sync_ok(*bob1);
    // bob2 never saw either, and gives his +1 later: it is the newer intent, and it stands.
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    REQUIRE(put(*bob2, e, "endorsement", {{"suggestion", s.id}}).is_ok());
    sync_ok(*bob2);
    sync_ok(*ann);
    CHECK(find(summaries(*ann), s.id).endorsements == 1);
    CHECK(find(summaries(*bob2), s.id).endorsed_by_me);
}
