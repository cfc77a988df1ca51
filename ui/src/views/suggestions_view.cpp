// Suggestions: my ideas and my team's, each with its status and the lead's decision note when one
// has arrived.
#include <imgui.h>

#include "../theme.h"
#include "outpost/ui/words.h"
#include "views.h"

namespace outpost::ui {

void draw_suggestions(ViewContext& ctx) {
    AppState& s = ctx.state;
    heading("Suggestions");
    ImGui::SameLine(ImGui::GetWindowContentRegionMax().x - ImGui::CalcTextSize("New idea").x -
                    ImGui::GetStyle().FramePadding.x * 2.0F);
    if (primary_button(ctx.widgets, "New idea##suggestions")) {
        ctx.intents.emplace_back(OpenIdeaIntent{});
    }
    if (ImGui::BeginTabBar("##whose")) {
        const bool mine = ImGui::BeginTabItem("Mine");
        ctx.widgets.record_last("Mine");
        if (mine) {
            s.suggestions_mine = true;
            ImGui::EndTabItem();
        }
        const bool team = ImGui::BeginTabItem("My team's");
        ctx.widgets.record_last("My team's");
        if (team) {
            s.suggestions_mine = false;
            ImGui::EndTabItem();
        }
        ImGui::EndTabBar();
    }
    ImGui::BeginChild("##suggestion_list");
    int shown = 0;
    for (const SuggestionRow& r : s.suggestions) {
        if (s.suggestions_mine && r.created_by != s.user) {
            continue;
        }
        ++shown;
        ImGui::PushID(r.id.c_str());
        ImGui::Spacing();
        const std::string label = r.title + "##suggestion";
        if (selectable(ctx.widgets, label.c_str(), false)) {
            ctx.intents.emplace_back(OpenRecordIntent{r.id});
        }
        badge(humanise(r.status).c_str(), status_colour(r.status));
        ImGui::SameLine();
        ImGui::TextDisabled("by %s, %s", r.created_by.c_str(), relative_time(r.updated_ms, ctx.now_ms).c_str());
        if (!r.decision_note.empty()) {
            ImGui::Indent();
            ImGui::TextWrapped("Lead's decision: %s", r.decision_note.c_str());
            ImGui::Unindent();
        }
        ImGui::Separator();
        ImGui::PopID();
    }
    if (shown == 0) {
        ImGui::Spacing();
        ImGui::TextDisabled(s.suggestions_mine ? "You have not sent an idea yet. Had one? Press Ctrl+Shift+N."
                                               : "Nobody in your team has sent an idea yet.");
    }
    ImGui::EndChild();
}

}  // namespace outpost::ui
