#include "outpost/sync/provisioning.h"

#include <sodium.h>

#include <nlohmann/json.hpp>
#include <vector>

#include "json_reader.h"
#include "outpost/core/error_codes.h"
#include "outpost/sync/messages.h"
#include "outpost/sync/sync_messages.h"

namespace outpost::sync {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxFileBytes = 64U * 1024U;

Status malformed(const std::string& what) {
    return Status::error(errc::kProtocolMalformed, "not a usable provisioning file: " + what);
}

// The file's object without "signature" (what is signed).
json unsigned_object(const Provisioning& p) {
    json j = {{"outpost_provisioning", 1},
              {"server_url", p.server_url},
              {"ca_sha256", p.ca_sha256},
              {"ca_pem", p.ca_pem},
              {"code", p.code},
              {"user", p.user},
              {"team", p.team},
              {"expires_ms", p.expires_ms}};
    if (!p.escrow_key.empty()) {
        j["escrow_key"] = p.escrow_key;
    }
    return j;
}

bool lower_hex(std::string_view s, std::size_t digits) {
    return s.size() == digits && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

// `digits` hex digits as bytes; false when they are not.
bool from_hex(std::string_view hex, std::size_t digits, std::vector<unsigned char>& out) {
    if (!lower_hex(hex, digits)) {
        return false;
    }
    out.resize(digits / 2);
    std::size_t n = 0;
    return sodium_hex2bin(out.data(), out.size(), hex.data(), hex.size(), nullptr, &n, nullptr) == 0 && n == out.size();
}

}  // namespace

std::string encode(const Provisioning& p) {
    json j = unsigned_object(p);
    if (!p.signature.empty()) {
        j["signature"] = p.signature;
    }
    return j.dump(2) + "\n";
}

std::string provisioning_signed_bytes(const Provisioning& p) {
    return "outpost-provisioning-v1\n" + unsigned_object(p).dump();
}

Status sign_provisioning(Provisioning& p, std::span<const std::uint8_t> secret_key) {
    if (sodium_init() < 0 || secret_key.size() != crypto_sign_SECRETKEYBYTES) {
        return Status::error(errc::kInvalidArgument, "the signing key is not an Ed25519 secret key");
    }
    p.signature.clear();
    const std::string bytes = provisioning_signed_bytes(p);
    unsigned char sig[crypto_sign_BYTES];
    crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                         secret_key.data());
    char hex[sizeof sig * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, sig, sizeof sig);
    p.signature = hex;
    return Status::ok();
}

Status verify_provisioning_signature(const Provisioning& p, std::string_view signing_key_hex) {
    if (p.signature.empty()) {
        return Status::error(errc::kProvisioningUnsigned,
                             "this provisioning file is not signed by the server; ask IT for a new one");
    }
    std::vector<unsigned char> key;
    std::vector<unsigned char> sig;
    if (sodium_init() < 0 || !from_hex(signing_key_hex, crypto_sign_PUBLICKEYBYTES * 2, key) ||
        !from_hex(p.signature, crypto_sign_BYTES * 2, sig)) {
        return Status::error(errc::kProvisioningSignature, "the provisioning file's signature cannot be checked");
    }
    const std::string bytes = provisioning_signed_bytes(p);
    if (crypto_sign_verify_detached(sig.data(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                                    key.data()) != 0) {
        return Status::error(errc::kProvisioningSignature,
                             "the provisioning file was changed after the server signed it, or another server "
                             "signed it; ask IT for a new one");
    }
    return Status::ok();
}

Result<std::string> certificate_sha256(std::string_view pem) {
    constexpr std::string_view kBegin = "-----BEGIN CERTIFICATE-----";
    constexpr std::string_view kEnd = "-----END CERTIFICATE-----";
    const std::size_t b = pem.find(kBegin);
    const std::size_t e = b == std::string_view::npos ? b : pem.find(kEnd, b);
    if (b == std::string_view::npos || e == std::string_view::npos) {
        return Status::error(errc::kProtocolMalformed, "no PEM certificate found");
    }
    const std::string_view body = pem.substr(b + kBegin.size(), e - b - kBegin.size());
    std::vector<unsigned char> der(body.size());
    std::size_t der_len = 0;
    if (sodium_base642bin(der.data(), der.size(), body.data(), body.size(), " \t\r\n", &der_len, nullptr,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        der_len == 0) {
        return Status::error(errc::kProtocolMalformed, "the PEM certificate is not valid base64");
    }
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, der.data(), der_len);
    char hex[sizeof h * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    return std::string(hex);
}

namespace {

// "http://HOST[:PORT][/...]" names this machine.
bool loopback_url(std::string_view url) {
    std::string_view host = url.substr(url.find("://") + 3);
    host = host.substr(0, host.find_first_of("/?#"));
    host = !host.empty() && host.front() == '[' ? host.substr(0, host.find(']') + 1) : host.substr(0, host.find(':'));
    return is_loopback_host(host);
}

}  // namespace

bool is_loopback_host(std::string_view host) {
    if (host == "localhost" || host == "::1" || host == "[::1]") {
        return true;
    }
    if (host.rfind("127.", 0) != 0) {
        return false;
    }
    int dots = 0;
    for (char c : host) {
        if (c == '.') {
            ++dots;
        } else if (c < '0' || c > '9') {
            return false;
        }
    }
    return dots == 3;
}

Result<Provisioning> decode_provisioning(std::string_view text) {
    if (text.size() > kMaxFileBytes || !json_depth_within(text)) {
        return malformed("too large or too deeply nested");
    }
    // Read as written by hand or by other tools: a key named twice counts once, its last value, and
    // the file ends at a NUL byte (one padded with zeros after a crash still reads).
    Result<std::vector<JsonMember>> j = read_object(text.substr(0, text.find('\0')), "the file");
    if (!j.is_ok()) {
        return malformed("not a JSON object");
    }
    const JsonMember* version = find_member(*j, "outpost_provisioning");
    std::int64_t number = 0;
    if (version == nullptr || !json_integer(version->value, number) || static_cast<int>(number) != 1) {
        return malformed("'outpost_provisioning' must be 1");
    }
    Provisioning p;
    for (const auto& [key, out] : {std::pair<const char*, std::string*>{"server_url", &p.server_url},
                                   {"ca_sha256", &p.ca_sha256},
                                   {"ca_pem", &p.ca_pem},
                                   {"code", &p.code},
                                   {"user", &p.user},
                                   {"team", &p.team},
                                   {"escrow_key", &p.escrow_key},
                                   {"signature", &p.signature}}) {
        const JsonMember* m = find_member(*j, key);
        if (m == nullptr) {
            continue;
        }
        if (!json_string(m->value, *out)) {
            return malformed(std::string("'") + key + "' must be text");
        }
    }
    if (const JsonMember* m = find_member(*j, "expires_ms"); m != nullptr && json_integer(m->value, number)) {
        p.expires_ms = number;
    }
    if (p.code.empty() || p.code.size() > kMaxIdBytes) {
        return malformed("no enrolment code");
    }
    if (!p.escrow_key.empty() && !lower_hex(p.escrow_key, 64)) {
        return malformed("'escrow_key' must be 64 lowercase hex digits");
    }
    if (!p.signature.empty() && !lower_hex(p.signature, 128)) {
        return malformed("'signature' must be 128 lowercase hex digits");
    }
    const bool https = p.server_url.rfind("https://", 0) == 0;
    if (!https && p.server_url.rfind("http://", 0) != 0) {
        return malformed("'server_url' must start with https:// (or http:// on this machine only)");
    }
    if (!https && !loopback_url(p.server_url)) {
        // Plain HTTP would send the enrolment code, and later the device token and every record,
        // in clear: only to a server on this machine.
        return malformed("'server_url' may use http:// only for a server on this machine (127.0.0.1)");
    }
    if (https || !p.ca_pem.empty()) {
        if (p.ca_pem.empty() || p.ca_sha256.empty()) {
            return malformed("an https server needs its certificate and fingerprint");
        }
        Result<std::string> actual = certificate_sha256(p.ca_pem);
        OUTPOST_TRY(actual);
        if (*actual != p.ca_sha256) {
            return Status::error(errc::kSyncPinMismatch, "the certificate in the file does not match its fingerprint");
        }
    }
    return p;
}

}  // namespace outpost::sync
