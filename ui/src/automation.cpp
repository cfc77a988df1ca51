#include "outpost/ui/automation.h"

#include <cctype>
#include <fstream>
#include <sstream>

#include "outpost/core/error_codes.h"
#include "outpost/platform/process.h"

namespace outpost::ui {
namespace {

// Splits a line into words; "double quotes" keep spaces, \n inside them is a new line.
std::vector<std::string> words(const std::string& line) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i])) != 0) {
            ++i;
        }
        if (i >= line.size()) {
            break;
        }
        std::string w;
        if (line[i] == '"') {
            ++i;
            while (i < line.size() && line[i] != '"') {
                w.push_back(line[i++]);
            }
            ++i;
        } else {
            while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i])) == 0) {
                w.push_back(line[i++]);
            }
        }
        out.push_back(w);
    }
    return out;
}

std::string unescape(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 1 < s.size() && s[i + 1] == 'n') {
            out.push_back('\n');
            ++i;
        } else {
            out.push_back(s[i]);
        }
    }
    return out;
}

// The rest of a `type` line after its label, as typed (quotes around it are dropped).
std::string text_after_label(const std::string& line) {
    std::size_t i = line.find_first_not_of(" \t");
    i = line.find_first_of(" \t", i);  // after the verb
    i = line.find_first_not_of(" \t", i);
    if (i == std::string::npos) {
        return "";
    }
    if (line[i] == '"') {
        i = line.find('"', i + 1);
        i = i == std::string::npos ? line.size() : i + 1;
    } else {
        i = line.find_first_of(" \t", i);
    }
    i = line.find_first_not_of(" \t", i == std::string::npos ? line.size() : i);
    if (i == std::string::npos) {
        return "";
    }
    std::string rest = line.substr(i);
    if (rest.size() >= 2 && rest.front() == '"' && rest.back() == '"') {
        rest = rest.substr(1, rest.size() - 2);
    }
    return unescape(rest);
}

double seconds_arg(const std::vector<std::string>& args, std::size_t at, double fallback) {
    if (args.size() <= at) {
        return fallback;
    }
    try {
        return std::stod(args[at]);
    } catch (const std::exception&) {
        return fallback;
    }
}

int key_code(const std::string& name) {
    const ImGuiIO& io = ImGui::GetIO();
    if (name.size() == 1 && std::isalpha(static_cast<unsigned char>(name[0])) != 0) {
        return std::toupper(static_cast<unsigned char>(name[0]));  // GLFW's codes for letters
    }
    if (name == "enter") {
        return io.KeyMap[ImGuiKey_Enter];
    }
    if (name == "tab") {
        return io.KeyMap[ImGuiKey_Tab];
    }
    if (name == "escape") {
        return io.KeyMap[ImGuiKey_Escape];
    }
    if (name == "space") {
        return io.KeyMap[ImGuiKey_Space];
    }
    if (name == "up") {
        return io.KeyMap[ImGuiKey_UpArrow];
    }
    if (name == "down") {
        return io.KeyMap[ImGuiKey_DownArrow];
    }
    return -1;
}

}  // namespace

Result<ScriptRunner> ScriptRunner::parse(const std::string& text) {
    ScriptRunner r;
    std::istringstream in(text);
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
        ++n;
        const std::vector<std::string> w = words(line);
        if (w.empty() || w[0].front() == '#') {
            continue;
        }
        Command c{n, w[0], std::vector<std::string>(w.begin() + 1, w.end())};
        static const std::vector<std::pair<std::string, std::size_t>> kVerbs = {
            {"click", 1},     {"type", 1},   {"text", 1},       {"key", 1},  {"wait-for", 1}, {"wait-synced", 0},
            {"wait-idle", 0}, {"frames", 1}, {"screenshot", 1}, {"idle", 2}, {"quit", 0}};
        bool known = false;
        for (const auto& [verb, args] : kVerbs) {
            if (verb == c.verb) {
                known = true;
                if (c.args.size() < args) {
                    return Status::error(errc::kInvalidArgument,
                                         "script line " + std::to_string(n) + ": " + verb + " needs an argument");
                }
            }
        }
        if (!known) {
            return Status::error(errc::kInvalidArgument,
                                 "script line " + std::to_string(n) + ": unknown command '" + c.verb + "'");
        }
        if (c.verb == "type") {
            c.args.resize(1);
            c.args.push_back(text_after_label(line));
        } else if (c.verb == "text") {
            const std::size_t at = line.find_first_not_of(" \t", line.find("text") + 4);
            std::string rest = at == std::string::npos ? std::string() : line.substr(at);
            if (rest.size() >= 2 && rest.front() == '"' && rest.back() == '"') {
                rest = rest.substr(1, rest.size() - 2);
            }
            c.args = {unescape(rest)};
        }
        const std::string key = c.args.empty() ? std::string() : c.args[0].substr(c.args[0].rfind('+') + 1);
        const bool known_key = (key.size() == 1 && std::isalpha(static_cast<unsigned char>(key[0])) != 0) ||
                               key == "enter" || key == "tab" || key == "escape" || key == "up" || key == "down" ||
                               key == "space";
        if (c.verb == "key" && !known_key) {
            return Status::error(errc::kInvalidArgument,
                                 "script line " + std::to_string(n) + ": unknown key '" + c.args[0] + "'");
        }
        r.m_commands.push_back(std::move(c));
    }
    return r;
}

int ScriptRunner::idle_remaining_ms() const {
    if (!idling() || !m_begun) {
        return 1 << 30;
    }
    const double seconds = seconds_arg(m_commands.front().args, 0, 10.0);
    const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_started).count();
    return static_cast<int>(std::max(0.0, (seconds - waited) * 1000.0));
}

void ScriptRunner::note_frame(bool after_input, double frame_ms) {
    if (!idling() || !m_begun) {
        return;
    }
    ++m_idle_frames;
    m_idle_frame_ms += frame_ms;
    if (after_input) {
        m_idle_input_frames_ms.push_back(
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
                .count());
    }
}

void ScriptRunner::fail(const Command& c, const std::string& why) {
    m_failed = true;
    m_message = "script line " + std::to_string(c.line) + " (" + c.verb + "): " + why;
}

bool ScriptRunner::timed_out(const Command& c, double default_seconds) {
    // Only the waits take a time; click and type wait the default for their label to appear.
    const bool wait = c.verb.rfind("wait-", 0) == 0;
    const double limit = wait ? seconds_arg(c.args, c.verb == "wait-for" ? 1 : 0, default_seconds) : default_seconds;
    const auto waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_started).count();
    return waited > limit;
}

void ScriptRunner::before_frame(App& app) {
    if (done()) {
        return;
    }
    ImGuiIO& io = ImGui::GetIO();
    const Command& c = m_commands.front();
    if (!m_begun) {
        m_begun = true;
        m_started = std::chrono::steady_clock::now();
        if (c.verb == "click" || c.verb == "type" || c.verb == "text" || c.verb == "key") {
            m_last_action_wall_ms = app.clock().now_ms();  // the clock the sync engine stamps with
        }
        if (c.verb == "idle") {
            m_idle_cpu_start_ms = platform::process_cpu_ms();
            m_idle_frames = 0;
            m_idle_frame_ms = 0;
            m_idle_input_frames_ms.clear();
        }
    }
    if (c.verb == "click" || c.verb == "type") {
        const std::optional<ImVec2> at = app.widgets().centre_of(c.args[0]);
        if (at) {
            io.MousePos = *at;
        }
        // Frames: 0 find, 1 hover, 2 press, 3 release, then (type) 4 characters.
        io.MouseDown[0] = m_step == 2;
        if (c.verb == "type" && m_step == 4) {
            io.AddInputCharactersUTF8(c.args[1].c_str());
        }
    } else if (c.verb == "text") {
        if (m_step == 0) {
            io.AddInputCharactersUTF8(c.args[0].c_str());
        }
    } else if (c.verb == "key") {
        const std::string& combo = c.args[0];
        const std::string key = combo.substr(combo.rfind('+') + 1);
        const int code = key_code(key);
        const bool down = m_step == 1;
        io.KeyCtrl = down && combo.find("ctrl+") != std::string::npos;
        io.KeyShift = down && combo.find("shift+") != std::string::npos;
        if (code >= 0 && code < static_cast<int>(IM_ARRAYSIZE(io.KeysDown))) {
            io.KeysDown[code] = down;
        }
    }
}

void ScriptRunner::after_frame(App& app, const std::function<Status(const std::string&)>& screenshot) {
    if (done()) {
        return;
    }
    const Command c = m_commands.front();
    bool next = false;
    if (c.verb == "click" || c.verb == "type") {
        if (m_step == 0 && !app.widgets().has(c.args[0]) && app.widgets().hidden(c.args[0])) {
            app.widgets().scroll_to(c.args[0]);  // drawn but out of view: scroll to it first
        }
        if (m_step == 0 && !app.widgets().has(c.args[0])) {
            if (timed_out(c, 10.0)) {
                fail(c, "nothing labelled \"" + c.args[0] + "\" on screen");
            }
            return;  // wait for it to appear
        }
        next = m_step >= (c.verb == "type" ? 5 : 3);
    } else if (c.verb == "key") {
        next = m_step >= 2;
    } else if (c.verb == "text") {
        next = m_step >= 1;
    } else if (c.verb == "wait-for") {
        next = app.widgets().has(c.args[0]);
        if (!next && timed_out(c, 10.0)) {
            fail(c, "\"" + c.args[0] + "\" never appeared");
        }
    } else if (c.verb == "wait-synced") {
        const sync::SyncState& s = app.state().sync.state;
        // A sync that succeeded after the last click or key (Sync now, a save), with nothing left to send.
        next = app.state().unlocked && s.phase == sync::SyncPhase::kUpToDate && s.waiting == 0 &&
               s.last_success_ms >= m_last_action_wall_ms;
        if (!next && timed_out(c, 30.0)) {
            fail(c, "no successful sync since the last action (" + std::string(sync::phase_name(s.phase)) +
                        (s.reason.empty() ? "" : ": " + s.reason) + ", " + std::to_string(s.waiting) +
                        " waiting, last success " + std::to_string(s.last_success_ms - m_last_action_wall_ms) +
                        " ms after the last action)");
        }
    } else if (c.verb == "wait-idle") {
        next = !app.busy() && !app.state().working && m_step > 1;
        if (!next && timed_out(c, 10.0)) {
            fail(c, "still busy");
        }
    } else if (c.verb == "frames") {
        next = m_step + 1 >= std::max(1, std::atoi(c.args[0].c_str()));
    } else if (c.verb == "screenshot") {
        const Status s = screenshot ? screenshot(c.args[0]) : Status::error(errc::kInvalidArgument, "no window");
        if (!s.is_ok()) {
            fail(c, s.message());
        }
        next = true;
    } else if (c.verb == "idle") {
        const double seconds = seconds_arg(c.args, 0, 10.0);
        const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_started).count();
        if (waited >= seconds) {
            const double cpu = platform::process_cpu_ms() - m_idle_cpu_start_ms;
            std::ofstream out(c.args[1], std::ios::trunc);
            out << "{\"seconds\":" << waited << ",\"cpu_ms\":" << cpu
                << ",\"idle_cpu_pct\":" << (100.0 * cpu / (waited * 1000.0)) << ",\"frames\":" << m_idle_frames
                << ",\"frame_ms\":" << (m_idle_frames > 0 ? m_idle_frame_ms / m_idle_frames : 0.0)
                << ",\"input_frames_end_ms\":[";
            for (std::size_t i = 0; i < m_idle_input_frames_ms.size(); ++i) {
                out << (i > 0 ? "," : "") << m_idle_input_frames_ms[i];
            }
            out << "]}\n";
            if (!out) {
                fail(c, "cannot write " + c.args[1]);
            }
            next = true;
        }
    } else if (c.verb == "quit") {
        m_quit = true;
        next = true;
    }
    // An action is done once what it asked for is applied: an intent may wait for the store while a
    // sync holds it, and the next line must find its result, as a person waits to see it.
    const bool action = c.verb == "click" || c.verb == "type" || c.verb == "text" || c.verb == "key";
    if (next && action && app.waiting_intents() > 0) {
        next = false;
        if (timed_out(c, 30.0)) {
            fail(c, "what it asked for still waits for the store");
        }
    }
    ++m_step;
    if (next && !m_failed) {
        m_commands.pop_front();
        m_step = 0;
        m_begun = false;
    }
}

}  // namespace outpost::ui
