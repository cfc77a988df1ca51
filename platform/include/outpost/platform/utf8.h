// Paths and text in UTF-8, on every OS. Outpost keeps every string in UTF-8; std::filesystem::path
// converts a std::string with the ANSI code page on Windows (losing "â" and "ŷ"), so every crossing
// between a path and a string goes through these. On Linux they are plain copies.
//
// Part of outpost_platform_os (below core). Pure functions; text that is not valid UTF-8 (or UTF-16)
// is carried over with the replacement character, never thrown on.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace outpost {

// The path named by UTF-8 `text`.
[[nodiscard]] std::filesystem::path path_from_utf8(std::string_view text);
// `p` in UTF-8 (for messages, JSON, SQLite's file names, the screen).
[[nodiscard]] std::string path_to_utf8(const std::filesystem::path& p);

namespace os {
// UTF-16 <-> UTF-8, for the Windows implementation's wide calls.
[[nodiscard]] std::wstring widen(std::string_view utf8);
[[nodiscard]] std::string narrow(std::wstring_view wide);
}  // namespace os

}  // namespace outpost
