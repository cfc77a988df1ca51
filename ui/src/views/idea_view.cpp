// The quick idea (Ctrl+Shift+N from anywhere): the suggestion form's own questions in a small window,
// so an idea is captured in seconds.
#include <imgui.h>

#include "views.h"

namespace outpost::ui {

void draw_idea(ViewContext& ctx) {
    AppState& s = ctx.state;
    if (!s.idea) {
        return;
    }
    if (!ImGui::IsPopupOpen("Capture an idea")) {
        ImGui::OpenPopup("Capture an idea");
    }
    const ImGuiViewport* vp = ImGui::GetMainViewport();
    ImGui::SetNextWindowSize(ImVec2(std::min(720.0F, vp->WorkSize.x - 60.0F), vp->WorkSize.y * 0.8F),
                             ImGuiCond_Appearing);
    ImGui::SetNextWindowPos(ImVec2(vp->WorkPos.x + vp->WorkSize.x * 0.5F, vp->WorkPos.y + vp->WorkSize.y * 0.5F),
                            ImGuiCond_Appearing, ImVec2(0.5F, 0.5F));
    if (ImGui::BeginPopupModal("Capture an idea", nullptr, ImGuiWindowFlags_NoSavedSettings)) {
        hint_text("Your team lead sees it at your next sync, and their decision comes back here.");
        problem_text(s.idea->problem);
        ImGui::BeginChild("##idea_fields", ImVec2(0, -ImGui::GetFrameHeightWithSpacing() * 1.4F), false,
                          ImGuiWindowFlags_NavFlattened);
        draw_form_fields(ctx, *s.idea, "_idea", true);
        ImGui::EndChild();
        // Escape closes it. What was typed is kept as a draft, offered on the Cases screen.
        if (ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape), false) && !ImGui::IsAnyItemActive()) {
            ctx.intents.emplace_back(PutIdeaAsideIntent{});
            ImGui::CloseCurrentPopup();
        }
        if (primary_button(ctx.widgets, "Save idea")) {
            ctx.intents.emplace_back(SaveIdeaIntent{});
        }
        ImGui::SameLine();
        if (button(ctx.widgets, "Cancel")) {
            ctx.intents.emplace_back(CloseIdeaIntent{});
            ImGui::CloseCurrentPopup();
        }
        ImGui::SameLine();
        ImGui::TextDisabled("Ctrl+S saves");
        ImGui::EndPopup();
    }
}

}  // namespace outpost::ui
