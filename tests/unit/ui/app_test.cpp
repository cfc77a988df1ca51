#include "outpost/ui/app.h"

#include <doctest/doctest.h>
#include <imgui.h>

#include <chrono>
#include <thread>

#include "outpost/sync/server.h"
#include "temp_dir.h"

using namespace outpost::ui;
using outpost::testing::TempDir;

namespace {

// A headless ImGui context: no window, no GL. Frames are built and rendered to draw lists only.
struct HeadlessImGui {
    HeadlessImGui() {
        ImGui::CreateContext();
        ImGuiIO& io = ImGui::GetIO();
        io.IniFilename = nullptr;
        io.DisplaySize = ImVec2(1280, 800);
        io.DeltaTime = 1.0F / 60.0F;
        unsigned char* px = nullptr;
        int w = 0;
        int h = 0;
        io.Fonts->GetTexDataAsRGBA32(&px, &w, &h);
    }
    ~HeadlessImGui() { ImGui::DestroyContext(); }
    HeadlessImGui(const HeadlessImGui&) = delete;
    HeadlessImGui& operator=(const HeadlessImGui&) = delete;

    void frame(App& app) {
        ImGui::NewFrame();
        app.frame();
        ImGui::Render();
    }
    // ImGui 1.86 reads io.MousePos/MouseDown directly: hover, press, release.
    void click(App& app, ImVec2 at) {
        ImGuiIO& io = ImGui::GetIO();
        io.MousePos = at;
        frame(app);
        io.MouseDown[0] = true;
        frame(app);
        io.MouseDown[0] = false;
        frame(app);
    }
    // Runs frames until `done` or a timeout.
    template <typename Pred>
    bool frames_until(App& app, Pred done) {
        for (int i = 0; i < 500; ++i) {
            frame(app);
            if (done()) {
                return true;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return false;
    }
};

}  // namespace

TEST_CASE("App: shows online with the server version after checking a real server") {
    TempDir tmp;
    REQUIRE(outpost::sync::init_sqlite_data_dir(tmp.path()).is_ok());
    auto storage = outpost::sync::open_sqlite_storage(tmp.path());
    REQUIRE(storage.is_ok());
    auto server = outpost::sync::Server::start({.log_sink = [](const std::string&) {}}, **storage);
    REQUIRE(server.is_ok());

    HeadlessImGui imgui;
    App app({.server_url = (*server)->base_url()});
    CHECK(imgui.frames_until(app, [&] { return app.state().connection == Connection::kOnline; }));
    CHECK(connection_label(app.state()).find("Online") == 0);
    CHECK(app.state().last_contact_ms.has_value());
    REQUIRE(ImGui::GetDrawData() != nullptr);
    CHECK(ImGui::GetDrawData()->Valid);
    CHECK(ImGui::GetDrawData()->TotalVtxCount > 0);

    SUBCASE("clicking Check now after the server stops shows offline with a plain reason") {
        (*server)->stop();
        auto centre = app.widgets().centre_of("Check now");
        REQUIRE(centre.has_value());
        imgui.click(app, *centre);
        CHECK(imgui.frames_until(app, [&] { return app.state().connection == Connection::kOffline; }));
        CHECK(app.state().connection_problem.find("Cannot reach the server") == 0);
    }
}

TEST_CASE("App: with no server configured, Check now is disabled and nothing happens") {
    HeadlessImGui imgui;
    App app({});
    imgui.frame(app);
    CHECK(connection_label(app.state()) == "No server configured");
    auto centre = app.widgets().centre_of("Check now");
    REQUIRE(centre.has_value());
    imgui.click(app, *centre);
    CHECK(app.state().connection == Connection::kUnknown);
    CHECK_FALSE(app.busy());
}
