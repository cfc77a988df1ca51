// provision: one provisioning file per person in a list, all or nothing.
#include <algorithm>
#include <fstream>
#include <sstream>

#include "admin_common.h"
#include "csv_reader.h"
#include "outpost/core/error_codes.h"
#include "outpost/platform/process.h"
#include "outpost/sync/admin_commands.h"
#include "outpost/sync/exporter.h"

namespace outpost::sync {
namespace {

namespace fs = std::filesystem;

Result<std::string> read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return Status::error(errc::kIo, "cannot read " + path.string());
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Whether each listed person is new to the server; server.account.exists when one belongs to
// another team. Reads only.
Result<std::vector<bool>> who_is_new(ServerStorage& st, const std::vector<UserRow>& rows, const std::string& team) {
    std::vector<bool> is_new;
    for (const UserRow& row : rows) {
        auto theirs = st.user_team(row.user);
        if (theirs.is_ok() && *theirs != team) {
            return Status::error(errc::kAccountExists,
                                 "user '" + row.user + "' belongs to team '" + *theirs + "', not '" + team + "'");
        }
        is_new.push_back(!theirs.is_ok());
    }
    return is_new;
}

}  // namespace

CommandResult run_provision(const AdminArgs& args, AdminEnv& env) {
    if (args.team.empty() || args.users.empty() || args.out.empty()) {
        return CommandResult::usage_error("provision needs --team TEAM --users FILE.csv --out DIR");
    }
    auto storage = open_storage(args, env.storage);
    OUTPOST_TRY(storage);
    ServerStorage& st = **storage;
    auto csv_text = read_file(args.users);
    OUTPOST_TRY(csv_text);
    // Every row is read and checked before anything is written (csv_reader.h).
    auto rows = read_users(*csv_text, args.users.string());
    OUTPOST_TRY(rows);
    auto base = admin::provisioning_base(args);
    OUTPOST_TRY(base);
    if (!args.escrow.empty()) {
        auto escrow = admin::read_escrow_public_key(args.escrow);
        OUTPOST_TRY(escrow);
        base->escrow_key = *escrow;
    }
    auto key = st.signing_key();
    OUTPOST_TRY(key);
    auto teams = st.teams();
    OUTPOST_TRY(teams);
    if (std::find(teams->begin(), teams->end(), args.team) == teams->end()) {
        return Status::error(errc::kAccountMissing,
                             "no team '" + args.team + "' (add it with: outpost-server team add " + args.team + ")");
    }
    // Everything is checked before anything is written: a bad row changes nothing.
    auto is_new = who_is_new(st, *rows, args.team);
    OUTPOST_TRY(is_new);
    // All or nothing: the files are written into a folder beside --out, which becomes --out only once
    // every file and the summary are in it. --out must not exist yet (or be empty).
    std::error_code ec;
    if (fs::exists(args.out, ec) && !fs::is_empty(args.out, ec)) {
        return Status::error(errc::kServerOutputExists,
                             args.out.string() + " already holds files; provision into a new folder");
    }
    const fs::path staging = args.out.parent_path() / ("." + args.out.filename().string() + ".partial-" +
                                                       std::to_string(platform::process_id()));
    fs::remove_all(staging, ec);
    fs::create_directories(staging, ec);
    fs::permissions(staging, fs::perms::owner_all, fs::perm_options::replace, ec);
    if (ec) {
        return Status::error(errc::kIo, "cannot create " + staging.string() + ": " + ec.message());
    }
    auto abandon = [&](const Status& why) {
        std::error_code ignored;
        fs::remove_all(staging, ignored);
        return why;
    };
    const std::int64_t now = env.clock.now_ms();
    const std::int64_t ttl = admin::ttl_ms(args);
    std::ostringstream summary;
    summary << "user,role,team,file,expires_utc,server_url,cert_sha256,account\r\n";
    for (std::size_t i = 0; i < rows->size(); ++i) {
        const UserRow& row = (*rows)[i];
        if ((*is_new)[i]) {
            if (Status s = st.add_user(row.user, args.team, row.role, now); !s.is_ok()) {
                return abandon(s);
            }
        }
        auto code = st.create_enrolment_code(row.user, ttl, now);  // replaces an unused earlier one
        if (!code.is_ok()) {
            return abandon(code.status());
        }
        Provisioning prov = *base;
        prov.user = row.user;
        prov.team = args.team;
        prov.code = *code;
        prov.expires_ms = now + ttl;
        const fs::path file = staging / (row.user + ".outpost");
        if (Status s = admin::write_provisioning(file, prov, *key); !s.is_ok()) {
            return abandon(s);
        }
        summary << csv_field(row.user) << ',' << row.role << ',' << csv_field(args.team) << ','
                << csv_field(file.filename().string()) << ',' << admin::utc_text(prov.expires_ms) << ','
                << csv_field(prov.server_url) << ',' << prov.ca_sha256 << ','
                << ((*is_new)[i] ? "added" : "existing (role unchanged)") << "\r\n";
    }
    {
        std::ofstream sum(staging / "summary.csv", std::ios::binary | std::ios::trunc);
        sum << summary.str();
        sum.flush();
        if (!sum) {
            return abandon(Status::error(errc::kIo, "cannot write the summary in " + staging.string()));
        }
    }
    fs::remove(args.out, ec);  // an empty folder, if it was there
    fs::rename(staging, args.out, ec);
    if (ec) {
        return abandon(
            Status::error(errc::kIo, "cannot move the files into " + args.out.string() + ": " + ec.message()));
    }
    env.out << "Provisioned " << rows->size() << " user(s) of team " << args.team << " for " << base->server_url
            << "\n  files:   " << args.out.string() << "/<user>.outpost (one each, readable by you only)"
            << "\n  summary: " << (args.out / "summary.csv").string() << " (no codes in it)"
            << "\n  codes work once and expire " << admin::utc_text(now + ttl)
            << ".\nHand each file to its worker, and delete the files once the laptops are enrolled.\n";
    return CommandResult::ok();
}

}  // namespace outpost::sync
