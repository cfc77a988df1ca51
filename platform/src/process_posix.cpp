// POSIX parts of outpost/platform/process.h: core dumps, signals, CPU time, the host name.
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>

#include "outpost/core/error_codes.h"
#include "outpost/platform/process.h"

#if defined(__linux__)
#include <sys/prctl.h>
#endif

namespace outpost::platform {

Status disable_core_dumps() {
    struct rlimit none {};
    none.rlim_cur = 0;
    none.rlim_max = 0;
    if (setrlimit(RLIMIT_CORE, &none) != 0) {
        return Status::error(errc::kInternal, std::string("setrlimit(RLIMIT_CORE): ") + std::strerror(errno));
    }
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
    std::signal(SIGHUP, on_termination_signal);
}

bool termination_requested() {
    return g_terminate.load();
}

double process_cpu_ms() {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

bool core_dumps_disabled() {
    struct rlimit lim {};
    if (getrlimit(RLIMIT_CORE, &lim) != 0) {
        return false;
    }
    return lim.rlim_cur == 0;
}

std::string computer_name() {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0 || host[0] == '\0') {
        return "laptop";
    }
    return host;
}

}  // namespace outpost::platform
