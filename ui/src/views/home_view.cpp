#include "views/home_view.h"

#include <imgui.h>

namespace outpost::ui {

void draw_home(const AppState& state, ViewContext& /*ctx*/) {
    const ImGuiViewport* vp = ImGui::GetMainViewport();
    const float bar = ImGui::GetFrameHeightWithSpacing() + ImGui::GetStyle().WindowPadding.y * 2.0F;
    ImGui::SetNextWindowPos(vp->WorkPos);
    ImGui::SetNextWindowSize(ImVec2(vp->WorkSize.x, vp->WorkSize.y - bar));
    const ImGuiWindowFlags flags =
        ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings;
    if (ImGui::Begin("Outpost", nullptr, flags)) {
        ImGui::TextUnformatted("Outpost");
        ImGui::Separator();
        if (state.server_url.empty()) {
            ImGui::TextWrapped("No server is configured. Start the client with --server URL.");
        } else {
            ImGui::Text("Server: %s", state.server_url.c_str());
            if (!state.server_version.empty()) {
                ImGui::Text("Server version: %s", state.server_version.c_str());
            }
            if (!state.connection_problem.empty()) {
                ImGui::TextWrapped("%s", state.connection_problem.c_str());
            }
        }
    }
    ImGui::End();
}

}  // namespace outpost::ui
