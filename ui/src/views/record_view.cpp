// One record: its form (new or existing), Save (Ctrl+S), its history ("who changed what"), and the
// reassurance that nothing typed is lost (drafts are saved, encrypted, every few seconds).
#include <imgui.h>

#include "../theme.h"
#include "outpost/client/words.h"
#include "views.h"

namespace outpost::ui {

void draw_record(ViewContext& ctx) {
    AppState& s = ctx.state;
    if (!s.record) {
        return;
    }
    RecordScreen& r = *s.record;
    heading(r.heading.c_str());
    if (primary_button(ctx.widgets, "Save")) {
        ctx.intents.emplace_back(SaveRecordIntent{});
    }
    ImGui::SameLine();
    if (button(ctx.widgets, "Close")) {
        ctx.intents.emplace_back(CloseRecordIntent{});
    }
    ImGui::SameLine();
    if (!r.form.is_new()) {
        if (button(ctx.widgets, r.show_history ? "Hide history" : "History")) {
            r.show_history = !r.show_history;
        }
        ImGui::SameLine();
    }
    if (r.form.dirty()) {
        ImGui::TextDisabled(r.draft_saved_ms > 0 ? "Not saved yet - your answers are kept as a draft (Ctrl+S saves)"
                                                 : "Not saved yet (Ctrl+S saves)");
    } else if (r.saved_ms > 0 && ctx.now_ms - r.saved_ms < 4000) {
        ImGui::TextColored(theme_colour(Colour::kGood), "Saved");
    }
    problem_text(r.problem);
    problem_text(client::answers_problem_words(r.form.error_count()));
    ImGui::Separator();
    const float history_w = r.show_history ? ImGui::GetContentRegionAvail().x * 0.38F : 0.0F;
    ImGui::BeginChild("##form", ImVec2(ImGui::GetContentRegionAvail().x - history_w, 0), false,
                      ImGuiWindowFlags_NavFlattened);
    if (r.just_opened) {
        ImGui::SetScrollY(0.0F);  // a form opens at its first question, not where the last one was left
        r.just_opened = false;
    }
    draw_form_fields(ctx, r, "", false);
    ImGui::Spacing();
    ImGui::EndChild();
    if (r.show_history) {
        ImGui::SameLine();
        ImGui::PushStyleColor(ImGuiCol_ChildBg, theme_colour(Colour::kPanel));
        ImGui::BeginChild("##history", ImVec2(0, 0), true);
        ImGui::TextUnformatted("Who changed what");
        ImGui::Separator();
        if (r.history.empty()) {
            ImGui::TextDisabled("No changes yet.");
        }
        for (const HistoryLine& h : r.history) {
            ImGui::TextDisabled("%s - %s", client::relative_time(h.at_ms, ctx.now_ms).c_str(), h.who.c_str());
            ImGui::TextWrapped("%s: %s", h.question.c_str(), h.value.empty() ? "(cleared)" : h.value.c_str());
            ImGui::Spacing();
        }
        ImGui::EndChild();
        ImGui::PopStyleColor();
    }
}

}  // namespace outpost::ui
