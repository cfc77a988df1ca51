// SqliteStorage's schema: forward-only migrations (a transaction each), schema 5's data move, and
// init_sqlite_data_dir, which makes a data directory at version 1 (its identity row).
#include <sodium.h>

#include <iterator>

#include "account_rules.h"
#include "outpost/core/clock.h"
#include "outpost/core/error_codes.h"
#include "sqlite_storage_impl.h"

namespace outpost::sync {
namespace fs = std::filesystem;
namespace sqlite {
namespace {

using storage::sql_error;

// Forward-only migrations: entry i brings the schema from version i+1 to i+2 (version 1 is init's).
constexpr const char* kMigrations[] = {
    // 1 -> 2: accounts, enrolment, devices, audit log
    R"sql(
CREATE TABLE teams(name TEXT PRIMARY KEY, created_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE users(name TEXT PRIMARY KEY, team TEXT NOT NULL REFERENCES teams(name),
                   role TEXT NOT NULL CHECK(role IN ('worker','lead','admin')), created_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE enrol_codes(code_hash BLOB PRIMARY KEY, user TEXT NOT NULL REFERENCES users(name),
                         created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL, used_ms INTEGER) WITHOUT ROWID;
CREATE TABLE devices(id TEXT PRIMARY KEY, user TEXT NOT NULL REFERENCES users(name), name TEXT NOT NULL,
                     token_hash BLOB NOT NULL UNIQUE, created_ms INTEGER NOT NULL, revoked_ms INTEGER) WITHOUT ROWID;
CREATE TABLE audit(id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, actor TEXT NOT NULL, event TEXT NOT NULL,
                   detail TEXT NOT NULL);
)sql",
    // 2 -> 3: sync: records, per-field frontiers, the pull log, and every push answer (idempotency)
    R"sql(
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
)sql",
    // 3 -> 4: a team's records in id order, for the first-sync snapshot
    R"sql(
CREATE INDEX srv_records_team ON srv_records(team, id);
)sql",
    // 4 -> 5: a record's frontiers in one blob on its row (records/heads.h; was a row per version in
    // srv_fields), a push's answers in one row (was a row per change), and the log's seq a plain
    // rowid (the log is never deleted from, so no seq is reused; AUTOINCREMENT cost a write per
    // change). migrate_to_5 moves the rows the SQL cannot.
    R"sql(
ALTER TABLE srv_records ADD COLUMN fields BLOB;
CREATE TABLE srv_push_batches(device TEXT NOT NULL, last_seq INTEGER NOT NULL, first_seq INTEGER NOT NULL,
                              results TEXT NOT NULL, PRIMARY KEY(device, last_seq)) WITHOUT ROWID;
CREATE TABLE srv_changes_v5(seq INTEGER PRIMARY KEY, record TEXT NOT NULL, type TEXT NOT NULL,
                            team TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL, hlc INTEGER NOT NULL,
                            device TEXT NOT NULL, base INTEGER NOT NULL, author TEXT NOT NULL, at_ms INTEGER NOT NULL);
INSERT INTO srv_changes_v5 SELECT seq, record, type, team, field, value, hlc, device, base, author, at_ms
  FROM srv_changes ORDER BY seq;
DROP TABLE srv_changes;
ALTER TABLE srv_changes_v5 RENAME TO srv_changes;
CREATE INDEX srv_changes_team ON srv_changes(team, seq);
)sql",
    // 5 -> 6: which team's records name which attachment (by hash): a team may upload and read a blob
    // only when one of its records names it.
    R"sql(
CREATE TABLE srv_blob_refs(team TEXT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY(team, hash)) WITHOUT ROWID;
)sql",
    // 6 -> 7: when each device was last seen, and the Outpost version it runs (device list).
    R"sql(
ALTER TABLE devices ADD COLUMN last_seen_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN client_version TEXT NOT NULL DEFAULT '';
)sql",
    // 7 -> 8: the published forms, every version kept (form_library.h); a server seeds it with the
    // packaged forms when it is empty.
    R"sql(
CREATE TABLE srv_forms(type TEXT NOT NULL, version INTEGER NOT NULL, body TEXT NOT NULL,
                       published_ms INTEGER NOT NULL, PRIMARY KEY(type, version)) WITHOUT ROWID;
)sql",
    // 8 -> 9: device tokens that expire (several per device while a renewal is in flight; devices'
    // token_hash stays the enrolment token's), users that can be disabled, devices revoked with
    // wipe, and the server's Ed25519 signing key pair. migrate_to_9 gives every existing device's
    // token an expiry and makes the key pair.
    R"sql(
CREATE TABLE device_tokens(token_hash BLOB PRIMARY KEY, device TEXT NOT NULL REFERENCES devices(id),
                           created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX device_tokens_device ON device_tokens(device);
ALTER TABLE users ADD COLUMN disabled_ms INTEGER;
ALTER TABLE devices ADD COLUMN wipe INTEGER NOT NULL DEFAULT 0;
CREATE TABLE server_keys(purpose TEXT PRIMARY KEY, public BLOB NOT NULL, secret BLOB NOT NULL) WITHOUT ROWID;
)sql",
};
static_assert(std::size(kMigrations) == kServerSchemaVersion - 1, "one migration per schema version");

}  // namespace

Status SqliteStorage::migrate() {
    std::lock_guard lock(m_mutex);
    int current = 0;
    {
        // Finalized before migrating: an active statement would lock the tables a migration drops.
        auto v = sql::StmtRef::owned(m_db, "SELECT schema_version FROM meta LIMIT 1");
        if (v.step() != SQLITE_ROW) {
            return Status::error(errc::kServerDataDirInvalid, "server database has no identity row");
        }
        current = static_cast<int>(v.col_i64(0));
    }
    if (current > kServerSchemaVersion) {
        return Status::error(errc::kServerDataDirInvalid,
                             "server database schema " + std::to_string(current) +
                                 " is newer than this build understands (" + std::to_string(kServerSchemaVersion) +
                                 "): a newer outpost-server has upgraded it; install that version (downgrading "
                                 "means restoring the backup taken before the upgrade)");
    }
    for (int from = current; from < kServerSchemaVersion; ++from) {
        const std::string to = std::to_string(from + 1);
        const std::string what = "migrating the server database to version " + to;
        Result<Transaction> txn = Transaction::begin(m_db);
        if (!txn.is_ok()) {
            return txn.status().with_context(what);
        }
        const std::string sql = std::string(kMigrations[from - 1]) + "UPDATE meta SET schema_version = " + to + ";";
        Status s = sqlite3_exec(m_db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK ? Status::ok()
                                                                                           : sql_error(m_db, what);
        if (s.is_ok() && from + 1 == 5) {
            s = migrate_to_5();
        }
        if (s.is_ok() && from + 1 == 9) {
            s = migrate_to_9();
        }
        OUTPOST_TRY(txn->finish(s));
    }
    return Status::ok();
}

// Schema 5's data move, inside its migration's transaction: each record's srv_fields rows become
// its frontiers blob, each stored answer a one-answer row of srv_push_batches; then the old
// tables go. Streams record by record, so memory stays small whatever the size of the data.
Status SqliteStorage::migrate_to_5() {
    {
        auto read = sql::StmtRef::owned(m_db,
                                        "SELECT record, field, hlc, device, value, base, author FROM srv_fields "
                                        "ORDER BY record, field, hlc, device");
        auto write = sql::StmtRef::owned(m_db, "UPDATE srv_records SET fields = ? WHERE id = ?");
        std::string current;
        std::vector<records::FieldFrontier> fields;
        auto flush = [&]() -> Status {
            if (current.empty()) {
                return Status::ok();
            }
            write.blob(1, records::encode_frontiers(fields)).text(2, current);
            const int rc = write.step();
            write.reset();
            fields.clear();
            return rc == SQLITE_DONE ? Status::ok() : sql_error(m_db, "moving a record's fields");
        };
        int rc = 0;
        while ((rc = read.step()) == SQLITE_ROW) {
            if (read.col_blob(0) != current) {
                OUTPOST_TRY(flush());
                current.assign(read.col_blob(0));
            }
            std::string field = read.col_text(1);
            if (fields.empty() || fields.back().field != field) {
                fields.push_back(records::FieldFrontier{std::move(field), {}});
            }
            fields.back().state.frontier.push_back(records::FieldVersion{
                read.col_text(4),
                records::Stamp{records::Hlc{static_cast<std::uint64_t>(read.col_i64(2))}, read.col_text(3)},
                records::Hlc{static_cast<std::uint64_t>(read.col_i64(5))}, read.col_text(6)});
        }
        if (rc != SQLITE_DONE || !read.ok() || !write.ok()) {
            return sql_error(m_db, "moving records' fields");
        }
        OUTPOST_TRY(flush());

        auto answers = sql::StmtRef::owned(m_db, "SELECT device, seq, outcome, code, message FROM srv_push_results");
        while ((rc = answers.step()) == SQLITE_ROW) {
            std::optional<ChangeOutcome> o = storage::outcome_from(answers.col_blob(2));
            if (!o) {
                return Status::error(errc::kInternal, "unknown stored outcome");
            }
            OUTPOST_TRY(save_results(answers.col_text(0),
                                     {ChangeResult{answers.col_i64(1), *o, answers.col_text(3), answers.col_text(4)}}));
        }
        if (rc != SQLITE_DONE) {
            return sql_error(m_db, "moving push answers");
        }
    }
    if (sqlite3_exec(m_db, "DROP TABLE srv_fields; DROP TABLE srv_push_results;", nullptr, nullptr, nullptr) !=
        SQLITE_OK) {
        return sql_error(m_db, "dropping schema 4's tables");
    }
    return Status::ok();
}

// Schema 9's data, inside its migration's transaction: each device's token (devices.token_hash)
// becomes a token that expires kDefaultTokenDays from now (no laptop is locked out by the upgrade),
// and the signing key pair is made.
Status SqliteStorage::migrate_to_9() {
    const std::int64_t now = SystemClock::instance().now_ms();
    auto tokens = sql::StmtRef::owned(m_db,
                                      "INSERT INTO device_tokens(token_hash, device, created_ms, expires_ms) "
                                      "SELECT token_hash, id, ?1, ?2 FROM devices");
    tokens.i64(1, now).i64(2, now + kDefaultTokenDays * kDayMs);
    if (tokens.step() != SQLITE_DONE) {
        return sql_error(m_db, "giving device tokens an expiry");
    }
    accounts::RawKeyPair key = accounts::new_signing_key();
    if (key.public_key.empty()) {
        return Status::error(errc::kInternal, "libsodium failed to initialise");
    }
    auto put = sql::StmtRef::owned(m_db, "INSERT INTO server_keys(purpose, public, secret) VALUES('signing', ?, ?)");
    put.blob(1, key.public_key).blob(2, key.secret_key);
    const int rc = put.step();
    sodium_memzero(key.secret_key.data(), key.secret_key.size());
    return rc == SQLITE_DONE ? Status::ok() : sql_error(m_db, "storing the server's signing key");
}

}  // namespace sqlite

Status init_sqlite_data_dir(const fs::path& dir) {
    std::error_code ec;
    if (fs::exists(dir / sqlite::kDbName, ec)) {
        return Status::error(errc::kStoreFileExists, "a server database already exists in " + dir.string());
    }
    fs::create_directories(dir, ec);
    if (ec) {
        return Status::error(errc::kIo, "cannot create " + dir.string() + ": " + ec.message());
    }
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
    if (sodium_init() < 0) {
        return Status::error(errc::kInternal, "libsodium failed to initialise");
    }
    sqlite3* db = nullptr;
    const std::string path = (dir / sqlite::kDbName).string();
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
        Status s = storage::sql_error(db, "creating " + path);
        sqlite3_close_v2(db);
        return s;
    }
    const std::int64_t now = SystemClock::instance().now_ms();
    // Version 1 is the identity row; migrations bring it to kServerSchemaVersion when it is opened.
    const std::string sql =
        "CREATE TABLE meta(server_id TEXT NOT NULL, schema_version INTEGER NOT NULL,"
        " created_ms INTEGER NOT NULL);"
        "INSERT INTO meta VALUES('" +
        storage::random_hex(16) + "', 1, " + std::to_string(now) + ");";
    Status s = sqlite3_exec(db, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr) == SQLITE_OK
                   ? Status::ok()
                   : storage::sql_error(db, "initialising server database");
    if (s.is_ok()) {
        Result<Transaction> txn = Transaction::begin(db);
        s = txn.status();
        if (txn.is_ok()) {
            s = txn->finish(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK
                                ? Status::ok()
                                : storage::sql_error(db, "initialising server database"));
        }
    }
    sqlite3_close_v2(db);
    return s;
}

}  // namespace outpost::sync
