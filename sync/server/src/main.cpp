// outpost-server: the central service and its administration commands (admin_usage() and
// outpost-server(8)). The commands live in the outpost_sync_server library (admin_commands.h); this
// program wires in the PostgreSQL back end, dispatches, and runs `serve` until SIGINT or SIGTERM.
#include <csignal>
#include <iostream>
#include <string>
#include <vector>

#include "outpost/core/version.h"
#include "outpost/sync/admin_commands.h"
#include "outpost/sync/backup.h"
#include "outpost/sync/pg_storage.h"
#include "outpost/sync/server.h"

namespace {

using outpost::sync::AdminArgs;
using outpost::sync::AdminEnv;
using outpost::sync::CommandResult;

CommandResult serve(const AdminArgs& args, const AdminEnv& env) {
    // One server per data directory: a second would interleave writes with the first's caches, and
    // restore must know the service is stopped.
    const auto& c = args.effective;
    if (c.data.empty()) {
        return CommandResult::usage_error("serve needs --data DIR or --config FILE");
    }
    // With PostgreSQL, several processes share the database (and the attachments folder) by design.
    std::unique_ptr<outpost::sync::DataDirLock> lock;
    if (c.db.empty()) {
        auto held = outpost::sync::DataDirLock::acquire(c.data);
        OUTPOST_TRY(held);
        lock = std::move(*held);
    } else {
        std::error_code ec;
        std::filesystem::create_directories(c.data / "blobs", ec);
    }
    auto storage = outpost::sync::open_storage(args, env.storage);
    OUTPOST_TRY(storage);
    // Block termination signals in every thread; the main thread waits for them below.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    auto server = outpost::sync::Server::start(outpost::sync::serve_options(c), **storage);
    OUTPOST_TRY(server);
    std::cout << "outpost-server " << outpost::version() << " (" << outpost::git_hash() << ") listening on "
              << (*server)->base_url() << ", data in " << c.data.string() << std::endl;
    int sig = 0;
    sigwait(&signals, &sig);
    std::cout << "outpost-server: stopping (signal " << sig << ")" << std::endl;
    (*server)->stop();
    return CommandResult::ok();
}

}  // namespace

int main(int argc, char** argv) {
    const std::vector<std::string> argv_s(argv + 1, argv + argc);
    if (argv_s.empty() || argv_s[0] == "help" || argv_s[0] == "--help" || argv_s[0] == "-h") {
        std::cout << outpost::sync::admin_usage();
        return argv_s.empty() ? 2 : 0;
    }
    if (argv_s[0] == "--version") {
        std::cout << "outpost-server " << outpost::version() << " (" << outpost::git_hash() << ")\n";
        return 0;
    }
    AdminEnv env{std::cout};
    env.storage = outpost::sync::pg_storage_factory();
    AdminArgs args;
    if (CommandResult parsed = outpost::sync::parse_admin_args(argv_s, args); !parsed.is_ok()) {
        return outpost::sync::report(parsed, std::cerr);
    }
    if (args.command == "serve") {
        if (outpost::Status s = outpost::sync::resolve_config(args); !s.is_ok()) {
            return outpost::sync::report(s, std::cerr);
        }
        return outpost::sync::report(serve(args, env), std::cerr);
    }
    return outpost::sync::report(outpost::sync::run_command(args, env), std::cerr);
}
