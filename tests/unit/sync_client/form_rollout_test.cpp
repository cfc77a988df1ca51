// Form rollout on a laptop (sync/form_rollout.h): each form the server sends is read on its own, a form
// from a newer Outpost keeps the version the laptop had and is said in plain words, the set and its
// notices survive a restart, and a sync swaps new forms into the running records engine.
#include "outpost/sync/form_rollout.h"

#include <doctest/doctest.h>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "outpost/core/error_codes.h"
#include "outpost/sync/profile.h"
#include "outpost/sync/sync_engine.h"
#include "outpost/sync/sync_messages.h"
#include "sync_pieces.h"

using namespace outpost;
using namespace outpost::sync;
using outpost::testing::PiecesLaptop;

namespace {

// A shipped form's document.
nlohmann::json shipped(const std::string& type) {
    std::ifstream in(records::bundled_forms_dir() / (type + ".json"), std::ios::binary);
    REQUIRE(in);
    return nlohmann::json::parse(std::string(std::istreambuf_iterator<char>(in), {}));
}

int shipped_version(const std::string& type) {
    return shipped(type)["version"].get<int>();
}

// `type` as a newer Outpost would write it: a field of a kind this build does not know.
std::string from_newer_outpost(const std::string& type, int version) {
    nlohmann::json f = shipped(type);
    f["version"] = version;
    f["fields"].push_back({{"name", "signature"}, {"kind", "hologram"}, {"label", "Signature"}});
    return f.dump();
}

// `type` at `version` with one more text question, `field`.
std::string with_question(const std::string& type, int version, const std::string& field) {
    nlohmann::json f = shipped(type);
    f["version"] = version;
    f["fields"].push_back({{"name", field}, {"kind", "text"}, {"label", "Weather on the day"}});
    return f.dump();
}

std::string answer_of(const std::vector<std::string>& docs) {
    std::string out = "{\"schemas\":[";
    for (std::size_t i = 0; i < docs.size(); ++i) {
        out += (i == 0 ? "" : ",") + docs[i];
    }
    return out + "]}";
}

const HeldForm* find(const LaptopForms& set, const std::string& type) {
    for (const HeldForm& f : set.forms) {
        if (f.schema.type == type) {
            return &f;
        }
    }
    return nullptr;
}

std::vector<HeldForm> shipped_held() {
    auto held = bundled_forms();
    REQUIRE_MESSAGE(held.is_ok(), held.status().to_string());
    return std::move(*held);
}

}  // namespace

TEST_CASE("Forms: each form is read on its own; one from a newer Outpost keeps the version held, and says so") {
    const int hv = shipped_version("home_visit");
    const int in = shipped_version("inspection");
    auto set = roll_out_forms({from_newer_outpost("home_visit", hv + 1), with_question("inspection", in + 1, "weather"),
                               shipped("suggestion").dump()},
                              shipped_held());
    REQUIRE_MESSAGE(set.is_ok(), set.status().to_string());
    REQUIRE(set->forms.size() == 3);
    const HeldForm* visit = find(*set, "home_visit");
    REQUIRE(visit != nullptr);
    CHECK(visit->schema.version == hv);  // the one it could read
    CHECK(visit->schema.field("signature") == nullptr);
    const HeldForm* inspection = find(*set, "inspection");
    REQUIRE(inspection != nullptr);
    CHECK(inspection->schema.version == in + 1);  // the others are updated all the same
    CHECK(inspection->schema.field("weather") != nullptr);
    REQUIRE(set->notices.size() == 1);
    CHECK(set->notices[0] == FormNotice{"home_visit", "Home visit", hv + 1, hv});
    CHECK(form_notice_words(set->notices[0]) == "Home visit version " + std::to_string(hv + 1) +
                                                    " needs a newer Outpost. You can keep using version " +
                                                    std::to_string(hv) + " until this laptop is updated.");
    // The set as kept reads back the same.
    auto docs = decode_schema_documents(set->schemas_json());
    REQUIRE(docs.is_ok());
    auto again = roll_out_forms(*docs, {});
    REQUIRE(again.is_ok());
    CHECK(again->notices.empty());
    CHECK(again->schemas_json() == set->schemas_json());
}

TEST_CASE("Forms: a form never held that this build cannot read is left out, and IT is asked for an update") {
    auto set = roll_out_forms({from_newer_outpost("home_visit", 7), shipped("suggestion").dump()}, {});
    REQUIRE(set.is_ok());
    CHECK(find(*set, "home_visit") == nullptr);
    CHECK(find(*set, "suggestion") != nullptr);
    REQUIRE(set->notices.size() == 1);
    CHECK(set->notices[0].kept_version == 0);
    CHECK(form_notice_words(set->notices[0]) ==
          "Home visit version 7 needs a newer Outpost; ask IT to update Outpost on this laptop.");
}

TEST_CASE("Forms: of several versions of a form, the newest this build reads is taken") {
    const int hv = shipped_version("home_visit");
    auto set = roll_out_forms({with_question("home_visit", hv + 1, "weather"),
                               with_question("home_visit", hv + 3, "wind"), from_newer_outpost("home_visit", hv + 2)},
                              shipped_held());
    REQUIRE(set.is_ok());
    REQUIRE(set->forms.size() == 1);
    CHECK(set->forms[0].schema.version == hv + 3);
    CHECK(set->notices.empty());  // the unreadable one is older than what is used
    // The newest unreadable: the newest readable one served, or the held one, whichever is newer.
    auto newer = roll_out_forms(
        {with_question("home_visit", hv + 1, "weather"), from_newer_outpost("home_visit", hv + 4)}, shipped_held());
    REQUIRE(newer.is_ok());
    REQUIRE(newer->forms.size() == 1);
    CHECK(newer->forms[0].schema.version == hv + 1);
    REQUIRE(newer->notices.size() == 1);
    CHECK(newer->notices[0].kept_version == hv + 1);
}

TEST_CASE("Forms: an answer that is not a set of forms is refused whole") {
    auto untyped = roll_out_forms({R"({"title":"No type","version":1,"fields":[]})", shipped("suggestion").dump()}, {});
    REQUIRE_FALSE(untyped.is_ok());
    CHECK(untyped.status().code() == errc::kSyncSchemasInvalid);
    auto not_forms = decode_schema_documents(R"({"schemas":[1,2]})");
    REQUIRE_FALSE(not_forms.is_ok());
    CHECK(not_forms.status().code() == errc::kSyncSchemasInvalid);
}

TEST_CASE("Forms: a retired form is read as retired") {
    nlohmann::json f = shipped("inspection");
    f["retired"] = true;
    auto set = roll_out_forms({f.dump(), shipped("home_visit").dump()}, {});
    REQUIRE(set.is_ok());
    CHECK(set->retired() == std::set<std::string>{"inspection"});
}

TEST_CASE(
    "Forms: the kept set and notices read back after a restart; a set this build cannot read falls back per form") {
    PiecesLaptop l;
    // Before the first sync: the shipped forms, no notices.
    auto first = profile_forms(*l.store);
    REQUIRE(first.is_ok());
    CHECK(first->forms.size() == shipped_held().size());
    CHECK(first->notices.empty());

    // Kept by a sync: read back as they were.
    const int hv = shipped_version("home_visit");
    auto set = roll_out_forms({from_newer_outpost("home_visit", hv + 1), with_question("inspection", 9, "weather")},
                              first->forms);
    REQUIRE(set.is_ok());
    REQUIRE(l.ctx->client.put("schemas_json", set->schemas_json()).is_ok());
    REQUIRE(l.ctx->client.put("form_notices", set->notices_json()).is_ok());
    auto kept = profile_forms(*l.store);
    REQUIRE(kept.is_ok());
    CHECK(kept->schemas_json() == set->schemas_json());
    CHECK(kept->notices == set->notices);
    auto notices = profile_form_notices(*l.store);
    REQUIRE(notices.is_ok());
    CHECK(*notices == set->notices);
    auto schemas = profile_schemas(*l.store);
    REQUIRE(schemas.is_ok());
    CHECK(schemas->size() == 2);

    // A set kept by a newer build (one form this build cannot read): the rest is used, the shipped
    // version stands in for that form, and the notice says so. The unlock goes on.
    REQUIRE(l.ctx->client
                .put("schemas_json",
                     answer_of({from_newer_outpost("home_visit", hv + 5), with_question("inspection", 9, "weather")}))
                .is_ok());
    REQUIRE(l.ctx->client.put("form_notices", "").is_ok());
    auto newer = profile_forms(*l.store);
    REQUIRE(newer.is_ok());
    REQUIRE(find(*newer, "home_visit") != nullptr);
    CHECK(find(*newer, "home_visit")->schema.version == hv);
    CHECK(find(*newer, "inspection")->schema.version == 9);
    REQUIRE(newer->notices.size() == 1);
    CHECK(newer->notices[0] == FormNotice{"home_visit", "Home visit", hv + 5, hv});

    // Damaged beyond reading: the shipped forms.
    REQUIRE(l.ctx->client.put("schemas_json", "{\"schemas\":[").is_ok());
    auto damaged = profile_forms(*l.store);
    REQUIRE(damaged.is_ok());
    CHECK(damaged->forms.size() == shipped_held().size());
}

TEST_CASE(
    "Forms: a sync swaps new forms into the running records engine, keeps the notices, and asks again while any is "
    "left") {
    PiecesLaptop l;
    const int hv = shipped_version("home_visit");
    const int in = shipped_version("inspection");
    std::string served = answer_of({from_newer_outpost("home_visit", hv + 1),
                                    with_question("inspection", in + 1, "weather"), shipped("suggestion").dump()});
    l.transport.answer = [&served](const HttpRequest& req) -> Result<HttpResponse> {
        if (req.path == "/v1/whoami") {
            return testing::whoami_answer("dev-ann", "a", "worker");
        }
        if (req.path == "/v1/schemas") {
            return HttpResponse{200, served, "\"" + std::to_string(served.size()) + "\""};
        }
        if (req.path == "/v1/push") {  // every change applied
            auto push = decode_push_request(req.body);
            REQUIRE(push.is_ok());
            PushResponse answer;
            for (const WireChange& w : push->changes) {
                answer.results.push_back({w.seq, ChangeOutcome::kApplied, "", ""});
            }
            return HttpResponse{200, encode(answer), ""};
        }
        if (req.path.rfind("/v1/snapshot", 0) == 0) {
            return HttpResponse{404, R"({"error":{"code":"x","message":"no such path"}})", ""};
        }
        return HttpResponse{200, R"({"changes":[],"cursor":"5","more":false})", ""};
    };
    const std::string old_visit = l.visit("Written under the shipped form");
    auto engine = SyncEngine::open(*l.store, *l.records, *l.blobs, l.mutex, l.transport,
                                   Credentials{"dev-ann", "token-ann", "ann", "a", "worker"}, {}, l.clock);
    REQUIRE(engine.is_ok());
    CHECK((*engine)->forms() == nullptr);
    auto synced = (*engine)->sync_now();
    REQUIRE_MESSAGE(synced.is_ok(), synced.status().to_string());

    // The same records engine, not opened again, uses the new inspection form and the old home visit.
    REQUIRE(l.records->schema("inspection") != nullptr);
    CHECK(l.records->schema("inspection")->version == in + 1);
    CHECK(l.records->schema("home_visit")->version == hv);
    CHECK(l.records->schema("safeguarding_concern") == nullptr);  // the server no longer serves it
    CHECK(l.visit("Written after the sync").size() > 0);
    {
        std::lock_guard lock(l.mutex);
        CHECK(l.records->get(old_visit).is_ok());
        CHECK(l.records->update(l.actor(), old_visit, {{"household", std::string("Renamed")}}).is_ok());
    }
    auto forms = (*engine)->forms();
    REQUIRE(forms != nullptr);
    REQUIRE(forms->notices.size() == 1);
    CHECK(forms->notices[0] == FormNotice{"home_visit", "Home visit", hv + 1, hv});
    CHECK((*engine)->state().forms_changed == 1);
    {
        std::lock_guard lock(l.mutex);
        CHECK(*sync_state_value(*l.store, "schemas_etag") == "\"" + std::to_string(served.size()) + "\"");
        auto kept = profile_form_notices(*l.store);
        REQUIRE(kept.is_ok());
        CHECK(*kept == forms->notices);
    }

    // While a notice stands the forms are asked for whole (no ETag): an updated laptop reads them.
    l.transport.requests.clear();
    REQUIRE((*engine)->sync_now().is_ok());
    REQUIRE(l.transport.requests.size() >= 2);
    CHECK(l.transport.requests[0].path == "/v1/whoami");
    CHECK(l.transport.requests[1].path == "/v1/schemas");
    CHECK(l.transport.requests[1].if_none_match.empty());
    CHECK((*engine)->state().forms_changed == 1);  // nothing changed: no new set
    CHECK((*engine)->forms() == forms);

    // The server withdraws the newer form: the notice goes, and the ETag is used again.
    served = answer_of(
        {shipped("home_visit").dump(), with_question("inspection", in + 1, "weather"), shipped("suggestion").dump()});
    REQUIRE((*engine)->sync_now().is_ok());
    CHECK((*engine)->state().forms_changed == 2);
    REQUIRE((*engine)->forms() != nullptr);
    CHECK((*engine)->forms()->notices.empty());
    l.transport.requests.clear();
    REQUIRE((*engine)->sync_now().is_ok());
    REQUIRE(l.transport.requests.size() >= 2);
    CHECK(l.transport.requests[1].if_none_match == "\"" + std::to_string(served.size()) + "\"");
    engine->reset();
}

TEST_CASE("Records: replace_schemas gives the same engine a new version, and search follows its questions") {
    PiecesLaptop l;
    const std::string old_visit = l.visit("The Okafor family");
    auto next =
        records::parse_schema(with_question("home_visit", shipped_version("home_visit") + 1, "weather"), "test");
    REQUIRE(next.is_ok());
    auto forms = records::load_schemas(records::bundled_forms_dir());
    REQUIRE(forms.is_ok());
    for (records::Schema& s : *forms) {
        if (s.type == "home_visit") {
            s = *next;
        }
    }
    std::lock_guard lock(l.mutex);
    REQUIRE(l.records->replace_schemas(*forms).is_ok());
    CHECK(l.records->schema("home_visit")->field("weather") != nullptr);
    auto made = l.records->create(l.actor(), "home_visit",
                                  {{"household", std::string("The Singh family")},
                                   {"visit_date", std::string("2026-12-02")},
                                   {"visit_type", std::string("planned")},
                                   {"concerns_identified", false},
                                   {"weather", std::string("thunderstorms")}});
    REQUIRE_MESSAGE(made.is_ok(), made.status().to_string());
    // The new question is searched (the index was rebuilt for it), and the older case still is.
    records::ListQuery q;
    q.search = "thunderstorms";
    auto found = l.records->list(q);
    REQUIRE(found.is_ok());
    REQUIRE(found->records.size() == 1);
    CHECK(found->records[0].id == made->id);
    q.search = "Okafor";
    found = l.records->list(q);
    REQUIRE(found.is_ok());
    REQUIRE(found->records.size() == 1);
    // The case written under the older version opens and saves.
    auto old = l.records->get(old_visit);
    REQUIRE(old.is_ok());
    CHECK(old->values.count("weather") == 0);
    auto saved = l.records->update(l.actor(), old_visit, {{"weather", std::string("drizzle")}});
    REQUIRE_MESSAGE(saved.is_ok(), saved.status().to_string());
    q.search = "drizzle";
    found = l.records->list(q);
    REQUIRE(found.is_ok());
    CHECK(found->records.size() == 1);
}
