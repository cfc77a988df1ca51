// Form versions reaching laptops (sync/form_rollout.h), against a real outpost-server on loopback: a
// version published on the server is used by the running records engine after the next sync (no new
// unlock), older cases still open, save and sync; and a form from a newer Outpost, served through a
// proxy as a newer server would, never locks the profile: the unlock goes on, the old version of that
// form keeps working, the others are updated, and the notice names the form.
#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <thread>

#include "hostile_proxy.h"
#include "outpost/client/session.h"
#include "outpost/sync/form_library.h"
#include "outpost/sync/form_rollout.h"
#include "outpost/sync/profile.h"
#include "sync_harness.h"

using namespace outpost;
using namespace outpost::testing;

namespace {

constexpr const char* kPass = "correct horse battery";

nlohmann::json shipped(const std::string& type) {
    std::ifstream in(records::bundled_forms_dir() / (type + ".json"), std::ios::binary);
    REQUIRE(in);
    return nlohmann::json::parse(std::string(std::istreambuf_iterator<char>(in), {}));
}

int shipped_version(const std::string& type) {
    return shipped(type)["version"].get<int>();
}

// `type` at `version` with one more text question, `field`.
std::string with_question(const std::string& type, int version, const std::string& field) {
    nlohmann::json f = shipped(type);
    f["version"] = version;
    f["fields"].push_back({{"name", field}, {"kind", "text"}, {"label", "Weather on the day"}});
    return f.dump();
}

// Waits (up to 30 s) for a sync of `s` to succeed after `after_ms`; the time it succeeded.
std::int64_t synced_after(client::Session& s, std::int64_t after_ms) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (;;) {
        const sync::SyncState st = s.sync_state();
        if (st.phase == sync::SyncPhase::kUpToDate && st.last_success_ms > after_ms) {
            return st.last_success_ms;
        }
        const std::string why = "no sync succeeded: " + st.code + " " + st.reason;
        REQUIRE_MESSAGE(std::chrono::steady_clock::now() < until, why);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

}  // namespace

TEST_CASE("Profile: a form from a newer Outpost never locks the profile") {
    SyncServerHarness t;
    t.add_team("north");
    t.add_user("ann", "north", "worker");
    const int hv = shipped_version("home_visit");
    const int in = shipped_version("inspection");
    // What a newer server sends: a home visit with a field kind this build does not know, a new
    // inspection, and the rest as they were.
    nlohmann::json newer_visit = shipped("home_visit");
    newer_visit["version"] = hv + 1;
    newer_visit["fields"].push_back({{"name", "signature"}, {"kind", "hologram"}, {"label", "Signature"}});
    std::string served = "{\"schemas\":[" + newer_visit.dump() + "," + with_question("inspection", in + 1, "weather");
    for (const records::Schema& f : shipped_forms()) {
        if (f.type != "home_visit" && f.type != "inspection") {
            served += "," + shipped(f.type).dump();
        }
    }
    served += "]}";
    std::atomic<bool> newer{false};
    HostileProxy proxy(t.server->port(), [&](const httplib::Request& req, httplib::Response& res) {
        if (!newer || req.path != "/v1/schemas") {
            return false;
        }
        res.set_header("ETag", "\"from-a-newer-server\"");
        res.set_content(served, "application/json");
        return true;
    });
    TempDir root;
    StoreOptions so;
    so.kdf = KdfPolicy::kInteractiveFloor;
    auto code = t.storage->create_enrolment_code("ann", 86'400'000, SystemClock::instance().now_ms());
    REQUIRE(code.is_ok());
    auto info =
        sync::enrol_profile(root.path(), "ann", kPass,
                            {.server_url = proxy.url(), .code = *code, .user = "ann", .team = "north"}, "laptop", so);
    REQUIRE_MESSAGE(info.is_ok(), info.status().to_string());
    auto unlock = [&] {
        auto s = client::Session::open(root.path(), "ann", kPass, SystemClock::instance(), {}, 8 * 1024);
        REQUIRE_MESSAGE(s.is_ok(), s.status().to_string());
        return std::move(*s);
    };

    std::string old_visit;
    {
        std::unique_ptr<client::Session> session = unlock();
        session->start_sync();
        const std::int64_t first = synced_after(*session, 0);
        old_visit = session->with_records([&](records::RecordEngine& e) {
            auto r = e.create(session->actor(), "home_visit", home_visit("The Okafor family"));
            REQUIRE(r.is_ok());
            return r->id;
        });
        // The newer server answers; the sync goes on, and the running session takes what it can read.
        newer = true;
        session->request_sync();
        synced_after(*session, first);
        CHECK(session->refresh_forms());
        REQUIRE(session->schema("inspection") != nullptr);
        CHECK(session->schema("inspection")->version == in + 1);
        REQUIRE(session->schema("home_visit") != nullptr);
        CHECK(session->schema("home_visit")->version == hv);
        REQUIRE(session->form_notices().size() == 1);
        CHECK(session->form_notices()[0] == sync::FormNotice{"home_visit", "Home visit", hv + 1, hv});
        CHECK(session->sync_state().code.empty());
        // The old version keeps working in the same session: a new case, and the older one saved.
        session->with_records([&](records::RecordEngine& e) {
            CHECK(e.schema("inspection")->field("weather") != nullptr);
            CHECK(e.create(session->actor(), "home_visit", home_visit("The Singh family")).is_ok());
            CHECK(
                e.update(session->actor(), old_visit, {{"household", std::string("The Okafor-Singh family")}}).is_ok());
        });
    }

    // Locked and unlocked again (a restart): the profile opens, on the same forms, with the notice.
    std::unique_ptr<client::Session> again = unlock();
    REQUIRE(again->schema("home_visit") != nullptr);
    CHECK(again->schema("home_visit")->version == hv);
    CHECK(again->schema("home_visit")->field("signature") == nullptr);
    REQUIRE(again->schema("inspection") != nullptr);
    CHECK(again->schema("inspection")->version == in + 1);
    REQUIRE(again->form_notices().size() == 1);
    const sync::FormNotice& n = again->form_notices()[0];
    CHECK(n.type == "home_visit");
    CHECK(n.title == "Home visit");
    CHECK(n.version == hv + 1);
    CHECK(n.kept_version == hv);
    CHECK(sync::form_notice_words(n) == "Home visit version " + std::to_string(hv + 1) +
                                            " needs a newer Outpost. You can keep using version " + std::to_string(hv) +
                                            " until this laptop is updated.");
    again->with_store([&](Store& store) {
        auto forms = sync::profile_schemas(store);
        REQUIRE(forms.is_ok());
        CHECK(forms->size() == shipped_forms().size());
    });
    auto visit = again->with_records([&](records::RecordEngine& e) { return e.get(old_visit); });
    REQUIRE(visit.is_ok());
    CHECK(std::get<std::string>(visit->values.at("household")) == "The Okafor-Singh family");
}

TEST_CASE("Sync: a new form version reaches the laptop without re-unlock") {
    SyncServerHarness t;
    t.add_team("north");
    t.add_user("ann", "north", "worker");
    t.add_user("bob", "north", "worker");
    Device ann(t.tmp / "ann.db", t.enrol("ann"), t.transport());
    REQUIRE(ann.sync().is_ok());
    // A case written under the version the laptop has now.
    const records::Record old = ann.create("home_visit", home_visit("The Okafor family"));
    REQUIRE(ann.sync().is_ok());
    records::RecordEngine* engine = ann.records.get();

    // IT publishes the next version, with one more question.
    const int hv = shipped_version("home_visit");
    auto published = sync::publish_form_text(*t.storage, with_question("home_visit", hv + 1, "weather"),
                                             "home_visit.json", SystemClock::instance().now_ms());
    REQUIRE_MESSAGE(published.is_ok(), published.status().to_string());
    CHECK(*published > hv);

    // The next sync brings it into the running engine: the same one, never opened again. (The server
    // notices a publish within a second.)
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (true) {
        auto s = ann.sync();
        REQUIRE_MESSAGE(s.is_ok(), s.status().to_string());
        std::lock_guard lock(ann.mutex);
        if (ann.records->schema("home_visit")->version == *published) {
            break;
        }
        REQUIRE(std::chrono::steady_clock::now() < until);
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    CHECK(ann.records.get() == engine);
    CHECK(ann.engine->state().forms_changed >= 1);
    records::Values v = home_visit("The Singh family");
    v["weather"] = std::string("thunderstorms");
    const records::Record fresh = ann.create("home_visit", v);
    CHECK(std::get<std::string>(fresh.values.at("weather")) == "thunderstorms");

    // The older case still opens and saves under the new version.
    {
        std::lock_guard lock(ann.mutex);
        auto got = ann.records->get(old.id);
        REQUIRE(got.is_ok());
        CHECK(got->values.count("weather") == 0);
    }
    REQUIRE(ann.update(old.id, {{"household", std::string("The Okafor-Singh family")}}).is_ok());

    // Both go to the server and are applied; a colleague's laptop gets them, the new question too.
    auto pushed = ann.sync();
    REQUIRE_MESSAGE(pushed.is_ok(), pushed.status().to_string());
    CHECK(pushed->rejected == 0);
    CHECK(pushed->applied >= 2);
    auto refused = ann.engine->refused();
    REQUIRE(refused.is_ok());
    CHECK(refused->empty());
    Device bob(t.tmp / "bob.db", t.enrol("bob"), t.transport());
    REQUIRE(bob.sync().is_ok());
    auto all = bob.all();
    REQUIRE(all.count(old.id) == 1);
    CHECK(std::get<std::string>(all[old.id].values.at("household")) == "The Okafor-Singh family");
    REQUIRE(all.count(fresh.id) == 1);
    CHECK(std::get<std::string>(all[fresh.id].values.at("weather")) == "thunderstorms");
}
