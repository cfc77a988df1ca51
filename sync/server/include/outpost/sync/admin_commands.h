// The outpost-server commands as a library. `outpost-server`'s main() reads its arguments into
// AdminArgs (parse_admin_args), runs the command (run_command; serve it runs itself, since it waits
// for a signal) and reports the outcome (report); tests call the same functions on a real data
// directory. The usage text (admin_usage) says what each command does.
//
// Storage: every command but init and backup opens the storage the arguments name, PostgreSQL
// (--db, through AdminEnv::storage) or else the SQLite database in --data, and closes it on return.
// Output: what a command tells the administrator goes to AdminEnv::out as it goes. Files a command
// writes are new, readable by their owner only; on failure the ones it made are removed.
// Threads: one command at a time per AdminEnv. Failure: a CommandResult (below); nothing throws.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "outpost/core/clock.h"
#include "outpost/core/status.h"
#include "outpost/sync/server.h"
#include "outpost/sync/server_config.h"
#include "outpost/sync/server_storage.h"
#include "outpost/sync/storage_factory.h"

namespace outpost::sync {

// A command line, as parse_admin_args reads it (the usage text says what each option is).
struct AdminArgs {
    std::string command;
    std::vector<std::string> positional;
    std::string team;
    std::string role;
    std::string user;
    std::optional<std::string> url;  // default: the config's public_url, else http://HOST:PORT
    int ttl_days = 7;
    std::filesystem::path out;
    std::filesystem::path out_dir;  // export: one file per form and a data dictionary
    std::filesystem::path from;
    std::filesystem::path users;
    std::optional<std::filesystem::path> data;
    std::optional<std::filesystem::path> config;
    std::optional<std::string> listen;
    std::optional<std::string> tls_cert;
    std::optional<std::string> tls_key;
    std::string ca_cert;
    std::string what;
    std::string format = "csv";
    bool open_data = false;
    std::optional<int> max_blob_mib;
    std::optional<std::string> db;
    std::optional<int> db_pool;
    std::filesystem::path escrow;  // provision/enroll --escrow: the desk's public key file (desk.pub)
    std::filesystem::path key;     // escrow open --key: the desk's key file (desk.key)
    bool wipe = false;             // device revoke --wipe
    ServerConfig effective;        // the config file (or defaults) with the options above applied (resolve_config)
};

// How a command ended: ok (exit 0), a usage error (exit 2: the command line is wrong, and the usage
// text follows the message), or a failure (exit 1: a Status with its stable code).
class [[nodiscard]] CommandResult {
public:
    CommandResult(Status status) : m_status(std::move(status)) {}  // NOLINT(google-explicit-constructor)
    [[nodiscard]] static CommandResult ok() { return CommandResult(Status::ok()); }
    [[nodiscard]] static CommandResult usage_error(std::string message);

    [[nodiscard]] bool is_ok() const { return m_status.is_ok() && !m_usage; }
    [[nodiscard]] bool is_usage_error() const { return m_usage; }
    // The failure (ok for a usage error); for a usage error its message is what was wrong.
    [[nodiscard]] const Status& status() const { return m_status; }
    [[nodiscard]] const std::string& usage_message() const { return m_usage_message; }
    [[nodiscard]] int exit_code() const { return m_usage ? 2 : (m_status.is_ok() ? 0 : 1); }

private:
    Status m_status;
    bool m_usage = false;
    std::string m_usage_message;
};

// What the commands need from the process: where to write, the clock (provisioning codes' expiry,
// accounts' times), and the PostgreSQL back end when the executable has one.
struct AdminEnv {
    std::ostream& out;
    const Clock& clock = SystemClock::instance();
    StorageFactory storage;
};

[[nodiscard]] std::string_view admin_usage();

// Reads `argv` (the command first, then its words and options) into `args`; a usage error names an
// unknown or incomplete option or a number out of range. Changes nothing on disk.
[[nodiscard]] CommandResult parse_admin_args(const std::vector<std::string>& argv, AdminArgs& args);

// Reads the config file (--config, else /etc/outpost/server.json when it exists and --data is not
// given) and applies the command-line options over it, into args.effective. server.config.invalid on
// a bad file or --listen.
[[nodiscard]] Status resolve_config(AdminArgs& args);

// The storage every command but init works on: PostgreSQL when the config names a database (through
// `storage`; server.config.invalid without it), else the SQLite database in its data directory
// (server.data_dir.invalid when none is named or none is there).
[[nodiscard]] Result<std::unique_ptr<ServerStorage>> open_storage(const AdminArgs& args, const StorageFactory& storage);

// The options `serve` starts the server with, from the resolved config.
[[nodiscard]] ServerOptions serve_options(const ServerConfig& config);

// Runs every command but serve: init as given, the others after resolve_config. An unknown command
// is a usage error.
[[nodiscard]] CommandResult run_command(AdminArgs& args, AdminEnv& env);

// The commands one by one (run_command's dispatch). `args` must have been through resolve_config,
// but for init.
[[nodiscard]] CommandResult run_init(const AdminArgs& args, AdminEnv& env);
[[nodiscard]] CommandResult run_team(const AdminArgs& args, AdminEnv& env);  // team add NAME
// user add NAME | list | disable NAME | enable NAME | role NAME ROLE | move NAME --team TEAM
[[nodiscard]] CommandResult run_user(const AdminArgs& args, AdminEnv& env);
// device list | revoke ID [--wipe]
[[nodiscard]] CommandResult run_device(const AdminArgs& args, AdminEnv& env);
[[nodiscard]] CommandResult run_enroll(const AdminArgs& args, AdminEnv& env);
[[nodiscard]] CommandResult run_provision(const AdminArgs& args, AdminEnv& env);
[[nodiscard]] CommandResult run_backup(const AdminArgs& args, AdminEnv& env);
[[nodiscard]] CommandResult run_restore(const AdminArgs& args, AdminEnv& env);
[[nodiscard]] CommandResult run_export(const AdminArgs& args, AdminEnv& env);
// forms check FILE | publish FILE | list | retire NAME | import FILE.xlsx [--out FILE]
[[nodiscard]] CommandResult run_forms(const AdminArgs& args, AdminEnv& env);
// escrow keygen --out DIR | open --key desk.key FILE
[[nodiscard]] CommandResult run_escrow(const AdminArgs& args, AdminEnv& env);

// Writes a failure (its code, message and the code's explanation) or a usage error (and the usage
// text) to `err`, as outpost-server prints them; returns the exit code.
int report(const CommandResult& result, std::ostream& err);

}  // namespace outpost::sync
