// SqliteStorage: the embedded SQLite ServerStorage, one database file (server.db) in the data
// directory. Its schema and migrations are in sqlite_schema.cpp, its accounts in
// sqlite_accounts.cpp, its pushes and pulls in sqlite_storage.cpp, its forms in sqlite_forms.cpp.
//
// One connection for writes and reads, behind m_mutex: every seq at or below the log's end is
// committed, and no write lands between two reads of one call. A second, read-only connection
// answers authenticate() from the last commit while a group of pushes is being written. Pushes are
// committed in groups (with_sync_txn), each push in a savepoint of its own.
//
// Internal to outpost_sync_server. Ownership: owns both connections and its cached statements.
// Threads: any (ServerStorage); the SyncTxn methods run only inside with_sync_txn, with m_mutex held.
#pragma once

#include <sqlite3.h>

#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "outpost/core/sql_stmt.h"
#include "outpost/core/store/transaction.h"
#include "outpost/sync/server_storage.h"
#include "storage_common.h"

namespace outpost::sync::sqlite {

// The database's file name in a data directory.
inline constexpr const char* kDbName = storage::kSqliteDbName;

// A statement from the storage's cache: reset and unbound when the guard goes out of scope.
using Cached = sql::StmtRef;

class SqliteStorage final : public ServerStorage, private SyncTxn {
public:
    explicit SqliteStorage(sqlite3* db) : m_db(db) {}
    ~SqliteStorage() override;
    SqliteStorage(const SqliteStorage&) = delete;
    SqliteStorage& operator=(const SqliteStorage&) = delete;

    // Brings the schema to kServerSchemaVersion, a transaction per version (sqlite_schema.cpp).
    [[nodiscard]] Status migrate();
    // Opens the read-only connection for authenticate() on the database at `path`.
    [[nodiscard]] Status open_auth(const std::string& path);

    Result<ServerIdentity> identity() override;

    // ---- accounts (sqlite_accounts.cpp) ----
    Result<std::vector<std::string>> teams() override;
    Status add_team(const std::string& name, std::int64_t now_ms) override;
    Status add_user(const std::string& name, const std::string& team, const std::string& role,
                    std::int64_t now_ms) override;
    Result<std::string> user_team(const std::string& user) override;
    Result<std::string> create_enrolment_code(const std::string& user, std::int64_t ttl_ms,
                                              std::int64_t now_ms) override;
    using ServerStorage::enrol;
    using ServerStorage::revoke_device;
    Result<Enrolment> enrol(const std::string& code, const std::string& device_name, std::int64_t now_ms,
                            std::int64_t token_ttl_ms) override;
    Result<DeviceAuth> authenticate(const std::string& token, std::int64_t now_ms) override;
    Result<IssuedToken> renew_token(const std::string& device_id, std::int64_t now_ms, std::int64_t ttl_ms) override;
    Status revoke_device(const std::string& device_id, std::int64_t now_ms, RevokeMode mode) override;
    Result<std::vector<UserInfo>> users() override;
    Result<bool> set_user_disabled(const std::string& user, bool disabled, std::int64_t now_ms) override;
    Result<std::string> set_user_role(const std::string& user, const std::string& role, std::int64_t now_ms) override;
    Result<std::string> move_user(const std::string& user, const std::string& team, std::int64_t now_ms) override;
    Result<SigningKey> signing_key() override;
    Status device_seen(const std::string& device_id, std::int64_t now_ms, const std::string& client_version) override;
    Result<std::vector<DeviceInfo>> devices(const std::string& user) override;
    Status audit(std::int64_t now_ms, const std::string& actor, const std::string& event,
                 const std::string& detail) override;
    Result<std::vector<AuditEntry>> audit_log(int limit) override;

    // ---- sync (sqlite_storage.cpp) ----
    Status with_sync_txn(const std::string& team, const std::function<Status(SyncTxn&)>& body) override;
    Result<std::vector<WireChange>> changes_after(const std::string& team, const std::string& exclude_device,
                                                  std::int64_t after, int limit, std::int64_t& safe_to) override;
    Status snapshot_page(const std::string& team, const std::string& exclude_device, const std::string& after,
                         int limit, std::size_t max_bytes, std::int64_t& log_end, bool& more,
                         const std::function<void(const SnapshotRow&)>& on_row) override;
    Result<bool> blob_ref_exists(const std::string& team, const std::string& hash) override;
    Result<std::uint64_t> max_hlc() override;
    Result<std::int64_t> logged_changes(const std::string& device) override;

    // ---- forms (sqlite_forms.cpp) ----
    Result<std::vector<FormVersion>> form_versions() override;
    Result<int> publish_form(const std::string& type, std::int64_t now_ms, const FormBodyMaker& make_body) override;
    Result<bool> seed_forms(const std::vector<FormVersion>& forms) override;
    Result<std::int64_t> forms_generation() override;

private:
    // SyncTxn: called only inside with_sync_txn, with m_mutex held.
    Result<std::vector<ChangeResult>> prior_results(const std::string& device, std::int64_t from,
                                                    std::int64_t to) override;
    Status save_results(const std::string& device, const std::vector<ChangeResult>& results) override;
    Result<std::optional<StoredRecord>> record(const std::string& id) override;
    Status put_record(const std::string& id, const StoredRecord& r, bool is_new, std::int64_t now_ms) override;
    Status add_blob_ref(const std::string& team, const std::string& hash) override;
    Status append_change(const WireChange& c, std::int64_t now_ms) override;

    // Schema 5's data move and schema 9's tokens and key, inside their migrations' transactions
    // (sqlite_schema.cpp).
    Status migrate_to_5();
    Status migrate_to_9();
    // The statement for `sql` from the cache, prepared on first use (m_mutex held).
    Cached cached(const char* sql);
    // With m_mutex held.
    Status audit_locked(std::int64_t now_ms, std::string_view actor, std::string_view event, std::string_view detail);
    // Redeems `code` inside the caller's transaction; `refused_user` receives the code's user once known.
    Result<Enrolment> enrol_locked(const std::string& code, const std::string& device_name, std::int64_t now_ms,
                                   std::int64_t token_ttl_ms, std::string& refused_user);
    // A user's row (role, team) for a change, or server.account.not_found; with m_mutex held.
    Result<std::pair<std::string, std::string>> user_row_locked(const std::string& user);
    // Runs `body` and its audit row in one transaction; with m_mutex held.
    Status in_txn_locked(const std::string& what, const std::function<Status()>& body);
    // Writes `batch` in one transaction; sets each one's result.
    void write_group(const std::vector<storage::GroupWriter::Pending*>& batch);

    storage::GroupWriter m_groups{64};  // 64 bounds the wait of a group's last push

    std::mutex m_auth_mutex;
    sqlite3* m_auth_db = nullptr;         // read-only; guarded by m_auth_mutex
    sqlite3_stmt* m_auth_stmt = nullptr;  // guarded by m_auth_mutex

    std::mutex m_mutex;
    sqlite3* m_db;  // guarded by m_mutex
    // Keyed by the SQL literal's address (each call site passes its own literal): no string is built
    // per call. Guarded by m_mutex; finalized before close.
    std::unordered_map<const char*, sqlite3_stmt*> m_cache;
};

}  // namespace outpost::sync::sqlite
