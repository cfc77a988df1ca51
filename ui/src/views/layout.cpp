#include <imgui.h>

#include "../theme.h"
#include "views.h"

namespace outpost::ui {

float status_bar_height() {
    return ImGui::GetFrameHeight() + ImGui::GetStyle().WindowPadding.y * 1.2F;
}

bool begin_card(const char* id, float width) {
    const ImGuiViewport* vp = ImGui::GetMainViewport();
    ImGui::SetNextWindowPos(vp->WorkPos);
    ImGui::SetNextWindowSize(ImVec2(vp->WorkSize.x, vp->WorkSize.y - status_bar_height()));
    const ImGuiWindowFlags flags =
        ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings;
    ImGui::Begin("##locked", nullptr, flags);
    const float w = std::min(width * ImGui::GetFontSize() / 17.0F, vp->WorkSize.x - 40.0F);
    ImGui::SetCursorPosX((ImGui::GetWindowWidth() - w) * 0.5F);
    ImGui::SetCursorPosY(std::max(30.0F, vp->WorkSize.y * 0.08F));
    ImGui::PushFont(current_fonts().heading);
    ImGui::SetCursorPosX((ImGui::GetWindowWidth() - w) * 0.5F);
    ImGui::TextUnformatted("Outpost");
    ImGui::PopFont();
    ImGui::SetCursorPosX((ImGui::GetWindowWidth() - w) * 0.5F);
    ImGui::PushStyleColor(ImGuiCol_ChildBg, theme_colour(Colour::kPanel));
    ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(24.0F, 20.0F));
    // NavFlattened: the keyboard goes straight to the card's fields, not to the card as a whole.
    const bool open = ImGui::BeginChild(id, ImVec2(w, 0), true,
                                        ImGuiWindowFlags_AlwaysUseWindowPadding | ImGuiWindowFlags_NavFlattened);
    ImGui::PopStyleVar();
    return open;
}

void end_card() {
    ImGui::EndChild();
    ImGui::PopStyleColor();
    ImGui::End();
}

void heading(const char* text) {
    ImGui::PushFont(current_fonts().heading);
    ImGui::TextUnformatted(text);
    ImGui::PopFont();
    ImGui::Spacing();
}

void section(const char* text) {
    ImGui::Spacing();
    ImGui::TextDisabled("%s", text);
    ImGui::Separator();
}

}  // namespace outpost::ui
