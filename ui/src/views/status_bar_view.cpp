#include "views/status_bar_view.h"

#include <imgui.h>

namespace outpost::ui {

void draw_status_bar(const AppState& state, ViewContext& ctx) {
    const ImGuiViewport* vp = ImGui::GetMainViewport();
    const float height = ImGui::GetFrameHeightWithSpacing() + ImGui::GetStyle().WindowPadding.y * 2.0F;
    ImGui::SetNextWindowPos(ImVec2(vp->WorkPos.x, vp->WorkPos.y + vp->WorkSize.y - height));
    ImGui::SetNextWindowSize(ImVec2(vp->WorkSize.x, height));
    const ImGuiWindowFlags flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                                   ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoFocusOnAppearing;
    if (ImGui::Begin("##status_bar", nullptr, flags)) {
        const ImVec4 colour = state.connection == Connection::kOnline    ? ImVec4(0.35F, 0.8F, 0.45F, 1.0F)
                              : state.connection == Connection::kOffline ? ImVec4(0.95F, 0.6F, 0.3F, 1.0F)
                                                                         : ImVec4(0.7F, 0.7F, 0.7F, 1.0F);
        ImGui::AlignTextToFramePadding();
        ImGui::TextColored(colour, "%s", connection_label(state).c_str());
        ImGui::SameLine();
        ImGui::TextDisabled("|");
        ImGui::SameLine();
        ImGui::Text("%d change%s waiting to send", state.pending_changes, state.pending_changes == 1 ? "" : "s");
        ImGui::SameLine(ImGui::GetWindowWidth() - 130.0F);
        ImGui::BeginDisabled(state.server_url.empty() || state.connection == Connection::kChecking);
        if (button(ctx.widgets, "Check now", ImVec2(115.0F, 0))) {
            ctx.intents.emplace_back(CheckServerIntent{});
        }
        ImGui::EndDisabled();
    }
    ImGui::End();
}

}  // namespace outpost::ui
