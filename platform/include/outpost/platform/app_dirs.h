// Per-OS application directories. Linux follows the XDG base-directory spec; Windows uses
// %APPDATA% / %LOCALAPPDATA%; macOS uses ~/Library/Application Support.
//
// The environment is read through a lookup function so tests can supply their own.
// Thread-safety: pure functions. Failure: errc::kPlatformNoHome when no base can be found.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "outpost/core/status.h"

namespace outpost::platform {

struct AppDirs {
    std::filesystem::path data;    // profiles (encrypted databases + key files)
    std::filesystem::path config;  // settings
    std::filesystem::path state;   // logs, crash-safe drafts (never plaintext records)
};

enum class OsFamily { kLinux, kWindows, kMacOs };

using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// Resolves the directories for application `app` (e.g. "outpost"). Does not create them.
[[nodiscard]] Result<AppDirs> resolve_app_dirs(const std::string& app, OsFamily os, const EnvLookup& env);

// The real process environment and the OS this binary was built for.
[[nodiscard]] EnvLookup process_env();
[[nodiscard]] OsFamily current_os();

// The person's home folder (HOME; on Windows USERPROFILE), or the current folder when there is none.
[[nodiscard]] std::filesystem::path home_folder();
// Where the person keeps downloaded files: <home>/Downloads when it exists, else the home folder.
[[nodiscard]] std::filesystem::path downloads_folder();

// Creates every directory in `dirs` with owner-only permissions where the OS supports it.
[[nodiscard]] Status ensure_app_dirs(const AppDirs& dirs);

}  // namespace outpost::platform
