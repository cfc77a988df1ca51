// outpost: the field client. Opens a window (GLFW + OpenGL3 + Dear ImGui) unless a headless command
// is given.
#include <imgui.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "outpost/client/cli.h"
#include "outpost/client/site_policy.h"
#include "outpost/core/error_codes.h"
#include "outpost/core/version.h"
#include "outpost/platform/child_process.h"
#include "outpost/platform/process.h"
#include "outpost/platform/utf8.h"
#include "outpost/platform/window.h"
#include "outpost/sync/server_api.h"
#include "outpost/ui/app.h"
#include "outpost/ui/automation.h"
#include "text_edit.h"

namespace {

constexpr const char* kUsage = R"(outpost: the Outpost field client

Usage:
  outpost [--provision FILE] [--data-dir DIR] [--frames N] [--screenshot PNG] [--script FILE]
      Open the client window. --provision starts a new profile's enrolment with the file from IT.
      --frames N renders N frames then exits (for smoke tests); --screenshot saves the last frame
      as a PNG. --script FILE drives the window through a flow (see docs/ARCHITECTURE.md): click and
      type by label, press shortcuts, wait for sync, save screenshots; exit 1 if a step fails.
  outpost health --server URL [--ca-cert PEM]
      Headless: check that the central service answers, print its version.
  outpost enroll --profile NAME --provision FILE [--device-name NAME] [--name "Ann Okafor"]
      Create a profile (asks for a new passphrase) and enrol it with the server named in the
      provisioning file from IT. The server certificate in the file is pinned. --name is the
      person's name as the window shows it (else the profile's).
  outpost sync --headless --profile NAME
      Sync a profile once, printing progress and a summary (for IT staff and scripts).
  outpost sync --headless --provision FILE [--profile NAME]
      Enrol a new profile from FILE first (named after its user unless --profile is given), unless
      that profile is already here, then sync it: IT's one step for a new laptop.
  outpost status --profile NAME [--list]
      What a profile holds, without a server: cases by form, ideas, unsaved forms, and changes
      waiting to send (safe to wipe a laptop only when that is 0). --list adds one line per case:
      its form, a tab, its title.
  outpost --version | --help

Site policy: /etc/outpost/client.json (on Windows %ProgramData%\Outpost\client.json), set by IT,
fixes the server (URL and certificate pin), the longest auto-lock, whether files may be saved out
of Outpost, and the shortest passphrase.
A policy file that cannot be read stops Outpost with exit status 3 (see outpost(1)).
  --policy FILE            read the site policy from FILE instead (to try one out)

Options for enroll, sync and status:
  --passphrase-file FILE   read the passphrase from FILE (else $OUTPOST_PASSPHRASE, else the terminal)
  --data-dir DIR           keep profiles in DIR/profiles instead of the per-user data directory

The window needs a display. On a machine without one, use:
  xvfb-run -a -s '-screen 0 1280x800x24' outpost --frames 60 --screenshot shot.png
)";

struct Args {
    std::string command;
    std::string server;
    std::string ca_cert;
    int frames = -1;  // -1: run until closed
    std::string screenshot;
    std::string script;
    std::filesystem::path policy_file = outpost::client::default_policy_path();
    std::string policy_error;  // the site policy could not be read (exit 3)
    outpost::client::CliArgs cli;
};

int usage_error(const std::string& m) {
    std::cerr << "outpost: " << m << "\n\n" << kUsage;
    return 2;
}

int run_health(const Args& args) {
    if (args.server.empty()) {
        return usage_error("health needs --server URL");
    }
    auto transport = outpost::sync::make_http_transport({.base_url = args.server, .ca_cert_path = args.ca_cert});
    if (!transport.is_ok()) {
        std::cerr << "outpost: " << transport.status().to_string() << "\n";
        return 1;
    }
    outpost::sync::ServerApi api(**transport);
    auto health = api.health();
    if (!health.is_ok()) {
        std::cerr << "outpost: " << health.status().to_string() << "\n  "
                  << outpost::errc::explain(health.status().code()) << "\n";
        return 1;
    }
    std::cout << "Server " << args.server << " is online: " << health->service << " " << health->version << " ("
              << health->git_hash << "), protocols";
    for (const auto& p : health->protocols) {
        std::cout << ' ' << p;
    }
    std::cout << "\n";
    return 0;
}

int run_window(const Args& args) {
    std::optional<outpost::ui::ScriptRunner> script;
    if (!args.script.empty()) {
        std::ifstream in(outpost::path_from_utf8(args.script));
        if (!in) {
            std::cerr << "outpost: cannot read the script " << args.script << "\n";
            return 1;
        }
        std::stringstream text;
        text << in.rdbuf();
        auto parsed = outpost::ui::ScriptRunner::parse(text.str());
        if (!parsed.is_ok()) {
            std::cerr << "outpost: " << parsed.status().message() << "\n";
            return 2;
        }
        script = std::move(*parsed);
    }
    // A logout or shutdown closes the window as the close button does (drafts saved, store locked).
    outpost::platform::handle_termination_signals();
    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;  // no plaintext layout files next to records
    io.ConfigFlags |= ImGuiConfigFlags_NavEnableKeyboard;
    io.ConfigInputTextCursorBlink = false;  // a steady caret: nothing to redraw while the window rests

    auto window = outpost::platform::Window::create("Outpost", 1280, 800);
    if (!window.is_ok()) {
        std::cerr << "outpost: " << window.status().message() << "\n"
                  << "  No display? Run under Xvfb:\n"
                  << "  xvfb-run -a -s '-screen 0 1280x800x24' outpost --frames 60 --screenshot shot.png\n";
        ImGui::DestroyContext();
        return 1;
    }
    // Characters ImGui's 16-bit text fields cannot hold travel as stand-ins while edited (text_edit.h).
    (*window)->set_char_filter(&outpost::ui::editable_char);
    outpost::ui::wrap_clipboard_for_stand_ins();
    int code = 0;
    {
        outpost::ui::AppOptions options;
        options.data_dir = outpost::path_from_utf8(args.cli.data_dir);
        options.provision_file = args.cli.provision;
        options.device_name = args.cli.device_name;
        options.display_scale = (*window)->content_scale();
        options.make_texture = &outpost::platform::Window::make_texture;
        options.free_texture = &outpost::platform::Window::free_texture;
        options.wake = &outpost::platform::Window::wake;
        options.policy = args.cli.policy;
        options.policy_error = args.policy_error;
        outpost::ui::App app(options);
        std::uint64_t look = 0;
        auto screenshot = [&](const std::string& path) {
            return (*window)->save_screenshot(outpost::path_from_utf8(path));
        };
        // The window rests between inputs: it waits for an event (a key, the mouse, a resize, a
        // worker's result, sync progress) or the app's next timer, and draws a few frames after each
        // event so ImGui settles (hover, popups). --frames and scripts draw continuously, except
        // during a script's `idle`.
        int settle = 3;
        std::string title;
        for (int frame = 0; !(*window)->should_close() && !app.quit_requested(); ++frame) {
            if (outpost::platform::termination_requested()) {
                break;  // a logout or shutdown: the App saves what was typed and locks as it goes
            }
            if (app.fonts_generation() != look) {
                look = app.fonts_generation();
                app.apply_look();
                (*window)->reload_fonts();
            }
            const bool last = args.frames >= 0 && frame + 1 >= args.frames;
            // In a bounded smoke run, let pending work finish before the final frame so the screenshot
            // shows its result.
            if (last && app.busy()) {
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
                --frame;
                continue;
            }
            const bool continuous = args.frames >= 0 || (script && !script->idling());
            const bool idle_over = script && script->idle_remaining_ms() == 0;
            if (!continuous && settle == 0 && !app.needs_frame() && !idle_over) {
                // Rest until input, a wake() (a worker's result, sync progress) or the app's next
                // timer; a timer that changes nothing on screen runs without a frame. In slices, so a
                // termination signal (and the end of a script's `idle`) is seen within 250 ms.
                const int wait = app.frame_wait_ms();
                const int slice = std::min(script ? script->idle_remaining_ms() : 250, 250);
                if (wait > 0) {
                    if (!(*window)->wait_for_events(std::min(wait, std::max(slice, 1)))) {
                        --frame;
                        continue;
                    }
                } else if (!app.tick()) {
                    --frame;
                    continue;
                }
            }
            const auto frame_start = std::chrono::steady_clock::now();
            const bool input = (*window)->begin_frame();
            settle = input ? 3 : std::max(0, settle - 1);
            if (script) {
                script->before_frame(app);
            }
            ImGui::NewFrame();
            app.frame();
            ImGui::Render();
            (*window)->render();
            if (script) {
                script->after_frame(app, screenshot);
                if (script->failed()) {
                    std::cerr << "outpost: " << script->message() << "\n";
                    code = 1;
                    break;
                }
                if (script->quit() || script->done()) {
                    break;
                }
            }
            if (last) {
                if (!args.screenshot.empty()) {
                    outpost::Status s = (*window)->save_screenshot(outpost::path_from_utf8(args.screenshot));
                    if (!s.is_ok()) {
                        std::cerr << "outpost: " << s.to_string() << "\n";
                        code = 1;
                    }
                }
                break;
            }
            if (app.window_title() != title) {
                title = app.window_title();
                (*window)->set_title(title);
            }
            (*window)->swap();
            if (script) {
                script->note_frame(
                    input,
                    std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - frame_start).count());
            }
        }
    }
    window->reset();
    ImGui::DestroyContext();
    return code != 0 ? code : (args.policy_error.empty() ? 0 : 3);
}

}  // namespace

int main(int argc, char** argv) {
    // A crash must never write decrypted records to disk.
    if (outpost::Status s = outpost::platform::disable_core_dumps(); !s.is_ok()) {
        std::cerr << "outpost: warning: " << s.to_string() << "\n";
    }
    std::vector<std::string> a = outpost::os::arguments(argc, argv);
    a.erase(a.begin());
    Args args;
    std::size_t i = 0;
    if (!a.empty() && a[0].rfind("--", 0) != 0) {
        args.command = a[0];
        i = 1;
    }
    for (; i < a.size(); ++i) {
        auto next = [&](std::string& out) {
            if (i + 1 >= a.size()) {
                return false;
            }
            out = a[++i];
            return true;
        };
        std::string v;
        if (a[i] == "--help" || a[i] == "-h") {
            std::cout << kUsage;
            return 0;
        }
        if (a[i] == "--version") {
            std::cout << "outpost " << outpost::version() << " (" << outpost::git_hash() << ")\n";
            return 0;
        }
        if (a[i] == "--server" && next(v)) {
            args.server = v;
        } else if (a[i] == "--ca-cert" && next(v)) {
            args.ca_cert = v;
        } else if (a[i] == "--profile" && next(v)) {
            args.cli.profile = v;
        } else if (a[i] == "--provision" && next(v)) {
            args.cli.provision = v;
        } else if (a[i] == "--passphrase-file" && next(v)) {
            args.cli.passphrase_file = v;
        } else if (a[i] == "--data-dir" && next(v)) {
            args.cli.data_dir = v;
        } else if (a[i] == "--device-name" && next(v)) {
            args.cli.device_name = v;
        } else if (a[i] == "--name" && next(v)) {
            args.cli.display_name = v;
        } else if (a[i] == "--policy" && next(v)) {
            args.policy_file = outpost::path_from_utf8(v);
        } else if (a[i] == "--headless") {
            args.cli.headless = true;
        } else if (a[i] == "--list") {
            args.cli.list = true;
        } else if (a[i] == "--script" && next(v)) {
            args.script = v;
        } else if (a[i] == "--screenshot" && next(v)) {
            args.screenshot = v;
        } else if (a[i] == "--frames" && next(v)) {
            try {
                args.frames = std::stoi(v);
            } catch (const std::exception&) {
                return usage_error("--frames wants a number");
            }
            if (args.frames < 1) {
                return usage_error("--frames wants a number of at least 1");
            }
        } else {
            return usage_error("unknown or incomplete option '" + a[i] + "'");
        }
    }
    if (args.command == "health") {
        return run_health(args);
    }
    // The site policy from IT. One that cannot be read stops every command (exit 3); the window
    // opens to say so, since a worker starting it from the menu would see no terminal.
    auto policy = outpost::client::load_site_policy(args.policy_file);
    if (policy.is_ok()) {
        args.cli.policy = *policy;
    } else {
        args.policy_error = policy.status().message();
        std::cerr << "outpost: " << policy.status().message() << " [" << policy.status().code() << "]\n  "
                  << outpost::errc::explain(policy.status().code()) << "\n";
        if (!args.command.empty()) {
            return 3;
        }
    }
    if (args.command == "enroll") {
        return outpost::client::run_enroll(args.cli);
    }
    if (args.command == "sync") {
        return outpost::client::run_sync(args.cli);
    }
    if (args.command == "status") {
        return outpost::client::run_status(args.cli);
    }
    if (!args.command.empty()) {
        return usage_error("unknown command '" + args.command + "'");
    }
    return run_window(args);
}
