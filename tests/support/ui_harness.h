// Headless field client for tests: a Dear ImGui context with no window and no GL, which draws a real
// App's frames to draw lists only, and runs automation scripts (ui/automation.h) against it.
#pragma once

#include <doctest/doctest.h>
#include <imgui.h>

#include <chrono>
#include <string>
#include <thread>

#include "outpost/ui/app.h"
#include "outpost/ui/automation.h"

namespace outpost::testing {

using ui::App;
using ui::ScriptRunner;

// A headless ImGui context: no window, no GL. Frames are built and rendered to draw lists only.
struct Headless {
    Headless() {
        ImGui::CreateContext();
        ImGuiIO& io = ImGui::GetIO();
        io.IniFilename = nullptr;
        io.DisplaySize = ImVec2(1280, 800);
        io.DeltaTime = 1.0F / 60.0F;
        io.KeyMap[ImGuiKey_Enter] = 257;  // as the GLFW backend maps them
        io.KeyMap[ImGuiKey_Tab] = 258;
        io.KeyMap[ImGuiKey_Escape] = 256;
        io.KeyMap[ImGuiKey_Backspace] = 259;
        io.KeyMap[ImGuiKey_DownArrow] = 264;
        io.KeyMap[ImGuiKey_UpArrow] = 265;
        io.KeyMap[ImGuiKey_A] = 'A';  // select all, as ImGui's text fields read it
        io.KeyMap[ImGuiKey_LeftArrow] = 263;
        io.KeyMap[ImGuiKey_RightArrow] = 262;
        io.KeyMap[ImGuiKey_Space] = 32;
        io.ConfigFlags |= ImGuiConfigFlags_NavEnableKeyboard;  // as the window has it
    }
    ~Headless() { ImGui::DestroyContext(); }
    Headless(const Headless&) = delete;
    Headless& operator=(const Headless&) = delete;

    void look(App& app) {
        app.apply_look();
        unsigned char* px = nullptr;
        int w = 0;
        int h = 0;
        ImGui::GetIO().Fonts->GetTexDataAsRGBA32(&px, &w, &h);
    }
    void frame(App& app) {
        ImGui::NewFrame();
        app.frame();
        ImGui::Render();
    }
    // Runs a script (automation.h) to its end; fails the test with the script's message.
    void run(App& app, const std::string& script) {
        auto runner = ScriptRunner::parse(script);
        REQUIRE_MESSAGE(runner.is_ok(), runner.status().to_string());
        // The script's own waits time out first (at most 30 s each); this only stops a runaway.
        const auto end = std::chrono::steady_clock::now() + std::chrono::minutes(3);
        while (!runner->done() && std::chrono::steady_clock::now() < end) {
            runner->before_frame(app);
            frame(app);
            runner->after_frame(app, nullptr);
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        REQUIRE_MESSAGE(!runner->failed(), runner->message());
        REQUIRE(runner->done());
    }
    // Runs frames until `done`, for up to `seconds`.
    template <typename Pred>
    bool until(App& app, Pred done, double seconds = 30.0) {
        const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
        while (std::chrono::steady_clock::now() < end) {
            frame(app);
            if (done()) {
                return true;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(2));
        }
        return false;
    }
};

// Runs a sync that begins after this call, until it has succeeded with nothing left waiting and the
// lists it refreshes are read.
inline void sync_app(Headless& ui, App& app) {
    REQUIRE(ui.until(app, [&] { return app.session()->sync_state().phase != sync::SyncPhase::kSyncing; }));
    const std::int64_t before = app.session()->sync_state().last_success_ms;
    app.apply(ui::SyncNowIntent{});
    REQUIRE(ui.until(app, [&] {
        const sync::SyncState s = app.session()->sync_state();
        return s.phase == sync::SyncPhase::kUpToDate && s.last_success_ms > before &&
               app.session()->waiting().value_or(1) == 0;
    }));
    REQUIRE(ui.until(app, [&] { return !app.busy(); }));
}

}  // namespace outpost::testing
