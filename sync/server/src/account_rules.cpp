#include "account_rules.h"

#include <sodium.h>

#include <algorithm>

#include "outpost/core/error_codes.h"
#include "outpost/core/json.h"
#include "storage_common.h"

namespace outpost::sync::accounts {
namespace {
constexpr char kCrockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
}

std::string normalise_code(std::string_view code) {
    std::string out;
    for (char raw : code) {
        if (raw == '-' || raw == ' ') {
            continue;
        }
        char c = static_cast<char>(raw >= 'a' && raw <= 'z' ? raw - 'a' + 'A' : raw);
        c = (c == 'I' || c == 'L') ? '1' : (c == 'O' ? '0' : c);
        out.push_back(c);
    }
    return out;
}

std::string new_enrolment_code() {
    unsigned char raw[10];
    randombytes_buf(raw, sizeof raw);
    std::string code;
    std::uint32_t buffer = 0;
    int bits = 0;
    for (unsigned char b : raw) {
        buffer = (buffer << 8) | b;
        bits += 8;
        while (bits >= 5) {
            code.push_back(kCrockford[(buffer >> (bits - 5)) & 31U]);
            bits -= 5;
        }
    }
    sodium_memzero(raw, sizeof raw);
    return code.substr(0, 4) + "-" + code.substr(4, 4) + "-" + code.substr(8, 4) + "-" + code.substr(12, 4);
}

std::string secret_hash(std::string_view secret) {
    std::string h(32, '\0');
    crypto_generichash(reinterpret_cast<unsigned char*>(h.data()), h.size(),
                       reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), nullptr, 0);
    return h;
}

std::string code_hash(std::string_view code) {
    return secret_hash(normalise_code(code));
}

bool valid_name(const std::string& s) {
    auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
    return !s.empty() && s.size() <= 64 && alnum(s.front()) &&
           std::all_of(s.begin(), s.end(), [&](char c) { return alnum(c) || c == '_' || c == '-' || c == '.'; });
}

bool valid_role(std::string_view role) {
    return role == kRoleWorker || role == kRoleLead || role == kRoleAdmin;
}

Status check_team(const std::string& name) {
    if (!valid_name(name)) {
        return Status::error(errc::kAccountInvalid,
                             "team names use a-z, 0-9, '_', '-' and '.', up to 64, and start with a letter or digit");
    }
    return Status::ok();
}

Status check_user(const std::string& name, std::string_view role) {
    if (!valid_name(name) || !valid_role(role)) {
        return Status::error(errc::kAccountInvalid, "a user needs a valid name and a role: worker, lead or admin");
    }
    return Status::ok();
}

Status check_code(bool used, std::int64_t expires_ms, std::int64_t now_ms) {
    if (used) {
        return Status::error(errc::kEnrolCodeUsed, "this enrolment code was already used");
    }
    if (expires_ms <= now_ms) {
        return Status::error(errc::kEnrolCodeExpired, "this enrolment code has expired");
    }
    return Status::ok();
}

Status team_exists(const std::string& team) {
    return Status::error(errc::kAccountExists, "team '" + team + "' already exists");
}

Status user_exists(const std::string& user) {
    return Status::error(errc::kAccountExists, "user '" + user + "' already exists");
}

Status no_team(const std::string& team) {
    return Status::error(errc::kAccountMissing, "no team '" + team + "'");
}

Status no_user(const std::string& user) {
    return Status::error(errc::kAccountMissing, "no user '" + user + "'");
}

Status no_device(const std::string& device_id) {
    return Status::error(errc::kAccountMissing, "no device '" + device_id + "'");
}

Status already_revoked(const std::string& device_id) {
    return Status::error(errc::kDeviceAlreadyRevoked, "device '" + device_id + "' was already revoked");
}

Status no_such_code() {
    return Status::error(errc::kEnrolCodeInvalid, "no such enrolment code");
}

Status unknown_token() {
    return Status::error(errc::kAuthInvalid, "unknown device token");
}

Status revoked(const std::string& device_id) {
    return Status::error(errc::kAuthRevoked, "device " + device_id + " was revoked");
}

Status user_disabled(const std::string& user) {
    return Status::error(errc::kAccountDisabled, "user '" + user + "' is disabled (outpost-server user enable " + user +
                                                     " to let them enrol or sync again)");
}

Status check_token(const TokenState& t, std::int64_t now_ms) {
    if (t.revoked && t.wipe) {
        return Status::error(errc::kAuthWiped, "device " + t.device_id + " was revoked and must be wiped");
    }
    if (t.revoked) {
        return revoked(t.device_id);
    }
    if (t.user_disabled) {
        return Status::error(errc::kAuthDisabled, "the user of device " + t.device_id + " is disabled");
    }
    if (t.expires_ms <= now_ms) {
        return Status::error(errc::kAuthExpired, "the token of device " + t.device_id + " has expired; enrol again");
    }
    return Status::ok();
}

std::string change_detail(std::string_view user, std::string_view from, std::string_view to) {
    return std::string(user) + ": " + std::string(from) + " -> " + std::string(to);
}

RawKeyPair new_signing_key() {
    RawKeyPair k;
    if (sodium_init() < 0) {
        return k;  // empty: the caller refuses it
    }
    k.public_key.resize(crypto_sign_PUBLICKEYBYTES);
    k.secret_key.resize(crypto_sign_SECRETKEYBYTES);
    crypto_sign_keypair(reinterpret_cast<unsigned char*>(k.public_key.data()),
                        reinterpret_cast<unsigned char*>(k.secret_key.data()));
    return k;
}

NewDevice new_device(std::string user, std::string team, std::string role, std::string_view device_name) {
    NewDevice d;
    d.enrolment.device_id = "dev-" + storage::random_hex(8);
    d.enrolment.token = storage::random_hex(32);
    d.enrolment.user = std::move(user);
    d.enrolment.team = std::move(team);
    d.enrolment.role = std::move(role);
    d.stored_name = json::valid_utf8(json::utf8_prefix(device_name, 128));
    return d;
}

}  // namespace outpost::sync::accounts
