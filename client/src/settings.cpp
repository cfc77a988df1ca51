#include "outpost/client/settings.h"

#include <algorithm>
#include <charconv>
#include <fstream>

#include "outpost/core/error_codes.h"
#include "outpost/platform/utf8.h"

namespace outpost::client {

const char* theme_name(Theme t) {
    switch (t) {
        case Theme::kDark:
            return "dark";
        case Theme::kLight:
            return "light";
        case Theme::kHighContrast:
            return "high-contrast";
    }
    return "dark";
}

UiSettings UiSettings::load(const std::filesystem::path& file) {
    UiSettings s;
    std::ifstream in(file);
    std::string line;
    while (std::getline(in, line)) {
        const std::size_t eq = line.find('=');
        if (eq == std::string::npos) {
            continue;
        }
        const std::string key = line.substr(0, eq);
        const std::string value = line.substr(eq + 1);
        if (key == "theme") {
            for (Theme t : {Theme::kDark, Theme::kLight, Theme::kHighContrast}) {
                if (value == theme_name(t)) {
                    s.theme = t;
                }
            }
        } else if (key == "font_scale") {
            float f = 0;
            if (std::from_chars(value.data(), value.data() + value.size(), f).ec == std::errc()) {
                s.font_scale = std::clamp(f, 0.8F, 2.0F);
            }
        } else if (key == "auto_lock_minutes") {
            int m = 0;
            if (std::from_chars(value.data(), value.data() + value.size(), m).ec == std::errc()) {
                s.auto_lock_minutes = std::clamp(m, 1, 120);
            }
        } else if (key == "last_profile") {
            s.last_profile = value;
        }
    }
    return s;
}

Status UiSettings::save(const std::filesystem::path& file) const {
    std::error_code ec;
    std::filesystem::create_directories(file.parent_path(), ec);
    const std::filesystem::path tmp = path_to_utf8(file) + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << "theme=" << theme_name(theme) << "\nfont_scale=" << font_scale
            << "\nauto_lock_minutes=" << auto_lock_minutes << "\nlast_profile=" << last_profile << "\n";
        if (!out) {
            return Status::error(errc::kIo, "cannot write " + path_to_utf8(tmp));
        }
    }
    std::filesystem::rename(tmp, file, ec);
    if (ec) {
        return Status::error(errc::kIo, "cannot write " + path_to_utf8(file) + ": " + ec.message());
    }
    return Status::ok();
}

}  // namespace outpost::client
