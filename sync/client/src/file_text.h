// The whole of a small file (profile.json, server.pem, wiped.json) read as bytes, for the profile code.
#pragma once

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

namespace outpost::sync {

// The bytes of `p`; nullopt when it cannot be opened (missing, or not readable).
inline std::optional<std::string> read_file_text(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) {
        return std::nullopt;
    }
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace outpost::sync
