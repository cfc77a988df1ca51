// The server's SQLite storage opens a database of an earlier schema and migrates it forward with
// nothing lost: here a schema-4 database (one row per field version, one row per push answer),
// written by hand with schema 4's frozen DDL, is opened by this build.
#include <doctest/doctest.h>
#include <sodium.h>
#include <sqlite3.h>

#include <functional>
#include <map>
#include <set>

#include "fake_clock.h"
#include "outpost/core/clock.h"
#include "outpost/core/records/hlc.h"
#include "outpost/core/records/schema.h"
#include "outpost/sync/server_storage.h"
#include "outpost/sync/sync_service.h"
#include "temp_dir.h"

using namespace outpost;
using namespace outpost::sync;
using outpost::testing::FakeClock;
using outpost::testing::TempDir;

namespace {

// Schema 4 as it shipped (migrations 2, 3 and 4 of session 3), frozen here on purpose.
constexpr const char* kSchema4 = R"sql(
CREATE TABLE teams(name TEXT PRIMARY KEY, created_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE users(name TEXT PRIMARY KEY, team TEXT NOT NULL REFERENCES teams(name),
                   role TEXT NOT NULL CHECK(role IN ('worker','lead','admin')), created_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE enrol_codes(code_hash BLOB PRIMARY KEY, user TEXT NOT NULL REFERENCES users(name),
                         created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL, used_ms INTEGER) WITHOUT ROWID;
CREATE TABLE devices(id TEXT PRIMARY KEY, user TEXT NOT NULL REFERENCES users(name), name TEXT NOT NULL,
                     token_hash BLOB NOT NULL UNIQUE, created_ms INTEGER NOT NULL, revoked_ms INTEGER) WITHOUT ROWID;
CREATE TABLE audit(id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, actor TEXT NOT NULL, event TEXT NOT NULL,
                   detail TEXT NOT NULL);
CREATE TABLE srv_records(id TEXT PRIMARY KEY, type TEXT NOT NULL, team TEXT NOT NULL, created_by TEXT NOT NULL,
                         created_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE srv_fields(record TEXT NOT NULL, field TEXT NOT NULL, hlc INTEGER NOT NULL, device TEXT NOT NULL,
                        value TEXT NOT NULL, base INTEGER NOT NULL, author TEXT NOT NULL,
                        PRIMARY KEY(record, field, hlc, device)) WITHOUT ROWID;
CREATE TABLE srv_changes(seq INTEGER PRIMARY KEY AUTOINCREMENT, record TEXT NOT NULL, type TEXT NOT NULL,
                         team TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL, hlc INTEGER NOT NULL,
                         device TEXT NOT NULL, base INTEGER NOT NULL, author TEXT NOT NULL, at_ms INTEGER NOT NULL);
CREATE INDEX srv_changes_team ON srv_changes(team, seq);
CREATE TABLE srv_push_results(device TEXT NOT NULL, seq INTEGER NOT NULL, outcome TEXT NOT NULL, code TEXT NOT NULL,
                              message TEXT NOT NULL, PRIMARY KEY(device, seq)) WITHOUT ROWID;
CREATE INDEX srv_records_team ON srv_records(team, id);
UPDATE meta SET schema_version = 4;
INSERT INTO teams VALUES('north', 1);
INSERT INTO users VALUES('ann', 'north', 'worker', 1), ('bob', 'north', 'worker', 1);
INSERT INTO devices VALUES('dev-a', 'ann', 'laptop a', x'01', 1, NULL), ('dev-b', 'bob', 'laptop b', x'02', 1, NULL);
-- r1: two fields; its household a clash of ann's and bob's versions (both kept). r2: one field.
INSERT INTO srv_records VALUES('r1', 'home_visit', 'north', 'ann', 1), ('r2', 'home_visit', 'north', 'bob', 2);
INSERT INTO srv_fields VALUES
  ('r1', 'household', 5000, 'dev-a', '"Ann''s"', 1000, 'ann'),
  ('r1', 'household', 5001, 'dev-b', '"Bob''s"', 1000, 'bob'),
  ('r1', 'visit_date', 1000, 'dev-a', '"2026-11-01"', 0, 'ann'),
  ('r2', 'household', 2000, 'dev-b', '"House 2"', 0, 'bob');
INSERT INTO srv_changes(record, type, team, field, value, hlc, device, base, author, at_ms) VALUES
  ('r1', 'home_visit', 'north', 'visit_date', '"2026-11-01"', 1000, 'dev-a', 0, 'ann', 1),
  ('r2', 'home_visit', 'north', 'household', '"House 2"', 2000, 'dev-b', 0, 'bob', 2),
  ('r1', 'home_visit', 'north', 'household', '"Bob''s"', 5001, 'dev-b', 1000, 'bob', 3);
INSERT INTO srv_push_results VALUES
  ('dev-a', 1, 'applied', '', ''), ('dev-a', 2, 'applied', '', ''),
  ('dev-a', 3, 'rejected', 'field.unknown', 'the form has no field ''x''');
)sql";

struct Migrated {
    TempDir tmp;
    std::unique_ptr<ServerStorage> storage;
    // `extra` runs on the schema-4 database before this build opens it.
    explicit Migrated(const std::function<void(sqlite3*)>& extra = {}) {
        REQUIRE(init_sqlite_data_dir(tmp / "server").is_ok());
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open((tmp / "server" / "server.db").c_str(), &db) == SQLITE_OK);
        char* err = nullptr;
        const int rc = sqlite3_exec(db, kSchema4, nullptr, nullptr, &err);
        CHECK_MESSAGE(rc == SQLITE_OK, std::string(err != nullptr ? err : ""));
        sqlite3_free(err);
        if (extra) {
            extra(db);
        }
        sqlite3_close(db);
        auto opened = open_sqlite_storage(tmp / "server");
        REQUIRE(opened.is_ok());
        storage = std::move(*opened);
    }
};

std::vector<ServerStorage::SnapshotRow> snapshot(ServerStorage& s, const std::string& exclude,
                                                 std::vector<std::string>& owned) {
    std::vector<ServerStorage::SnapshotRow> rows;
    std::int64_t log_end = 0;
    bool more = false;
    owned.clear();
    owned.reserve(1000);
    REQUIRE(
        s.snapshot_page("north", exclude, "", 100, 1U << 20U, log_end, more, [&](const ServerStorage::SnapshotRow& r) {
             owned.push_back(std::string(r.id) + "." + std::string(r.field) + "=" + std::string(r.value) + "@" +
                             std::string(r.device));
             rows.push_back(r);
         }).is_ok());
    CHECK(log_end == 3);
    CHECK_FALSE(more);
    return rows;
}

}  // namespace

TEST_CASE("Server storage: a schema-4 database migrates to the current schema with every version and answer kept") {
    Migrated m;
    auto id = m.storage->identity();
    REQUIRE(id.is_ok());
    CHECK(id->schema_version == kServerSchemaVersion);

    // Every version of every field, both sides of the clash included, in (record, field, stamp) order.
    std::vector<std::string> seen;
    (void)snapshot(*m.storage, "dev-x", seen);
    CHECK(seen == std::vector<std::string>{"r1.household=\"Ann's\"@dev-a", "r1.household=\"Bob's\"@dev-b",
                                           "r1.visit_date=\"2026-11-01\"@dev-a", "r2.household=\"House 2\"@dev-b"});
    // A device's own versions stay out of its snapshot; a record left with none is skipped.
    (void)snapshot(*m.storage, "dev-b", seen);
    CHECK(seen == std::vector<std::string>{"r1.household=\"Ann's\"@dev-a", "r1.visit_date=\"2026-11-01\"@dev-a"});

    // The log is intact and the clock restores from it.
    std::int64_t safe_to = 0;
    auto log = m.storage->changes_after("north", "dev-x", 0, 100, safe_to);
    REQUIRE(log.is_ok());
    REQUIRE(log->size() == 3);
    CHECK((*log)[2].value == "\"Bob's\"");
    CHECK(safe_to == 3);
    CHECK(*m.storage->max_hlc() == 5001);
}

TEST_CASE("Server storage: after migrating, a retried batch gets its old answers and new changes log after the old") {
    Migrated m;
    FakeClock clock(1'800'000'000'000);
    auto forms = load_forms(records::bundled_forms_dir());
    REQUIRE(forms.is_ok());
    SyncService service(*m.storage, forms->schemas, forms->json, clock);
    REQUIRE(service.start().is_ok());
    const DeviceAuth ann{"dev-a", "ann", "north", "worker"};

    PushRequest retry;
    retry.device_id = "dev-a";
    retry.from_seq = 1;
    retry.to_seq = 4;
    const std::string zero = records::Hlc{}.to_string();
    for (std::int64_t seq = 1; seq <= 4; ++seq) {
        WireChange c;
        c.seq = seq;
        c.record = "r9";
        c.type = "home_visit";
        c.team = "north";
        c.field = "household";
        c.value = "\"new " + std::to_string(seq) + "\"";
        c.hlc = records::Hlc::from(1'800'000'000'000, static_cast<std::uint16_t>(seq)).to_string();
        c.base = zero;
        retry.changes.push_back(c);
    }
    auto answered = service.push(ann, retry);
    REQUIRE(answered.is_ok());
    REQUIRE(answered->results.size() == 4);
    // Seqs 1-3 were answered under schema 4: the same answers, nothing applied again.
    CHECK(answered->results[0].outcome == ChangeOutcome::kApplied);
    CHECK(answered->results[1].outcome == ChangeOutcome::kApplied);
    CHECK(answered->results[2].outcome == ChangeOutcome::kRejected);
    CHECK(answered->results[2].code == "field.unknown");
    CHECK(answered->results[2].message == "the form has no field 'x'");
    CHECK(answered->results[3].outcome == ChangeOutcome::kApplied);
    CHECK(*m.storage->logged_changes("dev-a") == 2);  // visit_date from before, and seq 4 now

    // The new change's seq follows the migrated log's.
    std::int64_t safe_to = 0;
    auto log = m.storage->changes_after("north", "dev-x", 3, 100, safe_to);
    REQUIRE(log.is_ok());
    REQUIRE(log->size() == 1);
    CHECK(log->front().seq == 4);
    CHECK(log->front().value == "\"new 4\"");

    // And the answer to seq 4 is kept too.
    auto again = service.push(ann, retry);
    REQUIRE(again.is_ok());
    CHECK(again->results == answered->results);
    CHECK(*m.storage->logged_changes("dev-a") == 2);
}

TEST_CASE("Server storage: migrating gives every enrolled device's token 90 days from now, and makes the signing key") {
    // dev-c's token as the server stored it then: its BLAKE2b-256 hash in devices.token_hash.
    const std::string token = "c0ffee";
    unsigned char hash[32];
    crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(token.data()), token.size(), nullptr,
                       0);
    const std::int64_t before = SystemClock::instance().now_ms();
    Migrated m([&](sqlite3* db) {
        sqlite3_stmt* st = nullptr;
        REQUIRE(sqlite3_prepare_v2(db, "INSERT INTO devices VALUES('dev-c', 'ann', 'laptop c', ?, 1, NULL)", -1, &st,
                                   nullptr) == SQLITE_OK);
        sqlite3_bind_blob(st, 1, hash, sizeof hash, SQLITE_STATIC);
        CHECK(sqlite3_step(st) == SQLITE_DONE);
        sqlite3_finalize(st);
    });
    const std::int64_t after = SystemClock::instance().now_ms();
    auto who = m.storage->authenticate(token, after);
    REQUIRE_MESSAGE(who.is_ok(), who.status().to_string());
    CHECK(who->device_id == "dev-c");
    CHECK(who->team == "north");
    CHECK(who->token_expires_ms >= before + kDefaultTokenDays * kDayMs);
    CHECK(who->token_expires_ms <= after + kDefaultTokenDays * kDayMs);
    CHECK(m.storage->authenticate(token, who->token_expires_ms).status().code() == "sync.auth.expired");
    CHECK(m.storage->authenticate("not-a-token", after).status().code() == "sync.auth.invalid");
    auto key = m.storage->signing_key();
    REQUIRE(key.is_ok());
    CHECK(key->public_key.size() == crypto_sign_PUBLICKEYBYTES);
    REQUIRE(key->secret.size() == crypto_sign_SECRETKEYBYTES);
    // The pair belongs together: Ed25519's secret key ends with its public key.
    CHECK(std::string(reinterpret_cast<const char*>(key->secret.data()) + 32, 32) == key->public_key);
}
