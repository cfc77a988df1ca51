// SyncBarController: the status bar's sync and connection parts. The sync thread only says that its
// state moved (waker(): a flag and the host's wake); the UI thread reads the state a moment later,
// and the counts (what waits to be sent, what was refused) are read on the reader, posting only news.
// A connectivity probe (a TCP connect, on its own worker) runs every 10 s while unlocked; when it
// succeeds after the sync engine reported offline, a sync is asked for at once. A finished sync makes
// the lists stale: the case table's first page, the suggestions and the conflicts are read again.
//
// Threads: UI thread only, but for waker()'s callback (the sync thread) and the workers' tasks.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "outpost/sync/sync_engine.h"

namespace outpost::ui {

struct AppContext;

class SyncBarController {
public:
    static constexpr std::int64_t kProbeEveryMs = 10'000;  // connectivity probe while unlocked
    static constexpr std::int64_t kSyncBarEveryMs = 1000;  // waiting and refused counts, while syncing
    static constexpr std::int64_t kSyncBarIdleMs =
        60'000;                                         // ...and otherwise (the sync thread also says when it moves)
    static constexpr std::int64_t kSyncSettleMs = 300;  // the sync thread's news is read this much later

    explicit SyncBarController(AppContext& ctx) : m_ctx(ctx) {}

    void sync_now();
    // Reads the sync bar now: the open form's files here, and the counts (on the reader).
    void refresh();
    // The sync engine's state callback: marks the sync bar stale and wakes the window.
    [[nodiscard]] std::function<void(const sync::SyncState&)> waker() const;
    // A new session: the next probe's answer is news.
    void forget_probe() { m_last_probe->store(-1); }

    // The read and the probe, when due at `now` (app clock).
    void run_timers(std::int64_t now);
    // When the next read or probe falls due (app clock), while unlocked.
    [[nodiscard]] std::int64_t due(std::int64_t now) const;
    // The sync thread has said its state moved, and it has not been read yet.
    [[nodiscard]] bool news() const { return m_sync_changed->load(); }

private:
    // The open form's files: their progress and arrivals (on the UI thread; when the store is held,
    // again in a moment).
    void refresh_files();
    void probe();

    AppContext& m_ctx;
    std::int64_t m_last_probe_ms = 0;
    std::int64_t m_last_sync_bar_ms = 0;
    std::int64_t m_sync_read_at = 0;   // when to read the sync state the sync thread said moved (steady; 0: none)
    std::int64_t m_files_read_at = 0;  // when to read the open form's files again, the store having been held
    // What the probe and the sync-bar read last told the UI thread: workers post only news.
    std::shared_ptr<std::atomic<int>> m_last_probe = std::make_shared<std::atomic<int>>(-1);
    struct LastBar {
        std::mutex mutex;
        std::string seen;              // guarded by mutex
        std::uint64_t generation = 0;  // guarded by mutex
    };
    std::shared_ptr<LastBar> m_last_bar = std::make_shared<LastBar>();
    // Set by the sync thread when the engine's state changes; the next frame reads the sync bar.
    std::shared_ptr<std::atomic<bool>> m_sync_changed = std::make_shared<std::atomic<bool>>(false);
};

}  // namespace outpost::ui
