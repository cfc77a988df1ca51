// UiSettings: the client's preferences on this laptop (theme, font scale, auto-lock, the profile used
// last). Nothing sensitive: they are read before any profile is unlocked, from a small text file in
// the per-user config directory ("key=value" lines; unknown keys and bad values are ignored).
//
// Threads: UI thread. Failure: load() falls back to the defaults; save() returns core.io.failed.
#pragma once

#include <filesystem>
#include <string>

#include "outpost/core/status.h"

namespace outpost::client {

enum class Theme { kDark, kLight, kHighContrast };

struct UiSettings {
    Theme theme = Theme::kDark;
    float font_scale = 1.0F;     // accessibility: 0.8 .. 2.0 on top of the display's own scale
    int auto_lock_minutes = 10;  // 1 .. 120
    std::string last_profile;

    [[nodiscard]] static UiSettings load(const std::filesystem::path& file);
    [[nodiscard]] Status save(const std::filesystem::path& file) const;
    friend bool operator==(const UiSettings&, const UiSettings&) = default;
};

[[nodiscard]] const char* theme_name(Theme t);

}  // namespace outpost::client
