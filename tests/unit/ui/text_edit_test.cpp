// Text in any script, exactly: the stand-ins that carry characters ImGui 1.86's 16-bit fields cannot
// hold, and the box drawn for a character the fonts lack.
#include "text_edit.h"

#include <doctest/doctest.h>
#include <imgui.h>

#include <random>
#include <string>
#include <vector>

#include "theme.h"

using namespace outpost::ui;

TEST_CASE("Text: Latin, Welsh, Polish, Arabic and Chinese pass through untouched") {
    for (const char* s : {"Corner Cafe", "Siân Llŷr", "Zażółć Gęślą Jaźń", "محمد", "王伟", ""}) {
        CHECK_FALSE(needs_stand_ins(s));
        CHECK(to_editable(s) == s);
        CHECK(from_editable(s) == s);
    }
}

TEST_CASE("Text: emoji and Yi letters round-trip exactly through their stand-ins") {
    const std::string typed = "Okafor 😀 ꀀꀁ 𠜎 family 👍🏽";
    REQUIRE(needs_stand_ins(typed));
    const std::string editable = to_editable(typed);
    CHECK(editable != typed);
    // Only characters ImGui can hold (no 4-byte forms) go into the field.
    for (char c : editable) {
        CHECK(static_cast<unsigned char>(c) < 0xF0);
    }
    CHECK(from_editable(editable) == typed);
    // A character typed in the window arrives as its stand-in and comes back as itself.
    const unsigned int s = editable_char(0x1F600);
    CHECK(s >= 0xA000);
    CHECK(s <= 0xA48C);
    CHECK(editable_char('a') == 'a');
    CHECK(editable_char(0x0645) == 0x0645);
    std::string one;
    one += static_cast<char>(0xE0 | (s >> 12));
    one += static_cast<char>(0x80 | ((s >> 6) & 0x3F));
    one += static_cast<char>(0x80 | (s & 0x3F));
    CHECK(from_editable(one) == "😀");
}

namespace {

std::vector<unsigned int> code_points(const std::string& s) {
    std::vector<unsigned int> out;
    for (std::size_t i = 0; i < s.size();) {
        const auto b = static_cast<unsigned char>(s[i]);
        const std::size_t len = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
        unsigned int cp = len == 1 ? b : len == 2 ? (b & 0x1FU) : len == 3 ? (b & 0x0FU) : (b & 0x07U);
        for (std::size_t k = 1; k < len; ++k) {
            cp = (cp << 6U) | (static_cast<unsigned char>(s[i + k]) & 0x3FU);
        }
        out.push_back(cp);
        i += len;
    }
    return out;
}

// The same characters, but where one became U+FFFD (degraded, never swapped for another).
bool character_count_equal(const std::string& got, const std::string& want) {
    const std::vector<unsigned int> a = code_points(got);
    const std::vector<unsigned int> b = code_points(want);
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i] != b[i] && a[i] != 0xFFFD) {
            return false;
        }
    }
    return true;
}

std::string random_text(std::mt19937& rng, bool many_planes) {
    const unsigned int planes[][2] = {{0x20, 0x7E},     {0xA0, 0x17F},    {0x600, 0x6FF},     {0x4E00, 0x9FFF},
                                      {0xA000, 0xA00F}, {0xE000, 0xF8FF}, {0x1F600, 0x1F64F}, {0x20000, 0x2001F}};
    const unsigned int wide[][2] = {{0xA000, 0xA48C}, {0x1F300, 0x1FAFF}, {0x20000, 0x2A6DF}};
    std::string s;
    for (int i = 0; i < 20; ++i) {
        const auto& p = many_planes ? wide[rng() % 3] : planes[rng() % 8];
        const unsigned int cp = p[0] + static_cast<unsigned int>(rng() % (p[1] - p[0] + 1));
        if (cp < 0x80) {
            s += static_cast<char>(cp);
        } else if (cp < 0x800) {
            s += static_cast<char>(0xC0 | (cp >> 6));
            s += static_cast<char>(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            s += static_cast<char>(0xE0 | (cp >> 12));
            s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            s += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            s += static_cast<char>(0xF0 | (cp >> 18));
            s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
            s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            s += static_cast<char>(0x80 | (cp & 0x3F));
        }
    }
    return s;
}

}  // namespace

TEST_CASE("Text: random strings of every plane survive the round trip") {
    std::mt19937 rng(21);
    for (int round = 0; round < 300; ++round) {
        const std::string s = random_text(rng, false);
        REQUIRE(from_editable(to_editable(s)) == s);
    }
}

TEST_CASE("Text: when the stand-ins run out, no text already edited changes and no character reads as another") {
    std::mt19937 rng(7);
    std::vector<std::pair<std::string, std::string>> seen;  // (text, its editable form) while stand-ins last
    for (int round = 0; round < 400; ++round) {
        const std::string s = random_text(rng, true);
        const std::string e = to_editable(s);
        const std::string back = from_editable(e);
        // Exact, or (once the table is full) only new characters degraded, never swapped for others.
        REQUIRE(character_count_equal(back, s));
        if (back == s) {
            seen.emplace_back(s, e);
        }
    }
    REQUIRE_FALSE(seen.empty());
    for (const auto& [s, e] : seen) {
        CHECK(from_editable(e) == s);  // earlier stand-ins still mean what they meant
    }
}

TEST_CASE("Fonts: a character the fonts lack is drawn as a white square, never '?'") {
    ImGui::CreateContext();
    ImGui::GetIO().DisplaySize = ImVec2(800, 600);
    const Fonts f = load_fonts(bundled_fonts_dir(), 17.0F);
    unsigned char* px = nullptr;
    int w = 0;
    int h = 0;
    ImGui::GetIO().Fonts->GetTexDataAsRGBA32(&px, &w, &h);
    REQUIRE(f.regular != nullptr);
    for (ImFont* font : {f.regular, f.bold, f.heading}) {
        CHECK(font->FallbackChar == kMissingGlyph);
        const ImFontGlyph* arabic = font->FindGlyph(0x0645);
        REQUIRE(arabic != nullptr);
        CHECK(arabic->Codepoint == kMissingGlyph);
        CHECK(font->FindGlyph(0xFFFD)->Codepoint == kMissingGlyph);  // what ImGui makes of an emoji
        CHECK(font->FindGlyph(0x0175)->Codepoint == 0x0175);         // ŵ: Welsh has its own
        CHECK(font->FindGlyph(0x0142)->Codepoint == 0x0142);         // ł: so has Polish
    }
    ImGui::DestroyContext();
}
