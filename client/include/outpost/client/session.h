// Session: one unlocked profile: its encrypted store, records engine, transport and sync engine, and
// the mutex they share (DESIGN §5). Made on a worker (Argon2 takes about half a second) and handed to
// the UI thread; destroying it stops the sync engine, closes the store and wipes the key.
//
// Drafts: the text of an unsaved form is kept inside the encrypted store (drafts.h), so a crash or an
// auto-lock loses nothing and no plaintext reaches the disk.
//
// Ownership: owns everything it opens. Threads: every method takes the store mutex (recursive) for
// as long as one statement or transaction runs, never across frames or network waits; the sync
// engine runs on its own thread under the same mutex. A UI thread that must not wait takes it with
// try_hold() first. The sync state callback runs on the sync thread.
// Failure: Result/Status with the codes of the layers below (store.passphrase.wrong, ...).
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "outpost/client/drafts.h"
#include "outpost/client/recovery.h"
#include "outpost/core/blob_store.h"
#include "outpost/core/clock.h"
#include "outpost/core/records/engine.h"
#include "outpost/core/store.h"
#include "outpost/core/store/transaction.h"
#include "outpost/sync/form_rollout.h"
#include "outpost/sync/profile.h"
#include "outpost/sync/sync_engine.h"
#include "outpost/sync/transport.h"

namespace outpost::client {

class Session {
public:
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // Unlocks profile `name` under `root` (Argon2: call it on a worker). `on_sync` receives the sync
    // engine's state on the sync thread. `cache_kib` sizes the store's page cache. With
    // `max_days_offline` > 0 (the site policy's), a profile whose last sync is older syncs before it
    // opens, and stays locked when it cannot (sync.profile.offline_too_long). A wiped profile gives
    // sync.profile.wiped. A profile whose profile.json or server.pem disagree with the copies in its
    // store opens with its sync stopped (sync.profile.tampered, sync_engine.h SyncOptions::blocked).
    [[nodiscard]] static Result<std::unique_ptr<Session>> open(const std::filesystem::path& root,
                                                               const std::string& name, std::string_view passphrase,
                                                               const Clock& clock,
                                                               std::function<void(const sync::SyncState&)> on_sync,
                                                               int cache_kib = 32 * 1024, int max_days_offline = 0);
    // A forgotten passphrase: opens profile `name` with its recovery code (recovery.h) as open() does
    // with a passphrase, then sets `new_passphrase` in place of the forgotten one (Argon2: call it on
    // a worker). Everything in the store is as it was, the changes waiting to be sent included. A wrong
    // code gives store.recovery_code.wrong, and any failure before the new passphrase is set changes
    // nothing. The code keeps working until a new one is made (make_recovery_code).
    [[nodiscard]] static Result<std::unique_ptr<Session>> recover(const std::filesystem::path& root,
                                                                  const std::string& name, std::string_view code,
                                                                  std::string_view new_passphrase, const Clock& clock,
                                                                  std::function<void(const sync::SyncState&)> on_sync,
                                                                  int cache_kib = 32 * 1024, int max_days_offline = 0);

    [[nodiscard]] const sync::ProfileInfo& info() const { return m_info; }
    [[nodiscard]] const std::filesystem::path& dir() const { return m_dir; }
    [[nodiscard]] records::Actor actor() const;
    // The forms as of the last refresh_forms() (the unlock's, before one): any thread. A Schema
    // given out stays valid until the session closes, whatever arrives after it.
    [[nodiscard]] const std::vector<records::Schema>& schemas() const { return current_forms().schemas; }
    [[nodiscard]] const records::Schema* schema(std::string_view type) const;
    // The forms this laptop cannot use in their newest version (sync/form_rollout.h), and whether a
    // form is retired (it takes no new cases), as schemas() is: any thread.
    [[nodiscard]] const std::vector<sync::FormNotice>& form_notices() const { return current_forms().notices; }
    [[nodiscard]] bool form_retired(std::string_view type) const;
    // Takes the forms a sync brought (the records engine uses them already: sync_engine.h), so the
    // next case is made with the new version; true when they changed. Touches no store. One thread
    // (the UI's); readers on other threads see the old forms or the new, whole.
    [[nodiscard]] bool refresh_forms();

    // The store mutex for the calling thread, if it is free now; never waits. A UI thread holds it
    // across the store work of one intent, so that the calls inside (which take it again: it is
    // recursive) cannot block the frame behind a sync writing a page. When the returned lock does
    // not own the mutex, the caller tries again later (the next frame).
    [[nodiscard]] std::unique_lock<sync::StoreMutex> try_hold() {
        return std::unique_lock<sync::StoreMutex>(m_mutex, std::try_to_lock);
    }

    // The records engine and the store, with the mutex held for the duration of `fn`.
    template <typename Fn>
    auto with_records(Fn&& fn) {
        std::lock_guard lock(m_mutex);
        return fn(*m_records);
    }
    template <typename Fn>
    auto with_store(Fn&& fn) {
        std::lock_guard lock(m_mutex);
        return fn(*m_store);
    }

    // The attachment bytes (blob_store.h), with the mutex held for the duration of `fn`.
    template <typename Fn>
    auto with_blobs(Fn&& fn) {
        std::lock_guard lock(m_mutex);
        return fn(*m_blobs);
    }
    // For a function already inside in_transaction (which holds the mutex).
    [[nodiscard]] BlobStore& blobs_locked() { return *m_blobs; }
    // This profile's choice to download every attachment at once (else when opened).
    [[nodiscard]] Status set_prefetch_attachments(bool on);
    [[nodiscard]] bool prefetch_attachments();
    // The largest file the server takes (learnt at each sync).
    [[nodiscard]] std::int64_t max_attachment_bytes();

    // Runs `fn` (records engine -> Status) in one transaction: all its writes or none.
    template <typename Fn>
    Status in_transaction(Fn&& fn) {
        std::lock_guard lock(m_mutex);
        Result<Transaction> txn = Transaction::begin(*m_store);
        OUTPOST_TRY(txn);
        return txn->finish(fn(*m_records));
    }

    // Starts the background sync worker (syncs now, then every few minutes and after failures).
    // One sync on the calling thread (a headless run, a test); not while start_sync()'s worker runs.
    [[nodiscard]] Result<sync::SyncSummary> sync_now();
    void start_sync();
    void request_sync();
    [[nodiscard]] sync::SyncState sync_state() const;
    [[nodiscard]] Result<std::vector<sync::RefusedChange>> refused();
    // The refused changes to act on ("Needs attention"), taking one back, and sending a fixed record
    // again: SyncEngine::needs_attention, discard_refused and resend_refused (as this profile's actor).
    [[nodiscard]] Result<std::vector<sync::RefusedItem>> needs_attention();
    [[nodiscard]] Status discard_refused(const std::string& record, const std::string& field);
    [[nodiscard]] Status resend_refused(const std::string& record);
    [[nodiscard]] Result<std::int64_t> waiting();
    [[nodiscard]] Result<sync::SyncEngine::RecordSyncStatus> record_status(const std::vector<std::string>& ids);

    [[nodiscard]] Status save_draft(const Draft& d);
    [[nodiscard]] Result<std::vector<Draft>> drafts();  // newest first
    [[nodiscard]] Status discard_draft(const std::string& key);

    // The "decisions arrived" notices already read (records::Notice::key), kept in the store.
    [[nodiscard]] Result<std::set<std::string>> read_notices();
    [[nodiscard]] Status mark_notices_read(const std::vector<std::string>& keys);

    // Rewraps the data key (Argon2 twice: call it on a worker). store.passphrase.wrong when `old` is.
    [[nodiscard]] Status change_passphrase(std::string_view old_passphrase, std::string_view new_passphrase);

    // The recovery code (recovery.h), with the store mutex held: its state; a new one (sealed to the
    // service desk's key with escrow); the one to show after an unlock ("" none); typed back; skipped.
    [[nodiscard]] Result<RecoveryState> recovery_state();
    [[nodiscard]] Result<std::string> make_recovery_code(std::string_view escrow_key = {});
    // A new code on request (Settings), once `passphrase` proves it is the worker: the old code
    // stops working at once, and with escrow the new one is sealed for the desk. Argon2: a worker.
    // store.passphrase.wrong changes nothing.
    [[nodiscard]] Result<std::string> replace_recovery_code(std::string_view passphrase);
    [[nodiscard]] Result<std::string> recovery_code_to_offer(bool required);
    [[nodiscard]] Status confirm_recovery_code();
    [[nodiscard]] Status skip_recovery_code(bool required);

private:
    // One set of forms, never changed once made.
    struct Forms {
        std::vector<records::Schema> schemas;
        std::vector<sync::FormNotice> notices;
        std::set<std::string, std::less<>> retired;
        std::shared_ptr<const sync::LaptopForms> from;  // the sync engine's set it was made of (null: the unlock's)
    };
    Session() = default;
    // open() and recover(): everything after the store, which `open_store` opens in the profile's folder.
    using StoreOpen =
        std::function<Result<std::unique_ptr<Store>>(const std::filesystem::path& dir, const StoreOptions& options)>;
    [[nodiscard]] static Result<std::unique_ptr<Session>> open_with(const std::filesystem::path& root,
                                                                    const std::string& name,
                                                                    const StoreOpen& open_store, const Clock& clock,
                                                                    std::function<void(const sync::SyncState&)> on_sync,
                                                                    int cache_kib, int max_days_offline);
    [[nodiscard]] const Forms& current_forms() const { return *m_forms.load(std::memory_order_acquire); }
    void use_forms(std::unique_ptr<const Forms> forms);

    std::filesystem::path m_dir;
    sync::ProfileInfo m_info;
    sync::Credentials m_creds;
    // Every set of forms this session has used (a form on screen may hold a Schema of an older one),
    // the last being the current one, which m_forms points at for readers on any thread.
    std::vector<std::unique_ptr<const Forms>> m_form_sets;
    std::atomic<const Forms*> m_forms{nullptr};
    sync::StoreMutex m_mutex;  // the store, the records engine and the sync engine's use of them
    std::mutex m_key_mutex;    // the store's key file and data key (change_passphrase, lock)
    std::unique_ptr<Store> m_store;
    std::unique_ptr<records::RecordEngine> m_records;
    std::unique_ptr<BlobStore> m_blobs;
    std::unique_ptr<sync::Transport> m_transport;
    std::unique_ptr<sync::SyncEngine> m_sync;
};

}  // namespace outpost::client
