#include "outpost/core/assets.h"

#include <cstdlib>

namespace outpost {

std::filesystem::path asset_dir(std::string_view name, const std::filesystem::path& source_dir) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (const char* env = std::getenv("OUTPOST_ASSETS_DIR"); env != nullptr && *env != '\0') {
        const fs::path p = fs::path(env) / name;
        if (fs::is_directory(p, ec)) {
            return p;
        }
    }
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
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
