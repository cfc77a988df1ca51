// App: owns every client subsystem and the AppState. The UI thread calls frame() once per frame
// between ImGui::NewFrame() and ImGui::Render(); network checks run on a worker thread and report
// back through the RunQueue, drained at the start of each frame.
//
// Ownership: App owns its worker thread and joins it on destruction.
// Threads: every public method is UI-thread only.
#pragma once

#include <atomic>
#include <string>
#include <thread>

#include "outpost/core/clock.h"
#include "outpost/ui/app_state.h"
#include "outpost/ui/intents.h"
#include "outpost/ui/run_queue.h"
#include "outpost/ui/widgets.h"

namespace outpost::ui {

struct AppOptions {
    std::string server_url;
    std::string ca_cert_path;
};

class App {
public:
    explicit App(AppOptions options, const Clock& clock = SystemClock::instance());
    ~App();
    App(const App&) = delete;
    App& operator=(const App&) = delete;

    // Drains worker results, draws every view, then applies the intents the views produced.
    void frame();
    // Applies one intent (the automation mode and tests call this too).
    void apply(const Intent& intent);

    [[nodiscard]] const AppState& state() const { return m_state; }
    [[nodiscard]] const WidgetRegistry& widgets() const { return m_widgets; }
    [[nodiscard]] bool quit_requested() const { return m_quit; }
    // True while a background check is running.
    [[nodiscard]] bool busy() const { return m_busy.load(); }

private:
    void start_server_check();

    AppOptions m_options;
    const Clock& m_clock;
    AppState m_state;
    RunQueue m_queue;
    WidgetRegistry m_widgets;
    std::thread m_worker;
    std::atomic<bool> m_busy{false};
    bool m_quit = false;
};

}  // namespace outpost::ui
