// Suggestions: the decisions that arrived, then my ideas and my team's, each with its status, its
// support and its comments; the one picked opens on the right, where a worker can +1 it and join its
// comment thread.
#include <imgui.h>

#include "../theme.h"
#include "outpost/client/words.h"
#include "views.h"

namespace outpost::ui {

void draw_suggestions(ViewContext& ctx) {
    AppState& s = ctx.state;
    ReviewState& r = s.review;
    heading("Suggestions");
    ImGui::SameLine(ImGui::GetWindowContentRegionMax().x - ImGui::CalcTextSize("New idea").x -
                    ImGui::GetStyle().FramePadding.x * 2.0F);
    if (primary_button(ctx.widgets, "New idea##suggestions")) {
        ctx.intents.emplace_back(OpenIdeaIntent{});
    }
    draw_notices(ctx);
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
    const bool detail = !r.selected.empty();
    const float list_width = detail ? ImGui::GetContentRegionAvail().x * 0.45F : 0.0F;
    ImGui::BeginChild("##suggestion_list", ImVec2(list_width, 0));
    int shown = 0;
    for (const records::SuggestionSummary& row : r.all) {
        if (s.suggestions_mine && row.created_by != s.user) {
            continue;
        }
        ++shown;
        ImGui::PushID(row.id.c_str());
        ImGui::Spacing();
        if (selectable(ctx.widgets, (row.title + "##suggestion").c_str(), row.id == r.selected)) {
            ctx.intents.emplace_back(SelectSuggestionIntent{row.id});
        }
        badge(client::humanise(row.status).c_str(), status_colour(row.status));
        ImGui::SameLine();
        ImGui::TextDisabled("by %s, %s  ·  %d endorsement%s  ·  %d comment%s", row.created_by.c_str(),
                            client::relative_time(row.created_ms, ctx.now_ms).c_str(), row.endorsements,
                            row.endorsements == 1 ? "" : "s", row.comments, row.comments == 1 ? "" : "s");
        if (!row.decision_note.empty()) {
            ImGui::Indent();
            ImGui::TextWrapped("Lead's decision: %s", row.decision_note.c_str());
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
    if (detail) {
        ImGui::SameLine();
        ImGui::BeginChild("##suggestion_detail", ImVec2(0, 0), true);
        if (button(ctx.widgets, "Close##detail")) {
            ctx.intents.emplace_back(SelectSuggestionIntent{""});
        }
        draw_suggestion_detail(ctx, false);
        ImGui::EndChild();
    }
}

}  // namespace outpost::ui
