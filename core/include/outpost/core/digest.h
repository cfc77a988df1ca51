// SHA-256 as Outpost names files and checks pieces of them: 64 lower-case hex digits (libsodium).
// Threads: pure functions, any thread (libsodium must be initialised, as every Outpost binary does).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace outpost {

// Lower-case hex of `n` bytes.
[[nodiscard]] std::string to_hex(const unsigned char* bytes, std::size_t n);
// SHA-256 of `bytes`, as hex.
[[nodiscard]] std::string sha256_hex(std::string_view bytes);

}  // namespace outpost
