// RecoveryController: the recovery code on the window's side (client/recovery.h). After a profile is
// made, and after it was recovered with its code, the new code is shown once; "I have written it
// down" asks for one group of it back (a wrong group shows the code again); "Skip" is there unless
// the site policy or the service desk's escrow requires a code. "Forgot passphrase?" on the unlock
// screen takes the code and a new passphrase twice, opens the profile with all its data (the changes
// waiting to be sent included) and offers a new code, since the old one has been seen. Settings
// makes a new code on request, after the passphrase (a lost paper, a code someone saw).
//
// Threads: UI thread; the store work (a new code, typed back, skipped, the recovery's Argon2) runs on
// the slow worker and posts its result.
#pragma once

#include <memory>
#include <string>

#include "outpost/client/session.h"
#include "outpost/ui/app_state.h"

namespace outpost::ui {

struct AppContext;

// A code a worker made, on its way to the screen.
struct CodeToShow {
    SecureText code;  // empty: nothing to show
    bool escrowed = false;
};

class RecoveryController {
public:
    explicit RecoveryController(AppContext& ctx) : m_ctx(ctx) {}

    // On the slow worker, with a session just opened (not yet the App's): the code to show, made
    // now when `make_new` (a new profile, a recovered one), else the one still waiting to be typed
    // back (or a new one the policy requires). A failure leaves nothing to show, not an error: the
    // next unlock tries again.
    [[nodiscard]] static std::shared_ptr<CodeToShow> prepare(client::Session& session, bool make_new, bool required,
                                                             const std::string& escrow_key = {});
    // On the UI thread, after SessionController::opened: shows `code` when there is one.
    void offer(const std::shared_ptr<CodeToShow>& code, bool after_recovery);
    void written();
    void confirm(const std::string& typed);
    void skip();
    // "Forgot passphrase?": AppState's recovery code and new passphrases.
    void recover();
    // Settings' "Make a new recovery code", after AppState's recovery_passphrase: the new code is
    // shown as after enrolment (then back to Settings); a wrong passphrase is said there.
    void replace();
    // Forgets the code on screen (a lock).
    void clear();

private:
    void done();
    AppContext& m_ctx;
};

}  // namespace outpost::ui
