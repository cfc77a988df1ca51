// Process hardening for the client, which holds decrypted records in memory.
// Call once at start-up from the main thread.
#pragma once

#include "outpost/core/status.h"

namespace outpost::platform {

// Disables core dumps (Linux/macOS: RLIMIT_CORE = 0 and, on Linux, PR_SET_DUMPABLE = 0), so a crash
// never writes decrypted memory to disk. On Windows this is a no-op returning ok.
[[nodiscard]] Status disable_core_dumps();

// True when core dumps are currently disabled for this process (RLIMIT_CORE soft limit is 0).
[[nodiscard]] bool core_dumps_disabled();

}  // namespace outpost::platform
