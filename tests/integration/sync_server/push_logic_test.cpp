// The server enforces a form's whole-record rules on push (required, shown when, constraints) with the
// laptop's own code and codes, through a real server on 127.0.0.1; a refusal never traps the queue.
#include <doctest/doctest.h>
#include <httplib.h>

#include <map>

#include "outpost/core/error_codes.h"
#include "outpost/core/records/hlc.h"
#include "outpost/sync/messages.h"
#include "sync_harness.h"

using namespace outpost;
using namespace outpost::sync;
using outpost::testing::SyncServerHarness;

namespace {

struct Fixture : SyncServerHarness {
    Credentials ann;
    Credentials bob;
    std::unique_ptr<httplib::Client> http;
    std::int64_t seq = 0;
    std::uint16_t counter = 0;

    Fixture() {
        add_team("a");
        add_user("ann", "a", "worker");
        add_user("bob", "a", "worker");
        ann = enrol("ann");
        bob = enrol("bob");
        http = std::make_unique<httplib::Client>("127.0.0.1", server->port());
    }

    WireChange change(const std::string& record, const std::string& type, const std::string& field,
                      const std::string& value) {
        WireChange c;
        c.seq = ++seq;
        c.record = record;
        c.type = type;
        c.team = "a";
        c.field = field;
        c.value = value;
        c.hlc = records::Hlc::from(static_cast<std::uint64_t>(SystemClock::instance().now_ms()), ++counter).to_string();
        c.base = records::Hlc{}.to_string();
        c.form_version = 1;  // as the Outpost client sends it: these forms' published versions
        if (type == "home_visit") {
            c.form_version = 2;
        }
        return c;
    }

    // The results of one push, by seq.
    std::map<std::int64_t, ChangeResult> push(const Credentials& who, std::vector<WireChange> changes) {
        PushRequest r;
        r.device_id = who.device_id;
        r.from_seq = changes.front().seq;
        r.to_seq = changes.back().seq;
        r.changes = std::move(changes);
        httplib::Headers h{{"Authorization", "Bearer " + who.token}};
        auto res = http->Post("/v1/push", h, encode(r), "application/json");
        REQUIRE(res);
        REQUIRE(res->status == 200);
        auto out = decode_push_response(res->body);
        REQUIRE(out.is_ok());
        std::map<std::int64_t, ChangeResult> by_seq;
        for (const ChangeResult& c : out->results) {
            by_seq[c.seq] = c;
        }
        return by_seq;
    }

    // A complete home visit's changes.
    std::vector<WireChange> home_visit(const std::string& id, bool concerns) {
        std::vector<WireChange> cs = {change(id, "home_visit", "visit_date", "\"2026-11-30\""),
                                      change(id, "home_visit", "household", "\"Family R\""),
                                      change(id, "home_visit", "visit_type", "\"planned\""),
                                      change(id, "home_visit", "concerns_identified", concerns ? "true" : "false")};
        if (concerns) {
            cs.push_back(change(id, "home_visit", "concerns", "\"Damp in the bedroom\""));
        }
        return cs;
    }
};

const char* kGood = "0190f2a4-7b1c-7d3e-8f00-000000000001";
const char* kBad = "0190f2a4-7b1c-7d3e-8f00-000000000002";

}  // namespace

TEST_CASE("Push logic: a new record without a required answer is refused, and the rest of the batch applies") {
    Fixture f;
    std::vector<WireChange> cs = f.home_visit(kGood, false);
    std::vector<WireChange> partial = f.home_visit(kBad, false);
    partial.erase(partial.begin() + 1);  // no household
    cs.insert(cs.end(), partial.begin(), partial.end());
    const auto r = f.push(f.ann, cs);
    for (const WireChange& c : cs) {
        INFO(c.record << " " << c.field);
        if (c.record == kBad) {
            CHECK(r.at(c.seq).outcome == ChangeOutcome::kRejected);
            CHECK(r.at(c.seq).code == errc::kFieldRequired);
            CHECK(r.at(c.seq).message.find("household") != std::string::npos);
        } else {
            CHECK(r.at(c.seq).outcome == ChangeOutcome::kApplied);
        }
    }
    // The refused record was not stored: its id is free for a complete one.
    const auto again = f.push(f.ann, f.home_visit(kBad, false));
    for (const auto& [s, res] : again) {
        CHECK(res.outcome == ChangeOutcome::kApplied);
    }
}

TEST_CASE("Push logic: an answer to a question not asked, or one breaking a constraint, is refused with its code") {
    Fixture f;
    // concerns is shown only when concerns_identified is yes.
    std::vector<WireChange> hidden = f.home_visit(kBad, false);
    hidden.push_back(f.change(kBad, "home_visit", "concerns", "\"Should not be here\""));
    for (const auto& [s, res] : f.push(f.ann, hidden)) {
        CHECK(res.code == errc::kFieldNotRelevant);
    }
    // carers_assessment: hours_caring is 0 to 168 (a constraint, not a min/max).
    const std::string id = "0190f2a4-7b1c-7d3e-8f00-000000000003";
    std::vector<WireChange> cs = {f.change(id, "carers_assessment", "assessment_date", "\"2026-11-30\""),
                                  f.change(id, "carers_assessment", "carer_name", "\"Sam\""),
                                  f.change(id, "carers_assessment", "hours_caring", "200"),
                                  f.change(id, "carers_assessment", "own_health", "\"good\""),
                                  f.change(id, "carers_assessment", "consent", "true")};
    for (const auto& [s, res] : f.push(f.ann, cs)) {
        CHECK(res.outcome == ChangeOutcome::kRejected);
        CHECK(res.code == errc::kFieldConstraint);
    }
    // A repeat item's own rules: age 0 to 120, and each person named.
    cs[2].value = "35";
    cs.push_back(f.change(id, "carers_assessment", "people_cared_for.a0000001.person_name", "\"Mo\""));
    cs.push_back(f.change(id, "carers_assessment", "people_cared_for.a0000001.relationship", "\"parent\""));
    cs.push_back(f.change(id, "carers_assessment", "people_cared_for.a0000001.age", "130"));
    for (WireChange& c : cs) {
        c.seq = ++f.seq;
    }
    for (const auto& [s, res] : f.push(f.ann, cs)) {
        CHECK(res.code == errc::kFieldConstraint);
        CHECK(res.message.rfind("people_cared_for.a0000001.age: ", 0) == 0);
    }
    cs.back().value = "81";
    for (WireChange& c : cs) {
        c.seq = ++f.seq;
    }
    for (const auto& [s, res] : f.push(f.ann, cs)) {
        CHECK(res.outcome == ChangeOutcome::kApplied);
    }
}

TEST_CASE("Push logic: clearing a required answer is refused; answers others wrote are not this push's fault") {
    Fixture f;
    for (const auto& [s, res] : f.push(f.ann, f.home_visit(kGood, true))) {
        REQUIRE(res.outcome == ChangeOutcome::kApplied);
    }
    // Ann clears the household: refused, the record keeps it.
    const auto cleared = f.push(f.ann, {f.change(kGood, "home_visit", "household", "null")});
    CHECK(cleared.begin()->second.code == errc::kFieldRequired);
    // Bob edits another answer of the same record: applied (the record as a whole is fine).
    const auto edit = f.push(f.bob, {f.change(kGood, "home_visit", "actions_agreed", "\"Call on Friday\"")});
    CHECK(edit.begin()->second.outcome == ChangeOutcome::kApplied);
    // Bob says there were no concerns: the old concerns answer is hidden now, but Bob wrote none.
    const auto no = f.push(f.bob, {f.change(kGood, "home_visit", "concerns_identified", "false")});
    CHECK(no.begin()->second.outcome != ChangeOutcome::kRejected);  // a clash with Ann's answer, kept
    // A deletion is never held up by the rules.
    const auto del = f.push(f.bob, {f.change(kGood, "home_visit", "_deleted", "true")});
    CHECK(del.begin()->second.outcome == ChangeOutcome::kApplied);
}

TEST_CASE("Push logic: a push naming no form version (a client from before them) is checked field by field") {
    Fixture f;
    std::vector<WireChange> partial = f.home_visit(kBad, false);
    partial.erase(partial.begin() + 1);
    for (WireChange& c : partial) {
        c.form_version = 0;
    }
    for (const auto& [s, res] : f.push(f.ann, partial)) {
        CHECK(res.outcome == ChangeOutcome::kApplied);
    }
}

TEST_CASE("Push logic: a laptop whose form was looser gets its record refused, and its queue moves on") {
    Fixture f;
    testing::TempDir dir;
    auto laptop = std::make_unique<testing::Device>(dir / "ann.db", f.enrol("ann"), f.transport());
    // This laptop's home visit does not require the household (an old or a hand-edited form).
    std::vector<records::Schema> forms = testing::shipped_forms();
    for (records::Schema& s : forms) {
        if (s.type == "home_visit") {
            for (records::FieldDef& d : s.fields) {
                d.required = d.name == "household" ? false : d.required;
            }
        }
    }
    {
        std::lock_guard lock(laptop->mutex);
        REQUIRE(laptop->records->replace_schemas(forms).is_ok());
    }
    records::Values loose = testing::home_visit("x");
    loose.erase("household");
    const records::Record bad = laptop->create("home_visit", loose);
    const records::Record good = laptop->create("home_visit", testing::home_visit("The Rees family"));
    auto s = laptop->sync();
    REQUIRE(s.is_ok());
    CHECK(s->rejected == static_cast<int>(loose.size()));
    CHECK(s->applied == 4);
    // Nothing is left waiting: the next sync pushes nothing, and a new record goes through.
    auto again = laptop->sync();
    REQUIRE(again.is_ok());
    CHECK(again->pushed == 0);
    laptop->create("home_visit", testing::home_visit("The Lloyd family"));
    auto third = laptop->sync();
    REQUIRE(third.is_ok());
    CHECK(third->applied == 4);
    CHECK(third->rejected == 0);
    (void)bad;
    (void)good;
}
