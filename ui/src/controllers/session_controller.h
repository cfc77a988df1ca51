// SessionController: unlocking a profile (Argon2 on the slow worker), what follows once its Session
// is open (the screen and the draft left at the lock, the lists read), locking it (by hand, after the
// auto-lock minutes without input, or before another session opens), and where to come back to.
//
// Locking never waits on the UI thread: the unsaved forms go to the slow worker as drafts, with the
// session they are saved into; there they wait for the store if a sync holds it, then the reader's
// work on that session ends and the session closes (sync stopped, store closed, key wiped).
//
// Threads: UI thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "outpost/client/session.h"
#include "outpost/ui/intents.h"

namespace outpost::ui {

struct AppContext;

class SessionController {
public:
    explicit SessionController(AppContext& ctx) : m_ctx(ctx) {}

    // The chosen profile, with AppState's passphrase (moved into sodium memory for the worker).
    void unlock();
    // A session an unlock or an enrolment opened (on the UI thread, from the RunQueue).
    void opened(std::unique_ptr<client::Session> session);
    // `why` is shown on the unlock screen.
    void lock(const std::string& why);
    // The server said IT wants this profile's data removed (sync.auth.wiped): closes the session
    // without keeping drafts and removes the profile's files (sync::wipe_profile); the unlock screen
    // says why.
    void wiped();
    // The next unlock starts on the case list, with no draft to reopen (the profile is going).
    void forget_resume();
    // Locks after the auto-lock minutes without input.
    void check_idle();
    // When the auto-lock falls due (app clock), while unlocked.
    [[nodiscard]] std::int64_t auto_lock_at() const;
    // The session's forms into AppState: the "New case" choices (case forms, not retired) and the
    // notices of forms that need a newer Outpost. At unlock, and when a sync brought new forms.
    void take_forms();

private:
    // Closes the session (on the slow worker, after saving `keep`; with `wipe`, then removes the
    // profile's files) and shows the unlock screen with `why`.
    void close(std::vector<client::Draft> keep, const std::string& why, bool wipe);

    AppContext& m_ctx;
    // Where to come back to after a lock: the screen, and the form's draft if one was open.
    Screen m_resume_screen = Screen::kCases;
    std::string m_resume_draft;
    std::string m_resume_idea_draft;
};

}  // namespace outpost::ui
