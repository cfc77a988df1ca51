// Automation: drives the App through a flow as a person would, from a small script: click buttons
// and type into fields by their labels, press shortcuts, wait for sync, save screenshots. The
// window smoke test and `outpost --script FILE` use it; so can IT staff to check a build.
//
// Script lines (blank lines and lines starting with # are skipped; quote labels with spaces):
//   click LABEL                  press the widget drawn with that label
//   type LABEL TEXT...           click the field, then type the rest of the line (\n for a new line)
//   text TEXT...                 type the rest of the line into whatever has the keyboard (no click)
//   key ctrl+shift+n             press a key or shortcut (ctrl, shift, a letter, or enter / tab /
//                                escape / space / up / down)
//   wait-for LABEL [SECONDS]     until a widget with that label is drawn (default 10 s)
//   wait-synced [SECONDS]        until a sync has succeeded since the last click, type or key,
//                                with nothing left waiting (default 30 s)
//   wait-idle [SECONDS]          until no worker is busy (default 10 s)
//   frames N                     draw N frames
//   screenshot FILE              save the window as a PNG (needs a window)
//   idle SECONDS FILE            let the window rest as it does for a person (it draws only on input,
//                                a worker's result or a timer) and write to FILE one JSON line: the
//                                process's CPU as a share of one core, frames drawn and their mean
//                                time, and when each frame after an input event ended (wall-clock
//                                ms), for benchmarks
//   quit
// click, type, text and key end once the intents they made are applied (one may wait for the store
// a frame or more while a sync holds it).
//
// Threads: UI thread. Failure: a command that cannot complete in time ends the script with a
// message naming the line (failed() / message()).
#pragma once

#include <imgui.h>

#include <chrono>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "outpost/core/status.h"
#include "outpost/ui/app.h"

namespace outpost::ui {

class ScriptRunner {
public:
    // Parses `text`; a line it cannot read fails here (core.argument.invalid naming the line).
    [[nodiscard]] static Result<ScriptRunner> parse(const std::string& text);

    // Before ImGui::NewFrame (after the platform backend's NewFrame): sets the mouse, keys and typed
    // characters for this frame.
    void before_frame(App& app);
    // After the frame is rendered: advances the script; `screenshot` saves the window to a file.
    void after_frame(App& app, const std::function<Status(const std::string&)>& screenshot);

    [[nodiscard]] bool done() const { return m_commands.empty() || m_failed; }
    // True while an `idle` command runs: the host then waits for input between frames as it does
    // without a script, and calls note_frame() after each frame.
    [[nodiscard]] bool idling() const { return !done() && m_commands.front().verb == "idle"; }
    // `after_input`: this frame followed an input event from the window system; `frame_ms`: how long
    // it took, from taking the events to showing it.
    void note_frame(bool after_input, double frame_ms);
    // During `idle`: how long until it ends (the host wakes for it); otherwise a large number.
    [[nodiscard]] int idle_remaining_ms() const;
    [[nodiscard]] bool failed() const { return m_failed; }
    [[nodiscard]] bool quit() const { return m_quit; }
    [[nodiscard]] const std::string& message() const { return m_message; }

private:
    struct Command {
        int line = 0;
        std::string verb;
        std::vector<std::string> args;
    };
    void fail(const Command& c, const std::string& why);
    [[nodiscard]] bool timed_out(const Command& c, double default_seconds);

    std::deque<Command> m_commands;
    int m_step = 0;        // frames into the current command
    bool m_begun = false;  // the current command's clock has started
    std::chrono::steady_clock::time_point m_started{};
    std::int64_t m_last_action_wall_ms = 0;  // when the last click, type or key began
    double m_idle_cpu_start_ms = 0;          // idle: the process's CPU time when it began
    int m_idle_frames = 0;
    double m_idle_frame_ms = 0;                        // idle: the frames' total time
    std::vector<std::int64_t> m_idle_input_frames_ms;  // idle: wall-clock ends of frames after input
    bool m_failed = false;
    bool m_quit = false;
    std::string m_message;
};

}  // namespace outpost::ui
