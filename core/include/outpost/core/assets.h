// Where the read-only files that ship with Outpost (forms, fonts) are found at run time.
//
// An installed build keeps them in <prefix>/share/outpost/<name> (the client package) or
// <prefix>/share/outpost-server/<name> (the server package), next to <prefix>/bin where the
// executable is (so the DEB under /usr and an unpacked TGZ anywhere both work). A build run from
// its build tree finds none there and uses `source_dir`, the folder in the source tree that CMake
// compiled in. $OUTPOST_ASSETS_DIR/<name>, when set and present, comes first (for packagers' tests).
//
// Threads: safe (reads the environment and the file system only). Failure: none; the caller's
// loading reports a missing folder.
#pragma once

#include <filesystem>
#include <string_view>

namespace outpost {

[[nodiscard]] std::filesystem::path asset_dir(std::string_view name, const std::filesystem::path& source_dir);

}  // namespace outpost
