#include "outpost/platform/process.h"

#include <cerrno>
#include <cstring>
#include <string>

#include "outpost/core/error_codes.h"

#if defined(__unix__) || defined(__APPLE__)
#include <sys/resource.h>
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

}  // namespace outpost::platform
