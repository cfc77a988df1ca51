#include "navigation_controller.h"

#include "app_context.h"
#include "cases_controller.h"
#include "conflicts_controller.h"
#include "needs_attention_controller.h"
#include "profiles_controller.h"
#include "review_controller.h"

namespace outpost::ui {

void NavigationController::go_to(Screen screen) {
    AppState& s = m_ctx.state;
    if (screen == Screen::kCreateProfile || screen == Screen::kProfiles) {
        s.problem.clear();
        s.passphrase.clear();
        s.passphrase_again.clear();
        s.locked_note.clear();
        m_ctx.profiles->refresh();  // another profile may have been made since the list was read
        if (screen == Screen::kCreateProfile && s.screen != Screen::kEnrol) {
            // A new person: nothing of the last one's name or enrolment file.
            s.new_profile_name.clear();
            s.provision_path.clear();
            s.provision_text.clear();
        }
    }
    if (screen != s.screen) {
        s.toast.clear();
    }
    s.screen = screen;
    if (screen == Screen::kSuggestions || screen == Screen::kReview || screen == Screen::kLibrary ||
        screen == Screen::kDashboard) {
        m_ctx.review->load();
    } else if (screen == Screen::kConflicts) {
        m_ctx.conflicts->load();
    } else if (screen == Screen::kNeedsAttention) {
        m_ctx.attention->load();
    } else if (screen == Screen::kCases && m_ctx.session) {
        m_ctx.cases->query(false);
    }
}

void NavigationController::quit() {
    m_ctx.quit = true;
}

}  // namespace outpost::ui
