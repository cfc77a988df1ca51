// Exact text through Dear ImGui's 16-bit text fields. ImGui 1.86 (as Debian builds it) holds edited
// text as UTF-16 code units without surrogates, so a character outside the Basic Multilingual Plane
// (an emoji, a rare CJK ideograph) becomes U+FFFD the moment a field holding it is edited, typed or
// pasted. Such characters are swapped for stand-ins from the Yi Syllables block while ImGui edits the
// text (drawn as the missing-glyph box), and swapped back whenever the text leaves the field. Yi
// characters already in the text are given stand-ins too, so the round trip is exact. (The Private
// Use Area would be the obvious choice, but ImGui 1.86 drops typed and pasted characters from it.)
//
// Threads: UI thread only (the stand-in table is process-wide, grows as new characters are seen, and
// is never written to disk). Failure: when the stand-ins run out (1,165: one per distinct character
// seen in a session), further such characters become U+FFFD when edited, as they did before; no
// character already given a stand-in, and no other text, is ever changed.
#pragma once

#include <string>
#include <string_view>

namespace outpost::ui {

// True when `utf8` holds anything that needs a stand-in (cheap: a byte scan).
[[nodiscard]] bool needs_stand_ins(std::string_view utf8);
// The text with stand-ins, for an ImGui field.
[[nodiscard]] std::string to_editable(std::string_view utf8);
// The text a field holds, with its stand-ins swapped back.
[[nodiscard]] std::string from_editable(std::string_view edited);
// One typed character (a code point from the window system) as ImGui should receive it.
[[nodiscard]] unsigned int editable_char(unsigned int codepoint);

// Replaces ImGui's clipboard functions (io.GetClipboardTextFn / SetClipboardTextFn) with ones that
// put stand-ins into pasted text and take them out of copied text. Call once after the platform
// backend has set its own; calling again is harmless.
void wrap_clipboard_for_stand_ins();

}  // namespace outpost::ui
