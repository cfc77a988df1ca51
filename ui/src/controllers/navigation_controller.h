// NavigationController: which screen shows (GoToIntent) and quitting. Going to a screen reads what it
// shows: the profiles, the case list, the suggestions or the conflicts (on the reader).
//
// Threads: UI thread only.
#pragma once

#include "outpost/ui/intents.h"

namespace outpost::ui {

struct AppContext;

class NavigationController {
public:
    explicit NavigationController(AppContext& ctx) : m_ctx(ctx) {}

    void go_to(Screen screen);
    void quit();

private:
    AppContext& m_ctx;
};

}  // namespace outpost::ui
