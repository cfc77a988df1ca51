#include "text_edit.h"

#include <imgui.h>

#include <map>
#include <vector>

namespace outpost::ui {
namespace {

// Yi Syllables: drawn as the missing-glyph box by our fonts, and let through by ImGui's character
// filter, which drops the Private Use Area. Yi letters already in a text get stand-ins of their own,
// so the round trip stays exact for them too.
constexpr unsigned int kFirstStandIn = 0xA000;
constexpr unsigned int kLastStandIn = 0xA48C;

struct StandIns {
    std::map<unsigned int, unsigned int> by_char;  // code point -> stand-in
    std::vector<unsigned int> chars;               // stand-in - kFirstStandIn -> code point
};

StandIns& table() {
    static auto* t = new StandIns();  // never destroyed: ImGui may call the clipboard hooks at exit
    return *t;
}

bool needs_one(unsigned int cp) {
    return cp > 0xFFFF || (cp >= kFirstStandIn && cp <= kLastStandIn);
}

unsigned int stand_in_for(unsigned int cp) {
    StandIns& t = table();
    if (const auto it = t.by_char.find(cp); it != t.by_char.end()) {
        return it->second;
    }
    if (t.chars.size() > kLastStandIn - kFirstStandIn) {
        // None left: a character outside the BMP goes in as itself (ImGui makes it U+FFFD); a Yi
        // letter must not, since it would read back as another character's stand-in.
        return cp > 0xFFFF ? cp : 0xFFFDU;
    }
    const auto s = static_cast<unsigned int>(kFirstStandIn + t.chars.size());
    t.chars.push_back(cp);
    t.by_char.emplace(cp, s);
    return s;
}

// Decodes one UTF-8 sequence at s[i]; invalid bytes come back as themselves (len 1, cp = 0x110000 + b)
// so they are copied through untouched.
unsigned int decode(std::string_view s, std::size_t i, std::size_t& len) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    auto cont = [&](std::size_t k) {
        return i + k < s.size() && (static_cast<unsigned char>(s[i + k]) & 0xC0U) == 0x80U;
    };
    auto bits = [&](std::size_t k) { return static_cast<unsigned int>(static_cast<unsigned char>(s[i + k]) & 0x3FU); };
    if (b0 < 0x80) {
        len = 1;
        return b0;
    }
    if (b0 >= 0xC2 && b0 < 0xE0 && cont(1)) {
        len = 2;
        return ((b0 & 0x1FU) << 6U) | bits(1);
    }
    if (b0 >= 0xE0 && b0 < 0xF0 && cont(1) && cont(2)) {
        len = 3;
        return ((b0 & 0x0FU) << 12U) | (bits(1) << 6U) | bits(2);
    }
    if (b0 >= 0xF0 && b0 < 0xF5 && cont(1) && cont(2) && cont(3)) {
        len = 4;
        return ((b0 & 0x07U) << 18U) | (bits(1) << 12U) | (bits(2) << 6U) | bits(3);
    }
    len = 1;
    return 0x110000U + b0;
}

void encode(unsigned int cp, std::string& out) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0U | (cp >> 6U)));
        out.push_back(static_cast<char>(0x80U | (cp & 0x3FU)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0U | (cp >> 12U)));
        out.push_back(static_cast<char>(0x80U | ((cp >> 6U) & 0x3FU)));
        out.push_back(static_cast<char>(0x80U | (cp & 0x3FU)));
    } else {
        out.push_back(static_cast<char>(0xF0U | (cp >> 18U)));
        out.push_back(static_cast<char>(0x80U | ((cp >> 12U) & 0x3FU)));
        out.push_back(static_cast<char>(0x80U | ((cp >> 6U) & 0x3FU)));
        out.push_back(static_cast<char>(0x80U | (cp & 0x3FU)));
    }
}

const char* (*g_get_clipboard)(void*) = nullptr;
void (*g_set_clipboard)(void*, const char*) = nullptr;

const char* get_clipboard(void* user) {
    static std::string pasted;
    const char* text = g_get_clipboard != nullptr ? g_get_clipboard(user) : nullptr;
    if (text == nullptr) {
        return nullptr;
    }
    pasted = to_editable(text);
    return pasted.c_str();
}

void set_clipboard(void* user, const char* text) {
    if (g_set_clipboard != nullptr) {
        const std::string copied = from_editable(text != nullptr ? text : "");
        g_set_clipboard(user, copied.c_str());
    }
}

}  // namespace

bool needs_stand_ins(std::string_view utf8) {
    for (std::size_t i = 0; i < utf8.size(); ++i) {
        const auto b = static_cast<unsigned char>(utf8[i]);
        if (b >= 0xF0) {
            return true;  // a 4-byte form: outside the Basic Multilingual Plane
        }
        // U+A000..U+A4FF is EA 80..93 xx
        if (b == 0xEA && i + 1 < utf8.size() && static_cast<unsigned char>(utf8[i + 1]) <= 0x93) {
            return true;
        }
    }
    return false;
}

std::string to_editable(std::string_view utf8) {
    if (!needs_stand_ins(utf8)) {
        return std::string(utf8);
    }
    std::string out;
    out.reserve(utf8.size());
    for (std::size_t i = 0; i < utf8.size();) {
        std::size_t len = 1;
        const unsigned int cp = decode(utf8, i, len);
        if (cp < 0x110000U && needs_one(cp)) {
            encode(stand_in_for(cp), out);
        } else {
            out.append(utf8.substr(i, len));
        }
        i += len;
    }
    return out;
}

std::string from_editable(std::string_view edited) {
    if (!needs_stand_ins(edited)) {
        return std::string(edited);
    }
    const StandIns& t = table();
    std::string out;
    out.reserve(edited.size());
    for (std::size_t i = 0; i < edited.size();) {
        std::size_t len = 1;
        const unsigned int cp = decode(edited, i, len);
        if (cp >= kFirstStandIn && cp <= kLastStandIn && cp - kFirstStandIn < t.chars.size()) {
            encode(t.chars[cp - kFirstStandIn], out);
        } else {
            out.append(edited.substr(i, len));
        }
        i += len;
    }
    return out;
}

unsigned int editable_char(unsigned int codepoint) {
    return needs_one(codepoint) && codepoint <= 0x10FFFF ? stand_in_for(codepoint) : codepoint;
}

void wrap_clipboard_for_stand_ins() {
    ImGuiIO& io = ImGui::GetIO();
    if (io.GetClipboardTextFn == &get_clipboard) {
        return;
    }
    g_get_clipboard = io.GetClipboardTextFn;
    g_set_clipboard = io.SetClipboardTextFn;
    io.GetClipboardTextFn = &get_clipboard;
    io.SetClipboardTextFn = &set_clipboard;
}

}  // namespace outpost::ui
