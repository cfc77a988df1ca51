#include "settings_controller.h"

#include <algorithm>
#include <memory>

#include "app_context.h"
#include "outpost/client/words.h"
#include "outpost/ui/widgets.h"
#include "worker.h"

namespace outpost::ui {

void SettingsController::set_auto_lock(int minutes) {
    AppState& s = m_ctx.state;
    s.settings.auto_lock_minutes = s.policy.auto_lock_minutes(minutes);
    m_ctx.save_settings();
}

void SettingsController::set_font_scale(float scale) {
    m_ctx.state.settings.font_scale = std::clamp(scale, 0.8F, 2.0F);
    ++m_ctx.fonts_generation;
    m_ctx.save_settings();
}

void SettingsController::set_theme(client::Theme theme) {
    m_ctx.state.settings.theme = theme;
    ++m_ctx.fonts_generation;  // the host re-applies the style with the fonts
    m_ctx.save_settings();
}

void SettingsController::set_prefetch(bool on) {
    if (!m_ctx.session) {
        return;
    }
    if (Status st = m_ctx.session->set_prefetch_attachments(on); st.is_ok()) {
        m_ctx.state.prefetch_attachments = on;
        if (on) {
            m_ctx.session->request_sync();
        }
    } else {
        m_ctx.state.settings_message = client::problem_words(st);
    }
}

void SettingsController::change_passphrase() {
    AppState& s = m_ctx.state;
    s.settings_message.clear();
    if (!m_ctx.session) {
        return;
    }
    if (client::passphrase_strength(s.passphrase.view(), s.policy.min_passphrase_length).score == 0) {
        s.settings_message = "The new passphrase is too short: use at least " +
                             std::to_string(s.policy.min_passphrase_length) + " characters.";
        return;
    }
    if (s.passphrase.view() != s.passphrase_again.view()) {
        s.settings_message = "The two new passphrases are not the same.";
        return;
    }
    auto old_pass = std::make_shared<SecureText>();
    auto new_pass = std::make_shared<SecureText>();
    old_pass->assign(s.old_passphrase.view());
    new_pass->assign(s.passphrase.view());
    s.old_passphrase.clear();
    s.passphrase.clear();
    s.passphrase_again.clear();
    wipe_text_input_state();
    s.working = true;
    s.working_on = "Changing the passphrase...";
    // Only the key file changes (Session::change_passphrase takes the key's mutex, not the store's).
    client::Session* session = m_ctx.session.get();  // a lock closes the session behind this, on the same worker
    m_ctx.slow.post([q = m_ctx.queue, session, old_pass, new_pass] {
        const Status st = session->change_passphrase(old_pass->view(), new_pass->view());
        old_pass->clear();
        new_pass->clear();
        q->post([st](AppState& state) {
            state.working = false;
            state.settings_message =
                st.is_ok() ? "Passphrase changed. Use the new one from now on." : client::problem_words(st);
        });
    });
}

}  // namespace outpost::ui
