// make_golden: writes the golden databases that tests/integration/sync_client/upgrade_test.cpp opens.
//
// Run it with the build of the format version being frozen, BEFORE a schema change, and commit what
// it writes under tests/golden/v<N>/ (see tests/golden/README.md):
//   OUTPOST_GOLDEN_OUT=tests/golden/v1 build/dev/tests/make_golden
// It makes a real server data directory and three real encrypted laptops (ann and lee of team a,
// zed of team b), with synced cases, a suggestion accepted by the lead, a comment, an attachment,
// and on ann's laptop changes not yet sent. manifest.json records what each holds, field by field
// (value, HLC, device), so the upgrade test can say "every record intact" exactly.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>

#include "outpost/core/blob_store.h"
#include "outpost/core/records/attachments.h"
#include "sync_harness.h"

using namespace outpost;
using namespace outpost::testing;

namespace {

nlohmann::json device_manifest(Device& d) {
    nlohmann::json fields = nlohmann::json::array();
    for (const auto& [key, head] : d.heads_map()) {
        fields.push_back(
            {key.first, key.second, std::get<0>(head), std::to_string(std::get<1>(head)), std::get<2>(head)});
    }
    nlohmann::json records = nlohmann::json::object();
    for (const auto& [id, r] : d.all()) {
        records[id] = {{"type", r.type}, {"team", r.team}, {"deleted", r.deleted}};
    }
    return {{"user", d.creds.user}, {"device", d.creds.device_id}, {"records", records}, {"heads", fields}};
}

}  // namespace

TEST_CASE("make_golden") {
    const char* out_env = std::getenv("OUTPOST_GOLDEN_OUT");
    REQUIRE_MESSAGE(out_env != nullptr, "set OUTPOST_GOLDEN_OUT to the directory to write");
    const std::filesystem::path out = out_env;
    REQUIRE_MESSAGE(!std::filesystem::exists(out / "server"), "refusing to overwrite " << out.string());
    std::filesystem::create_directories(out);

    REQUIRE(sync::init_sqlite_data_dir(out / "server").is_ok());
    nlohmann::json manifest;
    {
        auto storage = sync::open_sqlite_storage(out / "server");
        REQUIRE(storage.is_ok());
        sync::ServerOptions o;
        o.log_sink = [](const std::string&) {};
        o.blob_dir = out / "server" / "blobs";
        auto server = sync::Server::start(o, **storage);
        REQUIRE(server.is_ok());
        auto& st = **storage;
        REQUIRE(st.add_team("a", 1).is_ok());
        REQUIRE(st.add_team("b", 1).is_ok());
        REQUIRE(st.add_user("ann", "a", "worker", 1).is_ok());
        REQUIRE(st.add_user("lee", "a", "lead", 1).is_ok());
        REQUIRE(st.add_user("zed", "b", "worker", 1).is_ok());
        auto transport = [&] {
            auto t = sync::make_http_transport({.base_url = (*server)->base_url()});
            REQUIRE(t.is_ok());
            return std::move(*t);
        };
        auto enrol = [&](const std::string& user) { return enrol_over(*transport(), st, user, user + "-laptop"); };
        auto ann = std::make_unique<Device>(out / "ann.db", enrol("ann"), transport());
        auto lee = std::make_unique<Device>(out / "lee.db", enrol("lee"), transport());
        auto zed = std::make_unique<Device>(out / "zed.db", enrol("zed"), transport());

        records::Record visit = ann->create("home_visit", home_visit("The Okafor family"));
        ann->create("home_visit", home_visit("Mr Jones, flat 4"));
        {
            std::lock_guard lock(ann->mutex);
            auto blobs = BlobStore::open(*ann->store);
            REQUIRE(blobs.is_ok());
            std::string bytes(40'000, '\0');
            for (std::size_t i = 0; i < bytes.size(); ++i) {
                bytes[i] = static_cast<char>((i * 131) % 251);
            }
            auto a = (*blobs)->add_bytes(bytes, "kitchen.jpg", "image/jpeg", 25LL << 20);
            REQUIRE(a.is_ok());
            REQUIRE((*blobs)->queue_upload(a->hash).is_ok());
            auto v = home_visit("The Patel household");
            v["photos"] = records::encode_attachments({*a});
            v["concerns_identified"] = true;
            v["concerns"] = std::string("Damp in the children's bedroom; \"urgent\", they said.\nSee photo.");
            auto r = ann->records->create(ann->actor(), "home_visit", v);
            REQUIRE(r.is_ok());
        }
        records::Record idea = ann->create("suggestion", {{"title", std::string("Type it once")},
                                                          {"problem", std::string("The form is copied out 3 times")},
                                                          {"proposed_change", std::string("Type it on the laptop")},
                                                          {"expected_benefit", std::vector<std::string>{"time"}},
                                                          {"category", std::string("paperwork")}});
        REQUIRE(ann->sync().is_ok());
        REQUIRE(lee->sync().is_ok());
        REQUIRE(lee->update(idea.id, {{"status", std::string("under_review")}}).is_ok());
        REQUIRE(lee->update(idea.id, {{"status", std::string("accepted")},
                                      {"decision_note", std::string("Yes: from next month")},
                                      {"reviewed_by", std::string("lee")},
                                      {"reviewed_at", std::string("2026-11-30T10:00:00Z")}})
                    .is_ok());
        lee->create("comment", {{"suggestion", idea.id}, {"body", std::string("Good idea, Ann.")}});
        REQUIRE(lee->sync().is_ok());
        REQUIRE(ann->sync().is_ok());
        zed->create("home_visit", home_visit("Team b's family"));
        REQUIRE(zed->sync().is_ok());
        // Not yet sent: a new case and an edit, waiting on ann's laptop.
        ann->create("home_visit", home_visit("Written offline"));
        REQUIRE(ann->update(visit.id, {{"actions_agreed", std::string("Call the GP on Monday")}}).is_ok());

        manifest["format"] = 1;
        manifest["passphrase"] = "correct horse battery";
        manifest["devices"] = {device_manifest(*ann), device_manifest(*lee), device_manifest(*zed)};
        manifest["pending_on_ann"] = 2;
        auto teams = st.teams();
        REQUIRE(teams.is_ok());
        manifest["server_teams"] = *teams;
        (*server)->stop();
    }
    std::ofstream(out / "manifest.json") << manifest.dump(1) << "\n";
}
