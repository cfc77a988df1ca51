// SyncService: the central service's push, pull and schemas logic (DESIGN §4), independent of HTTP and
// of the storage back end. The HTTP front end decodes a request, authenticates the device and calls in
// here; tests and fuzzers may call it in-process.
//
// Push: every change is checked against the device's scope (its team; only roles named in a field's
// editable_by may write that field), the form (known type, field and value kind, limits) and the clock
// (refused when more than 24 h ahead), then merged with the records engine's rule. A refused change gets
// its own `rejected` answer and never blocks the rest. Concurrent writes with different values create
// a `conflict` record in the record's team, which syncs like any other record. Answers are stored per
// (device, seq), so a batch sent again gets the same answers and is applied once.
// The review loop (records/review.h): an endorsement's or adoption's id must be the one derived from
// its target and the writer (user or team), and only its author changes an endorsement or comment.
// After each push the server publishes: a suggestion a lead shared (shared_to_library = yes) while it
// is accepted or implemented becomes a `practice` record in the library pseudo-team "*", refreshed
// when the suggestion changes and withdrawn when unshared; an adoption adds its team to the
// practice's adopted_by (and takes it off when deleted).
// Pull: the changes of the device's team and of the library after a cursor, without the device's own
// writes. The snapshot pages through the team's records, then the library's.
//
// Forms: a change is checked against the version of its form named by its record's "_form_version"
// (a reserved field, an integer from 1: the value in the same push, else the one stored) when the
// service holds that version, else against the latest. The service serves either a fixed set of forms
// or its storage's forms library (form_library.h), read again when the library's generation changes
// (checked at most once per forms_check_interval, on a schemas request or a push), so a publish by
// another process or an administration command reaches every server on the database.
//
// Ownership: borrows the storage and the clock, which must outlive the service.
// Threads: safe to call from the server's request threads concurrently.
// Failure: Result with stable codes; nothing throws.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "outpost/core/clock.h"
#include "outpost/core/records/hlc.h"
#include "outpost/core/records/schema.h"
#include "outpost/sync/form_library.h"
#include "outpost/sync/server_storage.h"
#include "outpost/sync/sync_messages.h"

namespace outpost::sync {

inline constexpr int kDefaultPullLimit = 1000;
inline constexpr int kMaxPullLimit = 5000;
// A pull page stops growing past this many bytes of values (at least one change is always sent), so
// a page of large answers stays a bounded response.
inline constexpr std::size_t kDefaultPullPageBytes = 8U * 1024U * 1024U;
// The device and author name the server writes conflict records under.
inline constexpr const char* kServerDevice = "server";

class SyncService {
public:
    // Fixed forms: `schemas_json` is what GET /v1/schemas serves (a JSON array of the form documents).
    SyncService(ServerStorage& storage, std::vector<records::Schema> schemas, std::string schemas_json,
                const Clock& clock, std::size_t pull_page_bytes = kDefaultPullPageBytes);
    // The storage's forms library (seed it first: seed_forms_from), read by start().
    SyncService(ServerStorage& storage, const Clock& clock, std::size_t pull_page_bytes = kDefaultPullPageBytes);

    // Restores the service's clock from the log, and reads the forms library. Call once before serving.
    [[nodiscard]] Status start();

    // The forms as they stand (the library read again first if its generation changed and the last
    // check is older than the interval). The set stays valid while the pointer is held.
    [[nodiscard]] std::shared_ptr<const FormSet> forms();
    // How often forms() may ask the storage whether the library changed (default 1 s; 0: every call).
    void set_forms_check_interval(std::chrono::milliseconds interval);

    // sync.auth.device_mismatch when the batch names another device; sync.protocol.malformed when the
    // seqs are not ascending within [from_seq, to_seq]. Otherwise one answer per change.
    [[nodiscard]] Result<PushResponse> push(const DeviceAuth& who, const PushRequest& request);
    // `cursor` is empty for the start, or one returned earlier (sync.pull.cursor_invalid otherwise).
    [[nodiscard]] Result<PullResponse> pull(const DeviceAuth& who, std::string_view cursor, int limit);
    // A page of the team's records as they stand (GET /v1/snapshot), less the device's own versions,
    // after record id `after` (empty
    // for the first page); `limit` as for pull.
    // Returns the page as its JSON body (streamed from the storage, never built as a message first).
    [[nodiscard]] Result<std::string> snapshot(const DeviceAuth& who, const std::string& after, int limit);

private:
    // The records one push has read or written: each is read once and written once, at the end.
    struct CachedRecord {
        std::optional<StoredRecord> record;  // nullopt: not on the server
        bool is_new = false;                 // created by this push
        bool dirty = false;                  // changed by this push
    };
    using BatchCache = std::unordered_map<std::string, CachedRecord>;
    // What one push says about its records' forms: the "_form_version" each record is written with,
    // and which new derived records (endorsements, adoptions) name their target in it.
    struct BatchForms {
        const FormSet* forms = nullptr;
        std::unordered_map<std::string, int> versions;
        std::unordered_map<std::string, bool> names_target;
    };
    // The form version a record's changes are checked against (see schema_for in sync_service.cpp).
    static const records::Schema* schema_for(const BatchForms& batch, const std::string& type, const std::string& id,
                                             const std::optional<StoredRecord>& held);
    Result<ChangeResult> apply_one(SyncTxn& txn, BatchCache& cache, const BatchForms& batch, const DeviceAuth& who,
                                   const WireChange& change, std::int64_t now_ms);
    // Reads a record into the batch cache (once per push); the entry stays valid as the cache grows.
    Result<CachedRecord*> cached(SyncTxn& txn, BatchCache& cache, const std::string& id);
    // The review loop's rules for one change (see above); a refusal, or nothing.
    std::optional<ChangeResult> review_rules(SyncTxn& txn, BatchCache& cache, const BatchForms& batch,
                                             const DeviceAuth& who, const records::Schema& schema,
                                             const CachedRecord& entry, const WireChange& change,
                                             const std::string& canonical);
    // Publishes what the batch's suggestions and adoptions changed into the library (see above).
    Status publish_library(SyncTxn& txn, BatchCache& cache, std::int64_t now_ms);
    // Writes `values` (canonical texts; a field absent is left alone) into record `id` as the server,
    // creating it in `team` when absent; only values that differ from the current winner are written.
    Status server_write(SyncTxn& txn, BatchCache& cache, const std::string& id, const std::string& type,
                        const std::string& team, const std::vector<std::pair<std::string, std::string>>& values,
                        std::int64_t now_ms);
    Status record_conflict(SyncTxn& txn, const std::string& team, const WireChange& change,
                           const records::FieldVersion& kept, const records::FieldVersion& other, std::int64_t now_ms);
    // Reads the library again when its generation moved (a failure keeps the forms held).
    void refresh_forms();

    ServerStorage& m_storage;
    const bool m_from_storage;
    std::mutex m_forms_mutex;  // guards the three below
    std::shared_ptr<const FormSet> m_forms;
    std::chrono::steady_clock::time_point m_forms_checked;
    std::chrono::milliseconds m_forms_check_interval{1000};
    std::mutex m_reload_mutex;  // one reload at a time
    const Clock& m_clock;
    std::size_t m_pull_page_bytes;
    std::mutex m_clock_mutex;  // guards m_hlc
    records::HybridClock m_hlc;
};

// Loads the forms in `dir` for the service: the parsed schemas and the JSON array served to devices.
struct LoadedForms {
    std::vector<records::Schema> schemas;
    std::string json;
};
[[nodiscard]] Result<LoadedForms> load_forms(const std::filesystem::path& dir);

}  // namespace outpost::sync
