// On-disk format constants and the page codec of the encrypted store (format v1). See
// docs/STORAGE_FORMAT.md for the layout. The codec is pure: it touches only the buffers it is given,
// so the VFS shim, verify() and the fuzz targets share it.
//
// Thread-safety: all functions are reentrant. Keys are borrowed, never copied.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace outpost::store {

inline constexpr std::uint32_t kPageSize = 4096;
inline constexpr std::uint32_t kReserve = 48;  // epoch u32 | flags u32 | nonce 24 | tag 16
inline constexpr std::size_t kKeySize = 32;
inline constexpr std::size_t kNonceSize = 24;
inline constexpr std::size_t kTagSize = 16;
inline constexpr std::size_t kDbTagSize = 16;
inline constexpr std::array<std::uint8_t, 4> kDbMagic = {'O', 'P', 'S', 'T'};
inline constexpr std::uint32_t kKeyEpoch = 1;
inline constexpr std::uint32_t kWalHeaderSize = 32;
inline constexpr std::uint32_t kWalFrameHeaderSize = 24;

using DbTag = std::array<std::uint8_t, kDbTagSize>;

enum class FileKind : std::uint8_t { kDatabase = 'D', kJournal = 'J', kWal = 'W' };

// Borrowed key material for one database: subkeys derived from the data key, and the database tag.
struct PageKeys {
    const std::uint8_t* page_key = nullptr;  // kKeySize bytes, XChaCha20-Poly1305
    const std::uint8_t* mask_key = nullptr;  // kKeySize bytes, BLAKE2b key for checksum masks
    DbTag db_tag{};
};

enum class PageError { kNone, kWrongTag, kAuthFailed, kBadSize };

// Encrypts `page` (kPageSize bytes) in place with a fresh random nonce. For database page 1, bytes
// 0..15 become the database tag and bytes 16..23 stay in clear (authenticated). `frame` is the WAL
// frame index (0 for other kinds).
[[nodiscard]] PageError encrypt_page(const PageKeys& keys, FileKind kind, std::uint32_t pgno, std::uint64_t frame,
                                     std::span<std::uint8_t> page);

// As encrypt_page, but reads the plaintext from `plain` and writes the encrypted page to `out` (both
// kPageSize bytes, not overlapping), saving a copy.
[[nodiscard]] PageError encrypt_page_to(const PageKeys& keys, FileKind kind, std::uint32_t pgno, std::uint64_t frame,
                                        std::span<const std::uint8_t> plain, std::span<std::uint8_t> out);

// Authenticates and decrypts `page` in place; on success the reserved tail is zeroed and, for
// database page 1, bytes 0..15 read "SQLite format 3\0". On failure the page content is unspecified.
[[nodiscard]] PageError decrypt_page(const PageKeys& keys, FileKind kind, std::uint32_t pgno, std::uint64_t frame,
                                     std::span<std::uint8_t> page);

// XORs `bytes` (at most 32) with BLAKE2b(mask_key, context). Applying it twice restores the input.
void apply_mask(const PageKeys& keys, std::span<const std::uint8_t> context, std::span<std::uint8_t> bytes);

// The nonce stored in an encrypted page's tail.
[[nodiscard]] std::span<const std::uint8_t, kNonceSize> page_nonce(std::span<const std::uint8_t> page);

// Big-endian helpers used for SQLite's on-disk integers.
[[nodiscard]] std::uint32_t load_be32(const std::uint8_t* p);

}  // namespace outpost::store
