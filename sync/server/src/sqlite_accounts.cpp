// SqliteStorage's accounts: teams, users, enrolment codes, devices and the audit log, under the
// rules both back ends share (account_rules.h).
#include "account_rules.h"
#include "outpost/core/error_codes.h"
#include "sqlite_storage_impl.h"

namespace outpost::sync::sqlite {

using storage::sql_error;

// A second, read-only connection for authenticate(): in WAL mode it reads the last commit while
// a group of pushes is being written, so requests are not held at the door by the writer.
Status SqliteStorage::open_auth(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &m_auth_db, SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX, nullptr) != SQLITE_OK ||
        sqlite3_prepare_v3(m_auth_db,
                           "SELECT d.id, d.user, u.team, u.role, d.revoked_ms FROM devices d JOIN users u "
                           "ON u.name = d.user WHERE d.token_hash = ?",
                           -1, SQLITE_PREPARE_PERSISTENT, &m_auth_stmt, nullptr) != SQLITE_OK) {
        return sql_error(m_auth_db, "opening " + path + " to read devices");
    }
    sqlite3_busy_timeout(m_auth_db, 5000);
    return Status::ok();
}

Result<std::vector<std::string>> SqliteStorage::teams() {
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

Status SqliteStorage::add_team(const std::string& name, std::int64_t now_ms) {
    OUTPOST_TRY(accounts::check_team(name));
    std::lock_guard lock(m_mutex);
    auto st = sql::StmtRef::owned(m_db, "INSERT INTO teams(name, created_ms) VALUES(?, ?)");
    st.text(1, name).i64(2, now_ms);
    const int rc = st.step();
    if (rc == SQLITE_CONSTRAINT) {
        return accounts::team_exists(name);
    }
    return rc == SQLITE_DONE ? Status::ok() : sql_error(m_db, "adding a team");
}

Status SqliteStorage::add_user(const std::string& name, const std::string& team, const std::string& role,
                               std::int64_t now_ms) {
    OUTPOST_TRY(accounts::check_user(name, role));
    std::lock_guard lock(m_mutex);
    auto t = sql::StmtRef::owned(m_db, "SELECT 1 FROM teams WHERE name = ?");
    t.text(1, team);
    if (t.step() != SQLITE_ROW) {
        return accounts::no_team(team);
    }
    auto st = sql::StmtRef::owned(m_db, "INSERT INTO users(name, team, role, created_ms) VALUES(?, ?, ?, ?)");
    st.text(1, name).text(2, team).text(3, role).i64(4, now_ms);
    const int rc = st.step();
    if (rc == SQLITE_CONSTRAINT) {
        return accounts::user_exists(name);
    }
    return rc == SQLITE_DONE ? Status::ok() : sql_error(m_db, "adding a user");
}

Result<std::string> SqliteStorage::user_team(const std::string& user) {
    std::lock_guard lock(m_mutex);
    auto u = sql::StmtRef::owned(m_db, "SELECT team FROM users WHERE name = ?");
    u.text(1, user);
    if (u.step() != SQLITE_ROW) {
        return accounts::no_user(user);
    }
    return u.col_text(0);
}

Result<std::string> SqliteStorage::create_enrolment_code(const std::string& user, std::int64_t ttl_ms,
                                                         std::int64_t now_ms) {
    std::lock_guard lock(m_mutex);
    auto u = sql::StmtRef::owned(m_db, "SELECT 1 FROM users WHERE name = ?");
    u.text(1, user);
    if (u.step() != SQLITE_ROW) {
        return accounts::no_user(user);
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
    const std::string code = accounts::new_enrolment_code();
    auto st = sql::StmtRef::owned(
        m_db, "INSERT INTO enrol_codes(code_hash, user, created_ms, expires_ms) VALUES(?, ?, ?, ?)");
    st.blob(1, accounts::code_hash(code)).text(2, user).i64(3, now_ms).i64(4, now_ms + ttl_ms);
    if (st.step() != SQLITE_DONE) {
        return sql_error(m_db, "storing an enrolment code");
    }
    return code;
}

Result<Enrolment> SqliteStorage::enrol(const std::string& code, const std::string& device_name, std::int64_t now_ms) {
    std::lock_guard lock(m_mutex);
    Result<Transaction> txn = Transaction::begin(m_db);
    if (!txn.is_ok()) {
        return txn.status().with_context("enrolling");
    }
    std::string refused_user(accounts::kUnknownActor);
    Result<Enrolment> r = enrol_locked(code, device_name, now_ms, refused_user);
    if (const Status done = txn->finish(r.status()); r.is_ok() && !done.is_ok()) {
        r = done;
    }
    if (!r.is_ok()) {
        // After the rollback, so the refusal itself is kept (never the code).
        (void)audit_locked(now_ms, refused_user, accounts::kEventEnrolRefused, r.status().code());
    }
    return r;
}

Result<DeviceAuth> SqliteStorage::authenticate(const std::string& token) {
    std::lock_guard lock(m_auth_mutex);
    Cached st(m_auth_stmt);
    st.blob(1, accounts::secret_hash(token));
    if (st.step() != SQLITE_ROW) {
        return accounts::unknown_token();
    }
    if (!st.col_null(4)) {
        return accounts::revoked(st.col_text(0));
    }
    return DeviceAuth{st.col_text(0), st.col_text(1), st.col_text(2), st.col_text(3)};
}

Status SqliteStorage::revoke_device(const std::string& device_id, std::int64_t now_ms) {
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
            return accounts::already_revoked(device_id);
        }
        return accounts::no_device(device_id);
    }
    return audit_locked(now_ms, accounts::kAdminActor, accounts::kEventRevoked, device_id);
}

Status SqliteStorage::device_seen(const std::string& device_id, std::int64_t now_ms,
                                  const std::string& client_version) {
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

Result<std::vector<DeviceInfo>> SqliteStorage::devices(const std::string& user) {
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

Status SqliteStorage::audit(std::int64_t now_ms, const std::string& actor, const std::string& event,
                            const std::string& detail) {
    std::lock_guard lock(m_mutex);
    return audit_locked(now_ms, actor, event, detail);
}

Result<std::vector<ServerStorage::AuditEntry>> SqliteStorage::audit_log(int limit) {
    std::lock_guard lock(m_mutex);
    auto st = sql::StmtRef::owned(m_db, "SELECT at_ms, actor, event, detail FROM audit ORDER BY id DESC LIMIT ?");
    st.i64(1, limit);
    std::vector<AuditEntry> out;
    while (st.step() == SQLITE_ROW) {
        out.push_back({st.col_i64(0), st.col_text(1), st.col_text(2), st.col_text(3)});
    }
    return out;
}

Status SqliteStorage::audit_locked(std::int64_t now_ms, std::string_view actor, std::string_view event,
                                   std::string_view detail) {
    auto st = sql::StmtRef::owned(m_db, "INSERT INTO audit(at_ms, actor, event, detail) VALUES(?, ?, ?, ?)");
    st.i64(1, now_ms).text(2, actor).text(3, event).text(4, detail);
    return st.step() == SQLITE_DONE ? Status::ok() : sql_error(m_db, "writing the audit log");
}

Result<Enrolment> SqliteStorage::enrol_locked(const std::string& code, const std::string& device_name,
                                              std::int64_t now_ms, std::string& refused_user) {
    const std::string hash = accounts::code_hash(code);
    auto c = sql::StmtRef::owned(m_db,
                                 "SELECT e.user, e.expires_ms, e.used_ms, u.team, u.role FROM enrol_codes e "
                                 "JOIN users u ON u.name = e.user WHERE e.code_hash = ?");
    c.blob(1, hash);
    if (c.step() != SQLITE_ROW) {
        return accounts::no_such_code();
    }
    refused_user = c.col_text(0);
    OUTPOST_TRY(accounts::check_code(!c.col_null(2), c.col_i64(1), now_ms));
    accounts::NewDevice d = accounts::new_device(c.col_text(0), c.col_text(3), c.col_text(4), device_name);
    const Enrolment& e = d.enrolment;
    auto used = sql::StmtRef::owned(m_db, "UPDATE enrol_codes SET used_ms = ? WHERE code_hash = ?");
    used.i64(1, now_ms).blob(2, hash);
    auto dev =
        sql::StmtRef::owned(m_db, "INSERT INTO devices(id, user, name, token_hash, created_ms) VALUES(?, ?, ?, ?, ?)");
    dev.text(1, e.device_id)
        .text(2, e.user)
        .text(3, d.stored_name)
        .blob(4, accounts::secret_hash(e.token))
        .i64(5, now_ms);
    if (used.step() != SQLITE_DONE || dev.step() != SQLITE_DONE) {
        return sql_error(m_db, "enrolling a device");
    }
    OUTPOST_TRY(audit_locked(now_ms, e.user, accounts::kEventEnrolled, e.device_id));
    return std::move(d.enrolment);
}

}  // namespace outpost::sync::sqlite
