// The parts of outpost/platform/os.h that standard C++ serves on every OS.
#include <cstdlib>

#include "outpost/platform/os.h"

namespace outpost::os {

std::optional<std::string> environment(const char* name) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') {
        return std::nullopt;
    }
    return std::string(value);
}

}  // namespace outpost::os
