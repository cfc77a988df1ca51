#include "session_controller.h"

#include <vector>

#include "app_context.h"
#include "attachments_controller.h"
#include "cases_controller.h"
#include "conflicts_controller.h"
#include "drafts_controller.h"
#include "outpost/client/words.h"
#include "outpost/core/error_codes.h"
#include "outpost/sync/form_rollout.h"
#include "outpost/ui/widgets.h"
#include "profiles_controller.h"
#include "records_controller.h"
#include "recovery_controller.h"
#include "review_controller.h"
#include "sync_bar_controller.h"
#include "worker.h"

namespace outpost::ui {

void SessionController::unlock() {
    AppState& s = m_ctx.state;
    s.problem.clear();
    if (s.passphrase.view().empty()) {
        s.problem = "Type your passphrase.";
        return;
    }
    wipe_text_input_state();
    s.working = true;
    s.working_on = "Unlocking...";
    auto pass = std::make_shared<SecureText>();
    pass->assign(s.passphrase.view());
    s.passphrase.clear();
    m_ctx.slow.post([q = m_ctx.queue, root = m_ctx.root, name = s.profile, pass, &clock = m_ctx.clock,
                     on_sync = m_ctx.sync_bar->waker(), cache = m_ctx.options.store_cache_kib,
                     offline_days = s.policy.max_days_offline, required = s.policy.require_recovery_code, this] {
        Result<std::unique_ptr<client::Session>> session =
            client::Session::open(root, name, pass->view(), clock, on_sync, cache, offline_days);
        pass->clear();
        // A recovery code still to be written down (the app closed before it was), or one the policy
        // requires and the profile lacks.
        std::shared_ptr<CodeToShow> code =
            session.is_ok() ? RecoveryController::prepare(**session, /*make_new=*/false, required) : nullptr;
        auto shared = std::make_shared<Result<std::unique_ptr<client::Session>>>(std::move(session));
        q->post([this, shared, code](AppState& st) {
            st.working = false;
            if (!shared->is_ok()) {
                st.problem = client::problem_words(shared->status());
                st.focus_passphrase = true;  // type it again straight away
                return;
            }
            opened(std::move(**shared));
            m_ctx.recovery->offer(code, /*after_recovery=*/false);
        });
    });
}

void SessionController::opened(std::unique_ptr<client::Session> session) {
    if (m_ctx.session) {
        lock("");  // never two sessions: the workers may still hold the first
    }
    m_ctx.session = std::move(session);
    // Free: no other thread has this session yet (its sync starts below and waits for this; the
    // reader's work for it is posted below). Held across the store work of opening, which so never
    // waits.
    const std::unique_lock<sync::StoreMutex> hold = m_ctx.session->try_hold();
    client::Session& session_now = *m_ctx.session;
    ++m_ctx.generation;
    wipe_text_input_state();
    m_ctx.last_input_ms = m_ctx.clock.now_ms();
    AppState& s = m_ctx.state;
    const sync::ProfileInfo& info = session_now.info();
    s.unlocked = true;
    s.problem.clear();
    s.locked_note.clear();
    s.user = info.user;
    s.role = info.role;
    s.team = info.team;
    s.server_url = info.server_url;
    s.device_id = info.device_id;
    s.prefetch_attachments = session_now.prefetch_attachments();
    s.settings.last_profile = s.profile;
    s.profile_display = sync::shown_name(info);
    m_ctx.save_settings();
    m_ctx.profiles->refresh();
    take_forms();
    s.sync = SyncBar{};
    m_ctx.sync_bar->forget_probe();  // the next probe's answer is news to this session
    // The status bar polls the sync engine's state (thread-safe), so no callback from the sync
    // thread can outlive the session.
    session_now.start_sync();
    s.screen = m_resume_screen;
    if (!m_resume_draft.empty() || !m_resume_idea_draft.empty()) {
        Result<std::vector<client::Draft>> drafts = session_now.drafts();
        for (const client::Draft& d : drafts.is_ok() ? *drafts : std::vector<client::Draft>{}) {
            if (d.key == m_resume_idea_draft) {
                m_ctx.records->open_idea();
                if (s.idea) {
                    s.idea->draft_key = d.key;
                    s.idea->form.restore(d.texts);
                }
            } else if (d.key == m_resume_draft) {
                if (!d.record_id.empty()) {
                    m_ctx.records->open(d.record_id);
                } else {
                    m_ctx.records->create(d.type);
                }
                if (s.record && s.record->form.record_id() == d.record_id) {
                    s.record->draft_key = d.key;
                    s.record->form.restore(d.texts);
                }
                if (d.texts.empty()) {
                    (void)session_now.discard_draft(d.key);  // only marked where to come back to
                }
            }
        }
        m_resume_draft.clear();
        m_resume_idea_draft.clear();
    }
    m_ctx.drafts->find();
    if (s.screen == Screen::kRecord && !s.record) {
        s.screen = Screen::kCases;
    }
    // The reader runs these in order: the first page of cases first, for the first screen.
    m_ctx.cases->query(false);
    m_ctx.review->load();     // the navigation shows the notices and the open queue
    m_ctx.conflicts->load();  // ...and how many conflicts are open
    m_ctx.sync_bar->refresh();
}

void SessionController::take_forms() {
    AppState& s = m_ctx.state;
    s.forms.clear();
    s.form_notices.clear();
    if (!m_ctx.session) {
        return;
    }
    const client::Session& session = *m_ctx.session;
    for (const records::Schema& sch : session.schemas()) {
        if (CasesController::is_case_form(&sch) && !session.form_retired(sch.type)) {
            s.forms.emplace_back(sch.type, sch.title);
        }
    }
    for (const sync::FormNotice& n : session.form_notices()) {
        s.form_notices.push_back(sync::form_notice_words(n));
    }
}

void SessionController::wiped() {
    if (!m_ctx.session) {
        return;
    }
    // Nothing is kept: no draft is saved, and the next unlock has nowhere to come back to. The keys
    // are gone already (the sync thread destroyed them); the files the store held open go once the
    // session has closed.
    m_resume_screen = Screen::kCases;
    m_resume_draft.clear();
    m_resume_idea_draft.clear();
    close({}, std::string(errc::explain(errc::kProfileWiped)), /*wipe=*/true);
    m_ctx.state.profile_wiped = true;
    m_ctx.profiles->refresh();
}

void SessionController::lock(const std::string& why) {
    if (!m_ctx.session) {
        return;
    }
    AppState& s = m_ctx.state;
    // Unsaved answers go into the encrypted store first; then nothing decrypted stays in memory.
    std::vector<client::Draft> keep = m_ctx.drafts->unsaved();
    // The recovery code's screen is not come back to: the next unlock shows the code again.
    m_resume_screen = s.screen == Screen::kRecoveryCode ? s.recovery.then : s.screen;
    m_resume_draft.clear();
    m_resume_idea_draft.clear();
    if (s.idea && s.idea->form.dirty()) {
        m_resume_idea_draft = s.idea->draft_key;
    }
    if (s.record) {
        if (s.record->form.dirty()) {
            m_resume_draft = s.record->draft_key;
        } else if (!s.record->form.record_id().empty()) {
            // Nothing unsaved: come back to the record itself (an empty draft, discarded on return; if
            // it cannot be saved, the next unlock finds nothing to come back to, and starts on the list).
            keep.push_back(client::Draft{s.record->draft_key,
                                         s.record->form.schema()->type,
                                         s.record->form.record_id(),
                                         {},
                                         m_ctx.clock.now_ms()});
            m_resume_draft = s.record->draft_key;
        }
    }
    close(std::move(keep), why, /*wipe=*/false);
}

void SessionController::close(std::vector<client::Draft> keep, const std::string& why, bool wipe) {
    AppState& s = m_ctx.state;
    ++m_ctx.generation;  // results of work begun before now are dropped when drained
    ++s.cases.query;
    // The drafts are saved and the session closed on the slow worker: the save may wait there for a
    // sync to let go of the store, and closing stops the sync engine, which may be waiting on the
    // network; so the screen locks at once. The reader's work on the session ends before it closes.
    // Unlocking again queues behind it.
    std::shared_ptr<client::Session> closing(std::move(m_ctx.session));
    m_ctx.slow.post([closing, keep = std::move(keep), reader = &m_ctx.reader, wipe, &clock = m_ctx.clock]() mutable {
        for (const client::Draft& d : keep) {
            (void)closing->save_draft(d);
        }
        reader->wait_idle();
        const std::filesystem::path dir = closing->dir();
        closing.reset();  // closes the store and wipes the key
        if (wipe) {
            (void)sync::wipe_profile(dir, clock.now_ms());
        }
    });
    wipe_text_input_state();
    s.unlocked = false;
    s.record.reset();
    s.idea.reset();
    s.cases.rows.clear();
    s.cases.rows.shrink_to_fit();
    s.cases.next.reset();
    s.cases.loading = false;
    s.cases.search.clear();
    s.review = ReviewState{};
    m_ctx.attachments->drop_pictures();
    s.attachments = Attachments{};
    s.conflicts.clear();
    s.attention = NeedsAttention{};
    s.drafts_found.clear();
    s.forms.clear();
    s.form_notices.clear();
    s.sync = SyncBar{};
    s.old_passphrase.clear();
    s.recovery_passphrase.clear();
    s.recovery_message.clear();
    s.passphrase.clear();
    s.passphrase_again.clear();
    m_ctx.recovery->clear();
    s.toast.clear();
    s.locked_note = why;
    s.problem.clear();
    s.screen = Screen::kUnlock;
}

void SessionController::forget_resume() {
    m_resume_screen = Screen::kCases;
    m_resume_draft.clear();
    m_resume_idea_draft.clear();
}

void SessionController::check_idle() {
    if (!m_ctx.session) {
        return;
    }
    const int minutes = m_ctx.state.policy.auto_lock_minutes(m_ctx.state.settings.auto_lock_minutes);
    if (m_ctx.clock.now_ms() >= auto_lock_at()) {
        lock("Locked after " + std::to_string(minutes) +
             " minutes without use. Your unsaved answers are kept, encrypted.");
    }
}

std::int64_t SessionController::auto_lock_at() const {
    const int minutes = m_ctx.state.policy.auto_lock_minutes(m_ctx.state.settings.auto_lock_minutes);
    return m_ctx.last_input_ms + static_cast<std::int64_t>(minutes) * 60'000;
}

}  // namespace outpost::ui
