// POSIX implementation of the folders in outpost/platform/app_dirs.h.
#include <system_error>

#include "outpost/platform/app_dirs.h"

namespace outpost::platform {

Result<AppDirs> user_app_dirs(const std::string& app) {
    return resolve_app_dirs(app, current_os(), process_env());
}

std::filesystem::path machine_config_folder(const std::string& app) {
    return std::filesystem::path("/etc") / app;
}

std::filesystem::path home_folder() {
    const std::optional<std::string> home = process_env()("HOME");
    if (home && !home->empty()) {
        return *home;
    }
    std::error_code ec;
    const std::filesystem::path here = std::filesystem::current_path(ec);
    return ec ? std::filesystem::path(".") : here;
}

std::filesystem::path downloads_folder() {
    const std::filesystem::path home = home_folder();
    std::error_code ec;
    const std::filesystem::path d = home / "Downloads";
    return std::filesystem::is_directory(d, ec) ? d : home;
}

}  // namespace outpost::platform
