// Record ids: time-ordered UUIDv7 (RFC 9562), 48 bits of milliseconds then random bits from libsodium.
#include <sodium.h>

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "outpost/core/records/engine.h"

namespace outpost::records {

std::string make_uuid_v7(std::int64_t ms) {
    std::uint8_t b[16];
    randombytes_buf(b, sizeof b);
    const auto t = static_cast<std::uint64_t>(ms);
    for (int i = 0; i < 6; ++i) {
        b[i] = static_cast<std::uint8_t>(t >> (40 - 8 * i));
    }
    b[6] = static_cast<std::uint8_t>(0x70 | (b[6] & 0x0f));
    b[8] = static_cast<std::uint8_t>(0x80 | (b[8] & 0x3f));
    char out[37];
    std::snprintf(out, sizeof out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                  b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
    return out;
}

std::optional<std::int64_t> uuid_v7_ms(std::string_view id) {
    if (id.size() != 36 || id[8] != '-' || id[13] != '-' || id[14] != '7' || id[18] != '-' || id[23] != '-') {
        return std::nullopt;
    }
    std::uint64_t ms = 0;
    for (std::size_t i = 0; i < 13; ++i) {  // 48 bits: "xxxxxxxx-xxxx"
        if (i == 8) {
            continue;
        }
        const char c = id[i];
        const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0) {
            return std::nullopt;
        }
        ms = (ms << 4U) | static_cast<std::uint64_t>(d);
    }
    return static_cast<std::int64_t>(ms);
}

}  // namespace outpost::records
