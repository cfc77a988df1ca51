// PgStorage's accounts: teams, users, enrolment codes, devices and the audit log, under the rules
// both back ends share (account_rules.h). SQLSTATE 23505 (a key taken) and 23503 (a team or user
// missing) become the rules' refusals.
#include <sodium.h>

#include "account_rules.h"
#include "outpost/core/error_codes.h"
#include "pg_storage_impl.h"

namespace outpost::sync::pg {
namespace {
constexpr std::string_view kUniqueViolation = "23505";
constexpr std::string_view kForeignKeyViolation = "23503";
}  // namespace

Status PgStorage::add_team(const std::string& name, std::int64_t now) {
    OUTPOST_TRY(accounts::check_team(name));
    auto c = m_pool.take();
    Res r = c->run("add_team", "INSERT INTO teams(name, created_ms) VALUES($1, $2)", {p(name), p(now)});
    if (r.state == kUniqueViolation) {
        return accounts::team_exists(name);
    }
    return r.status;
}

Status PgStorage::add_user(const std::string& name, const std::string& team, const std::string& role,
                           std::int64_t now) {
    OUTPOST_TRY(accounts::check_user(name, role));
    auto c = m_pool.take();
    Res r = c->run("add_user", "INSERT INTO users(name, team, role, created_ms) VALUES($1, $2, $3, $4)",
                   {p(name), p(team), p(role), p(now)});
    if (r.state == kForeignKeyViolation) {
        return accounts::no_team(team);
    }
    if (r.state == kUniqueViolation) {
        return accounts::user_exists(name);
    }
    return r.status;
}

Result<std::string> PgStorage::user_team(const std::string& user) {
    auto c = m_pool.take();
    Res r = c->run("user_team", "SELECT team FROM users WHERE name = $1", {p(user)});
    if (!r.ok()) {
        return r.status;
    }
    if (r.rows() == 0) {
        return accounts::no_user(user);
    }
    return r.str(0, 0);
}

Result<std::vector<std::string>> PgStorage::teams() {
    auto c = m_pool.take();
    Res r = c->run("teams", "SELECT name FROM teams ORDER BY name");
    if (!r.ok()) {
        return r.status;
    }
    std::vector<std::string> out;
    for (int i = 0; i < r.rows(); ++i) {
        out.push_back(r.str(i, 0));
    }
    return out;
}

Result<std::string> PgStorage::create_enrolment_code(const std::string& user, std::int64_t ttl_ms, std::int64_t now) {
    const std::string code = accounts::new_enrolment_code();
    auto c = m_pool.take();
    Res who = c->run("code_user", "SELECT disabled_ms FROM users WHERE name = $1", {p(user)});
    if (!who.ok()) {
        return who.status;
    }
    if (who.rows() == 0) {
        return accounts::no_user(user);
    }
    if (!who.null(0, 0)) {
        return accounts::user_disabled(user);
    }
    // One live code per person (sqlite_accounts.cpp says why).
    Res old = c->run("replace_codes",
                     "UPDATE enrol_codes SET expires_ms = LEAST(expires_ms, $1) WHERE user_name = $2 AND "
                     "used_ms IS NULL",
                     {p(now - 1), p(user)});
    if (!old.ok()) {
        return old.status;
    }
    Res r = c->run("create_code",
                   "INSERT INTO enrol_codes(code_hash, user_name, created_ms, expires_ms) VALUES($1, $2, $3, $4)",
                   {bytes(accounts::code_hash(code)), p(user), p(now), p(now + ttl_ms)});
    if (r.state == kForeignKeyViolation) {
        return accounts::no_user(user);
    }
    if (!r.ok()) {
        return r.status;
    }
    return code;
}

Result<Enrolment> PgStorage::enrol(const std::string& code, const std::string& device_name, std::int64_t now,
                                   std::int64_t token_ttl_ms) {
    auto c = m_pool.take();
    auto txn = PgTransaction::begin(*c);
    OUTPOST_TRY(txn);
    std::string refused_user(accounts::kUnknownActor);
    Result<Enrolment> e = enrol_in(*c, code, device_name, now, token_ttl_ms, refused_user);
    Status s = txn->finish(e.is_ok() ? Status::ok() : e.status());
    if (!e.is_ok()) {
        // After the rollback, so the refusal itself is kept (never the code).
        (void)audit_on(*c, now, refused_user, accounts::kEventEnrolRefused, e.status().code());
        return e;
    }
    if (!s.is_ok()) {
        return s;
    }
    return e;
}

Result<DeviceAuth> PgStorage::authenticate(const std::string& token, std::int64_t now) {
    auto c = m_pool.take();
    Res r = c->run("authenticate_token",
                   "SELECT d.id, d.user_name, u.team, u.role, d.revoked_ms, d.wipe, u.disabled_ms, t.expires_ms "
                   "FROM device_tokens t JOIN devices d ON d.id = t.device JOIN users u ON u.name = d.user_name "
                   "WHERE t.token_hash = $1",
                   {bytes(accounts::secret_hash(token))});
    if (!r.ok()) {
        return r.status;
    }
    if (r.rows() == 0) {
        return accounts::unknown_token();
    }
    const accounts::TokenState t{.device_id = r.str(0, 0),
                                 .revoked = !r.null(0, 4),
                                 .wipe = r.text(0, 5) == "t",
                                 .user_disabled = !r.null(0, 6),
                                 .expires_ms = r.i64(0, 7)};
    OUTPOST_TRY(accounts::check_token(t, now));
    return DeviceAuth{r.str(0, 0), r.str(0, 1), r.str(0, 2), r.str(0, 3), t.expires_ms};
}

Status PgStorage::in_txn(const std::function<Status(Conn&)>& body) {
    auto c = m_pool.take();
    auto txn = PgTransaction::begin(*c);
    OUTPOST_TRY(txn);
    return txn->finish(body(*c));
}

Result<IssuedToken> PgStorage::renew_token(const std::string& device_id, std::int64_t now, std::int64_t ttl_ms) {
    IssuedToken issued{storage::random_hex(32), now + ttl_ms};
    OUTPOST_TRY(in_txn([&](Conn& c) -> Status {
        Res dev = c.run("token_device", "SELECT user_name FROM devices WHERE id = $1", {p(device_id)});
        if (!dev.ok()) {
            return dev.status;
        }
        if (dev.rows() == 0) {
            return accounts::no_device(device_id);
        }
        const std::string user = dev.str(0, 0);
        Res old = c.run("forget_tokens", "DELETE FROM device_tokens WHERE device = $1 AND expires_ms <= $2",
                        {p(device_id), p(now)});
        if (!old.ok()) {
            return old.status;
        }
        Res put = c.run("renew_token",
                        "INSERT INTO device_tokens(token_hash, device, created_ms, expires_ms) VALUES($1, $2, $3, $4)",
                        {bytes(accounts::secret_hash(issued.token)), p(device_id), p(now), p(issued.expires_ms)});
        if (!put.ok()) {
            return put.status;
        }
        return audit_on(c, now, user, accounts::kEventRenewed, device_id);
    }));
    return issued;
}

Status PgStorage::revoke_device(const std::string& device_id, std::int64_t now, RevokeMode mode) {
    const bool wipe = mode == RevokeMode::kWipe;
    return in_txn([&](Conn& c) -> Status {
        Res was =
            c.run("revoke_state", "SELECT revoked_ms, wipe FROM devices WHERE id = $1 FOR UPDATE", {p(device_id)});
        if (!was.ok()) {
            return was.status;
        }
        if (was.rows() == 0) {
            return accounts::no_device(device_id);
        }
        const bool revoked = !was.null(0, 0);
        if (revoked && (was.text(0, 1) == "t" || !wipe)) {
            return accounts::already_revoked(device_id);
        }
        // A device revoked before is upgraded to wipe: its revocation time stays.
        Res r =
            c.run("revoke_device", "UPDATE devices SET revoked_ms = COALESCE(revoked_ms, $1), wipe = $2 WHERE id = $3",
                  {p(now), p(std::string(wipe ? "true" : "false")), p(device_id)});
        if (!r.ok()) {
            return r.status;
        }
        return audit_on(c, now, accounts::kAdminActor, wipe ? accounts::kEventWiped : accounts::kEventRevoked,
                        revoked ? device_id + " (revoked before; now also wiped)" : device_id);
    });
}

Result<std::vector<UserInfo>> PgStorage::users() {
    auto c = m_pool.take();
    Res r = c->run("users",
                   "SELECT u.name, u.team, u.role, COALESCE(u.disabled_ms, 0), "
                   "(SELECT count(*) FROM devices d WHERE d.user_name = u.name AND d.revoked_ms IS NULL) "
                   "FROM users u ORDER BY u.name COLLATE \"C\"");
    if (!r.ok()) {
        return r.status;
    }
    std::vector<UserInfo> out;
    for (int i = 0; i < r.rows(); ++i) {
        out.push_back({r.str(i, 0), r.str(i, 1), r.str(i, 2), r.i64(i, 3), static_cast<int>(r.i64(i, 4))});
    }
    return out;
}

Result<bool> PgStorage::set_user_disabled(const std::string& user, bool disabled, std::int64_t now) {
    bool changed = false;
    OUTPOST_TRY(in_txn([&](Conn& c) -> Status {
        // Only a user in the other state changes (disabled_ms: when, or NULL while enabled).
        Res r = c.run("set_disabled",
                      "UPDATE users SET disabled_ms = CASE WHEN $1::boolean THEN $2::bigint END "
                      "WHERE name = $3 AND (disabled_ms IS NULL) = $1::boolean",
                      {p(std::string(disabled ? "true" : "false")), p(now), p(user)});
        if (!r.ok()) {
            return r.status;
        }
        changed = r.affected() != "0";
        if (!changed) {
            Res known = c.run("user_known", "SELECT 1 FROM users WHERE name = $1", {p(user)});
            if (!known.ok()) {
                return known.status;
            }
            return known.rows() == 0 ? accounts::no_user(user) : Status::ok();
        }
        return audit_on(c, now, accounts::kAdminActor,
                        disabled ? accounts::kEventUserDisabled : accounts::kEventUserEnabled, user);
    }));
    return changed;
}

Result<std::string> PgStorage::set_user_role(const std::string& user, const std::string& role, std::int64_t now) {
    if (!accounts::valid_role(role)) {
        return Status::error(errc::kAccountInvalid, "roles are worker, lead and admin");
    }
    std::string old;
    OUTPOST_TRY(in_txn([&](Conn& c) -> Status {
        Res was = c.run("user_role", "SELECT role FROM users WHERE name = $1 FOR UPDATE", {p(user)});
        if (!was.ok()) {
            return was.status;
        }
        if (was.rows() == 0) {
            return accounts::no_user(user);
        }
        old = was.str(0, 0);
        if (old == role) {
            return Status::ok();
        }
        Res r = c.run("set_role", "UPDATE users SET role = $1 WHERE name = $2", {p(role), p(user)});
        if (!r.ok()) {
            return r.status;
        }
        return audit_on(c, now, accounts::kAdminActor, accounts::kEventUserRole,
                        accounts::change_detail(user, old, role));
    }));
    return old;
}

Result<std::string> PgStorage::move_user(const std::string& user, const std::string& team, std::int64_t now) {
    std::string old;
    OUTPOST_TRY(in_txn([&](Conn& c) -> Status {
        Res was = c.run("user_team_for_update", "SELECT team FROM users WHERE name = $1 FOR UPDATE", {p(user)});
        if (!was.ok()) {
            return was.status;
        }
        if (was.rows() == 0) {
            return accounts::no_user(user);
        }
        old = was.str(0, 0);
        Res t = c.run("team_known", "SELECT 1 FROM teams WHERE name = $1", {p(team)});
        if (!t.ok()) {
            return t.status;
        }
        if (t.rows() == 0) {
            return accounts::no_team(team);
        }
        if (old == team) {
            return Status::ok();
        }
        Res r = c.run("move_user", "UPDATE users SET team = $1 WHERE name = $2", {p(team), p(user)});
        if (!r.ok()) {
            return r.status;
        }
        return audit_on(c, now, accounts::kAdminActor, accounts::kEventUserMoved,
                        accounts::change_detail(user, old, team));
    }));
    return old;
}

Result<SigningKey> PgStorage::signing_key() {
    auto c = m_pool.take();
    Res r = c->run("signing_key_read", "SELECT public, secret FROM server_keys WHERE purpose = 'signing'");
    if (!r.ok()) {
        return r.status;
    }
    if (r.rows() == 0) {
        return Status::error(errc::kServerDataDirInvalid, "the server database holds no signing key");
    }
    std::string secret = r.bytea(0, 1);
    auto buf = SecureBuffer::copy_of({reinterpret_cast<const std::uint8_t*>(secret.data()), secret.size()});
    sodium_memzero(secret.data(), secret.size());
    OUTPOST_TRY(buf);
    return SigningKey{r.bytea(0, 0), std::move(*buf)};
}

Status PgStorage::device_seen(const std::string& device_id, std::int64_t now, const std::string& client_version) {
    auto c = m_pool.take();
    Res r = c->run("device_seen", "UPDATE devices SET last_seen_ms = $1, client_version = $2 WHERE id = $3",
                   {p(now), p(client_version), p(device_id)});
    return r.ok() ? Status::ok() : r.status;
}

Result<std::vector<DeviceInfo>> PgStorage::devices(const std::string& user) {
    auto c = m_pool.take();
    Res r = c->run("devices",
                   "SELECT d.id, d.user_name, u.team, d.name, d.created_ms, COALESCE(d.revoked_ms, 0), "
                   "d.last_seen_ms, d.client_version, d.wipe "
                   "FROM devices d JOIN users u ON u.name = d.user_name "
                   "WHERE $1 = '' OR d.user_name = $1 ORDER BY d.created_ms, d.id",
                   {p(user)});
    if (!r.ok()) {
        return r.status;
    }
    std::vector<DeviceInfo> out;
    for (int i = 0; i < r.rows(); ++i) {
        out.push_back({r.str(i, 0), r.str(i, 1), r.str(i, 2), r.str(i, 3), r.i64(i, 4), r.i64(i, 5), r.i64(i, 6),
                       r.str(i, 7), r.text(i, 8) == "t"});
    }
    return out;
}

Status PgStorage::audit(std::int64_t now, const std::string& actor, const std::string& event,
                        const std::string& detail) {
    auto c = m_pool.take();
    return audit_on(*c, now, actor, event, detail);
}

Result<std::vector<ServerStorage::AuditEntry>> PgStorage::audit_log(int limit) {
    auto c = m_pool.take();
    Res r = c->run("audit_log", "SELECT at_ms, actor, event, detail FROM audit ORDER BY id DESC LIMIT $1",
                   {p(static_cast<std::int64_t>(limit))});
    if (!r.ok()) {
        return r.status;
    }
    std::vector<AuditEntry> out;
    for (int i = 0; i < r.rows(); ++i) {
        out.push_back({r.i64(i, 0), r.str(i, 1), r.str(i, 2), r.str(i, 3)});
    }
    return out;
}

Status PgStorage::audit_on(Conn& c, std::int64_t now, std::string_view actor, std::string_view event,
                           std::string_view detail) {
    return c
        .run("audit", "INSERT INTO audit(at_ms, actor, event, detail) VALUES($1, $2, $3, $4)",
             {p(now), p(std::string(actor)), p(std::string(event)), p(std::string(detail))})
        .status;
}

Result<Enrolment> PgStorage::enrol_in(Conn& c, const std::string& code, const std::string& device_name,
                                      std::int64_t now, std::int64_t token_ttl_ms, std::string& refused_user) {
    const std::string hash = accounts::code_hash(code);
    // FOR UPDATE: two processes redeeming one code at once: the second waits, then sees it used.
    Res r = c.run("enrol_code_user",
                  "SELECT e.user_name, e.expires_ms, e.used_ms, u.team, u.role, u.disabled_ms FROM enrol_codes e "
                  "JOIN users u ON u.name = e.user_name WHERE e.code_hash = $1 FOR UPDATE OF e",
                  {bytes(hash)});
    if (!r.ok()) {
        return r.status;
    }
    if (r.rows() == 0) {
        return accounts::no_such_code();
    }
    refused_user = r.str(0, 0);
    OUTPOST_TRY(accounts::check_code(!r.null(0, 2), r.i64(0, 1), now));
    if (!r.null(0, 5)) {
        return accounts::user_disabled(refused_user);
    }
    accounts::NewDevice d = accounts::new_device(r.str(0, 0), r.str(0, 3), r.str(0, 4), device_name);
    d.enrolment.token_expires_ms = now + token_ttl_ms;
    const Enrolment& e = d.enrolment;
    Res used = c.run("code_used", "UPDATE enrol_codes SET used_ms = $1 WHERE code_hash = $2", {p(now), bytes(hash)});
    if (!used.ok()) {
        return used.status;
    }
    Res dev = c.run("add_device",
                    "INSERT INTO devices(id, user_name, name, token_hash, created_ms) VALUES($1, $2, $3, $4, $5)",
                    {p(e.device_id), p(e.user), p(d.stored_name), bytes(accounts::secret_hash(e.token)), p(now)});
    if (!dev.ok()) {
        return dev.status;
    }
    Res tok = c.run("add_token",
                    "INSERT INTO device_tokens(token_hash, device, created_ms, expires_ms) VALUES($1, $2, $3, $4)",
                    {bytes(accounts::secret_hash(e.token)), p(e.device_id), p(now), p(e.token_expires_ms)});
    if (!tok.ok()) {
        return tok.status;
    }
    OUTPOST_TRY(audit_on(c, now, e.user, accounts::kEventEnrolled, e.device_id));
    return std::move(d.enrolment);
}

}  // namespace outpost::sync::pg
