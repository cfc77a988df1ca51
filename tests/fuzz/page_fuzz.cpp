// Fuzz target: the page codec. Arbitrary bytes presented as an encrypted page (of any kind, any page
// number) must be refused without crashing; and any plaintext must survive encrypt -> decrypt.
#include <sodium.h>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "fuzz_target.h"
#include "outpost/core/store/format.h"

using namespace outpost::store;

namespace {

const PageKeys& keys() {
    static const std::array<std::uint8_t, kKeySize> page_key = {1, 2, 3, 4, 5, 6, 7, 8};
    static const std::array<std::uint8_t, kKeySize> mask_key = {9, 9, 9};
    static const PageKeys k = [] {
        if (sodium_init() < 0) {
            std::abort();
        }
        PageKeys p;
        p.page_key = page_key.data();
        p.mask_key = mask_key.data();
        p.db_tag = {'O', 'P', 'S', 'T', 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
        return p;
    }();
    return k;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 5) {
        return 0;
    }
    const auto kind = static_cast<FileKind>("DJW"[data[0] % 3]);
    const std::uint32_t pgno = 1 + (data[1] % 4);
    const std::uint64_t frame = data[2];
    std::array<std::uint8_t, kPageSize> page{};
    std::memcpy(page.data(), data + 3, std::min<std::size_t>(size - 3, kPageSize));

    // 1. Random bytes never authenticate.
    std::array<std::uint8_t, kPageSize> forged = page;
    if (decrypt_page(keys(), kind, pgno, frame, forged) == PageError::kNone) {
        std::abort();
    }
    // 2. Round trip: what we encrypt, we decrypt to the same bytes (reserved tail zeroed, page 1's
    //    first 16 bytes shown as SQLite's magic).
    std::array<std::uint8_t, kPageSize> plain = page;
    std::memset(plain.data() + kPageSize - kReserve, 0, kReserve);
    if (kind == FileKind::kDatabase && pgno == 1) {
        std::memcpy(plain.data(), "SQLite format 3", 16);
    }
    std::array<std::uint8_t, kPageSize> sealed = plain;
    if (encrypt_page(keys(), kind, pgno, frame, sealed) != PageError::kNone) {
        std::abort();
    }
    std::array<std::uint8_t, kPageSize> opened = sealed;
    if (decrypt_page(keys(), kind, pgno, frame, opened) != PageError::kNone || opened != plain) {
        std::abort();
    }
    // 3. Any single flipped bit, or the wrong page number, is refused.
    std::array<std::uint8_t, kPageSize> flipped = sealed;
    const std::size_t at = (static_cast<std::size_t>(data[3]) << 8 | data[4]) % kPageSize;
    flipped[at] ^= 0x01;
    const bool header_bytes = kind == FileKind::kDatabase && pgno == 1 && at < 16;
    if (!header_bytes && decrypt_page(keys(), kind, pgno, frame, flipped) == PageError::kNone) {
        std::abort();
    }
    std::array<std::uint8_t, kPageSize> moved = sealed;
    if (decrypt_page(keys(), kind, pgno + 1, frame, moved) == PageError::kNone) {
        std::abort();
    }
    return 0;
}
