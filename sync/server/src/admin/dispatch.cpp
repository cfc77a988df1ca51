// run_command: which command a command line names; serve_options: what serve starts the server with.
#include "outpost/sync/admin_commands.h"

namespace outpost::sync {

CommandResult run_command(AdminArgs& args, AdminEnv& env) {
    if (args.command == "init") {
        return run_init(args, env);
    }
    OUTPOST_TRY(resolve_config(args));
    if (args.command == "team") {
        return run_team(args, env);
    }
    if (args.command == "user") {
        return run_user(args, env);
    }
    if (args.command == "enroll") {
        return run_enroll(args, env);
    }
    if (args.command == "device") {
        return run_device(args, env);
    }
    if (args.command == "provision") {
        return run_provision(args, env);
    }
    if (args.command == "backup") {
        return run_backup(args, env);
    }
    if (args.command == "restore") {
        return run_restore(args, env);
    }
    if (args.command == "export") {
        return run_export(args, env);
    }
    if (args.command == "forms") {
        return run_forms(args, env);
    }
    if (args.command == "escrow") {
        return run_escrow(args, env);
    }
    return CommandResult::usage_error("unknown command '" + args.command + "'");
}

ServerOptions serve_options(const ServerConfig& c) {
    ServerOptions options;
    options.host = c.host;
    options.port = c.port;
    options.tls_cert_path = c.tls_cert;
    options.tls_key_path = c.tls_key;
    options.blob_dir = c.data / "blobs";
    options.max_blob_bytes = c.max_blob_mib * 1024LL * 1024LL;
    options.header_timeout_ms = c.header_timeout_seconds * 1000;
    options.max_connections_per_ip = c.max_connections_per_ip;
    options.device_requests_per_second = c.device_requests_per_second;
    options.device_request_burst = c.device_request_burst;
    options.auth_failures_per_second = c.auth_failures_per_second;
    options.auth_failure_burst = c.auth_failure_burst;
    options.max_head_bytes = static_cast<std::uint64_t>(c.max_head_kib) * 1024;
    options.max_headers = static_cast<std::size_t>(c.max_headers);
    options.token_days = c.token_days;
    options.enroll_failures_per_minute = c.enroll_failures_per_minute;
    return options;
}

}  // namespace outpost::sync
