#include "outpost/platform/process.h"

#include <fcntl.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>

#include "outpost/core/error_codes.h"
#include "outpost/platform/os.h"

#if defined(__unix__) || defined(__APPLE__)
#include <poll.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
extern char** environ;
#endif
#if defined(__linux__)
#include <sys/prctl.h>
#endif

namespace outpost::platform {

Status disable_core_dumps() {
#if defined(__unix__) || defined(__APPLE__)
    struct rlimit none {};
    none.rlim_cur = 0;
    none.rlim_max = 0;
    if (setrlimit(RLIMIT_CORE, &none) != 0) {
        return Status::error(errc::kInternal, std::string("setrlimit(RLIMIT_CORE): ") + std::strerror(errno));
    }
#endif
#if defined(__linux__)
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
        return Status::error(errc::kInternal, std::string("prctl(PR_SET_DUMPABLE): ") + std::strerror(errno));
    }
#endif
    return Status::ok();
}

namespace {
std::atomic<bool> g_terminate{false};
extern "C" void on_termination_signal(int /*sig*/) {
    g_terminate.store(true);
}
}  // namespace

void handle_termination_signals() {
    std::signal(SIGTERM, on_termination_signal);
    std::signal(SIGINT, on_termination_signal);
#if defined(SIGHUP)
    std::signal(SIGHUP, on_termination_signal);
#endif
}

bool termination_requested() {
    return g_terminate.load();
}

double process_cpu_ms() {
#if defined(__unix__) || defined(__APPLE__)
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
#else
    return 0.0;
#endif
}

bool core_dumps_disabled() {
#if defined(__unix__) || defined(__APPLE__)
    struct rlimit lim {};
    if (getrlimit(RLIMIT_CORE, &lim) != 0) {
        return false;
    }
    return lim.rlim_cur == 0;
#else
    return true;
#endif
}

std::tm local_time(std::int64_t ms) {
    const std::time_t t = static_cast<std::time_t>(ms / 1000);
    std::tm out{};
#if defined(_WIN32)
    localtime_s(&out, &t);
#else
    localtime_r(&t, &out);
#endif
    return out;
}

long process_id() {
    return os::process_id();
}

Status write_new_file(const std::filesystem::path& path, std::string_view text) {
    const std::error_code ec =
        os::create_new_file(path, std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
    if (ec == std::errc::file_exists) {
        return Status::error(errc::kPlatformFileExists,
                             path.string() + " already exists; Outpost never writes over a file");
    }
    if (ec) {
        return Status::error(errc::kIo, "cannot create " + path.string() + ": " + ec.message());
    }
    return Status::ok();
}

std::string computer_name() {
#if defined(_WIN32)
    const char* name = std::getenv("COMPUTERNAME");
    return name != nullptr && *name != '\0' ? name : "laptop";
#else
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') {
        return "laptop";
    }
    return host;
#endif
}

Result<ProgramResult> run_program(const std::vector<std::string>& argv) {
    if (argv.empty()) {
        return Status::error(errc::kInvalidArgument, "run_program needs a program name");
    }
#if defined(__unix__) || defined(__APPLE__)
    int pipe_fds[2];
    if (::pipe(pipe_fds) != 0) {
        return Status::error(errc::kPlatformProcessFailed, std::string("pipe: ") + std::strerror(errno));
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDERR_FILENO);
    posix_spawn_file_actions_addclose(&actions, pipe_fds[1]);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const std::string& a : argv) {
        args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    pid_t pid = 0;
    const int rc = posix_spawnp(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(pipe_fds[1]);
    if (rc != 0) {
        ::close(pipe_fds[0]);
        return Status::error(errc::kPlatformProcessFailed, "cannot run " + argv[0] + ": " + std::strerror(rc));
    }
    ProgramResult out;
    char buf[8192];
    for (;;) {
        const ssize_t n = ::read(pipe_fds[0], buf, sizeof buf);
        if (n > 0) {
            if (out.output.size() < (1U << 20U)) {
                out.output.append(buf, static_cast<std::size_t>(n));
            }
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        break;
    }
    ::close(pipe_fds[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            return Status::error(errc::kPlatformProcessFailed, std::string("waitpid: ") + std::strerror(errno));
        }
    }
    // posix_spawnp reports a missing program through the child's exit status 127.
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && out.output.empty()) {
        return Status::error(errc::kPlatformProcessFailed, "cannot run " + argv[0] + ": not found on PATH");
    }
    out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return out;
#else
    return Status::error(errc::kPlatformProcessFailed, "running programs is not available on this system");
#endif
}

}  // namespace outpost::platform
