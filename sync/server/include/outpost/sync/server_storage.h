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

// A device, as authenticated from its bearer token.
struct DeviceAuth {
    std::string device_id;
    std::string user;
    std::string team;
    std::string role;  // kRoleWorker, kRoleLead or kRoleAdmin
};

struct Enrolment {
    std::string device_id;
    std::string token;  // returned once; only its BLAKE2b hash is stored
    std::string user;
    std::string team;
    std::string role;
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
    // Redeems a code: sync.enroll.code_invalid / code_expired / code_used, or a new device and token.
    [[nodiscard]] virtual Result<Enrolment> enrol(const std::string& code, const std::string& device_name,
                                                  std::int64_t now_ms) = 0;
    // sync.auth.invalid for an unknown token, sync.auth.revoked for a revoked device.
    [[nodiscard]] virtual Result<DeviceAuth> authenticate(const std::string& token) = 0;
    // server.device.already_revoked when it was revoked before (nothing changes); server.account.not_found
    // when there is no such device.
    [[nodiscard]] virtual Status revoke_device(const std::string& device_id, std::int64_t now_ms) = 0;
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
inline constexpr int kServerSchemaVersion = 8;

// Creates a new data directory with an empty SQLite database. Fails with errc::kStoreFileExists if
// one is already there (init never overwrites data).
[[nodiscard]] Status init_sqlite_data_dir(const std::filesystem::path& dir);

// Opens the SQLite storage in an initialised data directory (errc::kServerDataDirInvalid if not).
[[nodiscard]] Result<std::unique_ptr<ServerStorage>> open_sqlite_storage(const std::filesystem::path& dir);

}  // namespace outpost::sync
