#include "recovery_controller.h"

#include <sodium.h>

#include "app_context.h"
#include "outpost/client/recovery.h"
#include "outpost/client/session.h"
#include "outpost/client/words.h"
#include "outpost/core/error_codes.h"
#include "outpost/ui/widgets.h"
#include "session_controller.h"
#include "sync_bar_controller.h"
#include "worker.h"

namespace outpost::ui {

namespace {

// `code` (wiped here) on its way to the screen, and whether the profile seals codes for the desk.
std::shared_ptr<CodeToShow> to_show(client::Session& session, Result<std::string>& code) {
    auto out = std::make_shared<CodeToShow>();
    if (code.is_ok()) {
        out->code.assign(*code);
        sodium_memzero(code->data(), code->size());
    }
    Result<client::RecoveryState> state = session.recovery_state();
    out->escrowed = state.is_ok() && !state->escrow_key.empty();
    return out;
}

}  // namespace

std::shared_ptr<CodeToShow> RecoveryController::prepare(client::Session& session, bool make_new, bool required,
                                                        const std::string& escrow_key) {
    Result<std::string> code =
        make_new ? session.make_recovery_code(escrow_key) : session.recovery_code_to_offer(required);
    return to_show(session, code);
}

void RecoveryController::offer(const std::shared_ptr<CodeToShow>& code, bool after_recovery) {
    AppState& s = m_ctx.state;
    if (!s.unlocked || !code || code->code.view().empty()) {
        return;
    }
    RecoveryOffer& r = s.recovery;
    r.code.assign(code->code.view());
    code->code.clear();
    r.group = 0;
    r.typed.clear();
    r.problem.clear();
    r.escrowed = code->escrowed;
    r.required = s.policy.require_recovery_code || code->escrowed;
    r.after_recovery = after_recovery;
    r.then = s.screen == Screen::kRecoveryCode ? r.then : s.screen;
    s.screen = Screen::kRecoveryCode;
}

void RecoveryController::written() {
    RecoveryOffer& r = m_ctx.state.recovery;
    // One of the groups of four, at random, so that the whole code must have been written down.
    const std::size_t groups = client::recovery_code_groups(r.code.view()).size();
    const std::uint32_t full = groups > 1 ? static_cast<std::uint32_t>(groups - 1) : 1;
    r.group = static_cast<int>(randombytes_uniform(full)) + 1;
    r.focus = true;
    r.typed.clear();
    r.problem.clear();
}

void RecoveryController::confirm(const std::string& typed) {
    AppState& s = m_ctx.state;
    RecoveryOffer& r = s.recovery;
    if (!m_ctx.session || r.group == 0) {
        return;
    }
    if (!client::recovery_group_matches(r.code.view(), r.group, typed)) {
        r.problem = "That is not group " + std::to_string(r.group) +
                    " of the code. Here is the code again: check what you wrote down.";
        r.group = 0;
        r.typed.clear();
        r.focus = true;
        return;
    }
    client::Session* session = m_ctx.session.get();  // a lock closes the session behind this, on the same worker
    m_ctx.slow.post([q = m_ctx.queue, session] {
        const Status st = session->confirm_recovery_code();
        q->post([st](AppState& state) {
            if (!st.is_ok()) {
                state.toast =
                    "The recovery code works, but could not be marked as written down: " + client::problem_words(st);
            }
        });
    });
    m_ctx.state.toast = "Recovery code kept. Store it away from this laptop.";
    m_ctx.state.toast_until_ms = m_ctx.clock.now_ms() + 5000;
    done();
}

void RecoveryController::skip() {
    AppState& s = m_ctx.state;
    RecoveryOffer& r = s.recovery;
    if (!m_ctx.session) {
        return;
    }
    if (r.required) {
        r.problem = client::problem_words(Status::error(errc::kRecoveryRequired, "a recovery code is required"));
        return;
    }
    client::Session* session = m_ctx.session.get();
    m_ctx.slow.post([q = m_ctx.queue, session] {
        const Status st = session->skip_recovery_code(false);
        if (!st.is_ok()) {
            q->post([st](AppState& state) { state.toast = "The recovery code stays: " + client::problem_words(st); });
        }
    });
    done();
}

void RecoveryController::done() {
    AppState& s = m_ctx.state;
    const Screen then = s.recovery.then;
    clear();
    s.screen = then;
}

void RecoveryController::clear() {
    RecoveryOffer& r = m_ctx.state.recovery;
    r.code.clear();
    sodium_memzero(r.typed.data(), r.typed.size());
    r.typed.clear();
    r.group = 0;
    r.problem.clear();
    r.after_recovery = false;
    r.then = Screen::kCases;
}

void RecoveryController::replace() {
    AppState& s = m_ctx.state;
    s.recovery_message.clear();
    if (!m_ctx.session || s.working) {
        return;
    }
    if (s.recovery_passphrase.view().empty()) {
        s.recovery_message = "Type your passphrase first: a new code is only made for the person who can unlock.";
        return;
    }
    auto pass = std::make_shared<SecureText>();
    pass->assign(s.recovery_passphrase.view());
    s.recovery_passphrase.clear();
    wipe_text_input_state();
    s.working = true;
    s.working_on = "Making a new recovery code...";
    client::Session* session = m_ctx.session.get();  // a lock closes the session behind this, on the same worker
    m_ctx.slow.post([q = m_ctx.queue, session, pass, this] {
        Result<std::string> code = session->replace_recovery_code(pass->view());
        pass->clear();
        const Status st = code.is_ok() ? Status::ok() : code.status();
        std::shared_ptr<CodeToShow> fresh = to_show(*session, code);
        q->post([this, st, fresh](AppState& state) {
            state.working = false;
            if (!st.is_ok()) {
                state.recovery_message = client::problem_words(st);
                return;
            }
            offer(fresh, /*after_recovery=*/false);
        });
    });
}

void RecoveryController::recover() {
    AppState& s = m_ctx.state;
    s.problem.clear();
    if (s.recovery_code.view().find_first_not_of(" -") == std::string_view::npos) {
        s.problem = "Type the recovery code you wrote down when this profile was made.";
        return;
    }
    if (client::passphrase_strength(s.passphrase.view(), s.policy.min_passphrase_length).score == 0) {
        s.problem = "The new passphrase is too short: use at least " + std::to_string(s.policy.min_passphrase_length) +
                    " characters.";
        return;
    }
    if (s.passphrase.view() != s.passphrase_again.view()) {
        s.problem = "The two new passphrases are not the same. Type them again.";
        s.passphrase_again.clear();
        return;
    }
    wipe_text_input_state();
    s.working = true;
    s.working_on = "Checking the recovery code...";
    // Copies for the worker; the passphrases stay on screen until it has worked.
    auto code = std::make_shared<SecureText>();
    auto pass = std::make_shared<SecureText>();
    code->assign(s.recovery_code.view());
    pass->assign(s.passphrase.view());
    m_ctx.slow.post([q = m_ctx.queue, root = m_ctx.root, name = s.profile, code, pass, &clock = m_ctx.clock,
                     on_sync = m_ctx.sync_bar->waker(), cache = m_ctx.options.store_cache_kib,
                     offline_days = s.policy.max_days_offline, required = s.policy.require_recovery_code, this] {
        Result<std::unique_ptr<client::Session>> session =
            client::Session::recover(root, name, code->view(), pass->view(), clock, on_sync, cache, offline_days);
        code->clear();
        pass->clear();
        // The code has been seen and typed: a new one replaces it at once.
        std::shared_ptr<CodeToShow> fresh = session.is_ok() ? prepare(**session, true, required) : nullptr;
        auto shared = std::make_shared<Result<std::unique_ptr<client::Session>>>(std::move(session));
        q->post([this, shared, fresh](AppState& st) {
            st.working = false;
            if (!shared->is_ok()) {
                const Status& why = shared->status();
                st.problem = why.code() == errc::kStoreRecoveryWrong && why.message().rfind("no recovery code", 0) == 0
                                 ? "This profile has no recovery code: it was skipped when the profile was made. "
                                   "Without the passphrase it cannot be opened."
                                 : client::problem_words(why);
                if (why.code() == errc::kStoreRecoveryWrong) {
                    st.recovery_code.clear();  // typed again from the paper, the new passphrases kept
                    st.focus_recovery_code = true;
                }
                return;
            }
            st.recovery_code.clear();
            st.passphrase.clear();
            st.passphrase_again.clear();
            m_ctx.sessions->opened(std::move(**shared));
            st.toast = "Your new passphrase is set. Everything on this laptop is as you left it.";
            st.toast_until_ms = m_ctx.clock.now_ms() + 8000;
            offer(fresh, /*after_recovery=*/true);
        });
    });
}

}  // namespace outpost::ui
