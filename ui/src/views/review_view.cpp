// The lead's review queue: the team's suggestions filtered by status, category, age and support,
// sorted by age, endorsements, category or status. Keyboard first: j/k or the arrows move, Enter or o opens,
// r starts the review, i asks for information, a accepts, d declines (the last two ask for the note
// first), Escape closes. Keys act only while no text field has the keyboard.
#include <imgui.h>

#include "../theme.h"
#include "outpost/client/words.h"
#include "views.h"

namespace outpost::ui {
namespace {

bool key(char c) {
    return ImGui::IsKeyPressed(static_cast<int>(c), true);  // GLFW: a letter's key code is its capital
}
bool named_key(ImGuiKey k) {
    const int index = ImGui::GetKeyIndex(k);
    return index >= 0 && ImGui::IsKeyPressed(index, true);
}

template <typename T>
bool filter_combo(ViewContext& ctx, const char* label, T* value, const std::vector<std::pair<T, std::string>>& items,
                  float width) {
    std::string current;
    for (const auto& [v, words] : items) {
        if (v == *value) {
            current = words;
        }
    }
    bool changed = false;
    ImGui::SetNextItemWidth(width);
    // The choice shown says what it filters ("Any category"): no label beside it, so five fit a line.
    if (ImGui::BeginCombo((std::string("##") + label).c_str(), current.c_str())) {
        for (const auto& [v, words] : items) {
            focus_when_opened(v == *value);
            if (selectable(ctx.widgets, (words + "##" + label).c_str(), v == *value)) {
                *value = v;
                changed = true;
            }
        }
        ImGui::EndCombo();
    }
    ctx.widgets.record_last(visible_label(label));
    return changed;
}

void filters(ViewContext& ctx) {
    ReviewState& r = ctx.state.review;
    const float w = 8.5F * ImGui::GetFontSize();
    std::vector<std::pair<std::string, std::string>> statuses = {{"open", "Undecided"}, {"", "Any status"}};
    for (const std::string& st : records::suggestion_statuses()) {
        statuses.emplace_back(st, client::humanise(st));
    }
    bool changed = filter_combo(ctx, "Status##filter", &r.filter.status, statuses, w);
    ImGui::SameLine();
    std::vector<std::pair<std::string, std::string>> categories = {{"", "Any category"}};
    for (const char* c :
         {"process", "paperwork", "technology", "training", "partnership", "service_user_experience", "other"}) {
        categories.emplace_back(c, client::humanise(c));
    }
    changed |= filter_combo(ctx, "Category##filter", &r.filter.category, categories, w);
    ImGui::SameLine();
    changed |= filter_combo(
        ctx, "Age##filter", &r.filter.min_age_days,
        std::vector<std::pair<int, std::string>>{{0, "Any age"}, {7, "A week or older"}, {30, "A month or older"}}, w);
    ImGui::SameLine();
    changed |=
        filter_combo(ctx, "Support##filter", &r.filter.min_endorsements,
                     std::vector<std::pair<int, std::string>>{
                         {0, "Any support"}, {1, "1+ endorsements"}, {3, "3+ endorsements"}, {5, "5+ endorsements"}},
                     w);
    ImGui::SameLine();
    changed |= filter_combo(
        ctx, "Sort##filter", &r.filter.sort,
        std::vector<std::pair<records::QueueSort, std::string>>{{records::QueueSort::kOldest, "Oldest first"},
                                                                {records::QueueSort::kNewest, "Newest first"},
                                                                {records::QueueSort::kMostEndorsed, "Most endorsed"},
                                                                {records::QueueSort::kCategory, "By category"},
                                                                {records::QueueSort::kStatus, "By status"}},
        w);
    if (changed) {
        ctx.intents.emplace_back(QueueChangedIntent{r.filter});
    }
}

void keyboard(ViewContext& ctx) {
    ReviewState& r = ctx.state.review;
    const ImGuiIO& io = ImGui::GetIO();
    if (io.WantTextInput || io.KeyCtrl || ctx.state.idea || r.queue.empty()) {
        return;
    }
    const std::size_t last = r.queue.size() - 1;
    if (key('J') || named_key(ImGuiKey_DownArrow)) {
        r.cursor = std::min(r.cursor + 1, last);
        r.scroll_to_cursor = true;
        if (!r.selected.empty()) {
            ctx.intents.emplace_back(SelectSuggestionIntent{r.all[r.queue[r.cursor]].id});
        }
    } else if (key('K') || named_key(ImGuiKey_UpArrow)) {
        r.cursor = r.cursor > 0 ? r.cursor - 1 : 0;
        r.scroll_to_cursor = true;
        if (!r.selected.empty()) {
            ctx.intents.emplace_back(SelectSuggestionIntent{r.all[r.queue[r.cursor]].id});
        }
    }
    const std::string& id = r.all[r.queue[std::min(r.cursor, last)]].id;
    if (key('O') || named_key(ImGuiKey_Enter)) {
        ctx.intents.emplace_back(SelectSuggestionIntent{id});
    } else if (named_key(ImGuiKey_Escape)) {
        ctx.intents.emplace_back(SelectSuggestionIntent{""});
    } else if (key('R')) {
        ctx.intents.emplace_back(SelectSuggestionIntent{id});
        ctx.intents.emplace_back(DecideIntent{id, "under_review"});
    } else if (key('I') || key('A') || key('D')) {
        const std::string status = key('I') ? "needs_info" : key('A') ? "accepted" : "declined";
        if (r.selected != id) {
            ctx.intents.emplace_back(SelectSuggestionIntent{id});
        }
        // The note typed for the suggestion shown (choosing another clears it).
        ctx.intents.emplace_back(DecideIntent{id, status, r.selected == id ? r.note : std::string()});
    }
}

}  // namespace

void draw_review(ViewContext& ctx) {
    AppState& s = ctx.state;
    ReviewState& r = s.review;
    heading("Review queue");
    hint_text("j/k or arrows move - Enter opens - r review - i ask for info - a accept - d decline - Esc closes");
    filters(ctx);
    keyboard(ctx);
    ImGui::Spacing();
    const bool detail = !r.selected.empty();
    ImGui::BeginChild("##queue", ImVec2(detail ? ImGui::GetContentRegionAvail().x * 0.5F : 0.0F, 0));
    if (r.queue.empty()) {
        ImGui::TextDisabled(r.loaded ? "Nothing here. Every suggestion matching these filters is decided."
                                     : "Reading...");
    } else if (ImGui::BeginTable("##queue_table", 4,
                                 ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY | ImGuiTableFlags_SizingStretchProp)) {
        ImGui::TableSetupScrollFreeze(0, 1);
        // The short columns fit their longest words; the title takes the rest (and shows whole on hover).
        const float pad = ImGui::GetStyle().CellPadding.x * 2.0F + ImGui::GetFontSize() * 0.5F;
        ImGui::TableSetupColumn("Suggestion", ImGuiTableColumnFlags_WidthStretch, 1.0F);
        ImGui::TableSetupColumn("Status", ImGuiTableColumnFlags_WidthFixed,
                                ImGui::CalcTextSize("Under review").x + pad);
        ImGui::TableSetupColumn("+1", ImGuiTableColumnFlags_WidthFixed, ImGui::CalcTextSize("+1 999").x + pad);
        ImGui::TableSetupColumn("Age", ImGuiTableColumnFlags_WidthFixed, ImGui::CalcTextSize("12 minutes ago").x + pad);
        ImGui::TableHeadersRow();
        for (std::size_t i = 0; i < r.queue.size(); ++i) {
            const records::SuggestionSummary& row = r.all[r.queue[i]];
            ImGui::PushID(row.id.c_str());
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            const bool highlighted = i == r.cursor;
            if (selectable(ctx.widgets, (row.title + "##queue").c_str(), highlighted,
                           ImGuiSelectableFlags_SpanAllColumns)) {
                r.cursor = i;
                ctx.intents.emplace_back(SelectSuggestionIntent{row.id});
            }
            whole_on_hover(row.title, ImGui::GetColumnWidth());
            if (highlighted && r.scroll_to_cursor) {
                ImGui::SetScrollHereY(0.5F);
                r.scroll_to_cursor = false;
            }
            ImGui::TableNextColumn();
            ImGui::TextColored(status_colour(row.status), "%s", client::humanise(row.status).c_str());
            ImGui::TableNextColumn();
            ImGui::Text("%d", row.endorsements);
            ImGui::TableNextColumn();
            ImGui::TextDisabled("%s", client::relative_time(row.created_ms, ctx.now_ms).c_str());
            ImGui::PopID();
        }
        ImGui::EndTable();
    }
    ImGui::EndChild();
    if (detail) {
        ImGui::SameLine();
        ImGui::BeginChild("##review_detail", ImVec2(0, 0), true);
        draw_suggestion_detail(ctx, true);
        ImGui::EndChild();
    }
}

}  // namespace outpost::ui
