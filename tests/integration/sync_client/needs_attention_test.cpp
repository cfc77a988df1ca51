// Refused changes the worker acts on ("Needs attention"), through a real server on 127.0.0.1 and laptops
// with real encrypted stores: a change taken back leaves the laptop holding the server's value and
// nothing to send; a record fixed and sent again is taken; a new record refused whole leaves the laptop.
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "outpost/core/error_codes.h"
#include "sync_harness.h"

using namespace outpost;
using namespace outpost::sync;
using outpost::testing::Device;
using outpost::testing::field_text;
using outpost::testing::home_visit;
using outpost::testing::idea;
using Team = outpost::testing::TeamA;

namespace {

// The (value, hlc, device) of each field of `id` on `d`.
std::map<std::string, std::tuple<std::string, std::uint64_t, std::string>> heads_of(Device& d, const std::string& id) {
    std::map<std::string, std::tuple<std::string, std::uint64_t, std::string>> out;
    for (const auto& [key, v] : d.heads_map()) {
        if (key.first == id) {
            out[key.second] = v;
        }
    }
    return out;
}

Result<SyncSummary> synced(Device& d) {
    auto s = d.sync();
    REQUIRE_MESSAGE(s.is_ok(), s.status().to_string());
    return s;
}

}  // namespace

TEST_CASE(
    "Refused changes: a lead-only field edited by a worker is refused; discard returns the laptop to the server's "
    "value and the next sync is a no-op") {
    Team t;
    auto ann = t.device("ann");
    auto lee = t.device("lee");
    const records::Record s = ann->create("suggestion", idea("One form, typed once"));
    (void)synced(*ann);
    (void)synced(*lee);
    REQUIRE(lee->update(s.id, {{"status", std::string("under_review")}}).is_ok());
    (void)synced(*lee);
    (void)synced(*ann);
    REQUIRE(field_text(ann->all()[s.id], "status") == "under_review");

    // Ann's laptop still takes her for a lead (her role changed since it last asked): it lets her move
    // the status on; the server, which knows her as a worker, refuses it.
    records::Actor stale = ann->actor();
    stale.role = "lead";
    {
        std::lock_guard lock(ann->mutex);
        REQUIRE(ann->records->update(stale, s.id, {{"status", std::string("needs_info")}}).is_ok());
    }
    auto pushed = synced(*ann);
    CHECK(pushed->rejected == 1);
    auto refused = ann->engine->refused();
    REQUIRE(refused.is_ok());
    REQUIRE(refused->size() == 1);
    CHECK(refused->front().code == errc::kFieldNotEditable);
    CHECK(refused->front().field == "status");
    CHECK(field_text(ann->all()[s.id], "status") == "needs_info");  // the laptop and the server disagree
    CHECK(ann->engine->state().refused_total == 1);

    auto items = ann->engine->needs_attention();
    REQUIRE(items.is_ok());
    REQUIRE(items->size() == 1);
    CHECK(items->front().record == s.id);
    CHECK(items->front().type == "suggestion");
    CHECK(items->front().field == "status");
    CHECK(items->front().code == errc::kFieldNotEditable);
    CHECK(items->front().changes == 1);

    // Discarded: the laptop holds the version it had pulled, the lead's, stamp and all.
    REQUIRE(ann->engine->discard_refused(s.id, "status").is_ok());
    CHECK(field_text(ann->all()[s.id], "status") == "under_review");
    refused = ann->engine->refused();
    REQUIRE(refused.is_ok());
    CHECK(refused->empty());
    CHECK(ann->engine->state().refused_total == 0);
    CHECK(ann->engine->discard_refused(s.id, "status").code() == errc::kRecordNotFound);  // nothing left

    auto again = synced(*ann);
    CHECK(again->pushed == 0);
    CHECK(again->rejected == 0);
    (void)synced(*lee);
    CHECK(heads_of(*ann, s.id) == heads_of(*lee, s.id));
    auto bob = t.device("bob");  // a laptop that never saw the refused value: the server's copy
    (void)synced(*bob);
    CHECK(heads_of(*ann, s.id) == heads_of(*bob, s.id));
    CHECK(field_text(bob->all()[s.id], "status") == "under_review");

    // And the laptop goes on as before: her next change is sent and taken.
    REQUIRE(ann->update(s.id, {{"benefit_notes", std::string("An hour a day")}}).is_ok());
    auto next = synced(*ann);
    CHECK(next->pushed == 1);
    CHECK(next->applied == 1);
}

TEST_CASE("Refused changes: fix and resend is applied") {
    Team t;
    auto ann = t.device("ann");
    auto bob = t.device("bob");
    records::Values v = home_visit("The Okafor family");
    v["concerns_identified"] = true;
    v["concerns"] = std::string("Damp in the back bedroom");
    const records::Record r = ann->create("home_visit", v);
    (void)synced(*ann);
    (void)synced(*bob);
    // Bob revisits and finds no concerns: the question of what they are is no longer asked.
    REQUIRE(bob->update(r.id, {{"concerns_identified", false}}).is_ok());
    (void)synced(*bob);
    // Meanwhile Ann, offline, adds to the concerns: the server refuses an answer to a question it no
    // longer asks.
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
    REQUIRE(
        ann->update(r.id, {{"concerns", std::string("Damp in the back bedroom, and mould on the ceiling")}}).is_ok());
    auto first = synced(*ann);
    CHECK(first->rejected == 1);
    auto items = ann->engine->needs_attention();
    REQUIRE(items.is_ok());
    REQUIRE(items->size() == 1);
    CHECK(items->front().field == "concerns");
    CHECK(items->front().code == errc::kFieldNotRelevant);

    // Ann opens the record and answers that there are concerns after all; saving it sends the answer
    // that was refused again with it (as the record screen's save does).
    REQUIRE(ann->update(r.id, {{"concerns_identified", true}}).is_ok());
    {
        std::lock_guard lock(ann->mutex);
        REQUIRE(ann->engine->resend_refused(ann->actor(), r.id).is_ok());
    }
    auto fixed = synced(*ann);
    CHECK(fixed->rejected == 0);
    CHECK(fixed->pushed == 2);
    CHECK(fixed->applied == 2);
    auto refused = ann->engine->refused();
    REQUIRE(refused.is_ok());
    CHECK(refused->empty());
    CHECK(ann->engine->state().refused_total == 0);

    // The server has it: Bob's laptop and a new one get Ann's answers; all agree.
    (void)synced(*bob);
    auto lee = t.device("lee");
    (void)synced(*lee);
    for (Device* d : {bob.get(), lee.get()}) {
        const records::Record got = d->all()[r.id];
        CHECK(field_text(got, "concerns_identified") == "yes");
        CHECK(field_text(got, "concerns") == "Damp in the back bedroom, and mould on the ceiling");
        CHECK(heads_of(*d, r.id) == heads_of(*ann, r.id));
    }
    auto quiet = synced(*ann);
    CHECK(quiet->pushed == 0);
}

TEST_CASE("Refused changes: a new record refused whole is taken off the laptop by discard") {
    Team t;
    auto ann = t.device("ann");
    // Written under another team (a laptop that has not heard its person moved): refused whole.
    records::Actor wrong = ann->actor();
    wrong.team = "b";
    const std::string id = ann->create_as(wrong, "home_visit", home_visit("Wrong team household")).id;
    const records::Record kept = ann->create("home_visit", home_visit("Right team household"));
    auto s = synced(*ann);
    REQUIRE(s->rejected >= 4);
    auto items = ann->engine->needs_attention();
    REQUIRE(items.is_ok());
    REQUIRE(items->size() == 1);
    CHECK(items->front().record == id);
    CHECK(items->front().field.empty());
    CHECK(items->front().code == errc::kSyncScopeForbidden);
    CHECK(items->front().changes == s->rejected);

    REQUIRE(ann->engine->discard_refused(id, "").is_ok());
    auto all = ann->all();
    CHECK(all.count(id) == 0);
    CHECK(all.count(kept.id) == 1);
    {
        std::lock_guard lock(ann->mutex);
        auto h = ann->records->history(id);
        REQUIRE(h.is_ok());
        CHECK(h->empty());  // nothing of it is left in the change log either
        records::ListQuery q;
        q.search = "wrong team";
        auto page = ann->records->list(q);
        REQUIRE(page.is_ok());
        CHECK(page->records.empty());  // nor in search
    }
    auto refused = ann->engine->refused();
    REQUIRE(refused.is_ok());
    CHECK(refused->empty());
    auto again = synced(*ann);
    CHECK(again->pushed == 0);
    auto bob = t.device("bob");
    (void)synced(*bob);
    CHECK(bob->all().count(id) == 0);
    CHECK(heads_of(*bob, kept.id) == heads_of(*ann, kept.id));
}
