#include "outpost/core/store/format.h"

#include <sodium.h>

#include <cstring>

#include "outpost/platform/os.h"

namespace outpost::store {
namespace {

constexpr std::array<std::uint8_t, 16> kSqliteMagic = {'S', 'Q', 'L', 'i', 't', 'e', ' ', 'f',
                                                       'o', 'r', 'm', 'a', 't', ' ', '3', '\0'};
constexpr std::size_t kTailOffset = kPageSize - kReserve;
constexpr std::size_t kNonceOffset = kTailOffset + 8;
constexpr std::size_t kTagOffset = kNonceOffset + kNonceSize;

void store_le32(std::uint8_t* p, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) {
        p[i] = static_cast<std::uint8_t>(v >> (8 * i));
    }
}

// AAD = db_tag | kind | pgno (LE32) | epoch+flags (8 bytes from the tail) | frame (LE64, WAL only)
// | page-1 header bytes 16..23 (database page 1 only).
std::size_t build_aad(const PageKeys& keys, FileKind kind, std::uint32_t pgno, std::uint64_t frame,
                      const std::uint8_t* page, std::uint8_t* aad) {
    std::size_t n = 0;
    std::memcpy(aad + n, keys.db_tag.data(), kDbTagSize);
    n += kDbTagSize;
    aad[n++] = static_cast<std::uint8_t>(kind);
    store_le32(aad + n, pgno);
    n += 4;
    std::memcpy(aad + n, page + kTailOffset, 8);
    n += 8;
    if (kind == FileKind::kWal) {
        store_le32(aad + n, static_cast<std::uint32_t>(frame));
        store_le32(aad + n + 4, static_cast<std::uint32_t>(frame >> 32));
        n += 8;
    }
    if (kind == FileKind::kDatabase && pgno == 1) {
        std::memcpy(aad + n, page + 16, 8);
        n += 8;
    }
    return n;
}

// Fresh random nonces, drawn from the OS generator 170 at a time (one getrandom call instead of one
// per page). Per thread, so no locking; refilled after fork() so parent and child never share bytes.
void fill_nonce(std::uint8_t* out) {
    struct Pool {
        std::array<std::uint8_t, kNonceSize * 170> bytes{};
        std::size_t used = sizeof(bytes);
        long pid = 0;
    };
    thread_local Pool pool;
    const long pid = os::process_id();
    if (pool.used + kNonceSize > pool.bytes.size() || pool.pid != pid) {
        randombytes_buf(pool.bytes.data(), pool.bytes.size());
        pool.used = 0;
        pool.pid = pid;
    }
    std::memcpy(out, pool.bytes.data() + pool.used, kNonceSize);
    sodium_memzero(pool.bytes.data() + pool.used, kNonceSize);  // each nonce is handed out once
    pool.used += kNonceSize;
}

std::size_t body_offset(FileKind kind, std::uint32_t pgno) {
    return (kind == FileKind::kDatabase && pgno == 1) ? 24 : 0;
}

}  // namespace

std::uint32_t load_be32(const std::uint8_t* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
}

std::span<const std::uint8_t, kNonceSize> page_nonce(std::span<const std::uint8_t> page) {
    return page.subspan(kNonceOffset).first<kNonceSize>();
}

PageError encrypt_page_to(const PageKeys& keys, FileKind kind, std::uint32_t pgno, std::uint64_t frame,
                          std::span<const std::uint8_t> plain, std::span<std::uint8_t> out) {
    if (plain.size() != kPageSize || out.size() != kPageSize) {
        return PageError::kBadSize;
    }
    if (keys.page_key == nullptr) {
        return PageError::kAuthFailed;  // keys wiped: refuse to write anything
    }
    const std::uint8_t* m = plain.data();
    std::uint8_t* p = out.data();
    const std::size_t off = body_offset(kind, pgno);
    if (off != 0) {  // database page 1: tag in bytes 0..15, bytes 16..23 in clear
        std::memcpy(p, keys.db_tag.data(), kDbTagSize);
        if (p != m) {
            std::memcpy(p + 16, m + 16, 8);
        }
    }
    store_le32(p + kTailOffset, kKeyEpoch);
    store_le32(p + kTailOffset + 4, 0);  // flags
    fill_nonce(p + kNonceOffset);
    std::uint8_t aad[64];
    const std::size_t aad_len = build_aad(keys, kind, pgno, frame, p, aad);
    crypto_aead_xchacha20poly1305_ietf_encrypt_detached(p + off, p + kTagOffset, nullptr, m + off, kTailOffset - off,
                                                        aad, aad_len, nullptr, p + kNonceOffset, keys.page_key);
    return PageError::kNone;
}

PageError encrypt_page(const PageKeys& keys, FileKind kind, std::uint32_t pgno, std::uint64_t frame,
                       std::span<std::uint8_t> page) {
    // In place: libsodium allows the message and ciphertext to be the same buffer.
    return encrypt_page_to(keys, kind, pgno, frame, page, page);
}

PageError decrypt_page(const PageKeys& keys, FileKind kind, std::uint32_t pgno, std::uint64_t frame,
                       std::span<std::uint8_t> page) {
    if (page.size() != kPageSize) {
        return PageError::kBadSize;
    }
    if (keys.page_key == nullptr) {
        return PageError::kAuthFailed;  // keys wiped
    }
    std::uint8_t* p = page.data();
    if (kind == FileKind::kDatabase && pgno == 1 && std::memcmp(p, keys.db_tag.data(), kDbTagSize) != 0) {
        return PageError::kWrongTag;
    }
    std::uint8_t aad[64];
    const std::size_t aad_len = build_aad(keys, kind, pgno, frame, p, aad);
    const std::size_t off = body_offset(kind, pgno);
    if (crypto_aead_xchacha20poly1305_ietf_decrypt_detached(p + off, nullptr, p + off, kTailOffset - off,
                                                            p + kTagOffset, aad, aad_len, p + kNonceOffset,
                                                            keys.page_key) != 0) {
        return PageError::kAuthFailed;
    }
    if (kind == FileKind::kDatabase && pgno == 1) {
        std::memcpy(p, kSqliteMagic.data(), kSqliteMagic.size());
    }
    // SQLite checksums WAL frames over the whole page, reserved bytes included: they must read as the
    // zeros SQLite had in memory when it wrote the page.
    std::memset(p + kTailOffset, 0, kReserve);
    return PageError::kNone;
}

void apply_mask(const PageKeys& keys, std::span<const std::uint8_t> context, std::span<std::uint8_t> bytes) {
    if (keys.mask_key == nullptr) {
        return;
    }
    std::uint8_t mask[32];
    const std::size_t n = bytes.size() < sizeof mask ? bytes.size() : sizeof mask;
    crypto_generichash(mask, sizeof mask, context.data(), context.size(), keys.mask_key, kKeySize);
    for (std::size_t i = 0; i < n; ++i) {
        bytes[i] ^= mask[i];
    }
    sodium_memzero(mask, sizeof mask);
}

}  // namespace outpost::store
