#include "outpost/core/store/envelope.h"

#include <sodium.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "outpost/core/error_codes.h"
#include "outpost/platform/os.h"
#include "outpost/platform/utf8.h"

namespace outpost::store {
namespace {

constexpr std::array<std::uint8_t, 8> kMagic = {'O', 'P', 'S', 'T', 'K', 'E', 'Y', '1'};
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kHeaderSize = 8 + 4 + kDbTagSize + 4 + 4 + 4;                           // 40
constexpr std::size_t kSlotSize = 1 + 3 + 8 + 8 + 8 + 16 + kNonceSize + kKeySize + kTagSize;  // 116
constexpr std::size_t kTrailerSize = 32;
static_assert(kHeaderSize + kSlotCount * kSlotSize + kTrailerSize == kEnvelopeSize);
// Upper bounds accepted from a file: SENSITIVE ops, 4 GiB memory.
constexpr std::uint64_t kMaxOps = 16;
constexpr std::uint64_t kMaxMem = 4ULL * 1024 * 1024 * 1024;

Status corrupt(const std::string& why) {
    return Status::error(errc::kStoreKeyfileCorrupt, "key file is damaged: " + why);
}

struct Writer {
    std::vector<std::uint8_t>& out;
    void bytes(const std::uint8_t* p, std::size_t n) { out.insert(out.end(), p, p + n); }
    void u32(std::uint32_t v) {
        for (int i = 0; i < 4; ++i) {
            out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
        }
    }
    void u64(std::uint64_t v) {
        for (int i = 0; i < 8; ++i) {
            out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
        }
    }
};

struct Reader {
    std::span<const std::uint8_t> in;
    std::size_t pos = 0;
    void bytes(std::uint8_t* p, std::size_t n) {
        std::memcpy(p, in.data() + pos, n);
        pos += n;
    }
    std::uint32_t u32() {
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i) {
            v |= std::uint32_t{in[pos++]} << (8 * i);
        }
        return v;
    }
    std::uint64_t u64() {
        std::uint64_t v = 0;
        for (int i = 0; i < 8; ++i) {
            v |= std::uint64_t{in[pos++]} << (8 * i);
        }
        return v;
    }
};

void write_header(Writer& w, const Envelope& env) {
    w.bytes(kMagic.data(), kMagic.size());
    w.u32(kVersion);
    w.bytes(env.db_tag.data(), env.db_tag.size());
    w.u32(env.page_size);
    w.u32(env.reserve);
    w.u32(kSlotCount);
}

// AAD for a slot: the envelope header plus the slot's kind, seq and KDF parameters.
std::vector<std::uint8_t> slot_aad(const Envelope& env, const KeySlot& slot) {
    std::vector<std::uint8_t> aad;
    Writer w{aad};
    write_header(w, env);
    aad.push_back(static_cast<std::uint8_t>(slot.kind));
    w.u64(slot.seq);
    w.u64(slot.kdf.opslimit);
    w.u64(slot.kdf.memlimit);
    w.bytes(slot.salt.data(), slot.salt.size());
    return aad;
}

bool kdf_in_bounds(const KdfParams& k) {
    const KdfParams f = kdf_floor();
    return k.opslimit >= f.opslimit && k.opslimit <= kMaxOps && k.memlimit >= f.memlimit && k.memlimit <= kMaxMem;
}

constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

}  // namespace

KdfParams kdf_floor() {
    return {crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE};
}

std::vector<std::uint8_t> serialize_envelope(const Envelope& env) {
    std::vector<std::uint8_t> out;
    out.reserve(kEnvelopeSize);
    Writer w{out};
    write_header(w, env);
    for (const KeySlot& s : env.slots) {
        out.push_back(static_cast<std::uint8_t>(s.kind));
        out.insert(out.end(), 3, 0);
        w.u64(s.seq);
        w.u64(s.kdf.opslimit);
        w.u64(s.kdf.memlimit);
        w.bytes(s.salt.data(), s.salt.size());
        w.bytes(s.nonce.data(), s.nonce.size());
        w.bytes(s.wrapped.data(), s.wrapped.size());
    }
    std::array<std::uint8_t, kTrailerSize> hash{};
    crypto_generichash(hash.data(), hash.size(), out.data(), out.size(), nullptr, 0);
    w.bytes(hash.data(), hash.size());
    return out;
}

Result<Envelope> parse_envelope(std::span<const std::uint8_t> bytes) {
    if (bytes.size() != kEnvelopeSize) {
        return corrupt("wrong size " + std::to_string(bytes.size()));
    }
    std::array<std::uint8_t, kTrailerSize> hash{};
    crypto_generichash(hash.data(), hash.size(), bytes.data(), kEnvelopeSize - kTrailerSize, nullptr, 0);
    if (sodium_memcmp(hash.data(), bytes.data() + kEnvelopeSize - kTrailerSize, kTrailerSize) != 0) {
        return corrupt("checksum mismatch");
    }
    Reader r{bytes};
    std::array<std::uint8_t, 8> magic{};
    r.bytes(magic.data(), magic.size());
    if (magic != kMagic) {
        return corrupt("not an Outpost key file");
    }
    if (std::uint32_t v = r.u32(); v != kVersion) {
        return corrupt("unsupported version " + std::to_string(v));
    }
    Envelope env;
    r.bytes(env.db_tag.data(), env.db_tag.size());
    env.page_size = r.u32();
    env.reserve = r.u32();
    const std::uint32_t slots = r.u32();
    if (env.page_size != kPageSize || env.reserve != kReserve || slots != kSlotCount) {
        return corrupt("unsupported page geometry");
    }
    if (std::memcmp(env.db_tag.data(), kDbMagic.data(), kDbMagic.size()) != 0) {
        return corrupt("bad database tag");
    }
    for (KeySlot& s : env.slots) {
        std::uint8_t kind = 0;
        std::uint8_t pad[3] = {};
        r.bytes(&kind, 1);
        r.bytes(pad, sizeof pad);
        if (kind > static_cast<std::uint8_t>(SlotKind::kRecoveryCode)) {
            return corrupt("unknown slot kind");
        }
        if (pad[0] != 0 || pad[1] != 0 || pad[2] != 0) {
            return corrupt("slot padding is not zero");  // found by fuzzing: keep the format strict
        }
        s.kind = static_cast<SlotKind>(kind);
        s.seq = r.u64();
        s.kdf.opslimit = r.u64();
        s.kdf.memlimit = r.u64();
        r.bytes(s.salt.data(), s.salt.size());
        r.bytes(s.nonce.data(), s.nonce.size());
        r.bytes(s.wrapped.data(), s.wrapped.size());
        if (s.kind == SlotKind::kPassphrase && !kdf_in_bounds(s.kdf)) {
            return corrupt("key derivation parameters out of bounds");
        }
    }
    if (env.slots[kRecoverySlot].kind == SlotKind::kPassphrase || env.slots[0].kind == SlotKind::kRecoveryCode ||
        env.slots[1].kind == SlotKind::kRecoveryCode) {
        return corrupt("slot kinds out of place");
    }
    if (live_passphrase_slot(env) < 0) {
        return corrupt("no passphrase slot");
    }
    return env;
}

Result<Envelope> read_envelope(const std::filesystem::path& key_path) {
    std::error_code ec;
    if (!std::filesystem::exists(key_path, ec)) {
        return Status::error(errc::kStoreKeyfileMissing, "key file " + path_to_utf8(key_path) + " is missing");
    }
    std::ifstream in(key_path, std::ios::binary);
    std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.eof() && in.fail()) {
        return Status::error(errc::kIo, "cannot read key file " + path_to_utf8(key_path));
    }
    return parse_envelope(bytes);
}

Status write_envelope(const std::filesystem::path& key_path, const Envelope& env) {
    const std::vector<std::uint8_t> bytes = serialize_envelope(env);
    if (const std::error_code ec = os::replace_file(key_path, bytes)) {
        return Status::error(errc::kIo, "cannot replace key file " + path_to_utf8(key_path) + ": " + ec.message());
    }
    return Status::ok();
}

Result<SecureBuffer> derive_passphrase_kek(std::string_view passphrase, std::span<const std::uint8_t, 16> salt,
                                           const KdfParams& kdf) {
    if (sodium_init() < 0) {
        return Status::error(errc::kInternal, "libsodium failed to initialise");
    }
    Result<SecureBuffer> kek = SecureBuffer::create(kKeySize);
    if (!kek.is_ok()) {
        return kek;
    }
    if (crypto_pwhash(kek->data(), kKeySize, passphrase.data(), passphrase.size(), salt.data(), kdf.opslimit,
                      static_cast<std::size_t>(kdf.memlimit), crypto_pwhash_ALG_ARGON2ID13) != 0) {
        return Status::error(errc::kInternal, "key derivation ran out of memory");
    }
    return kek;
}

Result<CalibratedKek> derive_calibrated_kek(std::string_view passphrase, std::span<const std::uint8_t, 16> salt) {
    using clock = std::chrono::steady_clock;
    const KdfParams floor = kdf_floor();
    KdfParams kdf{crypto_pwhash_OPSLIMIT_MODERATE, crypto_pwhash_MEMLIMIT_MODERATE};
    for (int attempt = 0;; ++attempt) {
        const auto start = clock::now();
        Result<SecureBuffer> kek = derive_passphrase_kek(passphrase, salt, kdf);
        OUTPOST_TRY(kek);
        const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - start);
        const auto ms = static_cast<std::uint64_t>(std::max<std::int64_t>(1, took.count()));
        const bool in_range = ms >= 500 && ms <= 1000;
        if (in_range || attempt == 2) {
            return CalibratedKek{std::move(*kek), kdf, took};
        }
        if (ms < 500) {
            kdf.opslimit = std::min<std::uint64_t>(kMaxOps, (kdf.opslimit * 750 + ms - 1) / ms);
        } else if (kdf.memlimit / 2 >= floor.memlimit) {
            kdf.memlimit /= 2;
        } else {
            kdf.opslimit = std::max(floor.opslimit, kdf.opslimit * 750 / ms);
        }
    }
}

Status wrap_slot(const Envelope& env, KeySlot& slot, const SecureBuffer& kek, const SecureBuffer& dek) {
    if (kek.size() != kKeySize || dek.size() != kKeySize) {
        return Status::error(errc::kInvalidArgument, "wrong key size");
    }
    randombytes_buf(slot.nonce.data(), slot.nonce.size());
    const std::vector<std::uint8_t> aad = slot_aad(env, slot);
    unsigned long long len = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(slot.wrapped.data(), &len, dek.data(), dek.size(), aad.data(),
                                               aad.size(), nullptr, slot.nonce.data(), kek.data());
    return Status::ok();
}

Result<SecureBuffer> unwrap_slot(const Envelope& env, const KeySlot& slot, const SecureBuffer& kek) {
    Result<SecureBuffer> dek = SecureBuffer::create(kKeySize);
    if (!dek.is_ok()) {
        return dek;
    }
    const std::vector<std::uint8_t> aad = slot_aad(env, slot);
    unsigned long long len = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(dek->data(), &len, nullptr, slot.wrapped.data(), slot.wrapped.size(),
                                                   aad.data(), aad.size(), slot.nonce.data(), kek.data()) != 0 ||
        len != kKeySize) {
        return Status::error(errc::kStorePassphraseWrong, "the key does not open this slot");
    }
    return dek;
}

int live_passphrase_slot(const Envelope& env) {
    int best = -1;
    for (int i = 0; i < 2; ++i) {
        if (env.slots[static_cast<std::size_t>(i)].kind == SlotKind::kPassphrase &&
            (best < 0 || env.slots[static_cast<std::size_t>(i)].seq > env.slots[static_cast<std::size_t>(best)].seq)) {
            best = i;
        }
    }
    return best;
}

std::string format_recovery_code(std::span<const std::uint8_t, 16> secret) {
    // 128 bits -> 26 base32 digits (the last carries 3 bits).
    std::string digits;
    std::uint32_t buffer = 0;
    int bits = 0;
    for (std::uint8_t b : secret) {
        buffer = (buffer << 8) | b;
        bits += 8;
        while (bits >= 5) {
            digits.push_back(kCrockford[(buffer >> (bits - 5)) & 31U]);
            bits -= 5;
        }
    }
    if (bits > 0) {
        digits.push_back(kCrockford[(buffer << (5 - bits)) & 31U]);
    }
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && i % 4 == 0) {
            out.push_back('-');
        }
        out.push_back(digits[i]);
    }
    return out;
}

Result<SecureBuffer> parse_recovery_code(std::string_view code) {
    Result<SecureBuffer> secret = SecureBuffer::create(16);
    if (!secret.is_ok()) {
        return secret;
    }
    std::uint32_t buffer = 0;
    int bits = 0;
    std::size_t out = 0;
    std::size_t digits = 0;
    for (char raw : code) {
        if (raw == '-' || raw == ' ') {
            continue;
        }
        char c = static_cast<char>(raw >= 'a' && raw <= 'z' ? raw - 'a' + 'A' : raw);
        if (c == 'I' || c == 'L') {
            c = '1';
        } else if (c == 'O') {
            c = '0';
        }
        const char* pos = std::strchr(kCrockford, c);
        if (pos == nullptr || c == '\0') {
            return Status::error(errc::kStoreRecoveryWrong, "the recovery code contains a character it cannot have");
        }
        ++digits;
        buffer = (buffer << 5) | static_cast<std::uint32_t>(pos - kCrockford);
        bits += 5;
        if (bits >= 8) {
            if (out < 16) {
                secret->data()[out] = static_cast<std::uint8_t>(buffer >> (bits - 8));
            }
            ++out;
            bits -= 8;
        }
    }
    if (digits != 26) {
        return Status::error(errc::kStoreRecoveryWrong, "a recovery code has 26 characters");
    }
    // The last digit carries 3 bits and two zeros: one spelling per code, so a mistyped last digit is
    // refused rather than opening the store as the digit it differs from only in those zeros.
    if ((buffer & ((1U << bits) - 1U)) != 0) {
        return Status::error(errc::kStoreRecoveryWrong, "the recovery code's last character is not one it can end in");
    }
    return secret;
}

Result<SecureBuffer> derive_recovery_kek(const SecureBuffer& secret, std::span<const std::uint8_t, 16> salt) {
    // The code carries 128 random bits, so a keyed hash is enough; Argon2 would add nothing.
    Result<SecureBuffer> kek = SecureBuffer::create(kKeySize);
    if (!kek.is_ok()) {
        return kek;
    }
    crypto_generichash(kek->data(), kKeySize, secret.data(), secret.size(), salt.data(), salt.size());
    return kek;
}

}  // namespace outpost::store
