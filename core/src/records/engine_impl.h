// RecordEngine::Impl: the engine's private state and the helpers its pieces share (internal to
// core/records). RecordEngine (engine.h) forwards every public call here. The pieces, one concern each:
//   engine.cpp        open, the statement cache, reading and writing a record's row
//   migrations.cpp    the tables, and moving older stores to today's layout
//   value_codec.cpp   values to and from canonical JSON (value_codec.h)
//   ids.cpp           UUIDv7 ids
//   search.cpp        the FTS5 query, the search row's text and keeping the index in step (search.h)
//   change_log.cpp    appending to and reading the change log, history
//   local_writes.cpp  create, update, remove and put: validate, stamp, log, save
//   remote_apply.cpp  pulled changes and snapshot pages, merged with the merge rule
//   queries.cpp       list: filters, sorts, search and keyset paging
//
// Ownership: borrows the Store and the Clock (both outlive the engine); owns the prepared statements,
// finalized on destruction. Threads: one owner thread (the store's), except the const members marked
// otherwise. Failure: as RecordEngine (engine.h).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "outpost/core/records/engine.h"
#include "outpost/core/sql_stmt.h"

namespace outpost::records {

// Appends one row to the change log: record, type, team, field, value, hlc, device, base, author, at_ms,
// form_version.
inline constexpr const char* kLogChangeSql =
    "INSERT INTO changes(record, type, team, field, value, hlc, device, base, author, at_ms, form_version) "
    "VALUES(?,?,?,?,?,?,?,?,?,?,?)";

// Appends one change to the log through `log` (kLogChangeSql), with `value` as its value (the change's
// own, or its canonical spelling); returns SQLite's code.
int log_change(sql::StmtRef& log, const Change& c, std::string_view value, std::int64_t at_ms);

struct RecordEngine::Impl {
    // A prepared statement borrowed from the cache: reset and unbound when it goes out of scope.
    using Stmt = sql::StmtRef;
    using RemoteStats = RecordEngine::RemoteStats;

    // One record's row: the record, its heads and its search row.
    struct Row {
        std::int64_t rid = 0;
        Record rec;
        std::vector<Head> heads;
        std::optional<std::int64_t> fts_rowid;
        std::string old_search;  // the search row's text before this write (remember_search)
        bool search_remembered = false;
        std::string heads_blob;                  // precomputed encode_heads(heads), if not empty
        std::optional<std::string> search_body;  // precomputed search text
    };
    // A new record's row, as views of its caller's bytes.
    struct NewRow {
        std::string_view id;
        std::string_view type;
        std::string_view team;
        std::string_view created_by;
        std::int64_t created_ms = 0;
        std::int64_t updated_ms = 0;
        bool deleted = false;
        std::optional<std::int64_t> fts_rowid;
        std::string_view heads;  // encode_heads
    };
    // A search row to replace: delete old_rowid (if any), insert body at new_rowid (if any).
    struct PendingSearch {
        std::optional<std::int64_t> old_rowid;
        std::string old_body;  // FTS5 needs the old text to take a contentless row out
        std::optional<std::int64_t> new_rowid;
        std::string body;
        const std::string* body_ref = nullptr;  // instead of `body`: text owned by the caller
    };

    Impl(Store& store, std::vector<Schema> schemas, const Clock& clock);
    ~Impl();
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    // ---- engine.cpp ----
    // The cached statement for `sql`, prepared on first use; a null one (steps to SQLITE_MISUSE) when
    // SQLite refuses it.
    Stmt prepare(std::string_view sql);
    [[nodiscard]] const Schema* schema(std::string_view type) const;
    // Restores the clock and the search rowid counter from engine_meta and the tables (open).
    Status restore_counters();
    // The record's row; its values are decoded only when asked (a pull reads heads alone).
    Result<std::optional<Row>> read_row(std::string_view id, bool with_values = true);
    Result<Record> load(std::string_view id);
    Result<std::vector<Head>> heads(std::string_view id);
    // Writes the row (insert or update) with a fresh search row (search.cpp's queue or at once).
    Status save_row(Row& row, const Schema* schema, bool exists);
    // Inserts the row; sets `rid`.
    Status insert_row(const NewRow& r, std::int64_t& rid);
    // New forms, and the search index rebuilt when their searchable fields moved (migrate_search).
    Status replace_schemas(std::vector<Schema> schemas);

    // ---- migrations.cpp ----
    // Creates the engine's tables (schema step 1) on `store`, before an engine exists.
    static Status create_tables(Store& store);
    Status migrate_field_values();
    Status migrate_search();

    // ---- search.cpp ----
    // Keeps the search row's current text in row.old_search, once, before the heads first change:
    // FTS5 needs it to take the contentless row out.
    void remember_search(Row& row, const Schema* schema);
    // Writes m_pending_search to the index, in order, and empties it.
    Status flush_search();

    // ---- change_log.cpp ----
    // Logs `old` (a displaced head) when it came by sync and so is not in the log yet.
    Status log_displaced(sql::StmtRef& log, const Record& rec, const std::optional<Head>& old);
    Result<std::vector<Change>> read_changes(const char* where, std::string_view record, std::int64_t after, int limit);
    Result<std::vector<Change>> history(std::string_view id);
    Result<std::vector<Change>> changes_after(std::int64_t after, int limit);
    Result<std::vector<Change>> outbox_after(std::string_view device, std::int64_t after, int limit);

    // ---- local_writes.cpp ----
    Result<Record> create(const Actor& who, std::string_view type, const Values& values,
                          std::vector<FieldError>* errors);
    Result<Record> update(const Actor& who, std::string_view id, const Values& changes,
                          std::vector<FieldError>* errors);
    Status remove(const Actor& who, std::string_view id);
    Result<Record> put(const Actor& who, std::string_view id, std::string_view type, const Values& values,
                       std::vector<FieldError>* errors);
    Result<Record> write(const Actor& who, const Schema& schema, Row row, const Values& changes, bool creating,
                         std::vector<FieldError>* errors);
    // The live record `id` and its form; record.lookup.not_found when absent or deleted.
    Result<Row> existing(std::string_view id, const Schema*& schema);
    Status take_back(std::string_view id, const std::vector<std::int64_t>& seqs);
    // Keeps the highest stamp this laptop has issued in engine_meta ('local_hlc'), so open() restores
    // the clock without reading the change log.
    Status save_local_hlc();

    // ---- forget.cpp ----
    // Takes `row` off this laptop: its search row, its row and its change log (in the caller's
    // savepoint).
    Status drop_record(Row& row, const Schema* schema);
    Result<std::int64_t> forget_team(std::string_view team, const std::set<std::string>& keep);

    // ---- remote_apply.cpp ----
    Result<RemoteStats> apply_remote(const std::vector<Change>& changes);
    Result<RemoteStats> apply_snapshot(std::vector<PulledRecord>& records);
    // Threads: any (reads only the forms, which change only in replace_schemas).
    void prepare_snapshot(std::vector<PulledRecord>& records) const;
    // prepare_snapshot's work for one record (const: reads only the forms).
    void prepare_one(PulledRecord& rec) const;
    // Applies n records given by group(g) (a PulledRecord&, which the apply may consume); `present`,
    // when given, holds every one of their ids this laptop already has (the others are not looked
    // up), and the records group() returns must then stay valid until the call returns.
    template <typename Group>
    Result<RemoteStats> apply_groups(std::size_t n, Group&& group,
                                     std::set<std::string, std::less<>>* present = nullptr);
    // The merge rule for one pulled version: true when it became the field's head (row updated).
    Result<bool> merge_version(Row& row, Head incoming, const Schema* sch, sql::StmtRef& log, std::int64_t now,
                               RemoteStats& stats);
    // A new record whose row prepare_one() made (one version per field), written from `rec` without
    // copying it: `rec` must outlive the next flush_search().
    Status insert_prepared(const PulledRecord& rec, Hlc newest);
    Status save_seen_hlc();

    // ---- queries.cpp ----
    Result<Page> list(const ListQuery& q);
    Result<Page> search_recent(const ListQuery& q, const std::string& match, int limit);
    Result<Page> page_of(std::vector<Cursor> rows, int limit);
    Result<std::string> field_sort_key(const std::string& field);
    static void bind_filters(Stmt& st, const ListQuery& q);

    Store& m_store;
    std::vector<Schema> m_schemas;
    const Clock& m_clock;
    HybridClock m_hlc;
    std::map<std::string, sqlite3_stmt*, std::less<>> m_statements;  // prepared once, finalized on destruction
    std::int64_t m_last_fts_rowid = 0;                               // highest search rowid handed out
    std::uint64_t m_seen_hlc = 0;  // highest pulled HLC, saved in engine_meta with each pull
    std::uint64_t m_saved_seen_hlc = 0;
    bool m_batch_search = false;  // save_row queues search rows (apply_groups) instead of writing them
    std::vector<PendingSearch> m_pending_search;
    std::set<std::string> m_sort_indexes;  // fields whose sort index exists ("": the created-date index)
};

}  // namespace outpost::records
