// The provisioning file: round trip, the certificate pin, and files that must be refused.
#include "outpost/sync/provisioning.h"

#include <doctest/doctest.h>

#include "outpost/core/error_codes.h"

using namespace outpost;
using namespace outpost::sync;

namespace {

// PEM-armoured bytes shaped like a certificate. The pin covers the DER bytes, which this parser does not
// interpret as X.509 (TLS does that); cli/headless_sync pins a real openssl-made certificate.
constexpr const char* kPem = R"(-----BEGIN CERTIFICATE-----
MIIBfTCCASOgAwIBAgIUXbX1zxQkAZ1l5dDE7PbvHnQwfmIwCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJbG9jYWxob3N0MB4XDTI2MTEyMzA1MDAwMFoXDTM2MTEyMTA1
MDAwMFowFDESMBAGA1UEAwwJbG9jYWxob3N0MFkwEwYHKoZIzj0CAQYIKoZIzj0D
AQcDQgAEY3bX7m8zq3S4p5rO5iE8QwY0b4x3kC7dQxQm2lq0kQ8o8mY2wT3pD9nE
9K1mXvQ3aX5kq8n7rWwz8QFq8mJk4qNTMFEwHQYDVR0OBBYEFAAAAAAAAAAAAAAA
AAAAAAAAAAAAMB8GA1UdIwQYMBaAFAAAAAAAAAAAAAAAAAAAAAAAAAAAMA8GA1Ud
EwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIgAAAAAAAAAAAAAAAAAAAAAAAA
AAAAAAAAAAAAAAAAAAACIQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==
-----END CERTIFICATE-----
)";

}  // namespace

TEST_CASE("Provisioning: a file round-trips, and its certificate must match the pin") {
    auto fp = certificate_sha256(kPem);
    REQUIRE(fp.is_ok());
    CHECK(fp->size() == 64);
    Provisioning p{"https://outpost.example:8443", *fp, kPem, "ABCD-EFGH-JKMN-PQRS", "ann", "north", 1'800'000'000'000};
    auto back = decode_provisioning(encode(p));
    REQUIRE(back.is_ok());
    CHECK(*back == p);
    Provisioning wrong = p;
    wrong.ca_sha256[0] = wrong.ca_sha256[0] == '0' ? '1' : '0';
    auto refused = decode_provisioning(encode(wrong));
    REQUIRE_FALSE(refused.is_ok());
    CHECK(refused.status().code() == errc::kSyncPinMismatch);
}

TEST_CASE("Provisioning: files that are not usable are refused with sync.protocol.malformed") {
    Provisioning https_without_cert{"https://outpost.example", "", "", "CODE", "ann", "north", 0};
    Provisioning no_code{"http://127.0.0.1:8443", "", "", "", "ann", "north", 0};
    Provisioning ftp{"ftp://example", "", "", "CODE", "ann", "north", 0};
    for (const std::string& text :
         {encode(https_without_cert), encode(no_code), encode(ftp), std::string("not json"), std::string("[1,2]"),
          std::string(R"({"outpost_provisioning": 2, "server_url": "http://127.0.0.1", "code": "X"})"),
          std::string(R"({"outpost_provisioning": 1, "server_url": 5, "code": "X"})"), std::string(100'000, '['),
          std::string(R"({"outpost_provisioning": 1, "server_url": "https://x", "code": "X", "ca_sha256": "ab",
                          "ca_pem": "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----"})")}) {
        CAPTURE(text.substr(0, 60));
        auto r = decode_provisioning(text);
        REQUIRE_FALSE(r.is_ok());
        CHECK(r.status().code() == errc::kProtocolMalformed);
    }
    // Plain HTTP on this machine needs no certificate.
    auto local = decode_provisioning(encode(Provisioning{"http://127.0.0.1:8443", "", "", "CODE", "ann", "north", 0}));
    CHECK(local.is_ok());
}

TEST_CASE("Provisioning: regression - http:// was accepted for any host, sending codes and tokens in clear") {
    for (const char* url : {"http://outpost.example.org:8443", "http://10.0.0.5:8080", "http://127.evil.org",
                            "http://127.0.0.1.evil.org/", "http://[2001:db8::1]:80", "http://"}) {
        CAPTURE(url);
        auto p = decode_provisioning(encode(Provisioning{url, "", "", "CODE", "ann", "north", 0}));
        REQUIRE_FALSE(p.is_ok());
        CHECK(p.status().code() == errc::kProtocolMalformed);
    }
    for (const char* url :
         {"http://127.0.0.1:8443", "http://localhost:8080/", "http://[::1]:9000", "http://127.1.2.3"}) {
        CAPTURE(url);
        CHECK(decode_provisioning(encode(Provisioning{url, "", "", "CODE", "ann", "north", 0})).is_ok());
    }
}

TEST_CASE("Provisioning: a file is read as other tools write it: a byte-order mark, a key twice, NUL padding") {
    const std::string file = encode(Provisioning{"http://127.0.0.1:8443", "", "", "CODE", "ann", "north", 7});
    auto bom = decode_provisioning("\xef\xbb\xbf" + file);
    REQUIRE(bom.is_ok());
    CHECK(bom->code == "CODE");
    auto padded = decode_provisioning(file + std::string(16, '\0'));  // zeros after a crash
    REQUIRE(padded.is_ok());
    CHECK(padded->expires_ms == 7);
    std::string twice = file;
    twice.insert(twice.rfind('}'), R"(, "code": "LAST")");
    auto last = decode_provisioning(twice);
    REQUIRE(last.is_ok());
    CHECK(last->code == "LAST");  // a key named twice counts once, its last value
    for (const std::string& bad : {file.substr(0, file.size() / 2) + std::string(1, '\0') + "}",
                                   std::string(R"({"outpost_provisioning": 1, "x": 1e400, "code": "X"})")}) {
        CAPTURE(bad);
        CHECK(decode_provisioning(bad).status().code() == errc::kProtocolMalformed);
    }
}
