#include "theme.h"

#include <string_view>

#include "outpost/core/assets.h"
#include "outpost/platform/utf8.h"

namespace outpost::ui {
namespace {

client::Theme g_theme = client::Theme::kDark;
Fonts g_fonts;

ImVec4 rgb(int r, int g, int b, float a = 1.0F) {
    return ImVec4(static_cast<float>(r) / 255.0F, static_cast<float>(g) / 255.0F, static_cast<float>(b) / 255.0F, a);
}

}  // namespace

std::filesystem::path bundled_fonts_dir() {
    return asset_dir("fonts", OUTPOST_BUNDLED_FONTS_DIR);
}

ImVec4 theme_colour(Colour c) {
    const bool hc = g_theme == client::Theme::kHighContrast;
    const bool light = g_theme == client::Theme::kLight;
    switch (c) {
        case Colour::kAccent:
            return hc ? rgb(255, 215, 0) : light ? rgb(0, 94, 165) : rgb(46, 125, 200);
        case Colour::kAccentHovered:
            return hc ? rgb(255, 236, 120) : light ? rgb(0, 75, 135) : rgb(66, 145, 222);
        case Colour::kOnAccent:
            return hc ? rgb(0, 0, 0) : rgb(255, 255, 255);
        case Colour::kProblem:
            return hc ? rgb(255, 120, 120) : light ? rgb(180, 30, 30) : rgb(240, 110, 100);
        case Colour::kGood:
            return hc ? rgb(120, 255, 120) : light ? rgb(0, 112, 60) : rgb(80, 190, 120);
        case Colour::kWarning:
            return hc ? rgb(255, 200, 0) : light ? rgb(170, 95, 0) : rgb(230, 160, 60);
        case Colour::kMuted:
            return hc ? rgb(200, 200, 200) : light ? rgb(105, 110, 118) : rgb(140, 148, 160);
        case Colour::kPanel:
            return hc ? rgb(0, 0, 0) : light ? rgb(236, 239, 243) : rgb(30, 34, 40);
    }
    return rgb(255, 255, 255);
}

ImVec4 status_colour(std::string_view s) {
    if (s == "accepted" || s == "implemented" || s == "resolved" || s == "up_to_date") {
        return theme_colour(Colour::kGood);
    }
    if (s == "declined" || s == "open" || s == "error") {
        return theme_colour(Colour::kProblem);
    }
    if (s == "needs_info" || s == "under_review") {
        return theme_colour(Colour::kWarning);
    }
    return theme_colour(Colour::kMuted);
}

void apply_theme(client::Theme theme, float scale) {
    g_theme = theme;
    ImGuiStyle style;
    if (theme == client::Theme::kLight) {
        ImGui::StyleColorsLight(&style);
    } else {
        ImGui::StyleColorsDark(&style);
    }
    style.WindowRounding = 0.0F;
    style.FrameRounding = 5.0F;
    style.GrabRounding = 5.0F;
    style.PopupRounding = 6.0F;
    style.ChildRounding = 6.0F;
    style.TabRounding = 5.0F;
    style.FramePadding = ImVec2(9.0F, 6.0F);
    style.ItemSpacing = ImVec2(10.0F, 8.0F);
    style.WindowPadding = ImVec2(16.0F, 14.0F);
    style.CellPadding = ImVec2(8.0F, 5.0F);
    style.ScrollbarSize = 16.0F;
    style.WindowBorderSize = 0.0F;
    style.FrameBorderSize =
        theme == client::Theme::kHighContrast ? 1.5F : (theme == client::Theme::kLight ? 1.0F : 0.0F);
    ImVec4* c = style.Colors;
    const ImVec4 accent = theme_colour(Colour::kAccent);
    if (theme == client::Theme::kDark) {
        c[ImGuiCol_WindowBg] = rgb(22, 25, 30);
        c[ImGuiCol_ChildBg] = rgb(30, 34, 40);
        c[ImGuiCol_PopupBg] = rgb(34, 38, 45);
        c[ImGuiCol_FrameBg] = rgb(42, 47, 56);
        c[ImGuiCol_FrameBgHovered] = rgb(52, 58, 69);
        c[ImGuiCol_FrameBgActive] = rgb(58, 66, 79);
        c[ImGuiCol_Header] = rgb(46, 125, 200, 0.35F);
        c[ImGuiCol_HeaderHovered] = rgb(46, 125, 200, 0.55F);
        c[ImGuiCol_HeaderActive] = rgb(46, 125, 200, 0.75F);
        c[ImGuiCol_Button] = rgb(52, 58, 69);
        c[ImGuiCol_ButtonHovered] = rgb(64, 72, 86);
        c[ImGuiCol_ButtonActive] = rgb(74, 84, 100);
        c[ImGuiCol_TableHeaderBg] = rgb(36, 41, 49);
        c[ImGuiCol_TableRowBgAlt] = rgb(255, 255, 255, 0.025F);
        // The chosen tab in the accent, the others plain: which one shows must be plain to see.
        c[ImGuiCol_Tab] = rgb(42, 47, 56);
        c[ImGuiCol_TabHovered] = rgb(66, 145, 222, 0.8F);
        c[ImGuiCol_TabActive] = rgb(46, 125, 200);
        c[ImGuiCol_TabUnfocused] = rgb(42, 47, 56);
        c[ImGuiCol_TabUnfocusedActive] = rgb(46, 125, 200);
        c[ImGuiCol_Text] = rgb(228, 232, 238);
        c[ImGuiCol_TextDisabled] = rgb(140, 148, 160);
    } else if (theme == client::Theme::kLight) {
        c[ImGuiCol_WindowBg] = rgb(250, 251, 252);
        c[ImGuiCol_ChildBg] = rgb(236, 239, 243);
        c[ImGuiCol_FrameBg] = rgb(255, 255, 255);
        c[ImGuiCol_Border] = rgb(190, 196, 205);
        c[ImGuiCol_Header] = rgb(0, 94, 165, 0.18F);
        c[ImGuiCol_HeaderHovered] = rgb(0, 94, 165, 0.28F);
        c[ImGuiCol_HeaderActive] = rgb(0, 94, 165, 0.40F);
        c[ImGuiCol_Button] = rgb(226, 230, 236);
        c[ImGuiCol_ButtonHovered] = rgb(210, 216, 225);
        c[ImGuiCol_Text] = rgb(20, 24, 30);
        c[ImGuiCol_TextDisabled] = rgb(96, 102, 112);
        c[ImGuiCol_Tab] = rgb(226, 230, 236);
        c[ImGuiCol_TabHovered] = rgb(0, 94, 165, 0.6F);
        c[ImGuiCol_TabActive] = rgb(0, 94, 165);
        c[ImGuiCol_TabUnfocused] = rgb(226, 230, 236);
        c[ImGuiCol_TabUnfocusedActive] = rgb(0, 94, 165);
    } else {
        const ImVec4 black = rgb(0, 0, 0);
        const ImVec4 white = rgb(255, 255, 255);
        for (int i = 0; i < ImGuiCol_COUNT; ++i) {
            c[i] = black;
        }
        c[ImGuiCol_Text] = white;
        c[ImGuiCol_TextDisabled] = rgb(210, 210, 210);
        c[ImGuiCol_Border] = white;
        c[ImGuiCol_FrameBgHovered] = rgb(40, 40, 40);
        c[ImGuiCol_FrameBgActive] = rgb(60, 60, 60);
        c[ImGuiCol_Button] = rgb(30, 30, 30);
        c[ImGuiCol_ButtonHovered] = rgb(70, 70, 0);
        c[ImGuiCol_ButtonActive] = rgb(110, 110, 0);
        c[ImGuiCol_Header] = rgb(90, 90, 0);
        c[ImGuiCol_HeaderHovered] = rgb(120, 120, 0);
        c[ImGuiCol_HeaderActive] = rgb(150, 150, 0);
        c[ImGuiCol_CheckMark] = accent;
        c[ImGuiCol_SliderGrab] = accent;
        c[ImGuiCol_SliderGrabActive] = accent;
        c[ImGuiCol_NavHighlight] = accent;
        c[ImGuiCol_TableBorderStrong] = white;
        c[ImGuiCol_TableBorderLight] = rgb(160, 160, 160);
        c[ImGuiCol_TableHeaderBg] = rgb(25, 25, 25);
        c[ImGuiCol_ScrollbarGrab] = rgb(200, 200, 200);
        c[ImGuiCol_ScrollbarGrabHovered] = white;
        c[ImGuiCol_ScrollbarGrabActive] = accent;
        c[ImGuiCol_TextSelectedBg] = rgb(0, 90, 200);
        c[ImGuiCol_ModalWindowDimBg] = rgb(0, 0, 0, 0.7F);
        c[ImGuiCol_Separator] = white;
        c[ImGuiCol_Tab] = rgb(30, 30, 30);
        c[ImGuiCol_TabActive] = rgb(90, 90, 0);
        c[ImGuiCol_TabHovered] = rgb(120, 120, 0);
        c[ImGuiCol_TabUnfocused] = rgb(30, 30, 30);
        c[ImGuiCol_TabUnfocusedActive] = rgb(90, 90, 0);
    }
    c[ImGuiCol_CheckMark] = accent;
    c[ImGuiCol_SliderGrab] = accent;
    c[ImGuiCol_NavHighlight] = accent;
    style.ScaleAllSizes(scale);
    ImGui::GetStyle() = style;
}

Fonts load_fonts(const std::filesystem::path& dir, float pixels) {
    ImGuiIO& io = ImGui::GetIO();
    io.Fonts->Clear();
    Fonts f;
    const std::string regular = path_to_utf8((dir / "DejaVuSans.ttf"));
    const std::string bold = path_to_utf8((dir / "DejaVuSans-Bold.ttf"));
    std::error_code ec;
    if (std::filesystem::exists(regular, ec) && std::filesystem::exists(bold, ec)) {
        // Latin (with Latin-1, Extended-A and -B: names and places across the UK and Europe, Welsh
        // and Polish among them), Greek and Cyrillic, punctuation, the euro, and the white square drawn
        // for any letter these fonts do not have (Arabic, Chinese, emoji: kept exactly, shown as boxes).
        static const ImWchar kRanges[] = {0x0020, 0x024F, 0x0370, 0x03FF, 0x0400,        0x04FF,        0x1E00, 0x1EFF,
                                          0x2010, 0x2027, 0x20AC, 0x20AC, kMissingGlyph, kMissingGlyph, 0};
        f.regular = io.Fonts->AddFontFromFileTTF(regular.c_str(), pixels, nullptr, kRanges);
        f.bold = io.Fonts->AddFontFromFileTTF(bold.c_str(), pixels, nullptr, kRanges);
        f.heading = io.Fonts->AddFontFromFileTTF(bold.c_str(), pixels * 1.45F, nullptr, kRanges);
        for (ImFont* font : {f.regular, f.bold, f.heading}) {
            if (font != nullptr) {
                font->FallbackChar = kMissingGlyph;  // not '?', which reads as if the text were wrong
            }
        }
    }
    if (f.regular == nullptr || f.bold == nullptr || f.heading == nullptr) {
        io.Fonts->Clear();
        f.regular = f.bold = f.heading = io.Fonts->AddFontDefault();
    }
    io.FontDefault = f.regular;
    return f;
}

void set_current_fonts(const Fonts& fonts) {
    g_fonts = fonts;
}

const Fonts& current_fonts() {
    return g_fonts;
}

}  // namespace outpost::ui
