// AppContext: what the App's controllers share: the options, the clock, the AppState, the RunQueue,
// the workers, the unlocked Session, and each other (a save refreshes the case list, an unlock opens
// the draft it left). Owned by App, which builds it and its controllers and outlives every worker.
//
// Threads: UI thread only, except where a member says otherwise. Work posted to a worker captures
// what it needs by value (the session as a raw pointer: a lock waits for the workers before the
// session is destroyed) and posts its result back with for_session(), which drops it when the
// session it was read from has gone.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "outpost/client/session.h"
#include "outpost/core/clock.h"
#include "outpost/ui/app.h"
#include "outpost/ui/app_state.h"
#include "outpost/ui/run_queue.h"

namespace outpost::ui {

class Worker;
class NavigationController;
class ProfilesController;
class SessionController;
class CasesController;
class RecordsController;
class RecoveryController;
class DraftsController;
class ReviewController;
class ConflictsController;
class NeedsAttentionController;
class AttachmentsController;
class SettingsController;
class SyncBarController;

// How soon the UI thread tries the store again after finding it held by another thread.
inline constexpr std::int64_t kStoreRetryMs = 15;

// Steady time in milliseconds: for what is about drawing and retrying (a test's fake clock stands still).
[[nodiscard]] std::int64_t steady_ms();
// `s` without the spaces, tabs and line ends around it.
[[nodiscard]] std::string trimmed(std::string_view s);

struct AppContext {
    AppContext(const AppOptions& app_options, const Clock& app_clock, AppState& app_state,
               std::shared_ptr<RunQueue> run_queue, Worker& slow_worker, Worker& reader_worker, Worker& probe_worker)
        : options(app_options),
          clock(app_clock),
          state(app_state),
          queue(std::move(run_queue)),
          slow(slow_worker),
          reader(reader_worker),
          probe(probe_worker) {}

    const AppOptions& options;
    const Clock& clock;
    AppState& state;
    const std::shared_ptr<RunQueue> queue;  // outlives workers that post after the App is gone
    Worker& slow;                           // Argon2, enrolment, and closing a session
    Worker& reader;                         // case-list pages, sync-bar counts, suggestions, conflicts
    Worker& probe;                          // the connectivity probe (touches no session)
    std::filesystem::path root;             // profiles
    std::filesystem::path settings_file;    // UiSettings

    std::unique_ptr<client::Session> session;  // the unlocked profile, or null
    // Bumped whenever a session opens or closes: a worker's result for an older one is dropped, so
    // nothing read before a lock comes back into AppState after it.
    std::uint64_t generation = 0;
    std::int64_t last_input_ms = 0;
    std::uint64_t fonts_generation = 1;
    bool quit = false;
    // When the UI thread may try the store again after finding it held (steady_ms; 0: not waiting).
    std::int64_t store_retry_at = 0;

    // Set by App once every controller exists.
    NavigationController* navigation = nullptr;
    ProfilesController* profiles = nullptr;
    SessionController* sessions = nullptr;
    CasesController* cases = nullptr;
    RecordsController* records = nullptr;
    RecoveryController* recovery = nullptr;
    DraftsController* drafts = nullptr;
    ReviewController* review = nullptr;
    ConflictsController* conflicts = nullptr;
    NeedsAttentionController* attention = nullptr;
    AttachmentsController* attachments = nullptr;
    SettingsController* settings = nullptr;
    SyncBarController* sync_bar = nullptr;

    // A line at the top for a few seconds.
    void toast(std::string text);
    void save_settings() const;
    // The store was held by another thread: try again in a moment (the host wakes for it).
    void retry_store_soon();

    // Wraps a worker's result for the session open at `gen` (read on the UI thread when the work was
    // posted): it runs only if that session still is.
    template <typename Fn>
    RunQueue::Task for_session(std::uint64_t gen, Fn fn) {
        return [this, gen, fn = std::move(fn)](AppState& s) mutable {
            if (gen == generation) {
                fn(s);
            }
        };
    }
};

}  // namespace outpost::ui
