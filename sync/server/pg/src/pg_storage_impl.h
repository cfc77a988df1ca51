// PgStorage: the PostgreSQL ServerStorage (outpost/sync/pg_storage.h says what it promises). Its
// accounts are in pg_accounts.cpp, its forms in pg_forms.cpp, its pushes and pulls in pg_storage.cpp,
// a push's transaction in pg_push_txn.cpp, the schema in pg_schema.cpp and the connections in
// pg_connection.cpp.
//
// - Pushes (with_sync_txn) run in READ COMMITTED under a per-team advisory lock: one push per team
//   at a time across every process, so a team's records are read and written by one transaction at
//   a time. The practice library's records (team '*') are shared: a push takes the library's lock
//   too, and reads them again, before it uses one. Different teams push at once. In one process, the
//   pushes of a team that wait together are written in one transaction (with_sync_txn).
// - The cursor problem (docs/PROTOCOL.md, "Late commits"): a push takes its seqs at the end, with
//   outpost_take_seqs(), which also holds an advisory lock named after its first seq until it
//   commits. A pull reads outpost_safe_seq() first (below every seq still held, and at or below the
//   last seq given), then its rows in a later snapshot, and never hands out a cursor past it.
//
// Internal to outpost_sync_server_pg. Threads: any (ServerStorage); each call leases a connection.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "outpost/sync/server_storage.h"
#include "pg_connection.h"
#include "pg_push_txn.h"
#include "storage_common.h"

namespace outpost::sync::pg {

class PgStorage final : public ServerStorage {
public:
    [[nodiscard]] Status open(const std::string& conninfo, int pool_size) { return m_pool.open(conninfo, pool_size); }

    Result<ServerIdentity> identity() override;

    // ---- accounts (pg_accounts.cpp) ----
    Status add_team(const std::string& name, std::int64_t now) override;
    Status add_user(const std::string& name, const std::string& team, const std::string& role,
                    std::int64_t now) override;
    Result<std::string> user_team(const std::string& user) override;
    Result<std::vector<std::string>> teams() override;
    Result<std::string> create_enrolment_code(const std::string& user, std::int64_t ttl_ms, std::int64_t now) override;
    using ServerStorage::enrol;
    using ServerStorage::revoke_device;
    Result<Enrolment> enrol(const std::string& code, const std::string& device_name, std::int64_t now,
                            std::int64_t token_ttl_ms) override;
    Result<DeviceAuth> authenticate(const std::string& token, std::int64_t now) override;
    Result<IssuedToken> renew_token(const std::string& device_id, std::int64_t now, std::int64_t ttl_ms) override;
    Status revoke_device(const std::string& device_id, std::int64_t now, RevokeMode mode) override;
    Result<std::vector<UserInfo>> users() override;
    Result<bool> set_user_disabled(const std::string& user, bool disabled, std::int64_t now) override;
    Result<std::string> set_user_role(const std::string& user, const std::string& role, std::int64_t now) override;
    Result<std::string> move_user(const std::string& user, const std::string& team, std::int64_t now) override;
    Result<SigningKey> signing_key() override;
    Status device_seen(const std::string& device_id, std::int64_t now, const std::string& client_version) override;
    Result<std::vector<DeviceInfo>> devices(const std::string& user) override;
    Status audit(std::int64_t now, const std::string& actor, const std::string& event,
                 const std::string& detail) override;
    Result<std::vector<AuditEntry>> audit_log(int limit) override;

    // ---- sync (pg_storage.cpp) ----
    // Pushes of one team in this process queue at the team's gate, before taking a connection (so a
    // connection is never held idle waiting for the team's advisory lock while other teams wait for
    // one). The first in line writes every push waiting there in one transaction, their writes sent
    // together at the end; if that fails, each is written again on its own, so one push's failure
    // never becomes another's. Bodies run on the writing thread while their callers wait.
    Status with_sync_txn(const std::string& team, const std::function<Status(SyncTxn&)>& body) override;
    Result<bool> blob_ref_exists(const std::string& team, const std::string& hash) override;
    Result<std::vector<WireChange>> changes_after(const std::string& team, const std::string& exclude_device,
                                                  std::int64_t after, int limit, std::int64_t& safe_to) override;
    Status snapshot_page(const std::string& team, const std::string& exclude_device, const std::string& after,
                         int limit, std::size_t max_bytes, std::int64_t& log_end, bool& more,
                         const std::function<void(const SnapshotRow&)>& on_row) override;
    Result<std::uint64_t> max_hlc() override;
    Result<std::int64_t> logged_changes(const std::string& device) override;

    // ---- forms (pg_forms.cpp): publishes are serialised by the advisory lock kFormsLock ----
    Result<std::vector<FormVersion>> form_versions() override;
    Result<int> publish_form(const std::string& type, std::int64_t now, const FormBodyMaker& make_body) override;
    Result<bool> seed_forms(const std::vector<FormVersion>& forms) override;
    Result<std::int64_t> forms_generation() override;

private:
    static Status audit_on(Conn& c, std::int64_t now, std::string_view actor, std::string_view event,
                           std::string_view detail);
    // Redeems `code` inside the caller's transaction; `refused_user` receives the code's user once known.
    static Result<Enrolment> enrol_in(Conn& c, const std::string& code, const std::string& device_name,
                                      std::int64_t now, std::int64_t token_ttl_ms, std::string& refused_user);
    // Runs `body` in one transaction on a leased connection (committed when it returns ok).
    Status in_txn(const std::function<Status(Conn&)>& body);

    static constexpr std::size_t kMaxGroup = 32;
    void write_group(const std::string& team, const std::vector<storage::GroupWriter::Pending*>& group);
    // One transaction holding `team`'s lock: BEGIN and the lock in one round trip, then `body`, the
    // gathered writes, and COMMIT (or ROLLBACK).
    Status in_team_txn(const std::string& team, const std::function<Status(PgTxn&)>& body);

    Pool m_pool;
    std::mutex m_gates_mutex;
    // One per team seen; never shrinks. Guarded by m_gates_mutex.
    std::map<std::string, std::shared_ptr<storage::GroupWriter>> m_gates;
};

}  // namespace outpost::sync::pg
