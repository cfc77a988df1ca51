// The review loop's read models (records/review.h): derived ids, the lead's queue, endorsement
// counts with duplicates folded in, the notices and the dashboard. Pure functions over records.
#include "outpost/core/records/review.h"

#include <doctest/doctest.h>

#include <regex>

#include "outpost/core/time_format.h"

using namespace outpost::records;

namespace {

constexpr std::int64_t kDay = 86'400'000;
constexpr std::int64_t kNow = 1'780'000'000'000;

Record suggestion(const std::string& id, const std::string& by, std::int64_t age_days, const std::string& status = "",
                  const std::string& category = "process") {
    Record r;
    r.id = id;
    r.type = "suggestion";
    r.team = "a";
    r.created_by = by;
    r.created_ms = kNow - age_days * kDay;
    r.values["title"] = "Idea " + id;
    r.values["category"] = category;
    if (!status.empty()) {
        r.values["status"] = status;
    }
    return r;
}

Record endorsement(const std::string& suggestion_id, const std::string& by, bool deleted = false) {
    Record r;
    r.id = endorsement_id(suggestion_id, by);
    r.type = "endorsement";
    r.team = "a";
    r.created_by = by;
    r.deleted = deleted;
    r.values["suggestion"] = suggestion_id;
    return r;
}

std::vector<std::string> ids(const std::vector<SuggestionSummary>& all, const std::vector<std::size_t>& order) {
    std::vector<std::string> out;
    for (std::size_t i : order) {
        out.push_back(all[i].id);
    }
    return out;
}

}  // namespace

TEST_CASE("Review: derived ids are UUID-shaped, stable, and differ by every part") {
    const std::regex uuid8("[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
    const std::string e = endorsement_id("s1", "ann");
    CHECK(std::regex_match(e, uuid8));
    CHECK(e == endorsement_id("s1", "ann"));
    CHECK(e != endorsement_id("s1", "bob"));
    CHECK(e != endorsement_id("s2", "ann"));
    CHECK(e != adoption_id("s1", "ann"));                             // the kind is part of it
    CHECK(derived_id("k", "ab", "c") != derived_id("k", "a", "bc"));  // parts do not run together
    CHECK(std::regex_match(practice_id("s1"), uuid8));
}

TEST_CASE("Review: the queue filters by status, category, age and support, and sorts five ways") {
    const std::vector<Record> rs = {
        suggestion("s1", "ann", 40, "submitted", "paperwork"),
        suggestion("s2", "bob", 10, "under_review"),
        suggestion("s3", "cat", 2, "accepted"),
        suggestion("s4", "dan", 20, "needs_info", "training"),
        suggestion("s5", "eve", 1),  // no status yet: submitted
    };
    const std::vector<Record> es = {endorsement("s2", "ann"), endorsement("s2", "cat"), endorsement("s4", "ann")};
    const auto all = summarise(rs, es, {}, "lee");
    QueueFilter f;
    f.status = "open";
    CHECK(ids(all, review_queue(all, f, kNow)) == std::vector<std::string>{"s1", "s4", "s2", "s5"});
    f.sort = QueueSort::kNewest;
    CHECK(ids(all, review_queue(all, f, kNow)) == std::vector<std::string>{"s5", "s2", "s4", "s1"});
    f.sort = QueueSort::kMostEndorsed;
    CHECK(ids(all, review_queue(all, f, kNow)) == std::vector<std::string>{"s2", "s4", "s1", "s5"});
    f.sort = QueueSort::kCategory;
    CHECK(ids(all, review_queue(all, f, kNow)) == std::vector<std::string>{"s1", "s2", "s5", "s4"});
    f.sort = QueueSort::kStatus;
    CHECK(ids(all, review_queue(all, f, kNow)) == std::vector<std::string>{"s1", "s5", "s2", "s4"});
    f = QueueFilter{};
    f.status = "accepted";
    CHECK(ids(all, review_queue(all, f, kNow)) == std::vector<std::string>{"s3"});
    f = QueueFilter{};
    f.category = "process";
    f.min_age_days = 7;
    CHECK(ids(all, review_queue(all, f, kNow)) == std::vector<std::string>{"s2"});
    f = QueueFilter{};
    f.min_endorsements = 1;
    CHECK(ids(all, review_queue(all, f, kNow)) == std::vector<std::string>{"s4", "s2"});  // oldest first
    f.min_endorsements = 2;
    CHECK(ids(all, review_queue(all, f, kNow)) == std::vector<std::string>{"s2"});
    f = QueueFilter{};
    CHECK(review_queue(all, f, kNow).size() == 5);
}

TEST_CASE("Review: endorsements count distinct people, not the submitter, and not withdrawn ones") {
    const std::vector<Record> rs = {suggestion("s1", "ann", 3)};
    Record twice = endorsement("s1", "bob");
    twice.id = "another-id";  // a second record by the same person still counts once
    const std::vector<Record> es = {endorsement("s1", "bob"), twice, endorsement("s1", "ann"),
                                    endorsement("s1", "cat", /*deleted=*/true), endorsement("nope", "dan")};
    const auto all = summarise(rs, es, {}, "bob");
    REQUIRE(all.size() == 1);
    CHECK(all[0].endorsements == 1);
    CHECK(all[0].endorsed_by_me);
    CHECK_FALSE(summarise(rs, es, {}, "cat")[0].endorsed_by_me);
}

TEST_CASE("Review: notices come for my decided suggestions and for duplicates folded into mine, until read") {
    Record mine = suggestion("s1", "ann", 5, "accepted");
    mine.values["decision_note"] = std::string("From May");
    Record asked = suggestion("s2", "ann", 5, "needs_info");
    Record waiting = suggestion("s3", "ann", 5, "under_review");
    Record dup = suggestion("s4", "bob", 4, "declined");
    dup.values["duplicate_of"] = std::string("s1");
    const auto all = summarise({mine, asked, waiting, dup}, {}, {}, "ann");
    const auto news = notices(all, "ann", {});
    REQUIRE(news.size() == 3);
    CHECK(news[0].key == "s1/accepted");
    CHECK(news[0].text == "Accepted: From May");
    CHECK(news[1].status == "needs_info");
    CHECK(news[2].status == "duplicate");
    CHECK(news[2].suggestion == "s1");
    CHECK(notices(all, "ann", {"s1/accepted", "s2/needs_info", "s4/duplicate"}).empty());
    // A new decision on a read one is news again.
    mine.values["status"] = std::string("implemented");
    CHECK(notices(summarise({mine}, {}, {}, "ann"), "ann", {"s1/accepted"}).size() == 1);
    const auto bobs = notices(all, "bob", {});
    REQUIRE(bobs.size() == 1);
    CHECK(bobs[0].text == "Declined as a duplicate");
}

TEST_CASE("Review: the dashboard counts by status, takes the median days to a decision and the oldest undecided") {
    std::vector<Record> rs;
    const int days_to_decide[] = {1, 3, 8, 2};
    for (int i = 0; i < 4; ++i) {
        Record r = suggestion("d" + std::to_string(i), "ann", 30, i == 3 ? "declined" : "accepted");
        r.values["reviewed_at"] = outpost::iso_utc((r.created_ms + days_to_decide[i] * kDay) / 1000 * 1000);
        rs.push_back(r);
    }
    for (int i = 0; i < 7; ++i) {
        rs.push_back(suggestion("u" + std::to_string(i), "bob", 10 + i));
    }
    Record practice;
    practice.id = "p1";
    practice.type = "practice";
    practice.team = "*";
    practice.values = {
        {"title", std::string("Our idea")}, {"source_team", std::string("a")}, {"adoption_count", std::int64_t{3}}};
    Record theirs = practice;
    theirs.id = "p2";
    theirs.values["source_team"] = std::string("b");
    Record adopted;
    adopted.type = "adoption";
    adopted.team = "a";
    const auto all = summarise(rs, {}, {}, "lee");
    const Dashboard d = dashboard(all, {practice, theirs}, {adopted}, "a");
    CHECK(d.by_status[0] == std::pair<std::string, int>{"submitted", 7});
    CHECK(d.by_status[3] == std::pair<std::string, int>{"accepted", 3});
    CHECK(d.by_status[4] == std::pair<std::string, int>{"declined", 1});
    CHECK(d.decisions == 4);
    REQUIRE(d.median_days_to_decision.has_value());
    CHECK(*d.median_days_to_decision == doctest::Approx(2.5));
    REQUIRE(d.oldest_undecided.size() == 5);
    CHECK(all[d.oldest_undecided[0]].id == "u6");
    CHECK(all[d.oldest_undecided[4]].id == "u2");
    CHECK(d.adoption == std::vector<std::pair<std::string, int>>{{"Our idea", 3}});
    CHECK(d.adopted_here == 1);
    CHECK_FALSE(dashboard({}, {}, {}, "a").median_days_to_decision.has_value());
}

TEST_CASE("Review: a decided suggestion is a lead's to change; adoptions are a lead's to take back") {
    const Values decided = {{"status", std::string("accepted")}};
    const Values open = {{"status", std::string("needs_info")}};
    CHECK(review_write_rule("suggestion", decided, "worker", "proposed_change")->code == "record.field.not_editable");
    CHECK(review_write_rule("suggestion", decided, "worker", "_deleted").has_value());
    CHECK_FALSE(review_write_rule("suggestion", decided, "lead", "proposed_change").has_value());
    CHECK_FALSE(review_write_rule("suggestion", open, "worker", "proposed_change").has_value());  // answering
    CHECK_FALSE(review_write_rule("suggestion", {}, "worker", "title").has_value());              // a new one
    CHECK(review_write_rule("adoption", {}, "worker", "_deleted").has_value());
    CHECK_FALSE(review_write_rule("adoption", {}, "lead", "_deleted").has_value());
    CHECK(review_write_rule("practice", {}, "lead", "title").has_value());  // the server's alone
    CHECK_FALSE(review_write_rule("endorsement", {}, "worker", "_deleted").has_value());
}

TEST_CASE("Review: a UUIDv7 gives back the time it was made; other ids give nothing") {
    const std::string id = make_uuid_v7(1'780'000'123'456);
    CHECK(uuid_v7_ms(id) == 1'780'000'123'456);
    CHECK_FALSE(uuid_v7_ms(endorsement_id("s", "ann")).has_value());  // version 8
    CHECK_FALSE(uuid_v7_ms("r1").has_value());
    CHECK(uuid_v7_ms("0190f2a4-7b1c-7d3e-8f00-12345678zzzz") == 0x0190f2a47b1c);  // only the time is read
    CHECK_FALSE(uuid_v7_ms("0190f2z4-7b1c-7d3e-8f00-123456789abc").has_value());
}
