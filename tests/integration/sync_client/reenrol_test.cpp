// Enrolling an existing profile again (profile.h, reenrol_profile) against a real server on loopback:
// after the server forgot or revoked the laptop, a new provisioning file brings the same profile back,
// with its records and the changes that waited to be sent.
#include <doctest/doctest.h>

#include <mutex>
#include <set>
#include <string>

#include "outpost/core/error_codes.h"
#include "outpost/core/records/review.h"
#include "outpost/sync/profile.h"
#include "sync_harness.h"

using namespace outpost;
using namespace outpost::testing;
namespace fs = std::filesystem;

namespace {

constexpr const char* kPass = "correct horse battery";

sync::Provisioning file_for(SyncServerHarness& srv, const std::string& user, const std::string& team) {
    auto code = srv.storage->create_enrolment_code(user, 86'400'000, SystemClock::instance().now_ms());
    REQUIRE(code.is_ok());
    return {.server_url = srv.server->base_url(), .code = *code, .user = user, .team = team};
}

// Opens the profile, writes `n` new cases in it, and syncs; the sync's result.
Result<sync::SyncSummary> write_and_sync(const fs::path& dir, int n, const std::string& label) {
    StoreOptions so;
    so.kdf = KdfPolicy::kInteractiveFloor;
    auto store = sync::open_profile_store(dir, kPass, so);
    REQUIRE(store.is_ok());
    auto info = sync::read_profile_info(dir);
    REQUIRE(info.is_ok());
    auto records = records::RecordEngine::open(**store, shipped_forms(), SystemClock::instance());
    REQUIRE(records.is_ok());
    auto creds = sync::load_credentials(**store);
    REQUIRE(creds.is_ok());
    for (int i = 0; i < n; ++i) {
        REQUIRE((*records)
                    ->create({creds->user, creds->device_id, creds->role, creds->team}, "home_visit",
                             home_visit(label + " " + std::to_string(i)))
                    .is_ok());
    }
    auto transport = sync::profile_transport(dir, *info);
    REQUIRE(transport.is_ok());
    auto blobs = BlobStore::open(**store);
    REQUIRE(blobs.is_ok());
    sync::StoreMutex mutex;
    auto engine = sync::SyncEngine::open(**store, **records, **blobs, mutex, **transport, *creds, {});
    REQUIRE(engine.is_ok());
    auto out = (*engine)->sync_now();
    engine->reset();
    blobs->reset();
    records->reset();
    (*store)->lock();
    return out;
}

}  // namespace

TEST_CASE(
    "Profile: regression - a profile the server no longer knew could not be enrolled again; now it keeps "
    "its waiting changes") {
    SyncServerHarness srv;
    srv.add_team("north");
    srv.add_team("south");
    srv.add_user("ann", "north", "worker");
    srv.add_user("zed", "south", "worker");
    TempDir root;
    StoreOptions so;
    so.kdf = KdfPolicy::kInteractiveFloor;
    auto first = sync::enrol_profile(root.path(), "ann", kPass, file_for(srv, "ann", "north"), "laptop", so);
    REQUIRE_MESSAGE(first.is_ok(), first.status().to_string());
    const fs::path dir = root.path() / "ann";
    auto synced = write_and_sync(dir, 1, "sent");
    REQUIRE_MESSAGE(synced.is_ok(), synced.status().to_string());

    // IT revokes the laptop (or restores an old backup); two cases are written meanwhile.
    REQUIRE(srv.storage->revoke_device(first->device_id, 1).is_ok());
    auto refused = write_and_sync(dir, 2, "waiting");
    REQUIRE_FALSE(refused.is_ok());
    CHECK(refused.status().code() == errc::kAuthRevoked);

    // Someone else's file, or the wrong passphrase: refused, and the profile is as it was.
    auto other = sync::reenrol_profile(root.path(), "ann", kPass, file_for(srv, "zed", "south"), "laptop", so);
    REQUIRE_FALSE(other.is_ok());
    CHECK(other.status().code() == errc::kEnrolMismatch);
    auto wrong =
        sync::reenrol_profile(root.path(), "ann", "not the passphrase", file_for(srv, "ann", "north"), "laptop", so);
    REQUIRE_FALSE(wrong.is_ok());
    CHECK(wrong.status().code() == errc::kStorePassphraseWrong);
    auto unchanged = sync::read_profile_info(dir);
    REQUIRE(unchanged.is_ok());
    CHECK(unchanged->device_id == first->device_id);
    CHECK_FALSE(fs::exists(dir / "server.pem.new"));

    // The new file: a new device, the same store; the two waiting cases go at the next sync.
    auto again = sync::reenrol_profile(root.path(), "ann", kPass, file_for(srv, "ann", "north"), "laptop", so);
    REQUIRE_MESSAGE(again.is_ok(), again.status().to_string());
    CHECK(again->device_id != first->device_id);
    auto info = sync::read_profile_info(dir);
    REQUIRE(info.is_ok());
    CHECK(info->device_id == again->device_id);
    auto after = write_and_sync(dir, 0, "");
    REQUIRE_MESSAGE(after.is_ok(), after.status().to_string());
    CHECK(after->pushed >= 2);
    // A colleague's laptop sees all three cases.
    srv.add_user("bob", "north", "worker");
    Device bob(root.path() / "bob.db", srv.enrol("bob"), srv.transport());
    REQUIRE(bob.sync().is_ok());
    std::set<std::string> seen;
    for (const auto& [id, rec] : bob.all()) {
        seen.insert(records::text_of(rec, "household"));
    }
    CHECK(seen == std::set<std::string>{"sent 0", "waiting 0", "waiting 1"});
}

TEST_CASE(
    "Profile: regression - laptops made from one image all read 'vm' in device list; now the person "
    "follows the computer's name") {
    CHECK(sync::device_name_for("vm", "Siân Llŷr") == "vm (Siân Llŷr)");
    CHECK(sync::device_name_for("vm", "") == "vm");
    CHECK(sync::device_name_for("", "ann") == "laptop (ann)");
    CHECK(sync::device_name_for("vm\tx", "a\nb") == "vm x (a b)");  // the server refuses control characters
    const std::string long_name = sync::device_name_for("vm", std::string(150, 'a') + std::string(40, 'w') + "ŷŷŷŷ");
    CHECK(long_name.size() <= 200);
    CHECK(long_name.back() != '\xC5');  // never cut inside a character
    // The server takes what the laptop sends.
    SyncServerHarness srv;
    srv.add_team("north");
    srv.add_user("ann", "north", "worker");
    TempDir root;
    StoreOptions so;
    so.kdf = KdfPolicy::kInteractiveFloor;
    auto info = sync::enrol_profile(root.path(), "ann", kPass, file_for(srv, "ann", "north"),
                                    sync::device_name_for("vm", "Siân Llŷr"), so);
    REQUIRE_MESSAGE(info.is_ok(), info.status().to_string());
    auto devices = srv.storage->devices("ann");
    REQUIRE(devices.is_ok());
    REQUIRE(devices->size() == 1);
    CHECK(devices->front().name == "vm (Siân Llŷr)");
}
