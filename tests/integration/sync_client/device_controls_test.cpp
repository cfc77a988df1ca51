// IT's controls over a laptop, against a real outpost-server on loopback and real profile folders:
// the server settings kept inside the encrypted store (a tampered profile.json or server.pem stops
// sync after unlock), the site policy's max_days_offline, and the remote wipe.
#include <doctest/doctest.h>
#include <sodium.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "fake_clock.h"
#include "outpost/client/session.h"
#include "outpost/core/error_codes.h"
#include "outpost/platform/utf8.h"
#include "outpost/sync/profile.h"
#include "sync_harness.h"

using namespace outpost;
using namespace outpost::testing;
namespace fs = std::filesystem;

namespace {

constexpr const char* kPass = "correct horse battery";

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

void spit(const fs::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << text;
}

// Enrols profile `name` for `user` with the harness's server (plain loopback HTTP).
sync::ProfileInfo enrol(ServerOver& srv, const fs::path& root, const std::string& name, const std::string& user,
                        const std::string& team) {
    auto code = srv.storage->create_enrolment_code(user, 86'400'000, SystemClock::instance().now_ms());
    REQUIRE(code.is_ok());
    StoreOptions so;
    so.kdf = KdfPolicy::kInteractiveFloor;
    auto info = sync::enrol_profile(root, name, kPass,
                                    {.server_url = srv.server->base_url(), .code = *code, .user = user, .team = team},
                                    "laptop", so);
    REQUIRE_MESSAGE(info.is_ok(), info.status().to_string());
    return *info;
}

std::unique_ptr<client::Session> unlock(const fs::path& root, const std::string& name, const Clock& clock,
                                        int max_days_offline = 0) {
    auto s = client::Session::open(root, name, kPass, clock, {}, 8 * 1024, max_days_offline);
    REQUIRE_MESSAGE(s.is_ok(), s.status().to_string());
    return std::move(*s);
}

// A self-signed certificate made by the openssl CLI (installed by scripts/setup); its PEM text.
std::string make_certificate(const fs::path& dir, const std::string& name) {
    const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost -keyout '" +
                            path_to_utf8(dir / (name + ".key")) + "' -out '" + path_to_utf8(dir / (name + ".pem")) +
                            "' >/dev/null 2>&1";
    REQUIRE(std::system(cmd.c_str()) == 0);
    return slurp(dir / (name + ".pem"));
}

}  // namespace

TEST_CASE("Device controls: a tampered profile.json or server.pem is caught after unlock") {
    SyncServerHarness t;
    t.add_team("north");
    t.add_user("ann", "north", "worker");
    SyncServerHarness other;  // where a forged profile.json would send the next sync
    TempDir root;
    enrol(t, root.path(), "ann", "ann", "north");
    const fs::path dir = root.path() / "ann";
    {
        auto s = unlock(root.path(), "ann", SystemClock::instance());
        auto synced = s->sync_now();
        REQUIRE_MESSAGE(synced.is_ok(), synced.status().to_string());
    }
    const std::string genuine = slurp(dir / "profile.json");

    SUBCASE("profile.json pointed at another server") {
        nlohmann::json j = nlohmann::json::parse(genuine);
        j["server_url"] = other.server->base_url();
        spit(dir / "profile.json", j.dump(2));
    }
    SUBCASE("profile.json and server.pem pinned to another certificate") {
        const std::string pem = make_certificate(root.path(), "forged");
        auto pin = sync::certificate_sha256(pem);
        REQUIRE(pin.is_ok());
        nlohmann::json j = nlohmann::json::parse(genuine);
        j["ca_sha256"] = *pin;
        spit(dir / "profile.json", j.dump(2));
        spit(dir / "server.pem", pem);
    }
    // The profile still opens (the worker can go on offline), but nothing is sent anywhere.
    const auto before = other.storage->devices("");
    REQUIRE(before.is_ok());
    auto s = unlock(root.path(), "ann", SystemClock::instance());
    s->with_records([&](records::RecordEngine& e) {
        REQUIRE(e.create(s->actor(), "home_visit", home_visit("Written after the tamper")).is_ok());
    });
    auto synced = s->sync_now();
    REQUIRE_FALSE(synced.is_ok());
    CHECK(synced.status().code() == errc::kProfileTampered);
    CHECK(s->sync_state().code == errc::kProfileTampered);
    CHECK(s->waiting().is_ok());
    CHECK(*s->waiting() > 0);  // kept for when IT has looked at the laptop
    auto logged = t.storage->logged_changes(s->info().device_id);
    REQUIRE(logged.is_ok());
    CHECK(*logged == 0);
}

TEST_CASE("Device controls: a profile whose server.pem no longer matches its pin opens with sync stopped") {
    TempDir root;
    const fs::path dir = root.path() / "ann";
    fs::create_directories(dir);
    const std::string genuine = make_certificate(root.path(), "genuine");
    const std::string forged = make_certificate(root.path(), "forged");
    auto pin = sync::certificate_sha256(genuine);
    REQUIRE(pin.is_ok());
    StoreOptions so;
    so.kdf = KdfPolicy::kInteractiveFloor;
    auto store = Store::create(dir / "outpost.db", kPass, so);
    REQUIRE(store.is_ok());
    REQUIRE(sync::bind_profile(**store, "https://127.0.0.1:1", *pin).is_ok());
    sync::ProfileInfo info{.name = "ann",
                           .server_url = "https://127.0.0.1:1",
                           .user = "ann",
                           .team = "north",
                           .role = "worker",
                           .device_id = "dev-1",
                           .ca_sha256 = *pin};
    spit(dir / "server.pem", genuine);
    auto link = sync::open_profile_link(dir, info, **store);
    REQUIRE(link.is_ok());
    CHECK(link->blocked.is_ok());
    spit(dir / "server.pem", forged);
    link = sync::open_profile_link(dir, info, **store);
    REQUIRE(link.is_ok());
    CHECK(link->blocked.code() == errc::kProfileTampered);
    auto refused = link->transport->request({.method = "GET", .path = "/v1/whoami"});
    REQUIRE_FALSE(refused.is_ok());
    CHECK(refused.status().code() == errc::kProfileTampered);
    (*store)->lock();
}

TEST_CASE("Device controls: past max_days_offline a profile opens only once it has reached the server") {
    FakeClock clock;
    clock.set(SystemClock::instance().now_ms());
    auto t = std::make_unique<SyncServerHarness>();
    t->add_team("north");
    t->add_user("ann", "north", "worker");
    TempDir root;
    enrol(*t, root.path(), "ann", "ann", "north");
    {
        auto s = unlock(root.path(), "ann", clock, 30);
        REQUIRE(s->sync_now().is_ok());
    }
    // 29 days on: opens without asking the server.
    clock.advance(29LL * 86'400'000);
    { auto s = unlock(root.path(), "ann", clock, 30); }
    // 31 days after the last sync, with the server there: it syncs first, then opens.
    clock.advance(2LL * 86'400'000);
    {
        auto s = unlock(root.path(), "ann", clock, 30);
        CHECK(s->sync_state().last_success_ms == clock.now_ms());
    }
    // 31 more days, and the server out of reach: the profile stays locked and says why.
    clock.advance(31LL * 86'400'000);
    t.reset();
    auto s = client::Session::open(root.path(), "ann", kPass, clock, {}, 8 * 1024, 30);
    REQUIRE_FALSE(s.is_ok());
    CHECK(s.status().code() == errc::kProfileOfflineTooLong);
    // Without the policy the same profile opens (the rule is IT's, not the store's).
    auto free = client::Session::open(root.path(), "ann", kPass, clock, {}, 8 * 1024, 0);
    CHECK(free.is_ok());
}

TEST_CASE("Device controls: a laptop kept offline past max_days_offline hears of its wipe before it opens") {
    FakeClock clock;
    clock.set(SystemClock::instance().now_ms());
    SyncServerHarness t;
    t.add_team("north");
    t.add_user("ann", "north", "worker");
    TempDir root;
    const sync::ProfileInfo info = enrol(t, root.path(), "ann", "ann", "north");
    {
        auto s = unlock(root.path(), "ann", clock, 30);
        REQUIRE(s->sync_now().is_ok());
    }
    REQUIRE(t.storage->revoke_device(info.device_id, clock.now_ms(), sync::RevokeMode::kWipe).is_ok());
    clock.advance(31LL * 86'400'000);
    auto s = client::Session::open(root.path(), "ann", kPass, clock, {}, 8 * 1024, 30);
    REQUIRE_FALSE(s.is_ok());
    CHECK(s.status().code() == errc::kProfileWiped);
    CHECK_FALSE(fs::exists(root.path() / "ann" / "outpost.db.key"));
    CHECK_FALSE(fs::exists(root.path() / "ann" / "outpost.db"));
}

namespace {

// Every file left under `dir`, read whole.
std::vector<std::pair<fs::path, std::string>> every_file(const fs::path& dir) {
    std::vector<std::pair<fs::path, std::string>> out;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        if (e.is_regular_file()) {
            out.emplace_back(e.path(), slurp(e.path()));
        }
    }
    return out;
}

}  // namespace

TEST_CASE("Device controls: a wiped laptop keeps no key material or record in its profile folder") {
    SyncServerHarness t;
    t.add_team("north");
    t.add_user("ann", "north", "worker");
    TempDir root;
    const sync::ProfileInfo info = enrol(t, root.path(), "ann", "ann", "north");
    const fs::path dir = root.path() / "ann";
    {
        auto s = unlock(root.path(), "ann", SystemClock::instance());
        s->with_records([&](records::RecordEngine& e) {
            REQUIRE(e.create(s->actor(), "home_visit", home_visit("Synced-Marker-7f3a")).is_ok());
        });
        REQUIRE(s->sync_now().is_ok());
        s->with_records([&](records::RecordEngine& e) {
            REQUIRE(e.create(s->actor(), "home_visit", home_visit("Unsent-Marker-9c2e")).is_ok());
        });
    }
    const std::string keyfile = slurp(dir / "outpost.db.key");
    REQUIRE(keyfile.size() >= 64);

    SUBCASE("revoked without --wipe: locked out of sync, the data stays") {
        REQUIRE(t.storage->revoke_device(info.device_id, SystemClock::instance().now_ms()).is_ok());
        auto s = unlock(root.path(), "ann", SystemClock::instance());
        auto synced = s->sync_now();
        REQUIRE_FALSE(synced.is_ok());
        CHECK(synced.status().code() == errc::kAuthRevoked);
        CHECK(*s->waiting() > 0);
        CHECK(slurp(dir / "outpost.db.key") == keyfile);
    }
    SUBCASE("revoked with --wipe: the next contact destroys the profile") {
        REQUIRE(t.storage->revoke_device(info.device_id, SystemClock::instance().now_ms(), sync::RevokeMode::kWipe)
                    .is_ok());
        {
            auto s = unlock(root.path(), "ann", SystemClock::instance());
            auto synced = s->sync_now();
            REQUIRE_FALSE(synced.is_ok());
            CHECK(synced.status().code() == errc::kAuthWiped);
            CHECK_FALSE(fs::exists(dir / "outpost.db.key"));  // gone on the sync thread, before the lock
        }
        REQUIRE(sync::wipe_profile(dir, SystemClock::instance().now_ms()).is_ok());  // the owner, once closed
        std::set<std::string> left;
        for (const auto& [path, bytes] : every_file(dir)) {
            left.insert(path_to_utf8(path.filename()));
            CHECK(bytes.find("Marker-") == std::string::npos);
            // No 16-byte run of the key file (its salts, wrapped keys and nonces) anywhere.
            for (std::size_t at = 0; at + 16 <= keyfile.size(); at += 8) {
                CHECK_MESSAGE(bytes.find(keyfile.substr(at, 16)) == std::string::npos, path_to_utf8(path));
            }
        }
        CHECK(left == std::set<std::string>{"profile.json", "wiped.json"});
        auto again = client::Session::open(root.path(), "ann", kPass, SystemClock::instance(), {}, 8 * 1024);
        REQUIRE_FALSE(again.is_ok());
        CHECK(again.status().code() == errc::kProfileWiped);
        CHECK(std::string(errc::explain(again.status().code())).find("IT asked") != std::string::npos);
        // IT gives the laptop back with a new file: the same folder enrols afresh, as a new device.
        t.add_user("ann2", "north", "worker");
        const sync::ProfileInfo fresh = enrol(t, root.path(), "ann", "ann2", "north");
        CHECK(fresh.device_id != info.device_id);
        CHECK_FALSE(sync::read_wipe_notice(dir));
        auto s = unlock(root.path(), "ann", SystemClock::instance());
        CHECK(s->sync_now().is_ok());
    }
}

TEST_CASE("Device controls: a token expires, and a sync renews it well before") {
    FakeClock clock;
    clock.set(SystemClock::instance().now_ms());
    SyncServerHarness t(clock);
    t.add_team("north");
    t.add_user("ann", "north", "worker");
    TempDir root;
    enrol(t, root.path(), "ann", "ann", "north");
    auto token_of = [&] {
        StoreOptions so;
        so.kdf = KdfPolicy::kInteractiveFloor;
        auto store = sync::open_profile_store(root.path() / "ann", kPass, so);
        REQUIRE(store.is_ok());
        auto creds = sync::load_credentials(**store);
        REQUIRE(creds.is_ok());
        (*store)->lock();
        return creds->token;
    };
    const std::string first = token_of();

    SUBCASE("renewed at a sync once less than a third of its life is left, and the new one lasts") {
        clock.advance(50LL * sync::kDayMs);  // 40 days left: no renewal yet
        {
            auto s = unlock(root.path(), "ann", clock);
            REQUIRE(s->sync_now().is_ok());
        }
        CHECK(token_of() == first);
        clock.advance(20LL * sync::kDayMs);  // 20 days left
        {
            auto s = unlock(root.path(), "ann", clock);
            REQUIRE(s->sync_now().is_ok());
            CHECK(s->sync_state().token_expires_ms == clock.now_ms() + 90LL * sync::kDayMs);
        }
        const std::string second = token_of();
        CHECK(second != first);
        clock.advance(60LL * sync::kDayMs);  // past the first token's expiry, within the second's
        auto s = unlock(root.path(), "ann", clock);
        auto synced = s->sync_now();
        CHECK_MESSAGE(synced.is_ok(), synced.status().to_string());
    }
    SUBCASE("an expired token is refused with its code, and the unsent work stays") {
        clock.advance(91LL * sync::kDayMs);
        auto s = unlock(root.path(), "ann", clock);
        s->with_records([&](records::RecordEngine& e) {
            REQUIRE(e.create(s->actor(), "home_visit", home_visit("Written while expired")).is_ok());
        });
        auto synced = s->sync_now();
        REQUIRE_FALSE(synced.is_ok());
        CHECK(synced.status().code() == errc::kAuthExpired);
        CHECK(s->sync_state().code == errc::kAuthExpired);
        CHECK(std::string(errc::explain(errc::kAuthExpired)).find("enrol again") != std::string::npos);
        CHECK(*s->waiting() > 0);
    }
}

TEST_CASE("Device controls: a provisioning file is checked against its server's key before the code is sent") {
    SyncServerHarness t;
    t.add_team("north");
    t.add_team("south");
    t.add_user("ann", "north", "worker");
    auto key = t.storage->signing_key();
    REQUIRE(key.is_ok());
    const std::span<const std::uint8_t> secret(key->secret.data(), key->secret.size());
    auto code = t.storage->create_enrolment_code("ann", 86'400'000, SystemClock::instance().now_ms());
    REQUIRE(code.is_ok());
    sync::Provisioning genuine{.server_url = t.server->base_url(), .code = *code, .user = "ann", .team = "north"};
    REQUIRE(sync::sign_provisioning(genuine, secret).is_ok());
    TempDir root;
    StoreOptions so;
    so.kdf = KdfPolicy::kInteractiveFloor;
    auto enrol_with = [&](const sync::Provisioning& p) {
        return sync::enrol_profile(root.path(), "ann", kPass, p, "laptop", so);
    };

    // Changed after signing (another team), or signed by another key: refused, nothing left behind.
    sync::Provisioning moved = genuine;
    moved.team = "south";
    auto refused = enrol_with(moved);
    REQUIRE_FALSE(refused.is_ok());
    CHECK(refused.status().code() == errc::kProvisioningSignature);
    CHECK_FALSE(fs::exists(root.path() / "ann"));
    unsigned char other_pk[crypto_sign_PUBLICKEYBYTES];
    unsigned char other_sk[crypto_sign_SECRETKEYBYTES];
    crypto_sign_keypair(other_pk, other_sk);
    sync::Provisioning forged = genuine;
    REQUIRE(sync::sign_provisioning(forged, std::span<const std::uint8_t>(other_sk, sizeof other_sk)).is_ok());
    refused = enrol_with(forged);
    REQUIRE_FALSE(refused.is_ok());
    CHECK(refused.status().code() == errc::kProvisioningSignature);
    // The code was never sent: the genuine file still enrols.
    auto enrolled = enrol_with(genuine);
    REQUIRE_MESSAGE(enrolled.is_ok(), enrolled.status().to_string());
    CHECK(enrolled->team == "north");
}
