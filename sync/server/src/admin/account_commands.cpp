// init, team add, user add, device list, device revoke and enroll.
#include "admin_common.h"
#include "outpost/core/error_codes.h"
#include "outpost/sync/admin_commands.h"

namespace outpost::sync {

using admin::printable;
using admin::utc_text;

Result<std::unique_ptr<ServerStorage>> open_storage(const AdminArgs& args, const StorageFactory& storage) {
    if (!args.effective.db.empty()) {
        if (!storage.has_pg()) {
            return admin::no_pg_backend();
        }
        return storage.open_pg(args.effective.db, args.effective.db_pool);
    }
    if (args.effective.data.empty()) {
        return Status::error(errc::kServerDataDirInvalid,
                             args.command + " needs --data DIR or --config FILE (or " + kDefaultServerConfigPath + ")");
    }
    return open_sqlite_storage(args.effective.data);
}

CommandResult run_init(const AdminArgs& args, AdminEnv& env) {
    if (args.db) {
        if (!env.storage.has_pg()) {
            return admin::no_pg_backend();
        }
        OUTPOST_TRY(env.storage.init_pg(*args.db));
        env.out << "Initialised an Outpost server schema in the PostgreSQL database\n";
        return CommandResult::ok();
    }
    if (!args.data) {
        return CommandResult::usage_error("init needs --data DIR (embedded SQLite) or --db URL (PostgreSQL)");
    }
    OUTPOST_TRY(init_sqlite_data_dir(*args.data));
    env.out << "Initialised an Outpost server data directory in " << args.data->string() << "\n";
    return CommandResult::ok();
}

namespace {

CommandResult incomplete(const AdminArgs& args) {
    return CommandResult::usage_error("unknown or incomplete " + args.command + " command");
}

}  // namespace

CommandResult run_team(const AdminArgs& args, AdminEnv& env) {
    auto storage = open_storage(args, env.storage);
    OUTPOST_TRY(storage);
    const auto& p = args.positional;
    if (p.size() != 2 || p[0] != "add") {
        return incomplete(args);
    }
    OUTPOST_TRY((*storage)->add_team(p[1], env.clock.now_ms()));
    env.out << "Added team " << p[1] << "\n";
    return CommandResult::ok();
}

CommandResult run_user(const AdminArgs& args, AdminEnv& env) {
    auto storage = open_storage(args, env.storage);
    OUTPOST_TRY(storage);
    const auto& p = args.positional;
    if (p.size() != 2 || p[0] != "add") {
        return incomplete(args);
    }
    OUTPOST_TRY((*storage)->add_user(p[1], args.team, args.role, env.clock.now_ms()));
    env.out << "Added " << args.role << " " << p[1] << " to team " << args.team << "\n";
    return CommandResult::ok();
}

CommandResult run_device(const AdminArgs& args, AdminEnv& env) {
    auto storage = open_storage(args, env.storage);
    OUTPOST_TRY(storage);
    const auto& p = args.positional;
    if (p.size() == 2 && p[0] == "revoke") {
        Status s = (*storage)->revoke_device(p[1], env.clock.now_ms());
        if (s.is(errc::kDeviceAlreadyRevoked)) {
            env.out << "Device " << printable(p[1]) << " was already revoked; nothing changed\n";
            return CommandResult::ok();
        }
        OUTPOST_TRY(s);
        env.out << "Revoked device " << printable(p[1]) << ": it is refused from now on\n";
        return CommandResult::ok();
    }
    if (p.size() != 1 || p[0] != "list") {
        return incomplete(args);
    }
    auto list = (*storage)->devices(args.user);
    OUTPOST_TRY(list);
    env.out << "device\tuser\tteam\tname\tenrolled\tlast_seen\tversion\tstate\n";
    for (const auto& d : *list) {
        // A device names itself: what it sent is shown, never obeyed (no tab, line break or escape
        // reaches the terminal; a device enrolled before names were checked may hold them).
        env.out << printable(d.id) << '\t' << printable(d.user) << '\t' << printable(d.team) << '\t'
                << printable(d.name) << '\t' << utc_text(d.created_ms) << '\t'
                << (d.last_seen_ms != 0 ? utc_text(d.last_seen_ms) : std::string("never")) << '\t'
                << (d.client_version.empty() ? std::string("-") : printable(d.client_version)) << '\t'
                << (d.revoked_ms != 0 ? "revoked " + utc_text(d.revoked_ms) : std::string("active")) << "\n";
    }
    return CommandResult::ok();
}

CommandResult run_enroll(const AdminArgs& args, AdminEnv& env) {
    auto storage = open_storage(args, env.storage);
    OUTPOST_TRY(storage);
    if (!args.positional.empty() || args.user.empty()) {
        return incomplete(args);
    }
    auto base = admin::provisioning_base(args);
    OUTPOST_TRY(base);
    Provisioning prov = *base;
    prov.user = args.user;
    auto team = (*storage)->user_team(args.user);
    OUTPOST_TRY(team);
    prov.team = *team;
    const std::int64_t ttl = admin::ttl_ms(args);
    const std::int64_t issued_ms = env.clock.now_ms();  // the file's expiry is the stored one
    auto code = (*storage)->create_enrolment_code(args.user, ttl, issued_ms);
    OUTPOST_TRY(code);
    prov.code = *code;
    prov.expires_ms = issued_ms + ttl;
    // The provisioning file: what a laptop needs to enrol. The code is single-use and expires.
    const std::filesystem::path out = args.out.empty() ? std::filesystem::path(args.user + ".outpost") : args.out;
    std::error_code ec;
    std::filesystem::remove(out, ec);  // a new file for this user replaces an old one
    OUTPOST_TRY(admin::write_provisioning(out, prov));
    // The code stays in the file (0600): terminals, logs and screen shares keep what is printed.
    env.out << "Provisioning file for " << args.user << ": " << out.string() << " (its one-time code is valid "
            << args.ttl_days << " days; an earlier unused file for " << args.user << " no longer works)\n";
    return CommandResult::ok();
}

}  // namespace outpost::sync
