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
                           "SELECT d.id, d.user, u.team, u.role, d.revoked_ms, d.wipe, u.disabled_ms, t.expires_ms "
                           "FROM device_tokens t JOIN devices d ON d.id = t.device JOIN users u ON u.name = d.user "
                           "WHERE t.token_hash = ?",
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
    auto u = sql::StmtRef::owned(m_db, "SELECT disabled_ms FROM users WHERE name = ?");
    u.text(1, user);
    if (u.step() != SQLITE_ROW) {
        return accounts::no_user(user);
    }
    if (!u.col_null(0)) {
        return accounts::user_disabled(user);
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

Result<Enrolment> SqliteStorage::enrol(const std::string& code, const std::string& device_name, std::int64_t now_ms,
                                       std::int64_t token_ttl_ms) {
    std::lock_guard lock(m_mutex);
    Result<Transaction> txn = Transaction::begin(m_db);
    if (!txn.is_ok()) {
        return txn.status().with_context("enrolling");
    }
    std::string refused_user(accounts::kUnknownActor);
    Result<Enrolment> r = enrol_locked(code, device_name, now_ms, token_ttl_ms, refused_user);
    if (const Status done = txn->finish(r.status()); r.is_ok() && !done.is_ok()) {
        r = done;
    }
    if (!r.is_ok()) {
        // After the rollback, so the refusal itself is kept (never the code).
        (void)audit_locked(now_ms, refused_user, accounts::kEventEnrolRefused, r.status().code());
    }
    return r;
}

Result<DeviceAuth> SqliteStorage::authenticate(const std::string& token, std::int64_t now_ms) {
    std::lock_guard lock(m_auth_mutex);
    Cached st(m_auth_stmt);
    st.blob(1, accounts::secret_hash(token));
    if (st.step() != SQLITE_ROW) {
        return accounts::unknown_token();
    }
    const accounts::TokenState t{.device_id = st.col_text(0),
                                 .revoked = !st.col_null(4),
                                 .wipe = st.col_i64(5) != 0,
                                 .user_disabled = !st.col_null(6),
                                 .expires_ms = st.col_i64(7)};
    OUTPOST_TRY(accounts::check_token(t, now_ms));
    return DeviceAuth{st.col_text(0), st.col_text(1), st.col_text(2), st.col_text(3), t.expires_ms};
}

Status SqliteStorage::in_txn_locked(const std::string& what, const std::function<Status()>& body) {
    Result<Transaction> txn = Transaction::begin(m_db);
    if (!txn.is_ok()) {
        return txn.status().with_context(what);
    }
    return txn->finish(body());
}

Result<IssuedToken> SqliteStorage::renew_token(const std::string& device_id, std::int64_t now_ms, std::int64_t ttl_ms) {
    std::lock_guard lock(m_mutex);
    IssuedToken issued{storage::random_hex(32), now_ms + ttl_ms};
    OUTPOST_TRY(in_txn_locked("renewing a device token", [&]() -> Status {
        auto dev = sql::StmtRef::owned(m_db, "SELECT user FROM devices WHERE id = ?");
        dev.text(1, device_id);
        if (dev.step() != SQLITE_ROW) {
            return accounts::no_device(device_id);
        }
        const std::string user = dev.col_text(0);
        auto old = sql::StmtRef::owned(m_db, "DELETE FROM device_tokens WHERE device = ? AND expires_ms <= ?");
        old.text(1, device_id).i64(2, now_ms);
        auto put = sql::StmtRef::owned(
            m_db, "INSERT INTO device_tokens(token_hash, device, created_ms, expires_ms) VALUES(?, ?, ?, ?)");
        put.blob(1, accounts::secret_hash(issued.token)).text(2, device_id).i64(3, now_ms).i64(4, issued.expires_ms);
        if (old.step() != SQLITE_DONE || put.step() != SQLITE_DONE) {
            return sql_error(m_db, "renewing a device token");
        }
        return audit_locked(now_ms, user, accounts::kEventRenewed, device_id);
    }));
    return issued;
}

Status SqliteStorage::revoke_device(const std::string& device_id, std::int64_t now_ms, RevokeMode mode) {
    std::lock_guard lock(m_mutex);
    const bool wipe = mode == RevokeMode::kWipe;
    return in_txn_locked("revoking a device", [&]() -> Status {
        auto was = sql::StmtRef::owned(m_db, "SELECT revoked_ms, wipe FROM devices WHERE id = ?1");
        was.text(1, device_id);
        if (was.step() != SQLITE_ROW) {
            return accounts::no_device(device_id);
        }
        const bool revoked = !was.col_null(0);
        const bool wiped = was.col_i64(1) != 0;
        if (revoked && (wiped || !wipe)) {
            return accounts::already_revoked(device_id);
        }
        // A device revoked before is upgraded to wipe: its revocation time stays.
        auto st = sql::StmtRef::owned(
            m_db, "UPDATE devices SET revoked_ms = COALESCE(revoked_ms, ?1), wipe = ?2 WHERE id = ?3");
        st.i64(1, now_ms).i64(2, wipe ? 1 : 0).text(3, device_id);
        if (st.step() != SQLITE_DONE) {
            return sql_error(m_db, "revoking a device");
        }
        return audit_locked(now_ms, accounts::kAdminActor, wipe ? accounts::kEventWiped : accounts::kEventRevoked,
                            revoked ? device_id + " (revoked before; now also wiped)" : device_id);
    });
}

Result<std::vector<UserInfo>> SqliteStorage::users() {
    std::lock_guard lock(m_mutex);
    auto st = sql::StmtRef::owned(m_db,
                                  "SELECT u.name, u.team, u.role, COALESCE(u.disabled_ms, 0), "
                                  "(SELECT count(*) FROM devices d WHERE d.user = u.name AND d.revoked_ms IS NULL) "
                                  "FROM users u ORDER BY u.name");
    std::vector<UserInfo> out;
    int rc = 0;
    while ((rc = st.step()) == SQLITE_ROW) {
        out.push_back({st.col_text(0), st.col_text(1), st.col_text(2), st.col_i64(3), static_cast<int>(st.col_i64(4))});
    }
    if (rc != SQLITE_DONE) {
        return sql_error(m_db, "listing users");
    }
    return out;
}

Result<std::pair<std::string, std::string>> SqliteStorage::user_row_locked(const std::string& user) {
    auto u = sql::StmtRef::owned(m_db, "SELECT role, team FROM users WHERE name = ?");
    u.text(1, user);
    if (u.step() != SQLITE_ROW) {
        return accounts::no_user(user);
    }
    return std::pair{u.col_text(0), u.col_text(1)};
}

Result<bool> SqliteStorage::set_user_disabled(const std::string& user, bool disabled, std::int64_t now_ms) {
    std::lock_guard lock(m_mutex);
    bool changed = false;
    OUTPOST_TRY(in_txn_locked("disabling or enabling a user", [&]() -> Status {
        OUTPOST_TRY(user_row_locked(user));
        // Only a user in the other state changes (disabled_ms: when, or NULL while enabled).
        auto st = sql::StmtRef::owned(m_db,
                                      "UPDATE users SET disabled_ms = CASE WHEN ?1 THEN ?2 END "
                                      "WHERE name = ?3 AND (disabled_ms IS NULL) = ?1");
        st.i64(1, disabled ? 1 : 0).i64(2, now_ms).text(3, user);
        if (st.step() != SQLITE_DONE) {
            return sql_error(m_db, "disabling or enabling a user");
        }
        changed = sqlite3_changes(m_db) > 0;
        if (!changed) {
            return Status::ok();
        }
        return audit_locked(now_ms, accounts::kAdminActor,
                            disabled ? accounts::kEventUserDisabled : accounts::kEventUserEnabled, user);
    }));
    return changed;
}

Result<std::string> SqliteStorage::set_user_role(const std::string& user, const std::string& role,
                                                 std::int64_t now_ms) {
    if (!accounts::valid_role(role)) {
        return Status::error(errc::kAccountInvalid, "roles are worker, lead and admin");
    }
    std::lock_guard lock(m_mutex);
    std::string old;
    OUTPOST_TRY(in_txn_locked("changing a user's role", [&]() -> Status {
        auto row = user_row_locked(user);
        OUTPOST_TRY(row);
        old = row->first;
        if (old == role) {
            return Status::ok();
        }
        auto st = sql::StmtRef::owned(m_db, "UPDATE users SET role = ? WHERE name = ?");
        st.text(1, role).text(2, user);
        if (st.step() != SQLITE_DONE) {
            return sql_error(m_db, "changing a user's role");
        }
        return audit_locked(now_ms, accounts::kAdminActor, accounts::kEventUserRole,
                            accounts::change_detail(user, old, role));
    }));
    return old;
}

Result<std::string> SqliteStorage::move_user(const std::string& user, const std::string& team, std::int64_t now_ms) {
    std::lock_guard lock(m_mutex);
    std::string old;
    OUTPOST_TRY(in_txn_locked("moving a user", [&]() -> Status {
        auto row = user_row_locked(user);
        OUTPOST_TRY(row);
        old = row->second;
        auto t = sql::StmtRef::owned(m_db, "SELECT 1 FROM teams WHERE name = ?");
        t.text(1, team);
        if (t.step() != SQLITE_ROW) {
            return accounts::no_team(team);
        }
        if (old == team) {
            return Status::ok();
        }
        auto st = sql::StmtRef::owned(m_db, "UPDATE users SET team = ? WHERE name = ?");
        st.text(1, team).text(2, user);
        if (st.step() != SQLITE_DONE) {
            return sql_error(m_db, "moving a user");
        }
        return audit_locked(now_ms, accounts::kAdminActor, accounts::kEventUserMoved,
                            accounts::change_detail(user, old, team));
    }));
    return old;
}

Result<SigningKey> SqliteStorage::signing_key() {
    std::lock_guard lock(m_mutex);
    auto st = sql::StmtRef::owned(m_db, "SELECT public, secret FROM server_keys WHERE purpose = 'signing'");
    if (st.step() != SQLITE_ROW) {
        return Status::error(errc::kServerDataDirInvalid, "the server database holds no signing key");
    }
    const std::string_view secret = st.col_blob(1);
    auto buf = SecureBuffer::copy_of({reinterpret_cast<const std::uint8_t*>(secret.data()), secret.size()});
    OUTPOST_TRY(buf);
    return SigningKey{std::string(st.col_blob(0)), std::move(*buf)};
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
                                  "d.last_seen_ms, d.client_version, d.wipe "
                                  "FROM devices d JOIN users u ON u.name = d.user "
                                  "WHERE ?1 = '' OR d.user = ?1 ORDER BY d.created_ms, d.id");
    st.text(1, user);
    std::vector<DeviceInfo> out;
    int rc = 0;
    while ((rc = st.step()) == SQLITE_ROW) {
        out.push_back({st.col_text(0), st.col_text(1), st.col_text(2), st.col_text(3), st.col_i64(4), st.col_i64(5),
                       st.col_i64(6), st.col_text(7), st.col_i64(8) != 0});
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
                                              std::int64_t now_ms, std::int64_t token_ttl_ms,
                                              std::string& refused_user) {
    const std::string hash = accounts::code_hash(code);
    auto c =
        sql::StmtRef::owned(m_db,
                            "SELECT e.user, e.expires_ms, e.used_ms, u.team, u.role, u.disabled_ms FROM enrol_codes e "
                            "JOIN users u ON u.name = e.user WHERE e.code_hash = ?");
    c.blob(1, hash);
    if (c.step() != SQLITE_ROW) {
        return accounts::no_such_code();
    }
    refused_user = c.col_text(0);
    OUTPOST_TRY(accounts::check_code(!c.col_null(2), c.col_i64(1), now_ms));
    if (!c.col_null(5)) {
        return accounts::user_disabled(refused_user);
    }
    accounts::NewDevice d = accounts::new_device(c.col_text(0), c.col_text(3), c.col_text(4), device_name);
    d.enrolment.token_expires_ms = now_ms + token_ttl_ms;
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
    auto tok = sql::StmtRef::owned(
        m_db, "INSERT INTO device_tokens(token_hash, device, created_ms, expires_ms) VALUES(?, ?, ?, ?)");
    tok.blob(1, accounts::secret_hash(e.token)).text(2, e.device_id).i64(3, now_ms).i64(4, e.token_expires_ms);
    if (used.step() != SQLITE_DONE || dev.step() != SQLITE_DONE || tok.step() != SQLITE_DONE) {
        return sql_error(m_db, "enrolling a device");
    }
    OUTPOST_TRY(audit_locked(now_ms, e.user, accounts::kEventEnrolled, e.device_id));
    return std::move(d.enrolment);
}

}  // namespace outpost::sync::sqlite
