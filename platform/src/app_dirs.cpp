#include "outpost/platform/app_dirs.h"

#include <cstdlib>
#include <system_error>

#include "outpost/core/error_codes.h"
#include "outpost/platform/os.h"
#include "outpost/platform/utf8.h"

namespace outpost::platform {
namespace fs = std::filesystem;

namespace {

// XDG requires absolute paths; relative values are ignored as if unset.
std::optional<fs::path> absolute_env(const EnvLookup& env, const char* name) {
    std::optional<std::string> v = env(name);
    if (!v || v->empty()) {
        return std::nullopt;
    }
    fs::path p(*v);
    if (!p.is_absolute()) {
        return std::nullopt;
    }
    return p;
}

}  // namespace

Result<AppDirs> resolve_app_dirs(const std::string& app, OsFamily os, const EnvLookup& env) {
    switch (os) {
        case OsFamily::kWindows:
            // Windows names its folders through the known-folder API (user_app_dirs), never the
            // environment, which a user can point anywhere.
            return Status::error(errc::kPlatformNoHome, "Windows folders come from the known-folder API");
        case OsFamily::kMacOs: {
            std::optional<fs::path> home = absolute_env(env, "HOME");
            if (!home) {
                return Status::error(errc::kPlatformNoHome, "HOME is not set");
            }
            fs::path base = *home / "Library" / "Application Support" / app;
            return AppDirs{base / "data", base / "config", base / "state"};
        }
        case OsFamily::kLinux:
            break;
    }
    std::optional<fs::path> home = absolute_env(env, "HOME");
    auto pick = [&](const char* var, const char* fallback) -> std::optional<fs::path> {
        if (auto p = absolute_env(env, var)) {
            return *p / app;
        }
        if (home) {
            return *home / fallback / app;
        }
        return std::nullopt;
    };
    std::optional<fs::path> data = pick("XDG_DATA_HOME", ".local/share");
    std::optional<fs::path> config = pick("XDG_CONFIG_HOME", ".config");
    std::optional<fs::path> state = pick("XDG_STATE_HOME", ".local/state");
    if (!data || !config || !state) {
        return Status::error(errc::kPlatformNoHome, "neither HOME nor the XDG directories are set");
    }
    return AppDirs{*data, *config, *state};
}

EnvLookup process_env() {
    return [](const std::string& name) -> std::optional<std::string> {
        const char* v = std::getenv(name.c_str());  // NOLINT(concurrency-mt-unsafe): read-only use
        if (v == nullptr) {
            return std::nullopt;
        }
        return std::string(v);
    };
}

OsFamily current_os() {
#if defined(_WIN32)
    return OsFamily::kWindows;
#elif defined(__APPLE__)
    return OsFamily::kMacOs;
#else
    return OsFamily::kLinux;
#endif
}

Status ensure_app_dirs(const AppDirs& dirs) {
    for (const fs::path& p : {dirs.data, dirs.config, dirs.state}) {
        std::error_code ec;
        fs::create_directories(p, ec);
        if (ec) {
            return Status::error(errc::kIo, "cannot create " + path_to_utf8(p) + ": " + ec.message());
        }
        if (const std::error_code rc = os::restrict_to_owner(p)) {
            return Status::error(errc::kIo, "cannot restrict permissions of " + path_to_utf8(p) + ": " + rc.message());
        }
    }
    return Status::ok();
}

}  // namespace outpost::platform
