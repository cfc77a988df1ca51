// The provisioning file: round trip, the certificate pin, and files that must be refused.
#include "outpost/sync/provisioning.h"

#include <doctest/doctest.h>
#include <sodium.h>

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

namespace {

// A provisioning file signed as the server signs it (libsodium Ed25519 over provisioning_signed_bytes).
struct Signer {
    unsigned char pk[crypto_sign_PUBLICKEYBYTES] = {};
    unsigned char sk[crypto_sign_SECRETKEYBYTES] = {};
    Signer() {
        REQUIRE(sodium_init() >= 0);
        crypto_sign_keypair(pk, sk);
    }
    [[nodiscard]] std::string public_hex() const {
        char hex[sizeof pk * 2 + 1];
        sodium_bin2hex(hex, sizeof hex, pk, sizeof pk);
        return hex;
    }
    void sign(Provisioning& p) const {
        const std::string bytes = provisioning_signed_bytes(p);
        unsigned char sig[crypto_sign_BYTES];
        crypto_sign_detached(sig, nullptr, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), sk);
        char hex[sizeof sig * 2 + 1];
        sodium_bin2hex(hex, sizeof hex, sig, sizeof sig);
        p.signature = hex;
    }
};

const std::string kEscrow(64, 'e');

}  // namespace

TEST_CASE("Provisioning: a signed file verifies with the server's key; one changed byte of any member fails") {
    Signer server;
    Provisioning p{"http://127.0.0.1:8443", "", "", "ABCD-EFGH-JKMN-PQRS", "ann", "north", 1'800'000'000'000};
    p.escrow_key = kEscrow;
    server.sign(p);
    CHECK(p.signature.size() == 128);
    // What is signed: the tag, then the object without its signature, keys sorted, no whitespace.
    CHECK(provisioning_signed_bytes(p) ==
          "outpost-provisioning-v1\n{\"ca_pem\":\"\",\"ca_sha256\":\"\",\"code\":\"ABCD-EFGH-JKMN-PQRS\","
          "\"escrow_key\":\"" +
              kEscrow +
              "\",\"expires_ms\":1800000000000,\"outpost_provisioning\":1,\"server_url\":\"http://127.0.0.1:8443\","
              "\"team\":\"north\",\"user\":\"ann\"}");
    auto file = decode_provisioning(encode(p));
    REQUIRE(file.is_ok());
    CHECK(*file == p);
    CHECK(verify_provisioning_signature(*file, server.public_hex()).is_ok());

    auto flip = [](std::string& s) { s.back() = s.back() == '1' ? '2' : '1'; };
    for (std::string Provisioning::*member : {&Provisioning::server_url, &Provisioning::team, &Provisioning::code,
                                              &Provisioning::escrow_key, &Provisioning::user}) {
        Provisioning changed = *file;
        flip(changed.*member);
        CAPTURE(changed.*member);
        auto read = decode_provisioning(encode(changed));
        REQUIRE(read.is_ok());
        CHECK(verify_provisioning_signature(*read, server.public_hex()).code() == errc::kProvisioningSignature);
    }
    Provisioning later = *file;
    later.expires_ms += 1;
    CHECK(verify_provisioning_signature(later, server.public_hex()).code() == errc::kProvisioningSignature);
    Provisioning no_escrow = *file;
    no_escrow.escrow_key.clear();  // an escrow key taken out is a change too
    CHECK(verify_provisioning_signature(no_escrow, server.public_hex()).code() == errc::kProvisioningSignature);

    Signer other;
    CHECK(verify_provisioning_signature(*file, other.public_hex()).code() == errc::kProvisioningSignature);
    CHECK(verify_provisioning_signature(*file, "not a key").code() == errc::kProvisioningSignature);
    Provisioning bare = *file;
    bare.signature.clear();
    CHECK(verify_provisioning_signature(bare, server.public_hex()).code() == errc::kProvisioningUnsigned);
    // An unsigned file (as earlier servers wrote them) still reads; only the check says it is unsigned.
    auto old = decode_provisioning(encode(bare));
    REQUIRE(old.is_ok());
    CHECK(encode(bare).find("signature") == std::string::npos);
    CHECK(verify_provisioning_signature(*old, server.public_hex()).code() == errc::kProvisioningUnsigned);
}

TEST_CASE("Provisioning: escrow_key and signature must be lowercase hex of their lengths") {
    Provisioning p{"http://127.0.0.1:8443", "", "", "CODE", "ann", "north", 0};
    for (const auto& [escrow, signature] : {std::pair<std::string, std::string>{std::string(63, 'a'), ""},
                                            {std::string(64, 'A'), ""},
                                            {std::string(64, 'g'), ""},
                                            {"", std::string(127, '0')},
                                            {"", std::string(128, 'x')},
                                            {"", std::string(130, '0')}}) {
        Provisioning bad = p;
        bad.escrow_key = escrow;
        bad.signature = signature;
        auto r = decode_provisioning(encode(bad));
        REQUIRE_FALSE(r.is_ok());
        CHECK(r.status().code() == errc::kProtocolMalformed);
    }
    auto text = decode_provisioning(R"({"outpost_provisioning": 1, "server_url": "http://127.0.0.1", "code": "X",
                                        "escrow_key": 5})");
    REQUIRE_FALSE(text.is_ok());
    CHECK(text.status().code() == errc::kProtocolMalformed);
}
