// SettingsController: the settings screen: auto-lock minutes (within the site policy), text size and
// theme (saved in settings.txt; the host reloads the fonts when AppContext::fonts_generation moves),
// this profile's attachment prefetch (kept in its store), and changing the passphrase (Argon2 on the
// slow worker).
//
// Threads: UI thread only. set_prefetch() touches the store: the IntentRouter holds the store mutex
// around it.
#pragma once

#include "outpost/client/settings.h"

namespace outpost::ui {

struct AppContext;

class SettingsController {
public:
    explicit SettingsController(AppContext& ctx) : m_ctx(ctx) {}

    void set_auto_lock(int minutes);
    void set_font_scale(float scale);
    void set_theme(client::Theme theme);
    void set_prefetch(bool on);
    // From AppState's old and new passphrases (moved into sodium memory for the worker, then wiped).
    void change_passphrase();

private:
    AppContext& m_ctx;
};

}  // namespace outpost::ui
