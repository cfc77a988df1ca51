// ServerStorage: the one interface behind which the central service keeps its data. The first back
// end is embedded SQLite in the data directory (here, in outpost_sync_server); a PostgreSQL back end
// implements the same interface in its own library (outpost/sync/pg_storage.h, outpost_sync_server_pg).
//
// Threads: implementations are safe to call from the server's request threads concurrently.
// Failure: every call returns a Status with a stable code; nothing throws.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "outpost/core/records/heads.h"
#include "outpost/core/records/merge.h"
#include "outpost/core/records/roles.h"
#include "outpost/core/secure_buffer.h"
#include "outpost/core/status.h"
#include "outpost/sync/sync_messages.h"

namespace outpost::sync {

struct ServerIdentity {
    std::string server_id;  // random, fixed at init
    int schema_version = 0;
    std::int64_t created_ms = 0;
};

// The roles an account may hold (users.role, DeviceAuth::role, the provisioning list's role
// column): the one spelling of each.
using records::kRoleAdmin;
using records::kRoleLead;
using records::kRoleWorker;

// How long a device token lives unless the server's config says otherwise (token_days).
inline constexpr int kDefaultTokenDays = 90;
inline constexpr std::int64_t kDayMs = 86'400'000;

// A device, as authenticated from its bearer token. Team and role are the user's as they stand now.
struct DeviceAuth {
    std::string device_id;
    std::string user;
    std::string team;
    std::string role;                   // kRoleWorker, kRoleLead or kRoleAdmin
    std::int64_t token_expires_ms = 0;  // when the token presented stops working
};

struct Enrolment {
    std::string device_id;
    std::string token;  // returned once; only its BLAKE2b hash is stored
    std::string user;
    std::string team;
    std::string role;
    std::int64_t token_expires_ms = 0;
};

// A device token, as issued by a renewal: the token itself is returned once (only its hash is kept).
struct IssuedToken {
    std::string token;
    std::int64_t expires_ms = 0;
};

// How a device is revoked: locked out of sync (it keeps its data), or also told to wipe its profile
// at its next contact (sync.auth.wiped).
enum class RevokeMode { kLockOut, kWipe };

// A person, for `outpost-server user list`.
struct UserInfo {
    std::string name;
    std::string team;
    std::string role;
    std::int64_t disabled_ms = 0;  // 0 while enabled
    int devices = 0;               // devices enrolled and not revoked
};

// The server's Ed25519 signing key pair (libsodium crypto_sign), made once at init or migration
// and kept in the database. It signs provisioning files; laptops check them against public_key.
struct SigningKey {
    std::string public_key;  // 32 raw bytes
    SecureBuffer secret;     // 64 raw bytes (crypto_sign's secret key); never logged or printed
};

// An enrolled laptop, for `outpost-server device list`.
struct DeviceInfo {
    std::string id;
    std::string user;
    std::string team;
    std::string name;
    std::int64_t created_ms = 0;
    std::int64_t revoked_ms = 0;    // 0 while active
    std::int64_t last_seen_ms = 0;  // its last request, to the minute (0: none since enrolment)
    std::string client_version;     // the Outpost version it last said it runs ("" when unknown)
    bool wipe = false;              // revoked with --wipe: told to destroy its profile at next contact
};

// A record as the server first saw it: its form and team never change afterwards.
struct RecordMeta {
    std::string type;
    std::string team;
    std::string created_by;
};

// A record as the server keeps it: what it first saw, and every field's frontier (merge.h).
struct StoredRecord {
    RecordMeta meta;
    std::vector<records::FieldFrontier> fields;  // by field name; each frontier non-empty
};

// One published version of a form (the forms library, outpost/sync/form_library.h): its JSON
// document as stored, whose "version" is `version`.
struct FormVersion {
    std::string type;
    int version = 0;
    std::string body;
    std::int64_t published_ms = 0;
};

// Makes the document of the next version of a form, inside ServerStorage::publish_form's transaction:
// given the version it will have and the latest stored one (nullptr for a new type), its JSON text,
// or a failure that publishes nothing. It must not call the storage.
using FormBodyMaker = std::function<Result<std::string>(int version, const FormVersion* latest)>;

// One storage transaction for a push (see ServerStorage::with_sync_txn). Its calls run inside the
// transaction, on one thread at a time (the caller's, or for SQLite the thread writing the caller's
// group); none of them commits.
class SyncTxn {
public:
    virtual ~SyncTxn() = default;
    // Every answer already given to `device` for seqs in [from, to], ascending (one query per batch).
    [[nodiscard]] virtual Result<std::vector<ChangeResult>> prior_results(const std::string& device, std::int64_t from,
                                                                          std::int64_t to) = 0;
    // Keeps one push's new answers (ascending seqs, none answered before) for prior_results.
    [[nodiscard]] virtual Status save_results(const std::string& device, const std::vector<ChangeResult>& results) = 0;
    [[nodiscard]] virtual Result<std::optional<StoredRecord>> record(const std::string& id) = 0;
    // A hint that record() will be asked for these ids: a remote back end reads them in one round
    // trip. Answers are the same with or without it.
    [[nodiscard]] virtual Status prefetch(const std::vector<std::string>& ids) {
        (void)ids;
        return Status::ok();
    }
    // Writes a record whole: inserts it when `is_new`, else replaces its fields (its meta never changes).
    [[nodiscard]] virtual Status put_record(const std::string& id, const StoredRecord& record, bool is_new,
                                            std::int64_t now_ms) = 0;
    // Notes that a record of `team` names the attachment `hash` (idempotent).
    [[nodiscard]] virtual Status add_blob_ref(const std::string& team, const std::string& hash) = 0;
    // Appends an accepted change to the pull log; the storage assigns its seq.
    [[nodiscard]] virtual Status append_change(const WireChange& change, std::int64_t now_ms) = 0;
};

class ServerStorage {
public:
    virtual ~ServerStorage() = default;
    [[nodiscard]] virtual Result<ServerIdentity> identity() = 0;

    // Accounts (the admin CLI). Names are [a-z0-9_.-], 1..64 characters.
    [[nodiscard]] virtual Status add_team(const std::string& name, std::int64_t now_ms) = 0;
    [[nodiscard]] virtual Status add_user(const std::string& name, const std::string& team, const std::string& role,
                                          std::int64_t now_ms) = 0;
    // The team of `user` (server.account.not_found if there is no such user).
    [[nodiscard]] virtual Result<std::string> user_team(const std::string& user) = 0;
    // Every team's name, in name order.
    [[nodiscard]] virtual Result<std::vector<std::string>> teams() = 0;
    // A one-time enrolment code for `user`, valid until now + ttl. Only its hash is stored.
    [[nodiscard]] virtual Result<std::string> create_enrolment_code(const std::string& user, std::int64_t ttl_ms,
                                                                    std::int64_t now_ms) = 0;
    // Redeems a code: sync.enroll.code_invalid / code_expired / code_used, server.account.disabled for
    // a disabled user's code (left unused), or a new device and a token valid until now + token_ttl_ms.
    [[nodiscard]] virtual Result<Enrolment> enrol(const std::string& code, const std::string& device_name,
                                                  std::int64_t now_ms, std::int64_t token_ttl_ms) = 0;
    // The same with the default token lifetime (kDefaultTokenDays).
    [[nodiscard]] Result<Enrolment> enrol(const std::string& code, const std::string& device_name,
                                          std::int64_t now_ms) {
        return enrol(code, device_name, now_ms, kDefaultTokenDays * kDayMs);
    }
    // The device behind `token` at `now_ms`. Refusals, checked in this order: sync.auth.invalid for an
    // unknown token, sync.auth.wiped for a device revoked with wipe, sync.auth.revoked for a revoked
    // one, sync.auth.disabled when its user is disabled, sync.auth.expired when the token has expired.
    [[nodiscard]] virtual Result<DeviceAuth> authenticate(const std::string& token, std::int64_t now_ms) = 0;
    // A new token for `device_id`, valid until now + ttl_ms; its other tokens stay valid until their own
    // expiry (a lost answer never locks the laptop out). Tokens expired by now are forgotten.
    // server.account.not_found when there is no such device. Audited (token.renewed).
    [[nodiscard]] virtual Result<IssuedToken> renew_token(const std::string& device_id, std::int64_t now_ms,
                                                          std::int64_t ttl_ms) = 0;
    // Revokes a device (audited: device.revoked, or device.wiped). server.device.already_revoked when
    // it was revoked before and nothing changes; revoking a device revoked without wipe again with
    // kWipe upgrades it to wipe. server.account.not_found when there is no such device.
    [[nodiscard]] virtual Status revoke_device(const std::string& device_id, std::int64_t now_ms, RevokeMode mode) = 0;
    [[nodiscard]] Status revoke_device(const std::string& device_id, std::int64_t now_ms) {
        return revoke_device(device_id, now_ms, RevokeMode::kLockOut);
    }

    // ---- people (the admin CLI's user commands); each change is audited with the old and new value ----
    // Every user, in name order.
    [[nodiscard]] virtual Result<std::vector<UserInfo>> users() = 0;
    // Disables (refused at once: sync.auth.disabled, and at enrolment) or enables a user. Returns
    // whether anything changed (false: it already was). server.account.not_found for no such user.
    [[nodiscard]] virtual Result<bool> set_user_disabled(const std::string& user, bool disabled,
                                                         std::int64_t now_ms) = 0;
    // Sets a user's role; returns the role it had. server.account.invalid for an unknown role.
    [[nodiscard]] virtual Result<std::string> set_user_role(const std::string& user, const std::string& role,
                                                            std::int64_t now_ms) = 0;
    // Moves a user to another team; returns the team it was in. server.account.not_found for no such
    // user or team. The user's devices pull and push as the new team from their next request.
    [[nodiscard]] virtual Result<std::string> move_user(const std::string& user, const std::string& team,
                                                        std::int64_t now_ms) = 0;

    // The server's signing key pair (made at init or migration).
    [[nodiscard]] virtual Result<SigningKey> signing_key() = 0;
    // The device made a request now, from Outpost `client_version` (the server calls it at most once
    // a minute per device).
    [[nodiscard]] virtual Status device_seen(const std::string& device_id, std::int64_t now_ms,
                                             const std::string& client_version) = 0;
    // Every device enrolled for `user` (every device when empty), oldest first.
    [[nodiscard]] virtual Result<std::vector<DeviceInfo>> devices(const std::string& user) = 0;
    // Appends to the audit log (enrolments, revocations, refused requests). Never holds secrets.
    [[nodiscard]] virtual Status audit(std::int64_t now_ms, const std::string& actor, const std::string& event,
                                       const std::string& detail) = 0;
    struct AuditEntry {
        std::int64_t at_ms = 0;
        std::string actor;
        std::string event;
        std::string detail;
    };
    [[nodiscard]] virtual Result<std::vector<AuditEntry>> audit_log(int limit) = 0;

    // ---- sync ----
    // Runs `body` in one transaction for a push by a device of `team`: committed when it returns ok,
    // rolled back otherwise (the body's status is returned). Bodies must not call other ServerStorage
    // methods. Transactions are serialisable with respect to every record they read; pushes of
    // different teams may run at once (PostgreSQL), sharing only the practice library's records.
    // SQLite commits the bodies waiting at one moment together (one fsync), each in a savepoint: a
    // body's failure undoes only its own writes, a failed commit fails every body of the group.
    [[nodiscard]] virtual Status with_sync_txn(const std::string& team,
                                               const std::function<Status(SyncTxn&)>& body) = 0;
    // Up to `limit` logged changes of `team` and of the practice library (team "*") with seq > after,
    // not written by `exclude_device`,
    // ascending. `safe_to` receives a cursor: no change at or below it can still appear for this
    // query (the last row returned when the page is full; else the log's end, so a device skips its
    // own writes in one request; below `after` when `after` is past the log's end).
    // Whether a record of `team` names the attachment `hash` (a blob's scope).
    [[nodiscard]] virtual Result<bool> blob_ref_exists(const std::string& team, const std::string& hash) = 0;
    [[nodiscard]] virtual Result<std::vector<WireChange>> changes_after(const std::string& team,
                                                                        const std::string& exclude_device,
                                                                        std::int64_t after, int limit,
                                                                        std::int64_t& safe_to) = 0;
    // One version of one record, for snapshot_page; the views last until the callback returns.
    struct SnapshotRow {
        std::string_view id;
        std::string_view type;
        std::string_view created_by;
        std::string_view field;
        std::string_view value;
        std::string_view device;
        std::string_view author;
        std::uint64_t hlc = 0;
        std::uint64_t base = 0;
        bool first_of_record = false;  // the first version of a record in this page
    };
    // A page of `team`'s records with id > after, in id order, each with every version in its fields'
    // frontiers except those `exclude_device` wrote (it holds them; a record left with none is
    // skipped), given to `on_row` one version at a time, a record's versions together: at most
    // `limit` records, and no more once `max_bytes` of values are in (a record is never split; the
    // first is always sent). `log_end` receives the log's end, read before the records in the same
    // view of the data, so every change at or below it is reflected in them; `more` whether records
    // remain after this page.
    [[nodiscard]] virtual Status snapshot_page(const std::string& team, const std::string& exclude_device,
                                               const std::string& after, int limit, std::size_t max_bytes,
                                               std::int64_t& log_end, bool& more,
                                               const std::function<void(const SnapshotRow&)>& on_row) = 0;
    // ---- forms (the published forms; outpost/sync/form_library.h) ----
    // Every published version of every form, by type, then version.
    [[nodiscard]] virtual Result<std::vector<FormVersion>> form_versions() = 0;
    // Publishes the next version of `type`: 1 more than its latest (1 for a new type), with the
    // document `make_body` returns. Publishes are serialised, across processes too: two of one
    // type get two versions. Returns the version stored.
    [[nodiscard]] virtual Result<int> publish_form(const std::string& type, std::int64_t now_ms,
                                                   const FormBodyMaker& make_body) = 0;
    // Stores `forms` as given (each a version of a type not yet seen), in one transaction, only when
    // no form was ever published; returns whether it did. Several processes may call it at once.
    [[nodiscard]] virtual Result<bool> seed_forms(const std::vector<FormVersion>& forms) = 0;
    // A number that changes whenever a version is published (the count of stored versions): a server
    // reads it to notice publishes made by another process.
    [[nodiscard]] virtual Result<std::int64_t> forms_generation() = 0;

    // Highest HLC in the log (restores the server's clock at start); zero when empty.
    [[nodiscard]] virtual Result<std::uint64_t> max_hlc() = 0;
    // How many changes from `device` are in the log (tests and metrics).
    [[nodiscard]] virtual Result<std::int64_t> logged_changes(const std::string& device) = 0;
};

// Current version of the embedded SQLite storage's schema; older databases migrate forward at open.
// (The PostgreSQL back end, in its own library, is outpost/sync/pg_storage.h.)
inline constexpr int kServerSchemaVersion = 9;

// Creates a new data directory with an empty SQLite database. Fails with errc::kStoreFileExists if
// one is already there (init never overwrites data).
[[nodiscard]] Status init_sqlite_data_dir(const std::filesystem::path& dir);

// Opens the SQLite storage in an initialised data directory (errc::kServerDataDirInvalid if not).
[[nodiscard]] Result<std::unique_ptr<ServerStorage>> open_sqlite_storage(const std::filesystem::path& dir);

}  // namespace outpost::sync
