// SyncEngine: the device side of sync (DESIGN §4). It refreshes the forms (GET /v1/schemas with the
// ETag it holds; each form read on its own and rolled out as form_rollout.h says, kept in the store
// for profile_forms() at the next unlock, and swapped into the records engine at once, so a new
// version is used without a new unlock), pushes the outbox (the records engine's own changes) in batches, then pulls
// until the server says there is no more, then moves attachments (blob_store.h): uploads, resumed where the server's
// copy stops, then the downloads wanted.
//  - Each push answer is committed together with the outbox position, and each pulled batch together
//    with its cursor, in one store transaction: a crash anywhere resumes without loss or duplication
//    (the server answers a re-sent change from its stored answers).
//  - A change the server rejects is kept, recorded as refused with the server's code and reason, and
//    never blocks the changes behind it. A batch the server cannot take whole (413/422/400) is split
//    until the one change at fault is found and refused.
//  - State (offline, syncing with progress, up to date, error with a human reason) goes to a callback.
//  - start() runs syncs on the engine's own thread: when asked, periodically, and after a failure with
//    exponential backoff and jitter.
// The engine keeps the lifecycle and the state; each sync is made of pieces in sync/client/src/ (as
// LiteCore's replicator is): Pusher, Puller, SnapshotPuller, BlobTransfer, over the ClientState table.
//
// Ownership: borrows the Store, the RecordEngine, the BlobStore, the store mutex, the Transport and the

// Threads: the store, records engine and BlobStore are only touched with `store_mutex` held, and never
// across a network wait, so a UI thread can keep using them under the same mutex. The state callback
// runs on the syncing thread. sync_now() must not run concurrently with the worker (use request_sync()).
// Failure: Result/Status with stable codes (sync.network.unreachable when offline; the server's codes).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "outpost/core/blob_store.h"
#include "outpost/core/clock.h"
#include "outpost/core/records/engine.h"
#include "outpost/core/status.h"
#include "outpost/core/store.h"
#include "outpost/sync/form_rollout.h"
#include "outpost/sync/sync_messages.h"
#include "outpost/sync/transport.h"

namespace outpost::sync {

struct SyncContext;  // what the pieces of a sync share (sync/client/src/sync_context.h)

// What enrolment gave this device; kept inside the encrypted store.
struct Credentials {
    std::string device_id;
    std::string token;
    std::string user;
    std::string team;
    std::string role;
};

enum class SyncPhase { kIdle, kOffline, kSyncing, kUpToDate, kError };
[[nodiscard]] std::string_view phase_name(SyncPhase p);

struct SyncState {
    SyncPhase phase = SyncPhase::kIdle;
    std::int64_t pushed = 0;         // this sync: changes sent so far
    std::int64_t to_push = 0;        // this sync: changes waiting when it started
    std::int64_t pulled = 0;         // this sync: changes received so far
    std::int64_t waiting = 0;        // changes not yet sent (after this sync: 0 unless it failed)
    std::int64_t refused_total = 0;  // changes the server refused, kept on this device
    std::int64_t last_success_ms = 0;
    std::int64_t files_waiting = 0;     // attachments not yet uploaded (waiting or failed, not refused)
    std::uint64_t forms_changed = 0;    // times a sync changed the forms or their notices (forms())
    std::string code;                   // kOffline / kError: the stable code
    std::string reason;                 // kOffline / kError: plain words for the worker
    std::string team;                   // as the server last said (empty before a sync asked)
    std::string role;                   // as the server last said (empty before a sync asked)
    std::int64_t token_expires_ms = 0;  // when the device token expires (0: not said)
};

struct SyncSummary {
    std::int64_t files_uploaded = 0;    // attachments the server now holds whole
    std::int64_t files_downloaded = 0;  // attachments now here, verified
    std::int64_t files_failed = 0;      // tried and failed this time (each retried later, or refused)
    std::int64_t pushed = 0;
    std::int64_t applied = 0;
    std::int64_t superseded = 0;
    std::int64_t conflicts = 0;
    std::int64_t rejected = 0;
    std::int64_t pulled = 0;
    std::int64_t requests = 0;
};

// A change the server refused: kept on this device with the reason.
struct RefusedChange {
    std::int64_t seq = 0;
    std::string record;
    std::string field;
    std::string code;
    std::string message;
};

// What the "Needs attention" list shows: the refused changes of one field of a record (the latest
// refusal speaks for them), or of a whole record the server took none of (a new record refused whole,
// or one this laptop holds no longer: field empty).
struct RefusedItem {
    std::string record;
    std::string type;   // the record's form; empty when the record is not on this laptop
    std::string field;  // empty: the whole record
    std::string code;
    std::string message;
    int changes = 0;  // the refused changes it stands for
};

struct SyncOptions {
    int push_batch = 2000;  // changes per push (the protocol allows up to 2,000)
    int pull_limit = 5000;  // changes per pull page (the server allows up to 5,000)
    std::chrono::milliseconds backoff_min{1000};
    std::chrono::milliseconds backoff_max{5 * 60 * 1000};
    std::chrono::milliseconds interval{60 * 1000};  // background: sync this often when all is well
    std::function<void(const SyncState&)> on_state;
    // Attachments: the largest piece per PUT (pieces start at 256 KiB and double while each takes
    // under a second) and the bytes per ranged GET; whether every file a pulled record names is
    // fetched at once (else only those asked for, when opened); the wait after a file's failure,
    // doubled per attempt up to the maximum.
    std::size_t blob_put_bytes = 8U * 1024U * 1024U;
    std::size_t blob_get_bytes = 4U * 1024U * 1024U;
    bool prefetch_attachments = false;
    std::chrono::milliseconds blob_backoff_min{30 * 1000};
    std::chrono::milliseconds blob_backoff_max{60 * 60 * 1000};
    // The server said IT wants this profile's data removed (sync.auth.wiped): called on the syncing
    // thread before the sync ends with that code; the owner destroys the keys (profile.h wipe_profile).
    std::function<void()> on_wiped;
    // When not ok, every sync ends at once with this status and sends nothing (a profile whose server
    // settings were changed outside Outpost: sync.profile.tampered).
    Status blocked = Status::ok();
};

// Stores `creds` in the store (tables created if needed). Plaintext never leaves the encrypted store.
// When the store held another device's credentials (enrolled again), the changes that device had not
// yet sent become the new device's to send, in the same transaction.
[[nodiscard]] Status save_credentials(Store& store, const Credentials& creds);
// sync.profile.not_enrolled when the store holds none.
[[nodiscard]] Result<Credentials> load_credentials(Store& store);
// One value the sync engine keeps in the store (e.g. "schemas_json"); empty when unset.
[[nodiscard]] Result<std::string> sync_state_value(Store& store, const std::string& key);

// A decoded snapshot page as the records engine takes it (apply_snapshot); consumes the page's
// records. Writer indexes must be valid, as decode_snapshot_response guarantees.
[[nodiscard]] std::vector<records::PulledRecord> to_pulled_records(SnapshotResponse& page);

// The mutex that guards a profile's one store connection, its records engine and BlobStore, shared
// by the sync thread and the client's threads. Recursive, so that a UI thread that took it without
// waiting (try_lock) can call code that takes it again.
using StoreMutex = std::recursive_mutex;

class SyncEngine {
public:
    ~SyncEngine();
    SyncEngine(const SyncEngine&) = delete;
    SyncEngine& operator=(const SyncEngine&) = delete;

    // Works on `blobs`, the caller's BlobStore over `store` (a Session's own).
    [[nodiscard]] static Result<std::unique_ptr<SyncEngine>> open(Store& store, records::RecordEngine& records,
                                                                  BlobStore& blobs, StoreMutex& store_mutex,
                                                                  Transport& transport, Credentials creds,
                                                                  SyncOptions options,
                                                                  const Clock& clock = SystemClock::instance());

    // One full sync on the calling thread: push everything, then pull until done.
    [[nodiscard]] Result<SyncSummary> sync_now();

    // Background worker.
    void start();
    void request_sync();
    void stop();

    [[nodiscard]] Result<std::vector<RefusedChange>> refused();
    // The refused changes as the worker acts on them, by record and field (RefusedItem), in the order
    // they were written. Takes the store mutex.
    [[nodiscard]] Result<std::vector<RefusedItem>> needs_attention();
    // Takes back the refused changes of `record`'s `field` (empty: of every field): the laptop holds the
    // server's version again (RecordEngine::take_back; a record the server took none of leaves the
    // laptop), and they leave the refused list, in one transaction. Nothing is sent for it: the server
    // has its version already, so laptop and server agree. Takes the store mutex.
    [[nodiscard]] Status discard_refused(const std::string& record, const std::string& field);
    // Writes again, as new changes by `who`, the answers this laptop holds for `record`'s fields whose
    // changes were refused (those `who` may change), to go at the next sync: after the worker fixed
    // what the server refused, the record goes as a whole. Their refusals end when the server takes
    // them. Fails as RecordEngine::update does (the record still needs fixing) and then writes nothing.
    // Takes the store mutex.
    [[nodiscard]] Status resend_refused(const records::Actor& who, const std::string& record);
    // Changes written here and not yet answered by the server. Takes the store mutex.
    [[nodiscard]] Result<std::int64_t> waiting();
    // Of `ids`, the records with changes not yet sent from this device, and those with a change the
    // server refused (for a list's status column). One index lookup per record, however long the
    // outbox.
    struct RecordSyncStatus {
        std::set<std::string> waiting;
        std::set<std::string> refused;
    };
    [[nodiscard]] Result<RecordSyncStatus> record_status(const std::vector<std::string>& ids);
    [[nodiscard]] Result<std::string> pull_cursor();
    // This profile's choice to fetch every attachment a pulled record names (kept in the store; the
    // SyncOptions flag turns it on for every profile). Takes the store mutex.
    [[nodiscard]] Status set_prefetch_attachments(bool on);
    [[nodiscard]] bool prefetch_attachments();
    // The largest attachment the server takes (from its last answer; the default before one).
    // Takes the store mutex.
    [[nodiscard]] std::int64_t max_attachment_bytes();
    [[nodiscard]] SyncState state() const;
    // The forms and notices as the last sync that changed them left them (the records engine uses
    // the same forms since); null while no sync of this engine has changed them. Each change is a new
    // set (state().forms_changed counts them); a set once given is never changed. Any thread.
    [[nodiscard]] std::shared_ptr<const LaptopForms> forms() const;

private:
    explicit SyncEngine(std::unique_ptr<SyncContext> ctx);
    Status fetch_schemas(SyncSummary& summary);
    void set_phase(SyncPhase phase, const Status& why = Status::ok());
    void run();

    std::unique_ptr<SyncContext> m_ctx;  // the borrowed parts, credentials, options and state
    bool m_prefetch = false;             // this sync: SyncOptions or the profile's choice
    mutable std::mutex m_forms_mutex;    // guards m_forms
    std::shared_ptr<const LaptopForms> m_forms;

    std::mutex m_worker_mutex;  // guards m_requested, m_stopping
    std::condition_variable m_wake;
    bool m_requested = false;
    bool m_stopping = false;
    std::thread m_worker;
};

}  // namespace outpost::sync
