// ProfilesController: the profiles on this laptop: the list, choosing one, creating one (its name and
// passphrase checked, then the enrolment screen), enrolling it (on the slow worker: the server's
// answer and Argon2; the session it opens goes to SessionController::opened), and removing one.
//
// Threads: UI thread only; enrolment runs on the slow worker and posts its result.
#pragma once

#include <string>

namespace outpost::ui {

struct AppContext;

class ProfilesController {
public:
    explicit ProfilesController(AppContext& ctx) : m_ctx(ctx) {}

    // Reads the profile folders again into AppState::profiles.
    void refresh();
    void choose(const std::string& name);
    // `name` as typed; the passphrases are AppState's.
    void create(const std::string& name);
    void clear_problem();
    // From the enrolment file at `path`, or its pasted `text` (which wins when not blank).
    void enrol(const std::string& path, const std::string& text);
    // The unlocked profile: locked, then its folder removed (on the slow worker, after the session
    // has closed).
    void remove();

private:
    // The enrolment files IT usually hands out, in Downloads, home and here.
    void find_provision_files();

    AppContext& m_ctx;
};

}  // namespace outpost::ui
