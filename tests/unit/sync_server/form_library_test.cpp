// The forms library on a real storage: embedded SQLite, or PostgreSQL when run as pg/sync_server/
// form_library (a fresh schema of the throwaway cluster): seeding, publishing the next version
// (concurrently too), refusals, retirement, a second handle on the same database noticing a publish,
// and pushes checked against the version their record names in "_form_version".
#include "outpost/sync/form_library.h"

#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "fake_clock.h"
#include "outpost/core/error_codes.h"
#include "outpost/core/records/hlc.h"
#include "outpost/core/records/schema.h"
#include "outpost/sync/sync_service.h"
#include "sync_harness.h"
#include "temp_dir.h"

using namespace outpost;
using namespace outpost::sync;
using outpost::testing::FakeClock;
using outpost::testing::TempDir;

namespace {

constexpr std::int64_t kT0 = 1'763'900'000'000;

std::string packaged(const std::string& type) {
    std::ifstream in(records::bundled_forms_dir() / (type + ".json"), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    REQUIRE(!text.str().empty());
    return text.str();
}

// home_visit with a field added and one relabelled: a compatible next version.
std::string home_visit_plus(const std::vector<std::string>& added = {"visit_minutes"}) {
    nlohmann::ordered_json j = nlohmann::ordered_json::parse(packaged("home_visit"));
    for (auto& f : j["fields"]) {
        if (f["name"] == "household") {
            f["label"] = "Household or person seen";
        }
    }
    for (const std::string& name : added) {
        j["fields"].push_back({{"name", name}, {"kind", "integer"}, {"label", "Length of the visit (minutes)"}});
    }
    return j.dump(2);
}

std::string home_visit_edited(const std::function<void(nlohmann::ordered_json&)>& edit) {
    nlohmann::ordered_json j = nlohmann::ordered_json::parse(packaged("home_visit"));
    edit(j);
    return j.dump(2);
}

struct Library {
    TempDir tmp;
    FakeClock clock{kT0};
    std::string conninfo;  // PostgreSQL only
    std::unique_ptr<ServerStorage> storage = outpost::testing::make_test_storage(tmp / "data", &conninfo);

    void seed() { REQUIRE(seed_forms_from(*storage, records::bundled_forms_dir(), clock.now_ms()).is_ok()); }
    std::vector<FormVersion> versions_of(const std::string& type) {
        auto all = storage->form_versions();
        REQUIRE(all.is_ok());
        std::vector<FormVersion> out;
        for (const FormVersion& v : *all) {
            if (v.type == type) {
                out.push_back(v);
            }
        }
        return out;
    }
    // A second, independent handle on the same database (another process would open one like it).
    std::unique_ptr<ServerStorage> second_handle() {
        if (conninfo.empty()) {
            auto s = open_sqlite_storage(tmp / "data");
            REQUIRE(s.is_ok());
            return std::move(*s);
        }
#if defined(OUTPOST_TEST_WITH_PG)
        auto s = open_pg_storage(conninfo, 2);
        REQUIRE(s.is_ok());
        return std::move(*s);
#else
        FAIL("not built for PostgreSQL");
        return nullptr;
#endif
    }
};

std::string hlc_now(std::uint16_t counter) {
    return records::Hlc::from(static_cast<std::uint64_t>(SystemClock::instance().now_ms()), counter).to_string();
}

WireChange change(std::int64_t seq, const std::string& record, const std::string& field, const std::string& value) {
    WireChange c;
    c.seq = seq;
    c.record = record;
    c.type = "home_visit";
    c.team = "a";
    c.field = field;
    c.value = value;
    c.hlc = hlc_now(static_cast<std::uint16_t>(seq));
    c.base = records::Hlc{}.to_string();
    return c;
}

}  // namespace

TEST_CASE("Forms: an empty library is seeded with the packaged forms, each at its own version, once") {
    Library l;
    auto empty = l.storage->forms_generation();
    REQUIRE(empty.is_ok());
    CHECK(*empty == 0);
    l.seed();
    auto all = l.storage->form_versions();
    REQUIRE(all.is_ok());
    auto shipped = records::load_schemas(records::bundled_forms_dir());
    REQUIRE(shipped.is_ok());
    REQUIRE(all->size() == shipped->size());
    for (std::size_t i = 0; i < all->size(); ++i) {
        CHECK((*all)[i].type == (*shipped)[i].type);
        CHECK((*all)[i].version == (*shipped)[i].version);
        CHECK((*all)[i].body == packaged((*all)[i].type));  // the file's text, as it was
        CHECK((*all)[i].published_ms == kT0);
    }
    auto generation = l.storage->forms_generation();
    REQUIRE(generation.is_ok());
    CHECK(*generation == static_cast<std::int64_t>(all->size()));
    // Seeding again (a second server starting) changes nothing.
    l.clock.advance(1000);
    l.seed();
    auto seeded = l.storage->seed_forms({FormVersion{"other", 1, "{}", kT0}});
    REQUIRE(seeded.is_ok());
    CHECK_FALSE(*seeded);
    auto again = l.storage->forms_generation();
    REQUIRE(again.is_ok());
    CHECK(*again == *generation);
    // What a server serves is what it served from the folder before.
    auto set = load_form_set(*l.storage);
    REQUIRE(set.is_ok());
    auto folder = load_forms(records::bundled_forms_dir());
    REQUIRE(folder.is_ok());
    CHECK(set->json == folder->json);
}

TEST_CASE("Forms: publish gives the next version, with its version rewritten, and keeps the earlier ones") {
    Library l;
    l.seed();
    l.clock.advance(60'000);
    auto v = publish_form_text(*l.storage, home_visit_plus(), "home_visit.json", l.clock.now_ms());
    REQUIRE_MESSAGE(v.is_ok(), v.status().to_string());
    CHECK(*v == 3);  // the packaged home_visit is version 2
    const std::vector<FormVersion> rows = l.versions_of("home_visit");
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].version == 2);
    CHECK(rows[1].version == 3);
    CHECK(rows[1].published_ms == kT0 + 60'000);
    auto parsed = records::parse_schema(rows[1].body, "stored");
    REQUIRE(parsed.is_ok());
    CHECK(parsed->version == 3);
    REQUIRE(parsed->field("visit_minutes") != nullptr);
    CHECK(parsed->field("household")->label == "Household or person seen");

    auto set = load_form_set(*l.storage);
    REQUIRE(set.is_ok());
    CHECK(set->schema("home_visit")->version == 3);
    CHECK(set->schema("home_visit", 2)->field("visit_minutes") == nullptr);
    CHECK(set->schema("home_visit", 3)->field("visit_minutes") != nullptr);
    CHECK(set->schema("home_visit", 99)->version == 3);  // a version it lacks: the latest
    CHECK(set->schema("no_such_form") == nullptr);
    // Served: the latest of each form, once.
    auto served = nlohmann::json::parse(set->json);
    int home_visits = 0;
    for (const auto& form : served) {
        if (form["type"] == "home_visit") {
            ++home_visits;
            CHECK(form["version"] == 3);
        }
    }
    CHECK(home_visits == 1);

    auto list = list_forms(*l.storage);
    REQUIRE(list.is_ok());
    bool found = false;
    for (const FormSummary& f : *list) {
        if (f.type == "home_visit") {
            found = true;
            CHECK(f.latest == 3);
            CHECK(f.versions == 2);
            CHECK(f.title == "Home visit");
            CHECK_FALSE(f.retired);
            CHECK(f.published_ms == kT0 + 60'000);
        }
    }
    CHECK(found);
}

TEST_CASE("Forms: publishes from several threads and handles each get a version of their own") {
    Library l;
    l.seed();
    std::unique_ptr<ServerStorage> other = l.second_handle();
    constexpr int kThreads = 4;
    constexpr int kEach = 3;
    std::vector<std::vector<int>> got(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            ServerStorage& s = t % 2 == 0 ? *l.storage : *other;
            for (int i = 0; i < kEach; ++i) {
                auto v = publish_form_text(s, home_visit_plus(), "home_visit.json", kT0);
                if (v.is_ok()) {
                    got[static_cast<std::size_t>(t)].push_back(*v);
                }
            }
        });
    }
    for (std::thread& t : threads) {
        t.join();
    }
    std::set<int> versions;
    for (const auto& g : got) {
        CHECK(g.size() == kEach);
        versions.insert(g.begin(), g.end());
    }
    CHECK(versions.size() == kThreads * kEach);
    CHECK(*versions.begin() == 3);
    CHECK(*versions.rbegin() == 2 + kThreads * kEach);
}

TEST_CASE("Forms: a form that drops a field or changes a field's kind is refused, and nothing is stored") {
    Library l;
    l.seed();
    const std::string dropped = home_visit_edited([](nlohmann::ordered_json& j) {
        auto& fields = j["fields"];
        for (auto it = fields.begin(); it != fields.end(); ++it) {
            if ((*it)["name"] == "household") {
                fields.erase(it);
                break;
            }
        }
    });
    const std::string rekinded = home_visit_edited([](nlohmann::ordered_json& j) {
        for (auto& f : j["fields"]) {
            if (f["name"] == "seen_alone") {
                f["kind"] = "text";
            }
        }
    });
    for (const std::string& bad : {dropped, rekinded}) {
        auto checked = check_form(*l.storage, bad, "home_visit.json");
        REQUIRE_FALSE(checked.is_ok());
        CHECK(checked.status().code() == errc::kFormPublishIncompatible);
        auto v = publish_form_text(*l.storage, bad, "home_visit.json", kT0);
        REQUIRE_FALSE(v.is_ok());
        CHECK(v.status().code() == errc::kFormPublishIncompatible);
    }
    auto why = check_form(*l.storage, dropped, "home_visit.json");
    CHECK(why.status().message().find("'household' was removed") != std::string::npos);
    why = check_form(*l.storage, rekinded, "home_visit.json");
    CHECK(why.status().message().find("'seen_alone' changed kind from yes_no to text") != std::string::npos);
    CHECK(l.versions_of("home_visit").size() == 1);
    // Retiring the field instead is accepted.
    const std::string retired_field = home_visit_edited([](nlohmann::ordered_json& j) {
        for (auto& f : j["fields"]) {
            if (f["name"] == "household") {
                f["retired"] = true;
                f.erase("required");
            }
        }
    });
    auto ok = check_form(*l.storage, retired_field, "home_visit.json");
    CHECK_MESSAGE(ok.is_ok(), ok.status().to_string());
}

TEST_CASE("Forms: a malformed form is refused with record.schema.invalid, and a new type starts at version 1") {
    Library l;
    l.seed();
    for (const char* bad :
         {"{not json", R"({"type": "x", "version": 1, "title": "X", "fields": []})",
          R"({"type": "x", "version": 1, "title": "X", "fields": [{"name": "a", "kind": "nope"}]})"}) {
        auto v = publish_form_text(*l.storage, bad, "x.json", kT0);
        REQUIRE_FALSE(v.is_ok());
        CHECK(v.status().code() == errc::kRecordSchemaInvalid);
    }
    CHECK(l.versions_of("x").empty());
    auto v = publish_form_text(
        *l.storage,
        R"({"type": "x", "version": 7, "title": "X", "fields": [{"name": "a", "kind": "text", "label": "A"}]})",
        "x.json", kT0);
    REQUIRE_MESSAGE(v.is_ok(), v.status().to_string());
    CHECK(*v == 1);
    CHECK(l.versions_of("x").at(0).body.find("\"version\": 1") != std::string::npos);
}

TEST_CASE("Forms: retire publishes the latest marked retired; an unknown form is refused") {
    Library l;
    l.seed();
    auto v = retire_form(*l.storage, "inspection", kT0);
    REQUIRE_MESSAGE(v.is_ok(), v.status().to_string());
    CHECK(*v == 3);  // the packaged inspection is version 2
    auto list = list_forms(*l.storage);
    REQUIRE(list.is_ok());
    for (const FormSummary& f : *list) {
        CHECK(f.retired == (f.type == "inspection"));
    }
    auto set = load_form_set(*l.storage);
    REQUIRE(set.is_ok());
    bool served_retired = false;
    for (const auto& form : nlohmann::json::parse(set->json)) {
        if (form["type"] == "inspection") {
            served_retired = form.value("retired", false);
        }
    }
    CHECK(served_retired);
    auto unknown = retire_form(*l.storage, "no_such_form", kT0);
    REQUIRE_FALSE(unknown.is_ok());
    CHECK(unknown.status().code() == errc::kFormNotFound);
    CHECK(l.versions_of("no_such_form").empty());
}

TEST_CASE("Forms: a service sees a publish made through another handle, with a new ETag") {
    Library l;
    l.seed();
    SyncService service(*l.storage, SystemClock::instance());
    REQUIRE(service.start().is_ok());
    service.set_forms_check_interval(std::chrono::milliseconds(0));
    const std::shared_ptr<const FormSet> before = service.forms();
    CHECK(before->schema("home_visit")->version == 2);
    {
        std::unique_ptr<ServerStorage> other = l.second_handle();
        REQUIRE(publish_form_text(*other, home_visit_plus(), "home_visit.json", kT0).is_ok());
    }
    const std::shared_ptr<const FormSet> after = service.forms();
    CHECK(after->schema("home_visit")->version == 3);
    CHECK(after->etag != before->etag);
    CHECK(after->json.find("visit_minutes") != std::string::npos);
    CHECK(before->schema("home_visit")->version == 2);  // a set held stays as it was
    // With the default interval, a second publish is seen only once a second has passed.
    service.set_forms_check_interval(std::chrono::milliseconds(60'000));
    (void)service.forms();
    REQUIRE(
        publish_form_text(*l.storage, home_visit_plus({"visit_minutes", "visit_minutes_again"}), "home_visit.json", kT0)
            .is_ok());
    CHECK(service.forms()->schema("home_visit")->version == 3);
}

TEST_CASE("Forms: a change is checked against the form version its record names in _form_version") {
    Library l;
    l.seed();
    REQUIRE(l.storage->add_team("a", kT0).is_ok());
    REQUIRE(l.storage->add_user("ann", "a", "worker", kT0).is_ok());
    REQUIRE(publish_form_text(*l.storage, home_visit_plus(), "home_visit.json", kT0).is_ok());  // version 3
    SyncService service(*l.storage, SystemClock::instance());
    REQUIRE(service.start().is_ok());
    const DeviceAuth ann{"dev-ann", "ann", "a", "worker"};
    PushRequest req;
    req.device_id = ann.device_id;
    req.changes = {
        // r2: written with version 2, which has no visit_minutes
        change(1, "r2", "_form_version", "2"),
        change(2, "r2", "household", "\"The Smiths\""),
        change(3, "r2", "visit_minutes", "40"),
        // r3: written with version 3
        change(4, "r3", "_form_version", "3"),
        change(5, "r3", "visit_minutes", "40"),
        // r9: a version the server does not have: checked against the latest
        change(6, "r9", "visit_minutes", "15"),
        change(7, "r9", "_form_version", "9"),
        // no _form_version at all: the latest
        change(8, "r0", "visit_minutes", "20"),
        // _form_version takes a whole number from 1
        change(9, "r4", "_form_version", "0"),
        change(10, "r4", "_form_version", "\"3\""),
        change(11, "r4", "_form_version", "2.5"),
        change(12, "r4", "_form_version", "null"),
    };
    req.from_seq = 1;
    req.to_seq = 12;
    auto pushed = service.push(ann, req);
    REQUIRE(pushed.is_ok());
    REQUIRE(pushed->results.size() == 12);
    auto outcome = [&](std::size_t i) { return pushed->results[i].outcome; };
    CHECK(outcome(0) == ChangeOutcome::kApplied);
    CHECK(outcome(1) == ChangeOutcome::kApplied);
    CHECK(outcome(2) == ChangeOutcome::kRejected);
    CHECK(pushed->results[2].code == errc::kFieldUnknown);
    CHECK(outcome(3) == ChangeOutcome::kApplied);
    CHECK(outcome(4) == ChangeOutcome::kApplied);
    CHECK(outcome(5) == ChangeOutcome::kApplied);
    CHECK(outcome(6) == ChangeOutcome::kApplied);
    CHECK(outcome(7) == ChangeOutcome::kApplied);
    for (std::size_t i = 8; i < 12; ++i) {
        CHECK(outcome(i) == ChangeOutcome::kRejected);
        CHECK(pushed->results[i].code == errc::kFieldWrongKind);
    }
    // A later push to r2 without _form_version: the stored version 2 still decides.
    PushRequest later;
    later.device_id = ann.device_id;
    later.from_seq = 13;
    later.to_seq = 13;
    later.changes = {change(13, "r2", "visit_minutes", "41")};
    auto again = service.push(ann, later);
    REQUIRE(again.is_ok());
    REQUIRE(again->results.size() == 1);
    CHECK(again->results[0].outcome == ChangeOutcome::kRejected);
    CHECK(again->results[0].code == errc::kFieldUnknown);
}

TEST_CASE(
    "Forms: regression - a stored version this build cannot read stopped the server; now it is served, "
    "and changes are checked against the versions it reads") {
    Library l;
    // What a newer Outpost would have published before a rollback: a field kind this build lacks.
    const std::string newer = home_visit_edited([](nlohmann::ordered_json& j) {
        j["version"] = 3;
        j["fields"].push_back({{"name", "signature"}, {"kind", "signature"}, {"label", "Signature"}});
    });
    auto seeded = l.storage->seed_forms(
        {FormVersion{"home_visit", 2, packaged("home_visit"), kT0}, FormVersion{"home_visit", 3, newer, kT0}});
    REQUIRE(seeded.is_ok());
    auto set = load_form_set(*l.storage);
    REQUIRE_MESSAGE(set.is_ok(), set.status().to_string());
    REQUIRE(set->unreadable.size() == 1);
    CHECK(set->unreadable[0].find("home_visit version 3") != std::string::npos);
    CHECK(set->json.find("\"signature\"") != std::string::npos);  // served as stored
    REQUIRE(set->schema("home_visit") != nullptr);
    CHECK(set->schema("home_visit")->version == 2);     // the latest it reads
    CHECK(set->schema("home_visit", 3)->version == 2);  // and for changes naming the one it cannot
}
