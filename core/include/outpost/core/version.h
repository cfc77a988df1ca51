// Build identity, shared by the client, the server and /v1/health. Immutable; thread-safe.
#pragma once

#include <string_view>

namespace outpost {

[[nodiscard]] std::string_view version();   // "0.1.0"
[[nodiscard]] std::string_view git_hash();  // short hash, or "unknown" outside a git checkout
// The sync protocol versions this build speaks, newest last.
[[nodiscard]] std::string_view protocol_version();  // "v1"

}  // namespace outpost
