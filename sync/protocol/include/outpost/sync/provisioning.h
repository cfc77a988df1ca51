// The provisioning file: what a laptop needs to enrol with the central service, written by
// `outpost-server enroll` and read by `outpost enroll`. It holds the server URL, the server's
// certificate and its SHA-256 fingerprint (the pin), a one-time enrolment code, the user and team,
// and when the code expires. The code is the only secret, and it is single-use.
//
// Thread-safety: pure functions.
// Failure: sync.protocol.malformed for a file that is not a provisioning file (naming the problem);
// sync.tls.pin_mismatch when the certificate does not match its fingerprint.
#pragma once

#include <cstdint>
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
    friend bool operator==(const Provisioning&, const Provisioning&) = default;
};

[[nodiscard]] std::string encode(const Provisioning& p);
// An https URL needs the certificate and its pin, and they must match.
[[nodiscard]] Result<Provisioning> decode_provisioning(std::string_view json);

// True for 127.0.0.0/8, ::1 (bare or in brackets) and "localhost": the hosts plain HTTP may reach.
[[nodiscard]] bool is_loopback_host(std::string_view host);

// Lowercase hex SHA-256 of the DER bytes of the first certificate in `pem`.
[[nodiscard]] Result<std::string> certificate_sha256(std::string_view pem);

}  // namespace outpost::sync
