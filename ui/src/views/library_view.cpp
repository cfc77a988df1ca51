// The practice library: accepted ideas other teams' leads shared with every team, read-only, with how
// far each has spread. A lead marks one "adopted here".
#include <imgui.h>

#include "../theme.h"
#include "outpost/client/words.h"
#include "outpost/core/records/roles.h"
#include "views.h"

namespace outpost::ui {

void draw_library(ViewContext& ctx) {
    AppState& s = ctx.state;
    heading("Practice library");
    hint_text("Ideas that worked, shared by team leads. Read-only; your lead can mark one adopted here.");
    if (!s.review.problem.empty()) {
        problem_text(s.review.problem);
    }
    ImGui::Separator();
    if (s.review.library.empty()) {
        ImGui::Spacing();
        ImGui::TextDisabled(s.review.loaded ? "Nothing shared yet. Accepted ideas appear here once a lead shares them."
                                            : "Reading...");
        return;
    }
    ImGui::BeginChild("##library");
    for (const PracticeRow& p : s.review.library) {
        ImGui::PushID(p.id.c_str());
        ImGui::Spacing();
        ImGui::PushFont(current_fonts().bold);
        ImGui::TextWrapped("%s", p.title.c_str());
        ImGui::PopFont();
        badge(client::humanise(p.status).c_str(), status_colour(p.status));
        ImGui::SameLine();
        ImGui::TextDisabled("from team %s  ·  %s", p.source_team.c_str(), client::humanise(p.category).c_str());
        if (p.adoptions > 0) {
            ImGui::Text("Adopted by %d team%s: %s", p.adoptions, p.adoptions == 1 ? "" : "s", p.adopted_by.c_str());
        } else {
            ImGui::TextDisabled("Not adopted by another team yet");
        }
        if (ImGui::TreeNode("##more", "Read more")) {
            for (const auto& [label, words] : p.answers) {
                ImGui::TextDisabled("%s", label.c_str());
                ImGui::TextWrapped("%s", words.c_str());
            }
            ImGui::TreePop();
        }
        if (p.adopted_here) {
            ImGui::PushStyleColor(ImGuiCol_Text, theme_colour(Colour::kGood));
            ImGui::TextUnformatted("Adopted here");
            ImGui::PopStyleColor();
        } else if (s.role == records::kRoleLead && p.source_team != s.team) {
            if (button(ctx.widgets, ("Mark adopted here##" + p.id).c_str())) {
                ctx.intents.emplace_back(AdoptIntent{p.id});
            }
        }
        ImGui::Separator();
        ImGui::PopID();
    }
    ImGui::EndChild();
}

}  // namespace outpost::ui
