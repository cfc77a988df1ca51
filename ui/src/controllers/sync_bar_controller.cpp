#include "sync_bar_controller.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "app_context.h"
#include "attachments_controller.h"
#include "cases_controller.h"
#include "conflicts_controller.h"
#include "needs_attention_controller.h"
#include "outpost/core/error_codes.h"
#include "outpost/platform/connectivity.h"
#include "review_controller.h"
#include "session_controller.h"
#include "worker.h"

namespace outpost::ui {

void SyncBarController::sync_now() {
    if (m_ctx.session) {
        m_ctx.session->request_sync();
        m_last_probe_ms = m_ctx.clock.now_ms();
    }
}

std::function<void(const sync::SyncState&)> SyncBarController::waker() const {
    // On the sync thread: note the change and wake the window; the UI thread reads the state itself.
    return [changed = m_sync_changed, wake = m_ctx.options.wake](const sync::SyncState&) {
        changed->store(true);
        if (wake) {
            wake();
        }
    };
}

void SyncBarController::run_timers(std::int64_t now) {
    const bool syncing = m_ctx.state.sync.state.phase == sync::SyncPhase::kSyncing;
    // The sync thread said its state moved: read it a moment later, so a try that fails at once (a
    // laptop offline, retrying) reads as it was and draws nothing.
    const std::int64_t real = steady_ms();
    if (m_sync_changed->exchange(false) && m_sync_read_at == 0) {
        m_sync_read_at = real + kSyncSettleMs;
    }
    if ((m_sync_read_at != 0 && real >= m_sync_read_at) ||
        now - m_last_sync_bar_ms >= (syncing ? kSyncBarEveryMs : kSyncBarIdleMs)) {
        m_sync_read_at = 0;
        refresh();
    }
    if (m_files_read_at != 0 && real >= m_files_read_at) {
        m_files_read_at = 0;
        refresh_files();
    }
    if (now - m_last_probe_ms >= kProbeEveryMs) {
        probe();
    }
}

std::int64_t SyncBarController::due(std::int64_t now) const {
    const bool syncing = m_ctx.state.sync.state.phase == sync::SyncPhase::kSyncing;
    std::int64_t at =
        std::min(m_last_sync_bar_ms + (syncing ? kSyncBarEveryMs : kSyncBarIdleMs), m_last_probe_ms + kProbeEveryMs);
    for (const std::int64_t real_at : {m_sync_read_at, m_files_read_at}) {
        if (real_at != 0) {
            at = std::min(at, now + std::max<std::int64_t>(0, real_at - steady_ms()));
        }
    }
    return at;
}

void SyncBarController::refresh() {
    m_last_sync_bar_ms = m_ctx.clock.now_ms();
    if (!m_ctx.session) {
        return;
    }
    refresh_files();
    // Counting what waits to be sent reads the outbox: on the reader, never in a frame.
    client::Session* session = m_ctx.session.get();  // a lock waits for the reader before the session goes
    m_ctx.reader.post([this, q = m_ctx.queue, session, gen = m_ctx.generation, last = m_last_bar] {
        const sync::SyncState state = session->sync_state();
        Result<std::int64_t> waiting = session->waiting();
        Result<std::vector<sync::RefusedChange>> refused = session->refused();
        {
            // Nothing new since the last read: nothing to draw.
            const std::string seen =
                std::to_string(static_cast<int>(state.phase)) + "/" + std::to_string(state.last_success_ms) + "/" +
                state.code + "/" + std::to_string(state.pushed) + "/" + std::to_string(state.pulled) + "/" +
                std::to_string(state.files_waiting) + "/" + std::to_string(waiting.is_ok() ? *waiting : -1) + "/" +
                std::to_string(refused.is_ok() ? static_cast<std::int64_t>(refused->size()) : -1) + "/" +
                std::to_string(state.forms_changed) + "/" + state.role + "/" + state.team;
            std::lock_guard lock(last->mutex);
            if (last->seen == seen && last->generation == gen) {
                return;
            }
            last->seen = seen;
            last->generation = gen;
        }
        q->post(m_ctx.for_session(gen, [this, state, waiting, refused](AppState& s) mutable {
            if (state.code == errc::kAuthWiped) {
                m_ctx.sessions->wiped();  // IT asked for this profile's data to go
                return;
            }
            // IT changed this person's role or team: the screens follow (a new lead gets the review
            // queue, a former lead loses it).
            if (!state.role.empty()) {
                s.role = state.role;
            }
            if (!state.team.empty()) {
                s.team = state.team;
            }
            const std::int64_t last_success = s.sync.state.last_success_ms;
            s.sync.take_sync_state(state);
            if (waiting.is_ok()) {
                s.sync.state.waiting = *waiting;
            }
            if (refused.is_ok()) {
                const auto seqs_of = [](const std::vector<sync::RefusedChange>& list) {
                    std::vector<std::int64_t> out;
                    for (const sync::RefusedChange& r : list) {
                        out.push_back(r.seq);
                    }
                    return out;
                };
                const bool moved = seqs_of(*refused) != seqs_of(s.sync.refused) || !s.attention.loaded;
                s.sync.refused = std::move(*refused);
                if (moved) {
                    m_ctx.attention->load();  // the "Needs attention" list and the status bar's count
                }
            }
            // New forms arrived (the records engine uses them already): the next case is made with
            // them, and a form that needs a newer Outpost is said. A form open on screen keeps its own.
            if (m_ctx.session && m_ctx.session->refresh_forms()) {
                m_ctx.sessions->take_forms();
            }
            // A sync finished since the last look: what it brought in makes the lists stale. The case
            // table is read again only while it shows its first page: a worker scrolled deep into it
            // keeps their place.
            if (s.sync.state.last_success_ms != last_success && s.sync.state.last_success_ms != 0 && m_ctx.session) {
                if (s.screen == Screen::kCases &&
                    s.cases.rows.size() <= static_cast<std::size_t>(CasesController::kPageRows)) {
                    m_ctx.cases->query(false);
                }
                m_ctx.review->load();  // decisions may have arrived
                m_ctx.conflicts->load();
            }
        }));
    });
}

void SyncBarController::refresh_files() {
    if (!m_ctx.session || m_ctx.attachments->attaching_screen() == nullptr) {
        return;
    }
    const std::unique_lock<sync::StoreMutex> hold = m_ctx.session->try_hold();
    if (!hold.owns_lock()) {
        m_files_read_at = steady_ms() + kStoreRetryMs;  // a sync is writing: in a moment
        return;
    }
    m_ctx.attachments->refresh();
    m_ctx.attachments->load_thumbnails();
}

void SyncBarController::probe() {
    m_last_probe_ms = m_ctx.clock.now_ms();
    if (!m_ctx.session) {
        return;
    }
    if (m_ctx.probe.busy()) {
        return;  // a probe still waiting for a slow network
    }
    // On its own worker: a name lookup or a connect can take seconds on a bad network, and must not
    // hold up searches. It touches no session, so locking never waits for it.
    m_ctx.probe.post(
        [this, q = m_ctx.queue, url = m_ctx.state.server_url, gen = m_ctx.generation, last = m_last_probe] {
            const bool up = platform::can_connect(url, std::chrono::milliseconds(1500));
            if (last->exchange(up ? 1 : 0) == (up ? 1 : 0)) {
                return;  // the same answer as last time: nothing to draw (the window rests)
            }
            q->post(m_ctx.for_session(gen, [this, up](AppState& s) {
                const bool was_offline = s.sync.state.phase == sync::SyncPhase::kOffline;
                s.sync.take_probe(up);
                if (up && was_offline && m_ctx.session) {
                    m_ctx.session->request_sync();  // a connection appeared: sync now, not at the next retry
                }
            }));
        });
}

}  // namespace outpost::ui
