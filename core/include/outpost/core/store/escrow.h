// Escrow: recovery codes held centrally by the service desk. The desk makes one X25519 key pair
// (libsodium crypto_box); its public half travels in each provisioning file ("escrow_key"), and a
// laptop enrolled with it seals its store's recovery code to that key (crypto_box_seal, an anonymous
// sealed box) in <profile folder>/recovery.sealed. Only the desk's secret key opens it: with the
// laptop in hand, the desk reads the code and unlocks the store (Store::open_with_recovery_code).
//
// Files (JSON, one object):
//   desk key     {"kind":"outpost-escrow-key","public":"<64 hex>","secret":"<64 hex>"}   keep it offline
//   sealed code  {"kind":"outpost-sealed-recovery","escrow_key":"<64 hex>","sealed":"<hex>"}
//
// Secrets: the secret key is held in a SecureBuffer; temporaries holding it or the code in ordinary
// memory are wiped with sodium_memzero before they are freed. The code returned by
// open_sealed_recovery is the caller's to wipe.
// Threads: pure functions. Failure: store.escrow.key_invalid for a key file or public key that is not
// one; store.escrow.open_failed for a sealed file made for another key, damaged or not one at all.
#pragma once

#include <string>
#include <string_view>

#include "outpost/core/secure_buffer.h"
#include "outpost/core/status.h"

namespace outpost::store {

struct EscrowKeys {
    std::string public_hex;  // 64 lower-case hex digits (crypto_box_PUBLICKEYBYTES)
    SecureBuffer secret;     // crypto_box_SECRETKEYBYTES
};

// A fresh desk key pair.
[[nodiscard]] Result<EscrowKeys> make_escrow_keys();
// The text of the desk's key file (it holds the secret key: written mode 0600 by its caller).
[[nodiscard]] std::string encode_escrow_key_file(const EscrowKeys& keys);
// Reads a key file back; the public half must belong to the secret half (store.escrow.key_invalid).
[[nodiscard]] Result<EscrowKeys> decode_escrow_key_file(std::string_view text);
// True for 64 hex digits: the form of "escrow_key" (store.escrow.key_invalid otherwise).
[[nodiscard]] Status check_escrow_public_key(std::string_view public_hex);

// The text of recovery.sealed: `code` sealed to the desk's public key.
[[nodiscard]] Result<std::string> seal_recovery_code(std::string_view code, std::string_view public_hex);
// The recovery code in a recovery.sealed text, opened with the desk's keys.
[[nodiscard]] Result<std::string> open_sealed_recovery(std::string_view sealed_file_text, const EscrowKeys& keys);

}  // namespace outpost::store
