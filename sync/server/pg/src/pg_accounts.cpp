// PgStorage's accounts: teams, users, enrolment codes, devices and the audit log, under the rules
// both back ends share (account_rules.h). SQLSTATE 23505 (a key taken) and 23503 (a team or user
// missing) become the rules' refusals.
#include "account_rules.h"
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

Result<Enrolment> PgStorage::enrol(const std::string& code, const std::string& device_name, std::int64_t now) {
    auto c = m_pool.take();
    auto txn = PgTransaction::begin(*c);
    OUTPOST_TRY(txn);
    std::string refused_user(accounts::kUnknownActor);
    Result<Enrolment> e = enrol_in(*c, code, device_name, now, refused_user);
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

Result<DeviceAuth> PgStorage::authenticate(const std::string& token) {
    auto c = m_pool.take();
    Res r = c->run("authenticate",
                   "SELECT d.id, d.user_name, u.team, u.role, d.revoked_ms FROM devices d "
                   "JOIN users u ON u.name = d.user_name WHERE d.token_hash = $1",
                   {bytes(accounts::secret_hash(token))});
    if (!r.ok()) {
        return r.status;
    }
    if (r.rows() == 0) {
        return accounts::unknown_token();
    }
    if (!r.null(0, 4)) {
        return accounts::revoked(r.str(0, 0));
    }
    return DeviceAuth{r.str(0, 0), r.str(0, 1), r.str(0, 2), r.str(0, 3)};
}

Status PgStorage::revoke_device(const std::string& device_id, std::int64_t now) {
    auto c = m_pool.take();
    Res r = c->run("revoke", "UPDATE devices SET revoked_ms = $1 WHERE id = $2 AND revoked_ms IS NULL",
                   {p(now), p(device_id)});
    if (!r.ok()) {
        return r.status;
    }
    if (r.affected() == "0") {
        Res was = c->run("revoked_before", "SELECT revoked_ms FROM devices WHERE id = $1", {p(device_id)});
        if (was.ok() && was.rows() > 0) {
            return accounts::already_revoked(device_id);
        }
        return accounts::no_device(device_id);
    }
    return audit_on(*c, now, accounts::kAdminActor, accounts::kEventRevoked, device_id);
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
                   "d.last_seen_ms, d.client_version "
                   "FROM devices d JOIN users u ON u.name = d.user_name "
                   "WHERE $1 = '' OR d.user_name = $1 ORDER BY d.created_ms, d.id",
                   {p(user)});
    if (!r.ok()) {
        return r.status;
    }
    std::vector<DeviceInfo> out;
    for (int i = 0; i < r.rows(); ++i) {
        out.push_back(
            {r.str(i, 0), r.str(i, 1), r.str(i, 2), r.str(i, 3), r.i64(i, 4), r.i64(i, 5), r.i64(i, 6), r.str(i, 7)});
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
                                      std::int64_t now, std::string& refused_user) {
    const std::string hash = accounts::code_hash(code);
    // FOR UPDATE: two processes redeeming one code at once: the second waits, then sees it used.
    Res r = c.run("enrol_code",
                  "SELECT e.user_name, e.expires_ms, e.used_ms, u.team, u.role FROM enrol_codes e "
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
    accounts::NewDevice d = accounts::new_device(r.str(0, 0), r.str(0, 3), r.str(0, 4), device_name);
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
    OUTPOST_TRY(audit_on(c, now, e.user, accounts::kEventEnrolled, e.device_id));
    return std::move(d.enrolment);
}

}  // namespace outpost::sync::pg
