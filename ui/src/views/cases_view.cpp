// Cases: a sortable, filterable table over every case on this laptop (100,000 and more), drawn with
// ImGuiListClipper over keyset pages that load as the table scrolls, and a search as you type.
#include <imgui.h>

#include <algorithm>

#include "../theme.h"
#include "outpost/client/words.h"
#include "views.h"

namespace outpost::ui {
namespace {

// The table's query as it stands now (search, form filter, sort).
QueryChangedIntent query_of(const CaseList& c) {
    return {c.search, c.type, c.sort, c.descending};
}

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
    const float avail = ImGui::GetContentRegionAvail().x;
    const float spacing = ImGui::GetStyle().ItemSpacing.x;
    // At large text sizes the search takes a line of its own rather than shrinking to nothing.
    const bool one_line = avail - combo_w - new_w - spacing * 2.0F >= 16.0F * ImGui::GetFontSize();
    const float search_w = one_line ? avail - combo_w - new_w - spacing * 2.0F : avail;
    if (input_text(ctx.widgets, "Search##cases", &c.search, "Search names, notes and answers (Ctrl+F)", 0, search_w)) {
        ctx.intents.emplace_back(query_of(c));
    }
    if (one_line) {
        ImGui::SameLine();
    }
    std::string current = "All forms";
    for (const auto& [type, title] : s.forms) {
        if (type == c.type) {
            current = title;
        }
    }
    ImGui::SetNextItemWidth(combo_w);
    if (ImGui::BeginCombo("##form_filter", current.c_str())) {
        focus_when_opened(c.type.empty());
        if (ImGui::Selectable("All forms", c.type.empty())) {
            c.type.clear();
            ctx.intents.emplace_back(query_of(c));
        }
        for (const auto& [type, title] : s.forms) {
            focus_when_opened(type == c.type);
            if (ImGui::Selectable(title.c_str(), type == c.type)) {
                c.type = type;
                ctx.intents.emplace_back(query_of(c));
            }
        }
        ImGui::EndCombo();
    }
    ctx.widgets.record_last("Form filter");
    ImGui::SameLine();
    const bool pressed = primary_button(ctx.widgets, "New case");
    const ImVec2 below(ImGui::GetItemRectMax().x, ImGui::GetItemRectMax().y + ImGui::GetStyle().ItemSpacing.y * 0.5F);
    if (pressed || c.pick_form) {
        ImGui::OpenPopup("##pick_form");
        c.pick_form = false;
    }
    // Under the button, whether it was clicked or Ctrl+N was pressed, with the first form ready for
    // the arrows and Enter.
    ImGui::SetNextWindowPos(below, ImGuiCond_Appearing, ImVec2(1.0F, 0.0F));
    if (ImGui::BeginPopup("##pick_form")) {
        ImGui::TextDisabled("Which form?");
        for (std::size_t i = 0; i < s.forms.size(); ++i) {
            const auto& [type, title] = s.forms[i];
            focus_when_opened(i == 0);
            if (selectable(ctx.widgets, title.c_str(), false)) {
                ctx.intents.emplace_back(NewRecordIntent{type});
                ImGui::CloseCurrentPopup();
            }
        }
        ImGui::EndPopup();
    }
}

void draw_drafts(ViewContext& ctx) {
    for (const FoundDraft& d : ctx.state.drafts_found) {
        ImGui::PushID(d.draft.key.c_str());
        const std::string words =
            client::draft_words(d.form, d.title, d.draft.record_id.empty(), d.draft.saved_ms, ctx.now_ms);
        const float buttons = ImGui::CalcTextSize("Continue it Discard it").x +
                              ImGui::GetStyle().FramePadding.x * 4.0F + ImGui::GetStyle().ItemSpacing.x * 2.0F;
        // On one line with its buttons when it fits; else wrapped, with the buttons under it.
        const bool one_line = ImGui::CalcTextSize(words.c_str()).x + buttons <= ImGui::GetContentRegionAvail().x;
        ImGui::PushStyleColor(ImGuiCol_Text, theme_colour(Colour::kWarning));
        ImGui::AlignTextToFramePadding();
        if (one_line) {
            ImGui::TextUnformatted(words.c_str());
        } else {
            ImGui::TextWrapped("%s", words.c_str());
        }
        ImGui::PopStyleColor();
        if (one_line) {
            ImGui::SameLine();
        }
        if (button(ctx.widgets, "Continue it")) {
            ctx.intents.emplace_back(ContinueDraftIntent{d.draft.key});
        }
        ImGui::SameLine();
        if (button(ctx.widgets, "Discard it")) {
            ctx.intents.emplace_back(DiscardDraftIntent{d.draft.key});
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
    // The short columns are as wide as their longest words at the current text size, so nothing in
    // them is cut ("a minute ago", "yesterday 14:05"); the case's title takes what is left, and when
    // too little is left (large text) the table scrolls sideways instead of cutting every column.
    const float pad = ImGui::GetStyle().CellPadding.x * 2.0F + ImGui::GetFontSize();
    auto fits = [&](std::initializer_list<const char*> words) {
        float w = 0.0F;
        for (const char* word : words) {
            w = std::max(w, ImGui::CalcTextSize(word).x);
        }
        return w + pad;
    };
    float form_w = fits({"Form"});
    for (const auto& [type, title] : ctx.state.forms) {
        form_w = std::max(form_w, ImGui::CalcTextSize(title.c_str()).x + pad);
    }
    const float status_w = fits({"Not sent yet", "Status"});
    const float updated_w = fits({"yesterday 00:00", "12 minutes ago", "30 Nov 2026"});
    const float created_w = fits({"someone, yesterday 00:00"});
    const float case_min = 14.0F * ImGui::GetFontSize();
    const bool sideways = form_w + status_w + updated_w + created_w + case_min > ImGui::GetContentRegionAvail().x;
    const ImGuiTableFlags flags =
        ImGuiTableFlags_ScrollY | ImGuiTableFlags_RowBg | ImGuiTableFlags_BordersInnerH | ImGuiTableFlags_Sortable |
        ImGuiTableFlags_Resizable |
        (sideways ? ImGuiTableFlags_ScrollX | ImGuiTableFlags_SizingFixedFit : ImGuiTableFlags_SizingStretchProp);
    if (!ImGui::BeginTable("##cases", 5, flags, ImVec2(0, 0))) {
        return;
    }
    ImGui::TableSetupScrollFreeze(0, 1);
    ImGui::TableSetupColumn("Case",
                            ImGuiTableColumnFlags_NoSort |
                                (sideways ? ImGuiTableColumnFlags_WidthFixed : ImGuiTableColumnFlags_WidthStretch),
                            sideways ? case_min * 1.5F : 3.0F);
    ImGui::TableSetupColumn("Form", ImGuiTableColumnFlags_NoSort | ImGuiTableColumnFlags_WidthFixed, form_w);
    ImGui::TableSetupColumn("Status", ImGuiTableColumnFlags_NoSort | ImGuiTableColumnFlags_WidthFixed, status_w);
    ImGui::TableSetupColumn("Updated",
                            ImGuiTableColumnFlags_DefaultSort | ImGuiTableColumnFlags_PreferSortDescending |
                                ImGuiTableColumnFlags_WidthFixed,
                            updated_w, 1);
    ImGui::TableSetupColumn("Created",
                            ImGuiTableColumnFlags_PreferSortDescending |
                                (sideways ? ImGuiTableColumnFlags_WidthFixed : ImGuiTableColumnFlags_WidthStretch),
                            sideways ? created_w : 1.6F, 2);
    ImGui::TableHeadersRow();
    if (ImGuiTableSortSpecs* specs = ImGui::TableGetSortSpecs(); specs != nullptr && specs->SpecsDirty) {
        if (specs->SpecsCount > 0) {
            const ImGuiTableColumnSortSpecs& spec = specs->Specs[0];
            const records::SortBy by = spec.ColumnUserID == 2 ? records::SortBy::kCreated : records::SortBy::kUpdated;
            const bool desc = spec.SortDirection == ImGuiSortDirection_Descending;
            if (by != c.sort || desc != c.descending) {
                c.sort = by;
                c.descending = desc;
                ctx.intents.emplace_back(query_of(c));
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
            whole_on_hover(r.title, ImGui::GetColumnWidth());
            ImGui::PopID();
            ImGui::TableSetColumnIndex(1);
            ImGui::TextUnformatted(r.form.c_str());
            ImGui::TableSetColumnIndex(2);
            const ImVec4 status = r.status == "Not sent yet"          ? theme_colour(Colour::kWarning)
                                  : r.status.rfind("Refused", 0) == 0 ? theme_colour(Colour::kProblem)
                                  : r.status == "Sent"                ? theme_colour(Colour::kMuted)
                                                                      : ImGui::GetStyleColorVec4(ImGuiCol_Text);
            ImGui::TextColored(status, "%s", r.status.c_str());
            ImGui::TableSetColumnIndex(3);
            ImGui::TextUnformatted(client::relative_time(r.updated_ms, ctx.now_ms).c_str());
            ImGui::TableSetColumnIndex(4);
            ImGui::Text("%s, %s", r.created_by.c_str(), client::relative_time(r.created_ms, ctx.now_ms).c_str());
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
