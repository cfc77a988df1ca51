#include <sodium.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "outpost/core/error_codes.h"
#include "outpost/core/json.h"
#include "outpost/core/sql_stmt.h"
#include "outpost/sync/server_storage.h"
#include "storage_common.h"

namespace outpost::sync {
namespace fs = std::filesystem;
namespace {

constexpr const char* kDbName = "server.db";

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
};
static_assert(std::size(kMigrations) == kServerSchemaVersion - 1, "one migration per schema version");

// A statement from the storage's cache: reset and unbound when the guard goes out of scope.
using Cached = sql::StmtRef;
using namespace storage;

class SqliteStorage final : public ServerStorage, private SyncTxn {
public:
    explicit SqliteStorage(sqlite3* db) : m_db(db) {}
    ~SqliteStorage() override {
        for (auto& [sql, st] : m_cache) {
            sqlite3_finalize(st);
        }
        sqlite3_finalize(m_auth_stmt);
        sqlite3_close_v2(m_auth_db);
        sqlite3_close_v2(m_db);
    }

    // A second, read-only connection for authenticate(): in WAL mode it reads the last commit while
    // a group of pushes is being written, so requests are not held at the door by the writer.
    Status open_auth(const std::string& path) {
        if (sqlite3_open_v2(path.c_str(), &m_auth_db, SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX, nullptr) !=
                SQLITE_OK ||
            sqlite3_prepare_v3(m_auth_db,
                               "SELECT d.id, d.user, u.team, u.role, d.revoked_ms FROM devices d JOIN users u "
                               "ON u.name = d.user WHERE d.token_hash = ?",
                               -1, SQLITE_PREPARE_PERSISTENT, &m_auth_stmt, nullptr) != SQLITE_OK) {
            return sql_error(m_auth_db, "opening " + path + " to read devices");
        }
        sqlite3_busy_timeout(m_auth_db, 5000);
        return Status::ok();
    }
    SqliteStorage(const SqliteStorage&) = delete;
    SqliteStorage& operator=(const SqliteStorage&) = delete;

    Status migrate() {
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
            const std::string sql = std::string("BEGIN IMMEDIATE;") + kMigrations[from - 1] +
                                    "UPDATE meta SET schema_version = " + to + ";";
            Status s = sqlite3_exec(m_db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK
                           ? Status::ok()
                           : sql_error(m_db, "migrating the server database to version " + to);
            if (s.is_ok() && from + 1 == 5) {
                s = migrate_to_5();
            }
            if (s.is_ok() && sqlite3_exec(m_db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
                s = sql_error(m_db, "migrating the server database to version " + to);
            }
            if (!s.is_ok()) {
                sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
                return s;
            }
        }
        return Status::ok();
    }

    // Schema 5's data move, inside its migration's transaction: each record's srv_fields rows become
    // its frontiers blob, each stored answer a one-answer row of srv_push_batches; then the old
    // tables go. Streams record by record, so memory stays small whatever the size of the data.
    Status migrate_to_5() {
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

            auto answers =
                sql::StmtRef::owned(m_db, "SELECT device, seq, outcome, code, message FROM srv_push_results");
            while ((rc = answers.step()) == SQLITE_ROW) {
                std::optional<ChangeOutcome> o = outcome_from(answers.col_blob(2));
                if (!o) {
                    return Status::error(errc::kInternal, "unknown stored outcome");
                }
                OUTPOST_TRY(save_results(answers.col_text(0), {ChangeResult{answers.col_i64(1), *o, answers.col_text(3),
                                                                            answers.col_text(4)}}));
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

    Result<ServerIdentity> identity() override {
        std::lock_guard lock(m_mutex);
        auto st = sql::StmtRef::owned(m_db, "SELECT server_id, schema_version, created_ms FROM meta LIMIT 1");
        if (st.step() != SQLITE_ROW) {
            return Status::error(errc::kServerDataDirInvalid, "server database has no identity row");
        }
        return ServerIdentity{st.col_text(0), static_cast<int>(st.col_i64(1)), st.col_i64(2)};
    }

    Result<std::vector<std::string>> teams() override {
        std::lock_guard lock(m_mutex);
        auto st = sql::StmtRef::owned(m_db, "SELECT name FROM teams ORDER BY name");
        std::vector<std::string> out;
        int rc = 0;
        while ((rc = st.step()) == SQLITE_ROW) {
            out.push_back(st.col_text(0));
        }
        if (rc != SQLITE_DONE) {
            return sql_error(m_db, "listing teams");
        }
        return out;
    }

    Status add_team(const std::string& name, std::int64_t now_ms) override {
        if (!valid_name(name)) {
            return Status::error(
                errc::kAccountInvalid,
                "team names use a-z, 0-9, '_', '-' and '.', up to 64, and start with a letter or digit");
        }
        std::lock_guard lock(m_mutex);
        auto st = sql::StmtRef::owned(m_db, "INSERT INTO teams(name, created_ms) VALUES(?, ?)");
        st.text(1, name).i64(2, now_ms);
        const int rc = st.step();
        if (rc == SQLITE_CONSTRAINT) {
            return Status::error(errc::kAccountExists, "team '" + name + "' already exists");
        }
        return rc == SQLITE_DONE ? Status::ok() : sql_error(m_db, "adding a team");
    }

    Status add_user(const std::string& name, const std::string& team, const std::string& role,
                    std::int64_t now_ms) override {
        if (!valid_name(name) || (role != "worker" && role != "lead" && role != "admin")) {
            return Status::error(errc::kAccountInvalid, "a user needs a valid name and a role: worker, lead or admin");
        }
        std::lock_guard lock(m_mutex);
        auto t = sql::StmtRef::owned(m_db, "SELECT 1 FROM teams WHERE name = ?");
        t.text(1, team);
        if (t.step() != SQLITE_ROW) {
            return Status::error(errc::kAccountMissing, "no team '" + team + "'");
        }
        auto st = sql::StmtRef::owned(m_db, "INSERT INTO users(name, team, role, created_ms) VALUES(?, ?, ?, ?)");
        st.text(1, name).text(2, team).text(3, role).i64(4, now_ms);
        const int rc = st.step();
        if (rc == SQLITE_CONSTRAINT) {
            return Status::error(errc::kAccountExists, "user '" + name + "' already exists");
        }
        return rc == SQLITE_DONE ? Status::ok() : sql_error(m_db, "adding a user");
    }

    Result<std::string> user_team(const std::string& user) override {
        std::lock_guard lock(m_mutex);
        auto u = sql::StmtRef::owned(m_db, "SELECT team FROM users WHERE name = ?");
        u.text(1, user);
        if (u.step() != SQLITE_ROW) {
            return Status::error(errc::kAccountMissing, "no user '" + user + "'");
        }
        return u.col_text(0);
    }

    Result<std::string> create_enrolment_code(const std::string& user, std::int64_t ttl_ms,
                                              std::int64_t now_ms) override {
        std::lock_guard lock(m_mutex);
        auto u = sql::StmtRef::owned(m_db, "SELECT 1 FROM users WHERE name = ?");
        u.text(1, user);
        if (u.step() != SQLITE_ROW) {
            return Status::error(errc::kAccountMissing, "no user '" + user + "'");
        }
        // One live code per person: a new one replaces any not yet used (a rerun of provision, a
        // file re-issued for a lost one), so an older file cannot enrol a second laptop.
        auto old = sql::StmtRef::owned(m_db,
                                       "UPDATE enrol_codes SET expires_ms = min(expires_ms, ?) WHERE user = ? AND "
                                       "used_ms IS NULL");
        old.i64(1, now_ms - 1).text(2, user);
        if (old.step() != SQLITE_DONE) {
            return sql_error(m_db, "replacing an enrolment code");
        }
        const std::string code = new_enrolment_code();
        auto st = sql::StmtRef::owned(
            m_db, "INSERT INTO enrol_codes(code_hash, user, created_ms, expires_ms) VALUES(?, ?, ?, ?)");
        st.blob(1, secret_hash(normalise_code(code))).text(2, user).i64(3, now_ms).i64(4, now_ms + ttl_ms);
        if (st.step() != SQLITE_DONE) {
            return sql_error(m_db, "storing an enrolment code");
        }
        return code;
    }

    Result<Enrolment> enrol(const std::string& code, const std::string& device_name, std::int64_t now_ms) override {
        std::lock_guard lock(m_mutex);
        if (sqlite3_exec(m_db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) {
            return sql_error(m_db, "enrolling");
        }
        std::string refused_user = "-";
        Result<Enrolment> r = enrol_locked(code, device_name, now_ms, refused_user);
        sqlite3_exec(m_db, r.is_ok() ? "COMMIT" : "ROLLBACK", nullptr, nullptr, nullptr);
        if (!r.is_ok()) {
            // After the rollback, so the refusal itself is kept (never the code).
            (void)audit_locked(now_ms, refused_user, "enroll.refused", r.status().code());
        }
        return r;
    }

    Result<DeviceAuth> authenticate(const std::string& token) override {
        std::lock_guard lock(m_auth_mutex);
        Cached st(m_auth_stmt);
        st.blob(1, secret_hash(token));
        if (st.step() != SQLITE_ROW) {
            return Status::error(errc::kAuthInvalid, "unknown device token");
        }
        if (!st.col_null(4)) {
            return Status::error(errc::kAuthRevoked, "device " + st.col_text(0) + " was revoked");
        }
        return DeviceAuth{st.col_text(0), st.col_text(1), st.col_text(2), st.col_text(3)};
    }

    Status revoke_device(const std::string& device_id, std::int64_t now_ms) override {
        std::lock_guard lock(m_mutex);
        auto st = sql::StmtRef::owned(m_db, "UPDATE devices SET revoked_ms = ? WHERE id = ? AND revoked_ms IS NULL");
        st.i64(1, now_ms).text(2, device_id);
        if (st.step() != SQLITE_DONE) {
            return sql_error(m_db, "revoking a device");
        }
        if (sqlite3_changes(m_db) == 0) {
            auto was = sql::StmtRef::owned(m_db, "SELECT revoked_ms FROM devices WHERE id = ?1");
            was.text(1, device_id);
            if (was.step() == SQLITE_ROW) {
                return Status::error(errc::kDeviceAlreadyRevoked, "device '" + device_id + "' was already revoked");
            }
            return Status::error(errc::kAccountMissing, "no device '" + device_id + "'");
        }
        return audit_locked(now_ms, "admin", "device.revoked", device_id);
    }

    Status device_seen(const std::string& device_id, std::int64_t now_ms, const std::string& client_version) override {
        std::lock_guard lock(m_mutex);
        auto st = sql::StmtRef::owned(m_db, "UPDATE devices SET last_seen_ms = ?1, client_version = ?2 WHERE id = ?3");
        st.i64(1, now_ms);
        st.text(2, client_version);
        st.text(3, device_id);
        if (st.step() != SQLITE_DONE) {
            return sql_error(m_db, "noting when a device was seen");
        }
        return Status::ok();
    }

    Result<std::vector<DeviceInfo>> devices(const std::string& user) override {
        std::lock_guard lock(m_mutex);
        auto st = sql::StmtRef::owned(m_db,
                                      "SELECT d.id, d.user, u.team, d.name, d.created_ms, COALESCE(d.revoked_ms, 0), "
                                      "d.last_seen_ms, d.client_version "
                                      "FROM devices d JOIN users u ON u.name = d.user "
                                      "WHERE ?1 = '' OR d.user = ?1 ORDER BY d.created_ms, d.id");
        st.text(1, user);
        std::vector<DeviceInfo> out;
        int rc = 0;
        while ((rc = st.step()) == SQLITE_ROW) {
            out.push_back({st.col_text(0), st.col_text(1), st.col_text(2), st.col_text(3), st.col_i64(4), st.col_i64(5),
                           st.col_i64(6), st.col_text(7)});
        }
        if (rc != SQLITE_DONE) {
            return sql_error(m_db, "listing devices");
        }
        return out;
    }

    Status audit(std::int64_t now_ms, const std::string& actor, const std::string& event,
                 const std::string& detail) override {
        std::lock_guard lock(m_mutex);
        return audit_locked(now_ms, actor, event, detail);
    }

    Result<std::vector<AuditEntry>> audit_log(int limit) override {
        std::lock_guard lock(m_mutex);
        auto st = sql::StmtRef::owned(m_db, "SELECT at_ms, actor, event, detail FROM audit ORDER BY id DESC LIMIT ?");
        st.i64(1, limit);
        std::vector<AuditEntry> out;
        while (st.step() == SQLITE_ROW) {
            out.push_back({st.col_i64(0), st.col_text(1), st.col_text(2), st.col_text(3)});
        }
        return out;
    }

    // ---- sync ----
    // Group commit: pushes that arrive while another group is being written wait, then the first of
    // them writes all of them in one transaction, each body inside a savepoint of its own, so one
    // fsync serves the group and a failing body is rolled back alone. Bodies run on the thread that
    // leads the group, while their callers wait.
    Status with_sync_txn(const std::string& /*team*/, const std::function<Status(SyncTxn&)>& body) override {
        return m_groups.submit(body, [this](const std::vector<GroupWriter::Pending*>& group) { write_group(group); });
    }

    Result<std::vector<WireChange>> changes_after(const std::string& team, const std::string& exclude_device,
                                                  std::int64_t after, int limit, std::int64_t& safe_to) override {
        std::lock_guard lock(m_mutex);
        // One connection behind one mutex: every seq at or below the log's end is committed, so the
        // end is a safe cursor when the page is not full (PostgreSQL must bound it by in-flight
        // transactions instead; see docs/PROTOCOL.md).
        Cached st = cached(
            "SELECT * FROM (SELECT seq, record, type, team, field, value, hlc, device, base, author FROM srv_changes "
            "WHERE team = ?1 AND seq > ?2 AND device != ?3 ORDER BY seq LIMIT ?4) "
            "UNION ALL SELECT * FROM (SELECT seq, record, type, team, field, value, hlc, device, base, author "
            "FROM srv_changes WHERE team = '*' AND seq > ?2 AND device != ?3 ORDER BY seq LIMIT ?4) "
            "ORDER BY seq LIMIT ?4");
        // The team's changes and the practice library's (team '*', records/review.h), each read
        // through the (team, seq) index, bounded, then merged.
        st.text(1, team).i64(2, after).text(3, exclude_device).i64(4, limit);
        std::vector<WireChange> out;
        int rc = 0;
        while ((rc = st.step()) == SQLITE_ROW) {
            WireChange c;
            c.seq = st.col_i64(0);
            c.record = st.col_text(1);
            c.type = st.col_text(2);
            c.team = st.col_text(3);
            c.field = st.col_text(4);
            c.value = st.col_text(5);
            c.hlc = hlc_text(st.col_i64(6));
            c.device = st.col_text(7);
            c.base = hlc_text(st.col_i64(8));
            c.author = st.col_text(9);
            out.push_back(std::move(c));
        }
        if (rc != SQLITE_DONE) {
            return sql_error(m_db, "reading the pull log");
        }
        if (static_cast<int>(out.size()) == limit) {
            safe_to = out.back().seq;
            return out;
        }
        Cached end = cached("SELECT COALESCE(max(seq), 0) FROM srv_changes");
        if (end.step() != SQLITE_ROW) {
            return sql_error(m_db, "reading the pull log");
        }
        safe_to = end.col_i64(0);  // below `after` only for a cursor past the log's end (SyncService refuses it)
        return out;
    }

    Status snapshot_page(const std::string& team, const std::string& exclude_device, const std::string& after,
                         int limit, std::size_t max_bytes, std::int64_t& log_end, bool& more,
                         const std::function<void(const SnapshotRow&)>& on_row) override {
        std::lock_guard lock(m_mutex);
        // One connection behind one mutex: no write lands between reading the log's end and the records.
        Cached end = cached("SELECT COALESCE(max(seq), 0) FROM srv_changes");
        if (end.step() != SQLITE_ROW) {
            return sql_error(m_db, "reading the pull log");
        }
        log_end = end.col_i64(0);
        Cached st =
            cached("SELECT id, type, created_by, fields FROM srv_records WHERE team = ? AND id > ? ORDER BY id");
        st.text(1, team).text(2, after);
        SnapshotPager pager{exclude_device, limit, max_bytes};
        more = false;
        int rc = 0;
        while ((rc = st.step()) == SQLITE_ROW) {
            if (st.col_null(3)) {
                continue;
            }
            // TEXT columns' bytes, valid until the next step.
            auto sent = pager.add(st.col_blob(0), st.col_blob(1), st.col_blob(2), st.col_blob(3), more, on_row);
            OUTPOST_TRY(sent);
            if (!*sent) {
                break;
            }
        }
        if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
            return sql_error(m_db, "reading the snapshot");
        }
        return Status::ok();
    }

    Result<bool> blob_ref_exists(const std::string& team, const std::string& hash) override {
        std::lock_guard lock(m_mutex);
        Cached st = cached("SELECT 1 FROM srv_blob_refs WHERE team = ? AND hash = ?");
        st.text(1, team).text(2, hash);
        const int rc = st.step();
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
            return sql_error(m_db, "reading attachment names");
        }
        return rc == SQLITE_ROW;
    }

    Result<std::uint64_t> max_hlc() override {
        std::lock_guard lock(m_mutex);
        Cached st = cached("SELECT COALESCE(max(hlc), 0) FROM srv_changes");
        if (st.step() != SQLITE_ROW) {
            return sql_error(m_db, "reading the clock");
        }
        return static_cast<std::uint64_t>(st.col_i64(0));
    }

    Result<std::int64_t> logged_changes(const std::string& device) override {
        std::lock_guard lock(m_mutex);
        Cached st = cached("SELECT count(*) FROM srv_changes WHERE device = ?");
        st.text(1, device);
        if (st.step() != SQLITE_ROW) {
            return sql_error(m_db, "counting changes");
        }
        return st.col_i64(0);
    }

private:
    // SyncTxn: called only inside with_sync_txn, with m_mutex held.
    Result<std::vector<ChangeResult>> prior_results(const std::string& device, std::int64_t from,
                                                    std::int64_t to) override {
        Cached st = cached(
            "SELECT results FROM srv_push_batches WHERE device = ? AND last_seq >= ? AND first_seq <= ? "
            "ORDER BY last_seq");
        st.text(1, device).i64(2, from).i64(3, to);
        std::vector<ChangeResult> out;
        int rc = 0;
        while ((rc = st.step()) == SQLITE_ROW) {
            Result<PushResponse> saved = decode_push_response(st.col_blob(0));
            if (!saved.is_ok()) {
                return Status::error(errc::kInternal, "stored push answers could not be read");
            }
            for (ChangeResult& r : saved->results) {
                if (r.seq >= from && r.seq <= to) {
                    out.push_back(std::move(r));
                }
            }
        }
        if (rc != SQLITE_DONE) {
            return sql_error(m_db, "reading push answers");
        }
        std::sort(out.begin(), out.end(), [](const ChangeResult& a, const ChangeResult& b) { return a.seq < b.seq; });
        return out;
    }

    Status save_results(const std::string& device, const std::vector<ChangeResult>& results) override {
        if (results.empty()) {
            return Status::ok();
        }
        Cached st = cached("INSERT INTO srv_push_batches(device, last_seq, first_seq, results) VALUES(?,?,?,?)");
        st.text(1, device).i64(2, results.back().seq).i64(3, results.front().seq);
        st.text(4, encode(PushResponse{results}));
        return st.step() == SQLITE_DONE ? Status::ok() : sql_error(m_db, "saving push answers");
    }

    Result<std::optional<StoredRecord>> record(const std::string& id) override {
        Cached st = cached("SELECT type, team, created_by, fields FROM srv_records WHERE id = ?");
        st.text(1, id);
        const int rc = st.step();
        if (rc == SQLITE_DONE) {
            return std::optional<StoredRecord>();
        }
        if (rc != SQLITE_ROW) {
            return sql_error(m_db, "reading a record");
        }
        StoredRecord r{RecordMeta{st.col_text(0), st.col_text(1), st.col_text(2)}, {}};
        if (!st.col_null(3)) {
            Result<std::vector<records::FieldFrontier>> fields = records::decode_frontiers(st.col_blob(3));
            OUTPOST_TRY(fields);
            r.fields = std::move(*fields);
        }
        return std::optional<StoredRecord>(std::move(r));
    }

    Status put_record(const std::string& id, const StoredRecord& r, bool is_new, std::int64_t now_ms) override {
        const std::string fields = records::encode_frontiers(r.fields);
        if (is_new) {
            Cached st =
                cached("INSERT INTO srv_records(id, type, team, created_by, created_ms, fields) VALUES(?,?,?,?,?,?)");
            st.text(1, id).text(2, r.meta.type).text(3, r.meta.team).text(4, r.meta.created_by).i64(5, now_ms);
            st.blob(6, fields);
            return st.step() == SQLITE_DONE ? Status::ok() : sql_error(m_db, "saving a record");
        }
        Cached st = cached("UPDATE srv_records SET fields = ? WHERE id = ?");
        st.blob(1, fields).text(2, id);
        return st.step() == SQLITE_DONE ? Status::ok() : sql_error(m_db, "saving a record");
    }

    Status add_blob_ref(const std::string& team, const std::string& hash) override {
        Cached st = cached("INSERT OR IGNORE INTO srv_blob_refs(team, hash) VALUES(?, ?)");
        st.text(1, team).text(2, hash);
        return st.step() == SQLITE_DONE ? Status::ok() : sql_error(m_db, "naming an attachment");
    }

    Status append_change(const WireChange& c, std::int64_t now_ms) override {
        Cached st = cached(
            "INSERT INTO srv_changes(record, type, team, field, value, hlc, device, base, author, at_ms) "
            "VALUES(?,?,?,?,?,?,?,?,?,?)");
        st.text(1, c.record).text(2, c.type).text(3, c.team).text(4, c.field).text(5, c.value);
        st.i64(6, hlc_value(c.hlc)).text(7, c.device).i64(8, hlc_value(c.base)).text(9, c.author).i64(10, now_ms);
        return st.step() == SQLITE_DONE ? Status::ok() : sql_error(m_db, "logging a change");
    }

    Cached cached(const char* sql) {
        auto it = m_cache.find(sql);
        if (it == m_cache.end()) {
            sqlite3_stmt* st = nullptr;
            if (sqlite3_prepare_v3(m_db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr) != SQLITE_OK) {
                sqlite3_finalize(st);
                return Cached(nullptr);
            }
            it = m_cache.emplace(sql, st).first;
        }
        return Cached(it->second);
    }

    Status audit_locked(std::int64_t now_ms, const std::string& actor, const std::string& event,
                        const std::string& detail) {
        auto st = sql::StmtRef::owned(m_db, "INSERT INTO audit(at_ms, actor, event, detail) VALUES(?, ?, ?, ?)");
        st.i64(1, now_ms).text(2, actor).text(3, event).text(4, detail);
        return st.step() == SQLITE_DONE ? Status::ok() : sql_error(m_db, "writing the audit log");
    }

    Result<Enrolment> enrol_locked(const std::string& code, const std::string& device_name, std::int64_t now_ms,
                                   std::string& refused_user) {
        const std::string hash = secret_hash(normalise_code(code));
        auto c = sql::StmtRef::owned(m_db,
                                     "SELECT e.user, e.expires_ms, e.used_ms, u.team, u.role FROM enrol_codes e "
                                     "JOIN users u ON u.name = e.user WHERE e.code_hash = ?");
        c.blob(1, hash);
        if (c.step() != SQLITE_ROW) {
            return Status::error(errc::kEnrolCodeInvalid, "no such enrolment code");
        }
        Enrolment e;
        e.user = c.col_text(0);
        e.team = c.col_text(3);
        e.role = c.col_text(4);
        refused_user = e.user;
        if (!c.col_null(2)) {
            return Status::error(errc::kEnrolCodeUsed, "this enrolment code was already used");
        }
        if (c.col_i64(1) <= now_ms) {
            return Status::error(errc::kEnrolCodeExpired, "this enrolment code has expired");
        }
        e.device_id = "dev-" + random_hex(8);
        e.token = random_hex(32);
        auto used = sql::StmtRef::owned(m_db, "UPDATE enrol_codes SET used_ms = ? WHERE code_hash = ?");
        used.i64(1, now_ms).blob(2, hash);
        auto dev = sql::StmtRef::owned(
            m_db, "INSERT INTO devices(id, user, name, token_hash, created_ms) VALUES(?, ?, ?, ?, ?)");
        dev.text(1, e.device_id)
            .text(2, e.user)
            .text(3, json::valid_utf8(json::utf8_prefix(device_name, 128)))
            .blob(4, secret_hash(e.token))
            .i64(5, now_ms);
        if (used.step() != SQLITE_DONE || dev.step() != SQLITE_DONE) {
            return sql_error(m_db, "enrolling a device");
        }
        OUTPOST_TRY(audit_locked(now_ms, e.user, "device.enrolled", e.device_id));
        return e;
    }

    // One push waiting for its group (with_sync_txn).
    // Writes `batch` in one transaction; sets each one's result.
    void write_group(const std::vector<GroupWriter::Pending*>& batch) {
        std::lock_guard lock(m_mutex);
        if (sqlite3_exec(m_db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) {
            const Status s = sql_error(m_db, "starting a sync transaction");
            for (GroupWriter::Pending* p : batch) {
                p->result = s;
            }
            return;
        }
        Status lost = Status::ok();  // set when the transaction itself is gone
        for (GroupWriter::Pending* p : batch) {
            if (sqlite3_exec(m_db, "SAVEPOINT push", nullptr, nullptr, nullptr) != SQLITE_OK) {
                lost = sql_error(m_db, "starting a push");
                break;
            }
            p->result = (*p->body)(*this);
            if (sqlite3_get_autocommit(m_db) != 0) {
                // SQLite rolled the whole transaction back (a full disk, an I/O error): every body in
                // it is undone, this one's error stands for all.
                lost = p->result.is_ok() ? sql_error(m_db, "writing a push") : p->result;
                break;
            }
            if (!p->result.is_ok()) {
                sqlite3_exec(m_db, "ROLLBACK TO push", nullptr, nullptr, nullptr);
            }
            if (sqlite3_exec(m_db, "RELEASE push", nullptr, nullptr, nullptr) != SQLITE_OK) {
                lost = sql_error(m_db, "ending a push");
                break;
            }
        }
        if (lost.is_ok() && sqlite3_exec(m_db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) {
            lost = sql_error(m_db, "committing a sync transaction");
        }
        if (!lost.is_ok()) {
            if (sqlite3_get_autocommit(m_db) == 0) {
                sqlite3_exec(m_db, "ROLLBACK", nullptr, nullptr, nullptr);
            }
            for (GroupWriter::Pending* p : batch) {
                if (p->result.is_ok()) {
                    p->result = lost;  // undone, or never run
                }
            }
        }
    }

    GroupWriter m_groups{64};  // 64 bounds the wait of a group's last push

    std::mutex m_auth_mutex;
    sqlite3* m_auth_db = nullptr;         // read-only; guarded by m_auth_mutex
    sqlite3_stmt* m_auth_stmt = nullptr;  // guarded by m_auth_mutex

    std::mutex m_mutex;
    sqlite3* m_db;  // guarded by m_mutex
    // Keyed by the SQL literal's address (each call site passes its own literal): no string is built
    // per call. Guarded by m_mutex; finalized before close.
    std::unordered_map<const char*, sqlite3_stmt*> m_cache;
};

}  // namespace

Status init_sqlite_data_dir(const fs::path& dir) {
    std::error_code ec;
    if (fs::exists(dir / kDbName, ec)) {
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
    const std::string path = (dir / kDbName).string();
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
        Status s = sql_error(db, "creating " + path);
        sqlite3_close_v2(db);
        return s;
    }
    const std::int64_t now =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    // Version 1 is the identity row; migrations bring it to kServerSchemaVersion when it is opened.
    const std::string sql =
        "PRAGMA journal_mode=WAL;"
        "BEGIN;"
        "CREATE TABLE meta(server_id TEXT NOT NULL, schema_version INTEGER NOT NULL,"
        " created_ms INTEGER NOT NULL);"
        "INSERT INTO meta VALUES('" +
        random_hex(16) + "', 1, " + std::to_string(now) +
        ");"
        "COMMIT;";
    char* err = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    Status s = Status::ok();
    if (rc != SQLITE_OK) {
        s = Status::error(errc::kStoreSql, std::string("initialising server database: ") + (err ? err : "?"));
    }
    sqlite3_free(err);
    sqlite3_close_v2(db);
    return s;
}

Result<std::unique_ptr<ServerStorage>> open_sqlite_storage(const fs::path& dir) {
    const std::string path = (dir / kDbName).string();
    std::error_code ec;
    if (!fs::exists(path, ec)) {
        return Status::error(errc::kServerDataDirInvalid,
                             "no server database in " + dir.string() + " (run 'outpost-server init --data DIR')");
    }
    if (sodium_init() < 0) {
        return Status::error(errc::kInternal, "libsodium failed to initialise");
    }
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr) != SQLITE_OK) {
        Status s = sql_error(db, "opening " + path);
        sqlite3_close_v2(db);
        return s;
    }
    sqlite3_busy_timeout(db, 5000);
    sqlite3_exec(db, "PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL", nullptr, nullptr, nullptr);
    auto storage = std::make_unique<SqliteStorage>(db);
    OUTPOST_TRY(storage->migrate());
    OUTPOST_TRY(storage->open_auth(path));
    return std::unique_ptr<ServerStorage>(std::move(storage));
}

}  // namespace outpost::sync
