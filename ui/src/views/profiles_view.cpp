// The profiles on this laptop: pick one to unlock, or create another.
#include <imgui.h>

#include "views.h"

namespace outpost::ui {

void draw_profiles(ViewContext& ctx) {
    AppState& s = ctx.state;
    if (begin_card("##profiles", 560.0F)) {
        heading("Who is using this laptop?");
        if (s.profiles.empty()) {
            hint_text("There is no profile on this laptop yet.");
        }
        ImGui::PushStyleVar(ImGuiStyleVar_SelectableTextAlign, ImVec2(0.0F, 0.5F));
        for (const ProfileEntry& p : s.profiles) {
            ImGui::PushID(p.name.c_str());
            const std::string label = p.display + "##profile";
            if (selectable(ctx.widgets, label.c_str(), false, 0, ImVec2(0, ImGui::GetFrameHeight() * 1.6F))) {
                ctx.intents.emplace_back(ChooseProfileIntent{p.name});
            }
            ImGui::SameLine(ImGui::GetContentRegionAvail().x * 0.45F);
            if (p.wiped) {
                ImGui::TextDisabled("removed at IT's request");
            } else {
                ImGui::TextDisabled("%s, %s team (%s)", p.user.c_str(), p.team.c_str(), p.role.c_str());
            }
            ImGui::PopID();
        }
        ImGui::PopStyleVar();
        ImGui::Spacing();
        ImGui::Separator();
        ImGui::Spacing();
        if (button(ctx.widgets, "Create a new profile")) {
            ctx.intents.emplace_back(GoToIntent{Screen::kCreateProfile});
        }
        ImGui::SameLine();
        hint_text("Several people can share this laptop: each has a profile and a passphrase.");
    }
    end_card();
}

}  // namespace outpost::ui
