#include "outpost/core/version.h"

#include "outpost/core/version_info.h"

namespace outpost {

std::string_view version() {
    return OUTPOST_VERSION_STRING;
}
std::string_view git_hash() {
    return OUTPOST_GIT_HASH;
}
std::string_view protocol_version() {
    return "v1";
}

}  // namespace outpost
