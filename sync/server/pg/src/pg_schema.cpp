#include "pg_schema.h"

#include <sodium.h>

#include <iterator>
#include <string>

#include "account_rules.h"
#include "outpost/core/clock.h"
#include "outpost/core/error_codes.h"
#include "outpost/sync/pg_storage.h"
#include "storage_common.h"

namespace outpost::sync::pg {
namespace {

// Entry i brings the schema from version i to i + 1. Version 1 holds what SQLite's version 6 holds.
// Keys compared and paged in byte order are COLLATE "C", whatever the database's locale.
constexpr const char* kPgMigrations[] = {
    R"sql(
CREATE TABLE teams(name text COLLATE "C" PRIMARY KEY, created_ms bigint NOT NULL);
CREATE TABLE users(name text PRIMARY KEY, team text NOT NULL REFERENCES teams(name),
                   role text NOT NULL CHECK (role IN ('worker','lead','admin')), created_ms bigint NOT NULL);
CREATE TABLE enrol_codes(code_hash bytea PRIMARY KEY, user_name text NOT NULL REFERENCES users(name),
                         created_ms bigint NOT NULL, expires_ms bigint NOT NULL, used_ms bigint);
CREATE TABLE devices(id text PRIMARY KEY, user_name text NOT NULL REFERENCES users(name), name text NOT NULL,
                     token_hash bytea NOT NULL UNIQUE, created_ms bigint NOT NULL, revoked_ms bigint);
CREATE TABLE audit(id bigserial PRIMARY KEY, at_ms bigint NOT NULL, actor text NOT NULL, event text NOT NULL,
                   detail text NOT NULL);
CREATE TABLE srv_records(id text COLLATE "C" PRIMARY KEY, type text NOT NULL, team text COLLATE "C" NOT NULL,
                         created_by text NOT NULL,
                         created_ms bigint NOT NULL, fields bytea);
CREATE INDEX srv_records_team ON srv_records(team, id);
CREATE TABLE srv_changes(seq bigint PRIMARY KEY, record text NOT NULL, type text NOT NULL, team text NOT NULL,
                         field text NOT NULL, value text NOT NULL, hlc bigint NOT NULL, device text NOT NULL,
                         base bigint NOT NULL, author text NOT NULL, at_ms bigint NOT NULL);
CREATE INDEX srv_changes_team ON srv_changes(team, seq);
CREATE INDEX srv_changes_device ON srv_changes(device);
CREATE TABLE srv_push_batches(device text NOT NULL, last_seq bigint NOT NULL, first_seq bigint NOT NULL,
                              results text NOT NULL, PRIMARY KEY(device, last_seq));
CREATE TABLE srv_blob_refs(team text NOT NULL, hash text NOT NULL, PRIMARY KEY(team, hash));
)sql",
    // 2: seqs from a sequence, taken at the end of a push, and a pull's bound from the pushes still in
    // flight (docs/PROTOCOL.md, "Late commits"). 32519 = 0x7f07, the allocator's lock. An in-flight
    // push holds the bigint advisory lock (1 << 62) | tag << 40 | first_seq, where tag is 21 bits of
    // the schema's name, so two Outpost schemas in one database do not see each other's pushes (a
    // clash of tags only makes pulls wait longer). Seqs stay below 2^40.
    // The log's index by device goes: only tests count a device's changes, and every push paid for it.
    R"sql(
DROP INDEX IF EXISTS srv_changes_device;
CREATE SEQUENCE srv_seq;
SELECT setval('srv_seq', COALESCE((SELECT max(seq) FROM srv_changes), 0) + 1, false);
CREATE FUNCTION outpost_take_seqs(k bigint) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  first bigint;
  tag bigint := (1::bigint << 62) | ((hashtext(current_schema())::bigint & 2097151) << 40);
BEGIN
  PERFORM pg_advisory_lock(32519);
  BEGIN
    first := nextval('srv_seq');
    IF k > 1 THEN
      PERFORM setval('srv_seq', first + k - 1);
    END IF;
    IF first + k >= (1::bigint << 40) THEN
      RAISE EXCEPTION 'the change log has run out of seqs';
    END IF;
    PERFORM pg_advisory_xact_lock(tag | first);
  EXCEPTION WHEN OTHERS OR query_canceled THEN
    PERFORM pg_advisory_unlock(32519);
    RAISE;
  END;
  PERFORM pg_advisory_unlock(32519);
  RETURN first;
END $$;
CREATE FUNCTION outpost_safe_seq() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  given bigint;
  held bigint;
  cls bigint := (1::bigint << 22) | (hashtext(current_schema())::bigint & 2097151);
BEGIN
  PERFORM pg_advisory_lock_shared(32519);
  BEGIN
    SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END INTO given FROM srv_seq;
    SELECT min(((classid::bigint & 255) << 32) | objid::bigint) INTO held FROM pg_locks
     WHERE locktype = 'advisory' AND objsubid = 1 AND (classid::bigint >> 8) = cls
       AND database = (SELECT oid FROM pg_database WHERE datname = current_database());
  EXCEPTION WHEN OTHERS OR query_canceled THEN
    PERFORM pg_advisory_unlock_shared(32519);
    RAISE;
  END;
  PERFORM pg_advisory_unlock_shared(32519);
  RETURN CASE WHEN held IS NULL THEN given ELSE LEAST(given, held - 1) END;
END $$;
)sql",
    // 3: the log's primary key on seq goes as well. Seqs come from srv_seq, unique by construction, and
    // every read of the log goes through (team, seq): the key was a second index for each logged change.
    // And the log's team compares in byte order, as srv_records' does, so the index on (team, seq) does
    // no locale comparison for each entry it files.
    R"sql(
ALTER TABLE srv_changes DROP CONSTRAINT IF EXISTS srv_changes_pkey;
ALTER TABLE srv_changes ALTER COLUMN team TYPE text COLLATE "C";
)sql",
    // 4: when each device was last seen, and the Outpost version it runs (device list).
    R"sql(
ALTER TABLE devices ADD COLUMN IF NOT EXISTS last_seen_ms bigint NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN IF NOT EXISTS client_version text NOT NULL DEFAULT '';
)sql",
    // 5: the published forms, every version kept (form_library.h); a server seeds it with the packaged
    // forms when it is empty.
    R"sql(
CREATE TABLE IF NOT EXISTS srv_forms(type text COLLATE "C" NOT NULL, version int NOT NULL, body text NOT NULL,
                                     published_ms bigint NOT NULL, PRIMARY KEY(type, version));
)sql",
    // 6: device tokens that expire (several per device while a renewal is in flight; devices'
    // token_hash stays the enrolment token's), each existing device's token valid for 90 days
    // (kDefaultTokenDays) from now; users that can be disabled; devices revoked with wipe; the
    // server's signing key pair (made by migrate(), since SQL cannot).
    R"sql(
CREATE TABLE IF NOT EXISTS device_tokens(token_hash bytea PRIMARY KEY, device text NOT NULL REFERENCES devices(id),
                                         created_ms bigint NOT NULL, expires_ms bigint NOT NULL);
CREATE INDEX IF NOT EXISTS device_tokens_device ON device_tokens(device);
ALTER TABLE users ADD COLUMN IF NOT EXISTS disabled_ms bigint;
ALTER TABLE devices ADD COLUMN IF NOT EXISTS wipe boolean NOT NULL DEFAULT false;
CREATE TABLE IF NOT EXISTS server_keys(purpose text PRIMARY KEY, public bytea NOT NULL, secret bytea NOT NULL);
INSERT INTO device_tokens(token_hash, device, created_ms, expires_ms)
  SELECT token_hash, id, (extract(epoch FROM now()) * 1000)::bigint,
         (extract(epoch FROM now()) * 1000)::bigint + 90::bigint * 86400000 FROM devices
  ON CONFLICT DO NOTHING;
)sql",
};
constexpr int kPgSchemaVersion = static_cast<int>(std::size(kPgMigrations));
static_assert(kPgSchemaVersion == kPgServerSchemaVersion, "one migration per schema version");

}  // namespace

Status migrate(Conn& c, bool create) {
    auto txn = PgTransaction::begin(c);
    OUTPOST_TRY(txn);
    Res lock = c.run("migrate_lock", "SELECT pg_advisory_xact_lock($1)", {p(kMigrateLock)});
    if (!lock.ok()) {
        return txn->finish(lock.status);
    }
    Res exists = c.exec("SELECT to_regclass('outpost_meta') IS NOT NULL");
    if (!exists.ok()) {
        return txn->finish(exists.status);
    }
    const bool has_meta = exists.text(0, 0) == "t";
    if (create && has_meta) {
        return txn->finish(Status::error(errc::kServerDatabaseExists, "this database already holds an Outpost server"));
    }
    if (!create && !has_meta) {
        return txn->finish(Status::error(errc::kServerDataDirInvalid,
                                         "this database holds no Outpost server (run 'outpost-server init --db URL')"));
    }
    int version = 0;
    if (create) {
        Res made = c.exec(
            "CREATE TABLE outpost_meta(server_id text NOT NULL, schema_version int NOT NULL, "
            "created_ms bigint NOT NULL)");
        Res row = made.ok() ? c.run("meta_row", "INSERT INTO outpost_meta VALUES($1, 0, $2)",
                                    {p(storage::random_hex(16)), p(SystemClock::instance().now_ms())})
                            : Res();
        if (!made.ok() || !row.ok()) {
            return txn->finish(!made.ok() ? made.status : row.status);
        }
    } else {
        Res v = c.exec("SELECT schema_version FROM outpost_meta LIMIT 1");
        if (!v.ok() || v.rows() == 0) {
            return txn->finish(v.ok() ? Status::error(errc::kServerDataDirInvalid, "no identity row") : v.status);
        }
        version = static_cast<int>(v.i64(0, 0));
    }
    if (version > kPgSchemaVersion) {
        return txn->finish(Status::error(errc::kServerDataDirInvalid,
                                         "the database's schema " + std::to_string(version) +
                                             " is newer than this build understands (" +
                                             std::to_string(kPgSchemaVersion) +
                                             "): a newer outpost-server has upgraded it; upgrade this one to match "
                                             "(docs/OPERATIONS.md, Upgrades)"));
    }
    for (int v = version; v < kPgSchemaVersion; ++v) {
        Res step = c.exec(kPgMigrations[v]);
        if (!step.ok()) {
            return txn->finish(step.status);
        }
    }
    if (version < 6) {
        // The signing key pair, once (a migration run again keeps the key it made).
        accounts::RawKeyPair key = accounts::new_signing_key();
        if (key.public_key.empty()) {
            return txn->finish(Status::error(errc::kInternal, "libsodium failed to initialise"));
        }
        Res made = c.run("signing_key",
                         "INSERT INTO server_keys(purpose, public, secret) VALUES('signing', $1, $2) "
                         "ON CONFLICT DO NOTHING",
                         {bytes(key.public_key), bytes(key.secret_key)});
        sodium_memzero(key.secret_key.data(), key.secret_key.size());
        if (!made.ok()) {
            return txn->finish(made.status);
        }
    }
    Res set = c.run("set_version", "UPDATE outpost_meta SET schema_version = $1",
                    {p(static_cast<std::int64_t>(kPgSchemaVersion))});
    return txn->finish(set.status);
}

}  // namespace outpost::sync::pg
