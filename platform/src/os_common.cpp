// The parts of outpost/platform/os.h shared by every OS.
#include <atomic>

#include "outpost/platform/os.h"

namespace outpost::os {
namespace {
std::atomic<ReplaceStepHook> g_replace_step_hook{nullptr};
}  // namespace

void set_replace_step_hook(ReplaceStepHook hook) {
    g_replace_step_hook.store(hook);
}

void run_replace_step_hook(ReplaceStep step) {
    if (const ReplaceStepHook hook = g_replace_step_hook.load()) {
        hook(step);
    }
}

}  // namespace outpost::os
