// Per-OS application directories. Linux follows the XDG base-directory spec; Windows asks the
// known-folder API (the user's Local AppData for profiles, ProgramData for the site policy, the
// Downloads folder); macOS uses ~/Library/Application Support.
//
// resolve_app_dirs reads the environment through a lookup function so tests can supply their own;
// user_app_dirs is what the program uses (src/folders_posix.cpp, src/folders_windows.cpp).
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

// Resolves the directories for application `app` (e.g. "outpost") on Linux and macOS from `env`.
// Does not create them. For kWindows: platform.dirs.no_home (Windows uses user_app_dirs).
[[nodiscard]] Result<AppDirs> resolve_app_dirs(const std::string& app, OsFamily os, const EnvLookup& env);

// The real process environment and the OS this binary was built for.
[[nodiscard]] EnvLookup process_env();
[[nodiscard]] OsFamily current_os();

// This user's directories for `app`: on Linux and macOS resolve_app_dirs over the process's
// environment; on Windows %LOCALAPPDATA%\<App>\{data,config,state} from the known-folder API (App
// with a capital letter, as Windows programs name their folders).
[[nodiscard]] Result<AppDirs> user_app_dirs(const std::string& app);

// The folder IT's settings for every user of this computer live in: /etc/<app> on Linux,
// %ProgramData%\<App> on Windows.
[[nodiscard]] std::filesystem::path machine_config_folder(const std::string& app);

// The person's home folder (HOME; on Windows the user's profile folder), or the current folder when
// there is none.
[[nodiscard]] std::filesystem::path home_folder();
// Where the person keeps downloaded files: <home>/Downloads when it exists (on Windows the known
// Downloads folder), else the home folder.
[[nodiscard]] std::filesystem::path downloads_folder();

// Creates every directory in `dirs`, readable by this user alone (os::restrict_to_owner).
[[nodiscard]] Status ensure_app_dirs(const AppDirs& dirs);

}  // namespace outpost::platform
