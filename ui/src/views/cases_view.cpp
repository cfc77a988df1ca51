// Cases: a sortable, filterable table over every case on this laptop (100,000 and more), drawn with
// ImGuiListClipper over keyset pages that load as the table scrolls, and a search as you type.
#include <imgui.h>

#include <algorithm>

#include "../theme.h"
#include "outpost/ui/words.h"
#include "views.h"

namespace outpost::ui {
namespace {

void draw_toolbar(ViewContext& ctx) {
    AppState& s = ctx.state;
    CaseList& c = s.cases;
    heading("Cases");
    if (c.focus_search) {
        ImGui::SetKeyboardFocusHere();
        c.focus_search = false;
    }
    const float combo_w = 12.0F * ImGui::GetFontSize();
    const float new_w = ImGui::CalcTextSize("New case").x + ImGui::GetStyle().FramePadding.x * 2.0F;
    const float search_w = ImGui::GetContentRegionAvail().x - combo_w - new_w - ImGui::GetStyle().ItemSpacing.x * 2.0F;
    if (input_text(ctx.widgets, "Search##cases", &c.search, "Search names, notes and answers (Ctrl+F)", 0, search_w)) {
        ctx.intents.emplace_back(QueryChangedIntent{});
    }
    ImGui::SameLine();
    std::string current = "All forms";
    for (const auto& [type, title] : s.forms) {
        if (type == c.type) {
            current = title;
        }
    }
    ImGui::SetNextItemWidth(combo_w);
    if (ImGui::BeginCombo("##form_filter", current.c_str())) {
        if (ImGui::Selectable("All forms", c.type.empty())) {
            c.type.clear();
            ctx.intents.emplace_back(QueryChangedIntent{});
        }
        for (const auto& [type, title] : s.forms) {
            if (ImGui::Selectable(title.c_str(), type == c.type)) {
                c.type = type;
                ctx.intents.emplace_back(QueryChangedIntent{});
            }
        }
        ImGui::EndCombo();
    }
    ctx.widgets.record_last("Form filter");
    ImGui::SameLine();
    if (primary_button(ctx.widgets, "New case") || c.pick_form) {
        ImGui::OpenPopup("##pick_form");
        c.pick_form = false;
    }
    if (ImGui::BeginPopup("##pick_form")) {
        ImGui::TextDisabled("Which form?");
        for (const auto& [type, title] : s.forms) {
            if (selectable(ctx.widgets, title.c_str(), false)) {
                ctx.intents.emplace_back(NewRecordIntent{type});
                ImGui::CloseCurrentPopup();
            }
        }
        ImGui::EndPopup();
    }
}

void draw_drafts(ViewContext& ctx) {
    for (const Draft& d : ctx.state.drafts_found) {
        ImGui::PushID(d.key.c_str());
        ImGui::PushStyleColor(ImGuiCol_Text, theme_colour(Colour::kWarning));
        ImGui::Text("You have an unsaved form from %s.", relative_time(d.saved_ms, ctx.now_ms).c_str());
        ImGui::PopStyleColor();
        ImGui::SameLine();
        if (button(ctx.widgets, "Continue it")) {
            ctx.intents.emplace_back(ContinueDraftIntent{d.key});
        }
        ImGui::SameLine();
        if (button(ctx.widgets, "Discard it")) {
            ctx.intents.emplace_back(DiscardDraftIntent{d.key});
        }
        ImGui::PopID();
    }
}

void draw_table(ViewContext& ctx) {
    CaseList& c = ctx.state.cases;
    if (c.rows.empty()) {
        ImGui::Spacing();
        if (c.loading) {
            ImGui::TextDisabled("Loading...");
        } else if (!c.search.empty()) {
            ImGui::TextDisabled("Nothing matches \"%s\".", c.search.c_str());
        } else {
            ImGui::TextDisabled("No cases yet. Press New case (Ctrl+N) to record the first.");
        }
        problem_text(c.problem);
        return;
    }
    const ImGuiTableFlags flags = ImGuiTableFlags_ScrollY | ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerH |
                                  ImGuiTableFlags_Sortable | ImGuiTableFlags_Resizable |
                                  ImGuiTableFlags_SizingStretchProp;
    if (!ImGui::BeginTable("##cases", 5, flags, ImVec2(0, 0))) {
        return;
    }
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("Case", ImGuiTableColumnFlags_NoSort, 3.0F);
    ImGui::TableSetupColumn("Form", ImGuiTableColumnFlags_NoSort, 1.6F);
    ImGui::TableSetupColumn("Status", ImGuiTableColumnFlags_NoSort, 1.0F);
    ImGui::TableSetupColumn("Updated", ImGuiTableColumnFlags_DefaultSort | ImGuiTableColumnFlags_PreferSortDescending,
                            1.4F, 1);
    ImGui::TableSetupColumn("Created", ImGuiTableColumnFlags_PreferSortDescending, 1.4F, 2);
    ImGui::TableHeadersRow();
    if (ImGuiTableSortSpecs* specs = ImGui::TableGetSortSpecs(); specs != nullptr && specs->SpecsDirty) {
        if (specs->SpecsCount > 0) {
            const ImGuiTableColumnSortSpecs& spec = specs->Specs[0];
            const records::SortBy by = spec.ColumnUserID == 2 ? records::SortBy::kCreated : records::SortBy::kUpdated;
            const bool desc = spec.SortDirection == ImGuiSortDirection_Descending;
            if (by != c.sort || desc != c.descending) {
                c.sort = by;
                c.descending = desc;
                ctx.intents.emplace_back(QueryChangedIntent{});
            }
        }
        specs->SpecsDirty = false;
    }
    const int shown = static_cast<int>(c.rows.size()) + (c.next ? 1 : 0);
    ImGuiListClipper clipper;
    clipper.Begin(shown);
    int last_shown = 0;
    while (clipper.Step()) {
        last_shown = std::max(last_shown, clipper.DisplayEnd);
        for (int i = clipper.DisplayStart; i < clipper.DisplayEnd; ++i) {
            ImGui::TableNextRow();
            if (i >= static_cast<int>(c.rows.size())) {
                ImGui::TableSetColumnIndex(0);
                ImGui::TextDisabled("Loading more...");
                ctx.intents.emplace_back(MoreRowsIntent{});
                continue;
            }
            const CaseRow& r = c.rows[static_cast<std::size_t>(i)];
            ImGui::TableSetColumnIndex(0);
            ImGui::PushID(i);
            const std::string label = r.title + "##row";
            if (selectable(ctx.widgets, label.c_str(), false, ImGuiSelectableFlags_SpanAllColumns)) {
                ctx.intents.emplace_back(OpenRecordIntent{r.id});
            }
            ImGui::PopID();
            ImGui::TableSetColumnIndex(1);
            ImGui::TextUnformatted(r.form.c_str());
            ImGui::TableSetColumnIndex(2);
            ImGui::TextUnformatted(r.status.c_str());
            ImGui::TableSetColumnIndex(3);
            ImGui::TextUnformatted(relative_time(r.updated_ms, ctx.now_ms).c_str());
            ImGui::TableSetColumnIndex(4);
            ImGui::Text("%s, %s", r.created_by.c_str(), relative_time(r.created_ms, ctx.now_ms).c_str());
        }
    }
    // Near the end of what is loaded: ask for the next page before the worker scrolls into it.
    if (c.next && last_shown >= static_cast<int>(c.rows.size()) - 50) {
        ctx.intents.emplace_back(MoreRowsIntent{});
    }
    ImGui::EndTable();
}

}  // namespace

void draw_cases(ViewContext& ctx) {
    draw_toolbar(ctx);
    draw_drafts(ctx);
    ImGui::Spacing();
    draw_table(ctx);
}

}  // namespace outpost::ui
