// Conflicts: two people changed the same answer without seeing each other's edit. Both values side by
// side, with who wrote each and when; keep one, keep the other, or write a new one.
#include <imgui.h>

#include "../theme.h"
#include "outpost/client/words.h"
#include "views.h"

namespace outpost::ui {

void draw_conflicts(ViewContext& ctx) {
    AppState& s = ctx.state;
    heading("Conflicts");
    hint_text("Nothing was lost: both answers are kept until someone in the team picks one.");
    ImGui::Separator();
    if (s.conflicts.empty()) {
        ImGui::Spacing();
        ImGui::TextDisabled("No conflicts. Edits from different people merged cleanly.");
        return;
    }
    ImGui::BeginChild("##conflict_list");
    for (ConflictRow& c : s.conflicts) {
        ImGui::PushID(c.id.c_str());
        ImGui::Spacing();
        ImGui::PushFont(nullptr);
        ImGui::Text("%s: %s", c.record_title.c_str(), c.question.c_str());
        ImGui::PopFont();
        if (ImGui::BeginTable("##sides", 2, ImGuiTableFlags_BordersInnerV)) {
            auto side = [&](const char* which, const std::string& value, const std::string& author, std::int64_t ms,
                            Keep keep, const char* button_label) {
                ImGui::TableNextColumn();
                ImGui::TextDisabled("%s - %s, %s", which, author.c_str(), client::format_time(ms).c_str());
                ImGui::TextWrapped("%s", value.empty() ? "(no answer)" : value.c_str());
                if (button(ctx.widgets, button_label)) {
                    ctx.intents.emplace_back(ResolveConflictIntent{c.id, keep});
                }
            };
            side("Showing now", c.kept_value, c.kept_author, c.kept_ms, Keep::kKept,
                 ("Keep " + c.kept_author + "'s##kept").c_str());
            side("The other answer", c.other_value, c.other_author, c.other_ms, Keep::kOther,
                 ("Keep " + c.other_author + "'s##other").c_str());
            ImGui::EndTable();
        }
        input_text(ctx.widgets, "Or write a new answer##new", &c.new_value, "Or write a new answer", 0,
                   ImGui::GetContentRegionAvail().x * 0.7F);
        ImGui::SameLine();
        if (button(ctx.widgets, "Use my answer")) {
            ctx.intents.emplace_back(ResolveConflictIntent{c.id, Keep::kNew, c.new_value});
        }
        ImGui::Spacing();
        ImGui::Separator();
        ImGui::PopID();
    }
    ImGui::EndChild();
}

}  // namespace outpost::ui
