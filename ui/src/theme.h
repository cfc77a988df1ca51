// Theme: colours and fonts. Three themes (dark, light, high contrast) and the DejaVu fonts shipped in
// assets/fonts at the size the display and the worker's font scale ask for. UI thread only.
#pragma once

#include <imgui.h>

#include <filesystem>

#include "outpost/client/settings.h"

namespace outpost::ui {

enum class Colour { kAccent, kAccentHovered, kOnAccent, kProblem, kGood, kWarning, kMuted, kPanel };

// Applies `theme` to ImGui's style (colours, rounding, spacing) scaled by `scale`.
void apply_theme(client::Theme theme, float scale);
[[nodiscard]] ImVec4 theme_colour(Colour c);
// A status's colour: good, warning, problem or muted, by what the word means.
[[nodiscard]] ImVec4 status_colour(std::string_view status_token);

// What is drawn for a character the fonts do not have: U+25A1 WHITE SQUARE.
inline constexpr ImWchar kMissingGlyph = 0x25A1;

struct Fonts {
    ImFont* regular = nullptr;
    ImFont* bold = nullptr;
    ImFont* heading = nullptr;
};

// Clears the atlas and loads the fonts at `pixels` (regular) size. Falls back to ImGui's own font when
// the files are missing (fonts.regular is then ImGui's default). The caller rebuilds the texture.
Fonts load_fonts(const std::filesystem::path& dir, float pixels);
[[nodiscard]] std::filesystem::path bundled_fonts_dir();

// The fonts in use (set by the host after load_fonts).
void set_current_fonts(const Fonts& fonts);
[[nodiscard]] const Fonts& current_fonts();

}  // namespace outpost::ui
