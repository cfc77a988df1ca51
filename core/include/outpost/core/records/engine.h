// RecordEngine: schema-driven records on the encrypted store (DESIGN §2). Create, update, delete, get
// and list with filters, sort and keyset paging; every write is validated first (all problems at once,
// nothing stored on failure), stamped with the hybrid logical clock, appended to the change log (the
// audit trail and sync outbox) and reflected in the FTS5 index, all in one transaction (a savepoint,
// so a caller may group many writes in its own BEGIN...COMMIT).
//
// Ownership: borrows the Store (which must stay unlocked while the engine is used) and the Clock. The
// engine keeps prepared statements on the store's connection: destroy it before locking the store.
// Threads: not thread-safe; one owner thread (the store's).
// Failure: Result/Status with stable codes: record.validation.failed (with per-field errors),
// record.lookup.not_found, record.type.unknown, store.* from the store.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "outpost/core/clock.h"
#include "outpost/core/records/heads.h"
#include "outpost/core/records/hlc.h"
#include "outpost/core/records/schema.h"
#include "outpost/core/status.h"
#include "outpost/core/store.h"

namespace outpost::records {

// Who is writing: the signed-in user on this device.
struct Actor {
    std::string user;
    std::string device;
    std::string role;  // worker | lead | admin
    std::string team;
};

struct Record {
    std::string id;  // UUIDv7
    std::string type;
    std::string team;
    std::string created_by;
    std::int64_t created_ms = 0;
    std::int64_t updated_ms = 0;
    bool deleted = false;
    Values values;  // current value of every field that has one
};

// One entry of the change log: one field written once.
struct Change {
    std::int64_t seq = 0;
    std::string record;
    std::string type;
    std::string team;
    std::string field;
    std::string value;  // canonical JSON (encode_value)
    Hlc hlc;
    std::string device;
    Hlc base;
    std::string author;
    std::int64_t at_ms = 0;
    int form_version = 0;  // the version of the record's form it was written under; 0: not known
};

enum class SortBy { kUpdated, kCreated, kField };

// Where the previous page ended; opaque to callers, and valid only with the query that produced it.
struct Cursor {
    std::string key;  // the sort value, encoded
    bool key_null = false;
    std::string id;
};

struct ListQuery {
    std::string type;    // empty: every type
    std::string team;    // empty: every team
    std::string search;  // free text typed by a worker; never an error. With the default sort (most
                         // recently updated first) results come in last-write order, which is the
                         // same except after a clock correction.
    SortBy sort = SortBy::kUpdated;
    std::string sort_field;  // with SortBy::kField
    bool descending = true;
    int limit = 50;  // 1..500
    std::optional<Cursor> after;
    bool include_deleted = false;
};

struct Page {
    std::vector<Record> records;
    std::optional<Cursor> next;  // set when more records may follow
};

// Canonical JSON for a field value, used in the change log and on the wire.
[[nodiscard]] std::string encode_value(const FieldValue& v);
[[nodiscard]] Result<FieldValue> decode_value(FieldKind kind, std::string_view json_text);

// A time-ordered UUIDv7 for `ms`.
[[nodiscard]] std::string make_uuid_v7(std::int64_t ms);
// The creation time a UUIDv7 carries (ms since the epoch); nothing for any other id.
[[nodiscard]] std::optional<std::int64_t> uuid_v7_ms(std::string_view id);

// Turns worker-typed text into a safe FTS5 query: quoted tokens, all required, the last one a prefix.
// Empty when the text has no searchable tokens.
[[nodiscard]] std::string fts_query(std::string_view typed);

// One record as a server's snapshot gives it (RecordEngine::apply_snapshot).
struct PulledRecord {
    std::string id;
    std::string type;
    std::string team;
    std::string created_by;      // empty: the author of its earliest version
    std::vector<Head> versions;  // any order; more than one per field when the server holds a clash
    // Set by RecordEngine::prepare_snapshot (on any thread): the row this record makes if it is new.
    bool prepared = false;
    bool prepared_deleted = false;
    std::string prepared_heads;                  // encode_heads of the versions
    std::optional<std::string> prepared_search;  // its search text; none when deleted or of no known form
};

class RecordEngine {
public:
    ~RecordEngine();
    RecordEngine(const RecordEngine&) = delete;
    RecordEngine& operator=(const RecordEngine&) = delete;

    // Creates the engine's tables if needed and restores the clock from the change log.
    [[nodiscard]] static Result<std::unique_ptr<RecordEngine>> open(Store& store, std::vector<Schema> schemas,
                                                                    const Clock& clock);

    [[nodiscard]] Result<Record> create(const Actor& who, std::string_view type, const Values& values,
                                        std::vector<FieldError>* errors = nullptr);
    // Sets the given fields (std::monostate clears one); other fields keep their values.
    [[nodiscard]] Result<Record> update(const Actor& who, std::string_view id, const Values& changes,
                                        std::vector<FieldError>* errors = nullptr);
    [[nodiscard]] Status remove(const Actor& who, std::string_view id);
    // Writes record `id` of `type`: creates it under that id when absent, else sets the given fields;
    // a deleted one is brought back. For records whose id is derived (records/review.h), so that two
    // laptops writing offline write one record. Fails like create/update, and with
    // record.read_only when `id` is a record of another type.
    [[nodiscard]] Result<Record> put(const Actor& who, std::string_view id, std::string_view type, const Values& values,
                                     std::vector<FieldError>* errors = nullptr);
    // update, remove and put fail with record.read_only on a record of another team (the practice
    // library's, which only the server writes).
    [[nodiscard]] Result<Record> get(std::string_view id);
    [[nodiscard]] Result<Page> list(const ListQuery& query);
    // Who changed what, when, from what to what: the record's change log together with its current
    // pulled versions (heads.h), oldest stamp first. Pulled versions carry seq 0.
    [[nodiscard]] Result<std::vector<Change>> history(std::string_view id);
    // The current version of each field (including _deleted), with stamps and authors, in name order.
    [[nodiscard]] Result<std::vector<Head>> heads(std::string_view id);
    // Every change with seq > after, oldest first.
    [[nodiscard]] Result<std::vector<Change>> changes_after(std::int64_t after, int limit);
    // The sync outbox: changes written on `device` (this laptop) with seq > after, oldest first.
    [[nodiscard]] Result<std::vector<Change>> outbox_after(std::string_view device, std::int64_t after, int limit);

    struct RemoteStats {
        int applied = 0;     // changes that became a field's current value
        int superseded = 0;  // changes older than the value already here (kept in history only)
    };
    // Applies changes pulled from the server, which has validated and scoped them, with the merge rule
    // (merge.h): a field takes the incoming value when its stamp (hlc, device) wins. Every change is
    // kept for history (heads.h), records are created as needed, and the search index follows. Values are
    // stored in their canonical spelling for the field's kind (the wire keeps a value, not its
    // spelling). One savepoint:
    // callers wrap it with their pull cursor in one BEGIN...COMMIT so a crash keeps both or neither.
    // Each change's seq is ignored (the local log numbers its own rows).
    [[nodiscard]] Result<RemoteStats> apply_remote(const std::vector<Change>& changes);
    // Applies a page of a server's snapshot (a first sync): each record with every version its fields
    // have on the server. Same rule, savepoint and stats as apply_remote. It may consume `records`;
    // what is left is the caller's to free, on any thread (the sync engine frees a page off the
    // store's thread).
    [[nodiscard]] Result<RemoteStats> apply_snapshot(std::vector<PulledRecord>& records);
    // Does the store-free part of apply_snapshot ahead of it: canonical values, and for a record with
    // one version per field in name order, its heads blob and search text. Threads: safe to call on
    // any thread, concurrently with anything but replace_schemas (it reads only the forms).
    void prepare_snapshot(std::vector<PulledRecord>& records) const;

    // Lets go of every record of `team` except those in `keep`: their rows, change log and search rows,
    // in one savepoint. For a laptop whose person moved team (the sync client keeps the records with
    // changes still to send or refused). Returns how many records went.
    [[nodiscard]] Result<std::int64_t> forget_team(std::string_view team, const std::set<std::string>& keep);

    // Takes back changes this laptop wrote to record `id` that the server refused (`seqs`, rows of the
    // change log; seqs of other records are ignored): they leave the log, and each field they touched
    // holds again the newest version left of it (one pulled, or one of this laptop's the server took),
    // or no answer when none is left. A record with no version of any field left (new here and refused
    // whole) is taken off the laptop, its search row with it. One savepoint. record.lookup.not_found
    // when the record is not here.
    [[nodiscard]] Status take_back(std::string_view id, const std::vector<std::int64_t>& seqs);

    // Puts `schemas` in place of the forms the engine was opened with (a new version synced), for
    // every call after it; records written under an older version stay readable and writable. The
    // search index is rebuilt, in its own transaction (so not inside a caller's), when the searchable fields moved
    // (engine_meta.search_fingerprint), as open() does; on failure the forms are as they were.
    // Threads: the owner's, never while prepare_snapshot runs on another thread; a Schema* from
    // schema() is invalid after it.
    [[nodiscard]] Status replace_schemas(std::vector<Schema> schemas);

    [[nodiscard]] const Schema* schema(std::string_view type) const;
    // The clock that stamps this engine's writes; it lives as long as the engine.
    [[nodiscard]] HybridClock& clock();

private:
    // The store, the forms, the clock, the prepared statements and the search queue
    // (core/src/records/engine_impl.h).
    struct Impl;
    RecordEngine(Store& store, std::vector<Schema> schemas, const Clock& clock);
    std::unique_ptr<Impl> m_impl;
};

}  // namespace outpost::records
