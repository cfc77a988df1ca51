// init, team add, the user commands, device list, device revoke and enroll.
#include <algorithm>

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
    ServerStorage& st = **storage;
    const auto& p = args.positional;
    const std::int64_t now = env.clock.now_ms();
    const std::string verb = p.empty() ? std::string() : p[0];
    if (verb == "list" && p.size() == 1) {
        auto users = st.users();
        OUTPOST_TRY(users);
        env.out << "user\tteam\trole\tstate\tdevices\n";
        for (const UserInfo& u : *users) {
            env.out << printable(u.name) << '\t' << printable(u.team) << '\t' << printable(u.role) << '\t'
                    << (u.disabled_ms != 0 ? "disabled " + utc_text(u.disabled_ms) : std::string("active")) << '\t'
                    << u.devices << "\n";
        }
        return CommandResult::ok();
    }
    if (p.size() == 2 && verb == "add") {
        OUTPOST_TRY(st.add_user(p[1], args.team, args.role, now));
        env.out << "Added " << args.role << " " << p[1] << " to team " << args.team << "\n";
        return CommandResult::ok();
    }
    if (p.size() == 2 && (verb == "disable" || verb == "enable")) {
        const bool disable = verb == "disable";
        auto changed = st.set_user_disabled(p[1], disable, now);
        OUTPOST_TRY(changed);
        if (!*changed) {
            env.out << printable(p[1]) << " was already " << (disable ? "disabled" : "enabled")
                    << "; nothing changed\n";
        } else if (disable) {
            env.out << "Disabled " << printable(p[1])
                    << ": their devices are refused from now on, and their enrolment codes no longer work\n";
        } else {
            env.out << "Enabled " << printable(p[1]) << ": their devices that are not revoked may sync again\n";
        }
        return CommandResult::ok();
    }
    if (p.size() == 3 && verb == "role") {
        auto old = st.set_user_role(p[1], p[2], now);
        OUTPOST_TRY(old);
        if (*old == p[2]) {
            env.out << printable(p[1]) << " is already " << printable(p[2]) << "; nothing changed\n";
        } else {
            env.out << "Role of " << printable(p[1]) << ": " << *old << " -> " << p[2]
                    << " (their laptops take it at their next sync)\n";
        }
        return CommandResult::ok();
    }
    if (p.size() == 2 && verb == "move") {
        if (args.team.empty()) {
            return CommandResult::usage_error("user move needs --team TEAM");
        }
        auto old = st.move_user(p[1], args.team, now);
        OUTPOST_TRY(old);
        if (*old == args.team) {
            env.out << printable(p[1]) << " is already in team " << printable(args.team) << "; nothing changed\n";
        } else {
            env.out << "Moved " << printable(p[1]) << ": team " << printable(*old) << " -> " << printable(args.team)
                    << " (their laptops swap the old team's records for the new team's at their next sync)\n";
        }
        return CommandResult::ok();
    }
    return incomplete(args);
}

CommandResult run_device(const AdminArgs& args, AdminEnv& env) {
    auto storage = open_storage(args, env.storage);
    OUTPOST_TRY(storage);
    const auto& p = args.positional;
    if (p.size() == 2 && p[0] == "revoke") {
        // Whether it was revoked already: with --wipe, that revocation is upgraded to a wipe.
        bool revoked_before = false;
        if (args.wipe) {
            auto list = (*storage)->devices("");
            OUTPOST_TRY(list);
            revoked_before = std::any_of(list->begin(), list->end(),
                                         [&](const DeviceInfo& d) { return d.id == p[1] && d.revoked_ms != 0; });
        }
        Status s =
            (*storage)->revoke_device(p[1], env.clock.now_ms(), args.wipe ? RevokeMode::kWipe : RevokeMode::kLockOut);
        if (s.is(errc::kDeviceAlreadyRevoked)) {
            env.out << "Device " << printable(p[1]) << " was already revoked" << (args.wipe ? " with --wipe" : "")
                    << "; nothing changed\n";
            return CommandResult::ok();
        }
        OUTPOST_TRY(s);
        if (!args.wipe) {
            env.out << "Revoked device " << printable(p[1]) << ": it is refused from now on\n";
        } else if (revoked_before) {
            env.out << "Device " << printable(p[1])
                    << " was revoked before; now it is also told to wipe its profile at its next contact\n";
        } else {
            env.out << "Revoked device " << printable(p[1])
                    << " with --wipe: it is refused from now on, and wipes its profile at its next contact\n";
        }
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
                << (d.revoked_ms == 0 ? std::string("active")
                                      : (d.wipe ? "revoked+wipe " : "revoked ") + utc_text(d.revoked_ms))
                << "\n";
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
    if (!args.escrow.empty()) {
        auto escrow = admin::read_escrow_public_key(args.escrow);
        OUTPOST_TRY(escrow);
        prov.escrow_key = *escrow;
    }
    auto team = (*storage)->user_team(args.user);
    OUTPOST_TRY(team);
    prov.team = *team;
    const std::int64_t ttl = admin::ttl_ms(args);
    const std::int64_t issued_ms = env.clock.now_ms();  // the file's expiry is the stored one
    auto code = (*storage)->create_enrolment_code(args.user, ttl, issued_ms);
    OUTPOST_TRY(code);
    prov.code = *code;
    prov.expires_ms = issued_ms + ttl;
    auto key = (*storage)->signing_key();
    OUTPOST_TRY(key);
    // The provisioning file: what a laptop needs to enrol. The code is single-use and expires.
    const std::filesystem::path out = args.out.empty() ? std::filesystem::path(args.user + ".outpost") : args.out;
    std::error_code ec;
    std::filesystem::remove(out, ec);  // a new file for this user replaces an old one
    OUTPOST_TRY(admin::write_provisioning(out, prov, *key));
    // The code stays in the file (0600): terminals, logs and screen shares keep what is printed.
    env.out << "Provisioning file for " << args.user << ": " << out.string() << " (its one-time code is valid "
            << args.ttl_days << " days; an earlier unused file for " << args.user << " no longer works)\n";
    return CommandResult::ok();
}

}  // namespace outpost::sync
