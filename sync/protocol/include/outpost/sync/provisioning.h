// The provisioning file: what a laptop needs to enrol with the central service, written by
// `outpost-server enroll` and read by `outpost enroll`. It holds the server URL, the server's
// certificate and its SHA-256 fingerprint (the pin), a one-time enrolment code, the user and team,
// and when the code expires. The code is the only secret, and it is single-use.
//
// Two optional members: "escrow_key", the service desk's X25519 public key (64 hex) to which the
// laptop seals its recovery code, and "signature", the server's Ed25519 detached signature (128 hex)
// over provisioning_signed_bytes(): "outpost-provisioning-v1\n" followed by the file's JSON object
// without "signature", keys sorted, with no whitespace (nlohmann::json's dump()). A laptop checks
// it with verify_provisioning_signature against the key GET /v1/server-key gives over the pinned
// connection, so a file whose URL, team, code or escrow key was changed is refused.
//
// Thread-safety: pure functions.
// Failure: sync.protocol.malformed for a file that is not a provisioning file (naming the problem);
// sync.tls.pin_mismatch when the certificate does not match its fingerprint; sync.provisioning.unsigned
// and sync.provisioning.signature_invalid from verify_provisioning_signature.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "outpost/core/status.h"

namespace outpost::sync {

struct Provisioning {
    std::string server_url;
    std::string ca_sha256;  // lowercase hex SHA-256 of the certificate's DER; empty for plain loopback HTTP
    std::string ca_pem;     // the server's certificate (public); empty for plain loopback HTTP
    std::string code;
    std::string user;
    std::string team;
    std::int64_t expires_ms = 0;
    std::string escrow_key;  // lowercase hex X25519 public key (64); empty: no escrow
    std::string signature;   // lowercase hex Ed25519 signature (128); empty: unsigned
    friend bool operator==(const Provisioning&, const Provisioning&) = default;
};

// The file's text: every member, "escrow_key" and "signature" only when set.
[[nodiscard]] std::string encode(const Provisioning& p);
// An https URL needs the certificate and its pin, and they must match. "escrow_key" and
// "signature", when present, must be lowercase hex of 64 and 128 digits.
[[nodiscard]] Result<Provisioning> decode_provisioning(std::string_view json);

// The bytes the server signs: "outpost-provisioning-v1\n" + the JSON object encode() writes,
// without "signature", dumped compact with sorted keys.
[[nodiscard]] std::string provisioning_signed_bytes(const Provisioning& p);
// Signs `p` with the server's Ed25519 secret key (crypto_sign, 64 bytes): sets p.signature.
// core.argument.invalid for a key of another size.
[[nodiscard]] Status sign_provisioning(Provisioning& p, std::span<const std::uint8_t> secret_key);
// Checks p.signature against the server's Ed25519 public key (64 hex): ok when it signs
// provisioning_signed_bytes(p); sync.provisioning.unsigned when the file has no signature;
// sync.provisioning.signature_invalid when it does not verify (or the key is not 64 hex).
[[nodiscard]] Status verify_provisioning_signature(const Provisioning& p, std::string_view signing_key_hex);

// True for 127.0.0.0/8, ::1 (bare or in brackets) and "localhost": the hosts plain HTTP may reach.
[[nodiscard]] bool is_loopback_host(std::string_view host);

// Lowercase hex SHA-256 of the DER bytes of the first certificate in `pem`.
[[nodiscard]] Result<std::string> certificate_sha256(std::string_view pem);

}  // namespace outpost::sync
