// The account rules both storage back ends apply (sqlite_accounts.cpp, pg/src/pg_accounts.cpp): which
// names and roles are taken, what an enrolment code must be to be redeemed, what a new device is
// given, the audit log's words for it, and the Status, code and message, of every refusal. A back
// end only finds out which case it is in (a row missing, a key taken) and returns the rule's Status.
//
// Internal to outpost_sync_server and outpost_sync_server_pg. Threads: functions without state
// (new_device reads libsodium's CSPRNG, which is thread-safe). Failure: the Status each returns.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "outpost/core/status.h"
#include "outpost/sync/server_storage.h"

namespace outpost::sync::accounts {

// The audit log's events and the actor of the administrator's commands.
inline constexpr std::string_view kEventEnrolled = "device.enrolled";
inline constexpr std::string_view kEventEnrolRefused = "enroll.refused";
inline constexpr std::string_view kEventRevoked = "device.revoked";
inline constexpr std::string_view kEventWiped = "device.wiped";  // revoked with wipe, or a revocation upgraded
inline constexpr std::string_view kEventRenewed = "token.renewed";
inline constexpr std::string_view kEventUserDisabled = "user.disabled";
inline constexpr std::string_view kEventUserEnabled = "user.enabled";
inline constexpr std::string_view kEventUserRole = "user.role";    // detail "NAME: OLD -> NEW"
inline constexpr std::string_view kEventUserMoved = "user.moved";  // detail "NAME: OLD -> NEW"
inline constexpr std::string_view kAdminActor = "admin";
// The actor of a refused enrolment whose code names nobody.
inline constexpr std::string_view kUnknownActor = "-";

// Codes are read off paper or a screen: case and dashes do not matter, and I/L/O read as 1/1/0.
[[nodiscard]] std::string normalise_code(std::string_view code);
// 80 random bits as 16 Crockford base32 characters, in four dash-separated groups of four.
[[nodiscard]] std::string new_enrolment_code();
// BLAKE2b-256 of a secret: all the server ever stores of a token or a code.
[[nodiscard]] std::string secret_hash(std::string_view secret);
// What is stored of an enrolment code as typed: secret_hash(normalise_code(code)).
[[nodiscard]] std::string code_hash(std::string_view code);

// The one rule for team and user names: a-z, 0-9, '_', '-' and '.', 1 to 64 of them, starting with a
// letter or digit (so never ".", ".." or an option such as "-rf": they name folders and files).
[[nodiscard]] bool valid_name(const std::string& s);
// kRoleWorker, kRoleLead or kRoleAdmin.
[[nodiscard]] bool valid_role(std::string_view role);

// server.account.invalid unless `name` is a valid team name; ok otherwise.
[[nodiscard]] Status check_team(const std::string& name);
// server.account.invalid unless `name` is a valid name and `role` a role; ok otherwise.
[[nodiscard]] Status check_user(const std::string& name, std::string_view role);
// A code found and not used yet, before it expires: ok; else sync.enroll.code_used or code_expired.
[[nodiscard]] Status check_code(bool used, std::int64_t expires_ms, std::int64_t now_ms);

// The refusals, as both back ends word them.
[[nodiscard]] Status team_exists(const std::string& team);           // server.account.exists
[[nodiscard]] Status user_exists(const std::string& user);           // server.account.exists
[[nodiscard]] Status no_team(const std::string& team);               // server.account.not_found
[[nodiscard]] Status no_user(const std::string& user);               // server.account.not_found
[[nodiscard]] Status no_device(const std::string& device_id);        // server.account.not_found
[[nodiscard]] Status already_revoked(const std::string& device_id);  // server.device.already_revoked
[[nodiscard]] Status no_such_code();                                 // sync.enroll.code_invalid
[[nodiscard]] Status unknown_token();                                // sync.auth.invalid
[[nodiscard]] Status revoked(const std::string& device_id);          // sync.auth.revoked
[[nodiscard]] Status user_disabled(const std::string& user);         // server.account.disabled (enrolment)

// What authenticate() finds behind a token, and the refusal for it: sync.auth.wiped, revoked,
// disabled, expired, in that order (the first that applies); ok when the token may be used.
struct TokenState {
    std::string device_id;
    bool revoked = false;
    bool wipe = false;
    bool user_disabled = false;
    std::int64_t expires_ms = 0;
};
[[nodiscard]] Status check_token(const TokenState& t, std::int64_t now_ms);

// "NAME: OLD -> NEW", the audit detail of a change to a user.
[[nodiscard]] std::string change_detail(std::string_view user, std::string_view from, std::string_view to);

// A fresh Ed25519 key pair (crypto_sign_keypair): 32 public and 64 secret raw bytes; both empty when
// libsodium cannot start.
struct RawKeyPair {
    std::string public_key;
    std::string secret_key;  // the caller wipes it (sodium_memzero) once stored
};
[[nodiscard]] RawKeyPair new_signing_key();

// A new device for the account an enrolment code names: a fresh id and token (Enrolment::token is
// returned once; the back end stores secret_hash(token)), and the name it gave, cut to 128 bytes of
// valid UTF-8 as it is stored.
struct NewDevice {
    Enrolment enrolment;
    std::string stored_name;
};
[[nodiscard]] NewDevice new_device(std::string user, std::string team, std::string role, std::string_view device_name);

}  // namespace outpost::sync::accounts
