// Windows implementation of the folders in outpost/platform/app_dirs.h: the known-folder API, never
// environment variables (which a user can point anywhere, and which are in the ANSI code page).
// clang-format off: <windows.h> first, the other Windows headers need its definitions.
#include <windows.h>
// clang-format on
#include <knownfolders.h>
#include <shlobj.h>

#include <cctype>
#include <system_error>

#include "outpost/core/error_codes.h"
#include "outpost/platform/app_dirs.h"

namespace outpost::platform {
namespace {

std::optional<std::filesystem::path> known_folder(REFKNOWNFOLDERID id) {
    PWSTR raw = nullptr;
    const HRESULT hr = ::SHGetKnownFolderPath(id, KF_FLAG_CREATE, nullptr, &raw);
    std::optional<std::filesystem::path> out;
    if (SUCCEEDED(hr) && raw != nullptr) {
        out = std::filesystem::path(raw);
    }
    ::CoTaskMemFree(raw);
    return out;
}

std::string capitalised(std::string app) {
    if (!app.empty()) {
        app[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(app[0])));
    }
    return app;
}

}  // namespace

Result<AppDirs> user_app_dirs(const std::string& app) {
    const std::optional<std::filesystem::path> local = known_folder(FOLDERID_LocalAppData);
    if (!local) {
        return Status::error(errc::kPlatformNoHome, "Windows did not name this user's Local AppData folder");
    }
    const std::filesystem::path base = *local / capitalised(app);
    return AppDirs{base / "data", base / "config", base / "state"};
}

std::filesystem::path machine_config_folder(const std::string& app) {
    const std::optional<std::filesystem::path> program_data = known_folder(FOLDERID_ProgramData);
    return (program_data ? *program_data : std::filesystem::path(L"C:\\ProgramData")) / capitalised(app);
}

std::filesystem::path home_folder() {
    if (const std::optional<std::filesystem::path> profile = known_folder(FOLDERID_Profile)) {
        return *profile;
    }
    std::error_code ec;
    const std::filesystem::path here = std::filesystem::current_path(ec);
    return ec ? std::filesystem::path(".") : here;
}

std::filesystem::path downloads_folder() {
    if (const std::optional<std::filesystem::path> d = known_folder(FOLDERID_Downloads)) {
        return *d;
    }
    return home_folder();
}

}  // namespace outpost::platform
