// Key envelope: the `<db>.key` sidecar that wraps the database's random data key (DEK).
//
// Layout (format v1, little-endian, 420 bytes; docs/STORAGE_FORMAT.md):
//   magic "OPSTKEY1" | version u32 | db_tag[16] | page_size u32 | reserve u32 | slot_count u32 (=3)
//   3 x slot { kind u8 | pad[3] | seq u64 | opslimit u64 | memlimit u64 | salt[16] | nonce[24] | wrapped[48] }
//   BLAKE2b-256 over everything before it
// Slots 0 and 1 are the A/B passphrase slots (the live one has the higher seq; a change writes the
// other slot and clears the old one); slot 2 is the optional recovery-code slot.
//
// Thread-safety: pure functions and value types. Failure codes: store.keyfile.corrupt,
// store.keyfile.missing, store.passphrase.wrong, store.recovery_code.wrong.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "outpost/core/secure_buffer.h"
#include "outpost/core/status.h"
#include "outpost/core/store/format.h"

namespace outpost::store {

inline constexpr std::size_t kEnvelopeSize = 420;
inline constexpr std::size_t kSlotCount = 3;
inline constexpr std::size_t kRecoverySlot = 2;

enum class SlotKind : std::uint8_t { kEmpty = 0, kPassphrase = 1, kRecoveryCode = 2 };

struct KdfParams {
    std::uint64_t opslimit = 0;
    std::uint64_t memlimit = 0;
    friend bool operator==(const KdfParams&, const KdfParams&) = default;
};

// libsodium's INTERACTIVE limits: the floor below which no envelope is written or accepted.
[[nodiscard]] KdfParams kdf_floor();

struct KeySlot {
    SlotKind kind = SlotKind::kEmpty;
    std::uint64_t seq = 0;
    KdfParams kdf;
    std::array<std::uint8_t, 16> salt{};
    std::array<std::uint8_t, kNonceSize> nonce{};
    std::array<std::uint8_t, kKeySize + kTagSize> wrapped{};
    friend bool operator==(const KeySlot&, const KeySlot&) = default;
};

struct Envelope {
    DbTag db_tag{};
    std::uint32_t page_size = kPageSize;
    std::uint32_t reserve = kReserve;
    std::array<KeySlot, kSlotCount> slots{};
    friend bool operator==(const Envelope&, const Envelope&) = default;
};

// Parses and checks an envelope: size, magic, version, trailer hash, page geometry and KDF limits
// (so a tampered file can neither crash nor make us allocate unbounded memory).
[[nodiscard]] Result<Envelope> parse_envelope(std::span<const std::uint8_t> bytes);
[[nodiscard]] std::vector<std::uint8_t> serialize_envelope(const Envelope& env);

// Reads `<db>.key`: store.keyfile.missing / store.keyfile.corrupt.
[[nodiscard]] Result<Envelope> read_envelope(const std::filesystem::path& key_path);
// Writes atomically: temp file, fsync, rename, fsync of the directory.
[[nodiscard]] Status write_envelope(const std::filesystem::path& key_path, const Envelope& env);

// Derives a key-encryption key from a passphrase with Argon2id.
[[nodiscard]] Result<SecureBuffer> derive_passphrase_kek(std::string_view passphrase,
                                                         std::span<const std::uint8_t, 16> salt, const KdfParams& kdf);

// Derives a KEK by running Argon2id with calibration: starts from MODERATE and adjusts until one
// derivation takes between about 0.5 and 1 s (at most three runs), never below kdf_floor().
struct CalibratedKek {
    SecureBuffer kek;
    KdfParams kdf;
    std::chrono::milliseconds took{0};
};
[[nodiscard]] Result<CalibratedKek> derive_calibrated_kek(std::string_view passphrase,
                                                          std::span<const std::uint8_t, 16> salt);

// Wraps `dek` under `kek` into `slot` (fresh nonce), bound to the envelope header and the slot.
[[nodiscard]] Status wrap_slot(const Envelope& env, KeySlot& slot, const SecureBuffer& kek, const SecureBuffer& dek);
// Unwraps the DEK from `slot`; false when the KEK is wrong or the slot was altered.
[[nodiscard]] Result<SecureBuffer> unwrap_slot(const Envelope& env, const KeySlot& slot, const SecureBuffer& kek);

// Index of the live passphrase slot (highest seq), or -1.
[[nodiscard]] int live_passphrase_slot(const Envelope& env);

// Recovery codes: 128 random bits shown as 26 Crockford base32 characters in groups of 4/2
// ("7KQ3-...-X9"). Parsing ignores case, spaces and dashes, and maps I/L to 1 and O to 0.
[[nodiscard]] std::string format_recovery_code(std::span<const std::uint8_t, 16> secret);
[[nodiscard]] Result<SecureBuffer> parse_recovery_code(std::string_view code);
[[nodiscard]] Result<SecureBuffer> derive_recovery_kek(const SecureBuffer& secret,
                                                       std::span<const std::uint8_t, 16> salt);

}  // namespace outpost::store
