#include "outpost/core/assets.h"

#include "outpost/platform/os.h"
#include "outpost/platform/utf8.h"

namespace outpost {

std::filesystem::path asset_dir(std::string_view name, const std::filesystem::path& source_dir) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (const std::optional<std::string> env = os::environment("OUTPOST_ASSETS_DIR")) {
        const fs::path p = path_from_utf8(*env) / name;
        if (fs::is_directory(p, ec)) {
            return p;
        }
    }
    if (const std::optional<fs::path> exe_path = os::executable_path()) {
        const fs::path& exe = *exe_path;
        // The client package ships share/outpost, the server package share/outpost-server.
        for (const char* package : {"outpost", "outpost-server"}) {
            const fs::path installed = exe.parent_path().parent_path() / "share" / package / name;
            if (fs::is_directory(installed, ec)) {
                return installed;
            }
        }
    }
    return source_dir;
}

}  // namespace outpost
