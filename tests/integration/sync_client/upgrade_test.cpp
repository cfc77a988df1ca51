// Upgrades: databases written by an earlier format version (tests/golden/, frozen by make_golden)
// are opened by this build, migrated forward, and keep every record, field by field; and they go
// on syncing. A profile from a newer build is refused without being changed.
#include <doctest/doctest.h>
#include <sodium.h>
#include <sqlite3.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "outpost/core/blob_store.h"
#include "outpost/core/error_codes.h"
#include "outpost/core/records/attachments.h"
#include "outpost/core/store/schema_steps.h"
#include "sync_harness.h"

using namespace outpost;
using namespace outpost::testing;
namespace fs = std::filesystem;

namespace {

const fs::path kGolden = OUTPOST_GOLDEN_DIR;

nlohmann::json manifest_of(const fs::path& dir) {
    std::ifstream in(dir / "manifest.json");
    REQUIRE(in);
    return nlohmann::json::parse(in);
}

// The golden folder copied to a temp dir, so the test never changes the committed files.
fs::path copy_golden(const TempDir& tmp, const std::string& version) {
    const fs::path to = tmp / version;
    fs::copy(kGolden / version, to, fs::copy_options::recursive);
    return to;
}

sync::Credentials stored_credentials(const fs::path& db) {
    StoreOptions so;
    so.kdf = KdfPolicy::kInteractiveFloor;
    auto store = Store::open(db, "correct horse battery", so);
    REQUIRE_MESSAGE(store.is_ok(), store.status().to_string());
    auto creds = sync::load_credentials(**store);
    REQUIRE(creds.is_ok());
    (*store)->lock();
    return *creds;
}

Device::HeadsMap heads_in(const nlohmann::json& device) {
    Device::HeadsMap out;
    for (const auto& f : device["heads"]) {
        out[{f[0].get<std::string>(), f[1].get<std::string>()}] = {
            f[2].get<std::string>(), std::stoull(f[3].get<std::string>()), f[4].get<std::string>()};
    }
    return out;
}

}  // namespace

TEST_CASE("Upgrade: laptops and a server made by format v1 open, migrate and keep every record") {
    TempDir tmp;
    const fs::path dir = copy_golden(tmp, "v1");
    const nlohmann::json manifest = manifest_of(dir);
    REQUIRE(manifest["format"] == 1);

    SqliteServerOn srv(dir / "server");
    auto identity = srv.storage->identity();
    REQUIRE(identity.is_ok());
    CHECK(identity->schema_version == sync::kServerSchemaVersion);

    std::map<std::string, std::unique_ptr<Device>> laptops;
    for (const auto& d : manifest["devices"]) {
        const std::string user = d["user"];
        const fs::path db = dir / (user + ".db");
        const sync::Credentials creds = stored_credentials(db);
        CHECK(creds.device_id == d["device"].get<std::string>());
        auto laptop = std::make_unique<Device>(db, creds, srv.transport());
        // Every field of every record: the same value, stamp and device as when v1 wrote it.
        CHECK(laptop->heads_map() == heads_in(d));
        const auto all = laptop->all();
        CHECK(all.size() == d["records"].size());
        for (const auto& [id, r] : all) {
            REQUIRE(d["records"].contains(id));
            CHECK(r.type == d["records"][id]["type"].get<std::string>());
            CHECK(r.deleted == d["records"][id]["deleted"].get<bool>());
        }
        // Each component now names its schema version (records 2: each change keeps its form version).
        for (const auto& [component, version] :
             {std::pair<const char*, int>{"records", 2}, {"sync", 1}, {"blobs", 1}}) {
            auto v = schema_version(*laptop->store, component);
            REQUIRE(v.is_ok());
            CHECK_MESSAGE(*v == version, component);
        }
        laptops[user] = std::move(laptop);
    }

    // Ann's attachment is still whole in her encrypted store.
    {
        Device& ann = *laptops["ann"];
        std::vector<records::Attachment> photos;
        for (const auto& [id, r] : ann.all()) {
            if (auto it = r.values.find("photos"); it != r.values.end()) {
                auto list = records::parse_attachments(std::get<std::string>(it->second));
                REQUIRE(list.is_ok());
                photos.insert(photos.end(), list->begin(), list->end());
            }
        }
        REQUIRE(photos.size() == 1);
        std::lock_guard lock(ann.mutex);
        auto blobs = BlobStore::open(*ann.store);
        REQUIRE(blobs.is_ok());
        auto count = (*blobs)->file_count();
        REQUIRE(count.is_ok());
        CHECK(*count == 1);
        auto bytes = (*blobs)->read(photos[0].hash, 0, photos[0].size);
        REQUIRE(bytes.is_ok());
        REQUIRE(static_cast<std::int64_t>(bytes->size()) == photos[0].size);
        unsigned char digest[crypto_hash_sha256_BYTES];
        crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(bytes->data()), bytes->size());
        char hex[2 * crypto_hash_sha256_BYTES + 1];
        sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
        CHECK(std::string(hex) == photos[0].hash);
    }

    // And the migrated laptops go on syncing with the migrated server: ann's two waiting changes
    // reach lee, and team b's laptop sees none of team a's records.
    auto sent = laptops["ann"]->sync();
    REQUIRE_MESSAGE(sent.is_ok(), sent.status().to_string());
    // manifest "pending_on_ann" counts records: a case written offline (4 answers) and one edit.
    REQUIRE(manifest["pending_on_ann"] == 2);
    CHECK(sent->pushed == 4 + 1);
    CHECK(sent->rejected == 0);
    CHECK(sent->applied == 5);
    REQUIRE(laptops["lee"]->sync().is_ok());
    REQUIRE(laptops["zed"]->sync().is_ok());
    CHECK(laptops["lee"]->heads_map() == laptops["ann"]->heads_map());
    for (const auto& [id, r] : laptops["zed"]->all()) {
        CHECK(r.team == "b");
    }
}

TEST_CASE("Upgrade: a profile written by a newer Outpost is refused and left as it was") {
    TempDir tmp;
    const fs::path dir = copy_golden(tmp, "v1");
    StoreOptions so;
    so.kdf = KdfPolicy::kInteractiveFloor;
    {
        auto store = Store::open(dir / "ann.db", "correct horse battery", so);
        REQUIRE(store.is_ok());
        REQUIRE((*store)->exec("INSERT OR REPLACE INTO outpost_store_meta VALUES('schema.records', '7')").is_ok());
        (*store)->lock();
    }
    auto store = Store::open(dir / "ann.db", "correct horse battery", so);
    REQUIRE(store.is_ok());
    auto engine = records::RecordEngine::open(**store, shipped_forms(), SystemClock::instance());
    REQUIRE_FALSE(engine.is_ok());
    CHECK(engine.status().code() == errc::kStoreSchemaTooNew);
    auto v = schema_version(**store, "records");
    REQUIRE(v.is_ok());
    CHECK(*v == 7);
}
