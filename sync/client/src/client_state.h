// ClientState: the sync client's own tables in the profile's store, and the questions about the
// outbox they answer.
//  - sync_state: key and value: the enrolment (device_id, token, user, team, role), the outbox
//    position (pushed_upto: every change of this device up to it is answered), the pull cursor, a
//    first sync's place in the snapshot (snapshot_after, snapshot_cursor), the forms (schemas_json,
//    schemas_etag), max_blob_bytes, prefetch_attachments and last_success_ms.
//  - sync_refused: the changes refused (by the server, or here when too large to send), each kept
//    with its code and reason until the worker takes it back or a later change of its field is taken
//    (RefusedLog::taken).
//
// Ownership: borrows the Store, which must outlive it. Threads: the store's; callers hold the store
// mutex. Writes join whatever transaction the caller has open (core Transaction). Failure: store.*
// codes from SQLite.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "outpost/core/sql_stmt.h"
#include "outpost/core/status.h"
#include "outpost/core/store.h"
#include "outpost/sync/sync_engine.h"

namespace outpost::sync {

// The number a stored value (or a header) starts with; 0 when it starts with none.
[[nodiscard]] std::int64_t leading_i64(std::string_view s);

class ClientState {
public:
    explicit ClientState(Store& store) : m_store(store) {}

    // Creates the tables when missing (CREATE ... IF NOT EXISTS, so at any schema version).
    [[nodiscard]] static Status create_tables(Store& store);
    // Brings the tables to this build's version (outpost_store_meta 'schema.sync').
    [[nodiscard]] static Status migrate(Store& store);

    // A value from sync_state; empty when unset.
    [[nodiscard]] Result<std::string> get(std::string_view key);
    // leading_i64 of a value (0 when unset).
    [[nodiscard]] Result<std::int64_t> get_i64(std::string_view key);
    [[nodiscard]] Status put(std::string_view key, std::string_view value);

    // The changes written by `device` past the outbox position, in the records engine's log.
    [[nodiscard]] Result<std::int64_t> count_waiting(std::string_view device);
    // Of `ids`, the records with such a change (one index lookup each).
    [[nodiscard]] Result<std::set<std::string>> waiting_records(const std::vector<std::string>& ids,
                                                                std::string_view device);
    // Enrolled again: the changes `old_device` wrote past `upto` become `new_device`'s to send.
    [[nodiscard]] Status hand_over_outbox(std::string_view old_device, std::string_view new_device, std::int64_t upto);

    [[nodiscard]] Result<std::vector<RefusedChange>> refused();  // by seq
    [[nodiscard]] Result<std::int64_t> refused_count();
    [[nodiscard]] Result<std::set<std::string>> refused_records();
    // Of record `record`: its refused changes (field "" : of every field), by seq.
    [[nodiscard]] Result<std::vector<RefusedChange>> refused_of(std::string_view record, std::string_view field);
    // Drops these refused changes from the list (taken back, or sent again).
    [[nodiscard]] Status forget_refused(const std::vector<std::int64_t>& seqs);
    // The records with a change of `device` still to send, or with a refused change: the laptop's
    // unsettled work, kept when it lets go of a team's records.
    [[nodiscard]] Result<std::set<std::string>> unsettled_records(std::string_view device);

private:
    Store& m_store;
};

// Adds changes to sync_refused (replacing one with the same seq), and settles them: a later change
// of the same field that the server took (applied, superseded or in conflict) ends the refusals of that
// field before it. Statements prepared once for many. Ownership: borrows the Store, which must outlive
// it. Threads and transaction: the caller's.
class RefusedLog {
public:
    explicit RefusedLog(Store& store);
    [[nodiscard]] Status add(std::int64_t seq, std::string_view record, std::string_view field, std::string_view code,
                             std::string_view message, std::int64_t at_ms);
    // The change `seq` of `record`'s `field` was taken: its field's earlier refusals are over.
    [[nodiscard]] Status taken(std::int64_t seq, std::string_view record, std::string_view field);

private:
    Store& m_store;
    sql::StmtRef m_insert;
    sql::StmtRef m_settle;
    int m_none_refused = -1;  // -1: not asked yet; 1: nothing was refused when first asked
};

}  // namespace outpost::sync
