// Needs attention: the changes the server refused, each with why in plain words, the record and
// question it belongs to, the answer this laptop holds and the one the server holds. "Open record"
// goes to the record to fix it (saving it sends the refused answers again with the fix); "Discard my
// change" asks first, then the laptop holds the server's answer again (a new record the server
// refused whole leaves the laptop).
#include <imgui.h>

#include <algorithm>
#include <string>

#include "../theme.h"
#include "views.h"

namespace outpost::ui {

void draw_needs_attention(ViewContext& ctx) {
    AppState& s = ctx.state;
    NeedsAttention& a = s.attention;
    heading("Needs attention");
    hint_text("The server refused these changes. They are kept on this laptop until you fix or discard them.");
    ImGui::Separator();
    if (a.rows.empty()) {
        ImGui::Spacing();
        ImGui::TextDisabled(a.loaded ? "Nothing needs attention. Every change was taken by the server."
                                     : "Reading the refused changes...");
        return;
    }
    ImGui::BeginChild("##attention_list", ImVec2(0, 0), false, ImGuiWindowFlags_NavFlattened);
    const ImVec4 warning = theme_colour(Colour::kWarning);
    // The keyboard's place after a button it pressed went away: the question's yes, or the first row.
    auto take_focus = [&a](bool here) {
        if (a.focus && here) {
            ImGui::SetKeyboardFocusHere();
            a.focus = false;
        }
    };
    const bool asking =
        std::any_of(a.rows.begin(), a.rows.end(), [&a](const RefusedRow& r) { return r.key() == a.confirm; });
    bool first = true;
    for (const RefusedRow& r : a.rows) {
        const std::string key = r.key();
        ImGui::PushID(key.c_str());
        ImGui::Spacing();
        ImGui::PushFont(current_fonts().bold);
        ImGui::TextWrapped("%s: %s", r.form.c_str(), r.record_title.c_str());
        ImGui::PopFont();
        ImGui::TextDisabled("%s", r.question.c_str());
        ImGui::PushStyleColor(ImGuiCol_Text, warning);
        ImGui::TextWrapped("%s", r.reason.c_str());
        ImGui::PopStyleColor();
        if (!r.server_said.empty()) {
            ImGui::PushStyleColor(ImGuiCol_Text, theme_colour(Colour::kMuted));
            ImGui::TextWrapped("The server said: %s", r.server_said.c_str());
            ImGui::PopStyleColor();
        }
        if (!r.field.empty()) {
            if (ImGui::BeginTable("##values", 2, ImGuiTableFlags_BordersInnerV)) {
                ImGui::TableNextColumn();
                ImGui::TextDisabled("On this laptop");
                ImGui::TextWrapped("%s", r.value.empty() ? "(no answer)" : r.value.c_str());
                ImGui::TableNextColumn();
                ImGui::TextDisabled("On the server");
                ImGui::TextWrapped("%s", r.server_value.empty() ? "(no answer)" : r.server_value.c_str());
                ImGui::EndTable();
            }
        } else {
            ImGui::TextWrapped("%s", r.value.c_str());
        }
        // Labels name the record or question, so that each button is its own (the automation and a
        // screen reader tell them apart).
        const std::string what = r.field.empty() ? r.record_title : r.question;
        if (a.confirm == key) {
            ImGui::TextWrapped("%s", r.field.empty()
                                         ? "Discard this record? It is removed from this laptop. This cannot be undone."
                                         : "Discard your change? This laptop goes back to the server's answer. This "
                                           "cannot be undone.");
            take_focus(true);
            if (primary_button(ctx.widgets, "Yes, discard it")) {
                ctx.intents.emplace_back(DiscardRefusedIntent{r.record, r.field});
            }
            ImGui::SameLine();
            if (button(ctx.widgets, "Keep it")) {
                ctx.intents.emplace_back(ConfirmDiscardIntent{""});
            }
        } else {
            take_focus(first && !asking);
            if (r.on_laptop) {
                if (button(ctx.widgets, ("Open record: " + r.record_title + "##open").c_str())) {
                    ctx.intents.emplace_back(OpenRecordIntent{r.record});
                }
                ImGui::SameLine();
            }
            if (button(ctx.widgets, ("Discard my change: " + what + "##discard").c_str())) {
                ctx.intents.emplace_back(ConfirmDiscardIntent{key});
            }
        }
        ImGui::Spacing();
        ImGui::Separator();
        ImGui::PopID();
        first = false;
    }
    ImGui::EndChild();
}

}  // namespace outpost::ui
