#include "outpost/core/store/escrow.h"

#include <sodium.h>

#include <array>
#include <cstdint>
#include <vector>

#include "outpost/core/digest.h"
#include "outpost/core/error_codes.h"
#include "outpost/core/json.h"
#include "outpost/core/store/envelope.h"

namespace outpost::store {
namespace {

constexpr std::string_view kKeyKind = "outpost-escrow-key";
constexpr std::string_view kSealedKind = "outpost-sealed-recovery";
// A recovery code is 26 characters and 5 dashes; a sealed one is never much longer.
constexpr std::size_t kMaxSealedBytes = 256;

Status key_invalid(const std::string& why) {
    return Status::error(errc::kEscrowKeyInvalid, "not a service desk escrow key: " + why);
}

Status open_failed(const std::string& why) {
    return Status::error(errc::kEscrowOpenFailed, why);
}

// Exactly `out.size()` bytes from 2 * out.size() hex digits.
bool hex_to_bytes(std::string_view hex, std::span<std::uint8_t> out) {
    if (hex.size() != out.size() * 2) {
        return false;
    }
    std::size_t written = 0;
    return sodium_hex2bin(out.data(), out.size(), hex.data(), hex.size(), nullptr, &written, nullptr) == 0 &&
           written == out.size();
}

// The text member `key` of a JSON object, or nullptr.
const json::Value* text_member(const json::Value& v, std::string_view key) {
    const json::Value* m = v.find(key);
    return m != nullptr && m->type == json::Value::Type::kText ? m : nullptr;
}

void wipe(std::string& s) {
    sodium_memzero(s.data(), s.size());
    s.clear();
}

}  // namespace

Status check_escrow_public_key(std::string_view public_hex) {
    std::array<std::uint8_t, crypto_box_PUBLICKEYBYTES> pk{};
    if (!hex_to_bytes(public_hex, pk)) {
        return key_invalid("\"escrow_key\" must be " + std::to_string(crypto_box_PUBLICKEYBYTES * 2) + " hex digits");
    }
    return Status::ok();
}

Result<EscrowKeys> make_escrow_keys() {
    if (sodium_init() < 0) {
        return Status::error(errc::kInternal, "libsodium failed to initialise");
    }
    Result<SecureBuffer> secret = SecureBuffer::create(crypto_box_SECRETKEYBYTES);
    OUTPOST_TRY(secret);
    std::array<std::uint8_t, crypto_box_PUBLICKEYBYTES> pk{};
    if (crypto_box_keypair(pk.data(), secret->data()) != 0) {
        return Status::error(errc::kInternal, "libsodium could not make a key pair");
    }
    return EscrowKeys{to_hex(pk.data(), pk.size()), std::move(*secret)};
}

std::string encode_escrow_key_file(const EscrowKeys& keys) {
    std::string secret_hex(keys.secret.size() * 2 + 1, '\0');
    sodium_bin2hex(secret_hex.data(), secret_hex.size(), keys.secret.data(), keys.secret.size());
    secret_hex.pop_back();
    std::string out = "{\"kind\":";
    json::append_quoted(out, kKeyKind);
    out += ",\"public\":";
    json::append_quoted(out, keys.public_hex);
    out += ",\"secret\":";
    json::append_quoted(out, secret_hex);
    out += "}\n";
    wipe(secret_hex);
    return out;
}

Result<EscrowKeys> decode_escrow_key_file(std::string_view text) {
    if (text.size() > 4096) {
        return key_invalid("the file is too long");
    }
    Result<json::Value> doc = json::parse(text);
    if (!doc.is_ok() || doc->type != json::Value::Type::kObject) {
        return key_invalid("the file is not a JSON object");
    }
    const json::Value* kind = text_member(*doc, "kind");
    const json::Value* pub = text_member(*doc, "public");
    json::Value* secret_hex = nullptr;  // wiped once read, so the secret leaves no copy behind
    for (json::Member& m : doc->members) {
        if (m.key == "secret" && m.value.type == json::Value::Type::kText) {
            secret_hex = &m.value;
        }
    }
    auto wipe_doc = [&] {
        if (secret_hex != nullptr) {
            wipe(secret_hex->text);
        }
    };
    if (kind == nullptr || kind->text != kKeyKind || pub == nullptr || secret_hex == nullptr) {
        wipe_doc();
        return key_invalid("it needs \"kind\":\"outpost-escrow-key\", \"public\" and \"secret\"");
    }
    Result<SecureBuffer> secret = SecureBuffer::create(crypto_box_SECRETKEYBYTES);
    if (!secret.is_ok()) {
        wipe_doc();
        return secret.status();
    }
    const bool read = hex_to_bytes(secret_hex->text, secret->writable());
    wipe_doc();
    std::array<std::uint8_t, crypto_box_PUBLICKEYBYTES> pk{};
    if (!read || !hex_to_bytes(pub->text, pk)) {
        return key_invalid("\"public\" and \"secret\" must be 64 hex digits each");
    }
    std::array<std::uint8_t, crypto_box_PUBLICKEYBYTES> derived{};
    if (crypto_scalarmult_base(derived.data(), secret->data()) != 0 ||
        sodium_memcmp(derived.data(), pk.data(), pk.size()) != 0) {
        return key_invalid("its public key does not belong to its secret key");
    }
    return EscrowKeys{to_hex(pk.data(), pk.size()), std::move(*secret)};
}

Result<std::string> seal_recovery_code(std::string_view code, std::string_view public_hex) {
    if (sodium_init() < 0) {
        return Status::error(errc::kInternal, "libsodium failed to initialise");
    }
    std::array<std::uint8_t, crypto_box_PUBLICKEYBYTES> pk{};
    if (!hex_to_bytes(public_hex, pk)) {
        return key_invalid("\"escrow_key\" must be 64 hex digits");
    }
    if (code.empty() || code.size() + crypto_box_SEALBYTES > kMaxSealedBytes) {
        return Status::error(errc::kInvalidArgument, "a recovery code to seal must be 1 to 200 characters");
    }
    std::vector<std::uint8_t> sealed(code.size() + crypto_box_SEALBYTES);
    if (crypto_box_seal(sealed.data(), reinterpret_cast<const std::uint8_t*>(code.data()), code.size(), pk.data()) !=
        0) {
        return Status::error(errc::kInternal, "libsodium could not seal the recovery code");
    }
    std::string out = "{\"kind\":";
    json::append_quoted(out, kSealedKind);
    out += ",\"escrow_key\":";
    json::append_quoted(out, to_hex(pk.data(), pk.size()));
    out += ",\"sealed\":";
    json::append_quoted(out, to_hex(sealed.data(), sealed.size()));
    out += "}\n";
    return out;
}

Result<std::string> open_sealed_recovery(std::string_view sealed_file_text, const EscrowKeys& keys) {
    if (sodium_init() < 0) {
        return Status::error(errc::kInternal, "libsodium failed to initialise");
    }
    if (sealed_file_text.size() > 4096) {
        return open_failed("that is not a sealed recovery file (it is too long)");
    }
    Result<json::Value> doc = json::parse(sealed_file_text);
    const json::Value* kind = doc.is_ok() ? text_member(*doc, "kind") : nullptr;
    const json::Value* key = doc.is_ok() ? text_member(*doc, "escrow_key") : nullptr;
    const json::Value* sealed_hex = doc.is_ok() ? text_member(*doc, "sealed") : nullptr;
    if (kind == nullptr || kind->text != kSealedKind || key == nullptr || sealed_hex == nullptr) {
        return open_failed("that is not a sealed recovery file (recovery.sealed)");
    }
    if (key->text != keys.public_hex) {
        return open_failed("this recovery code was sealed for another service desk key (" + key->text.substr(0, 16) +
                           "...), not this one (" + keys.public_hex.substr(0, 16) + "...)");
    }
    const std::size_t n = sealed_hex->text.size() / 2;
    if (n <= crypto_box_SEALBYTES || n > kMaxSealedBytes) {
        return open_failed("the sealed recovery code is damaged (wrong length)");
    }
    std::vector<std::uint8_t> sealed(n);
    std::array<std::uint8_t, crypto_box_PUBLICKEYBYTES> pk{};
    if (!hex_to_bytes(sealed_hex->text, sealed) || !hex_to_bytes(keys.public_hex, pk)) {
        return open_failed("the sealed recovery code is damaged (not hex)");
    }
    Result<SecureBuffer> plain = SecureBuffer::create(n - crypto_box_SEALBYTES);
    OUTPOST_TRY(plain);
    if (crypto_box_seal_open(plain->data(), sealed.data(), sealed.size(), pk.data(), keys.secret.data()) != 0) {
        return open_failed("this service desk key does not open the sealed recovery code, or the file was changed");
    }
    std::string code(reinterpret_cast<const char*>(plain->data()), plain->size());
    // What was sealed must be a recovery code: anything else was not made by Outpost.
    if (!parse_recovery_code(code).is_ok()) {
        wipe(code);
        return open_failed("the sealed file does not hold a recovery code");
    }
    return code;
}

}  // namespace outpost::store
