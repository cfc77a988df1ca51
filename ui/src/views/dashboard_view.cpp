// The lead's dashboard: the team's suggestions by status, the median days from submission to
// decision, the oldest undecided, and how far the team's shared practices spread. Figures are drawn
// as bars, with the number at the end of each.
#include <imgui.h>

#include <algorithm>
#include <cstdio>

#include "../theme.h"
#include "outpost/client/words.h"
#include "views.h"

namespace outpost::ui {
namespace {

// One horizontal bar: the label, then a bar `value / max` of the width left, then the value.
void bar(const std::string& label, int value, int max, ImVec4 colour) {
    const float label_w = 12.0F * ImGui::GetFontSize();
    const float h = ImGui::GetTextLineHeight();
    ImGui::TextUnformatted(label.c_str());
    ImGui::SameLine(label_w);
    const ImVec2 at = ImGui::GetCursorScreenPos();
    const float room = std::max(40.0F, ImGui::GetContentRegionAvail().x - 4.0F * ImGui::GetFontSize());
    const float w = max > 0 ? room * static_cast<float>(value) / static_cast<float>(max) : 0.0F;
    ImDrawList* dl = ImGui::GetWindowDrawList();
    dl->AddRectFilled(at, ImVec2(at.x + room, at.y + h), ImGui::GetColorU32(theme_colour(Colour::kPanel)), 3.0F);
    if (w > 0.0F) {
        dl->AddRectFilled(at, ImVec2(at.x + std::max(w, 3.0F), at.y + h), ImGui::GetColorU32(colour), 3.0F);
    }
    ImGui::Dummy(ImVec2(room, h));
    ImGui::SameLine();
    ImGui::Text("%d", value);
}

}  // namespace

void draw_dashboard(ViewContext& ctx) {
    AppState& s = ctx.state;
    const records::Dashboard& d = s.review.dashboard;
    heading("Team dashboard");
    hint_text(("Team " + s.team + ", from the suggestions on this laptop after its last sync.").c_str());
    ImGui::BeginChild("##dashboard");
    section("Suggestions by status");
    int top = 1;
    for (const auto& [status, n] : d.by_status) {
        top = std::max(top, n);
    }
    for (const auto& [status, n] : d.by_status) {
        bar(client::humanise(status), n, top, status_colour(status));
    }
    section("Time to a decision");
    if (d.median_days_to_decision) {
        char buf[96];
        std::snprintf(buf, sizeof buf, "%.1f days", *d.median_days_to_decision);
        ImGui::PushFont(current_fonts().heading);
        ImGui::TextUnformatted(buf);
        ImGui::PopFont();
        ImGui::TextDisabled("median from submission to decision, over %d decision%s", d.decisions,
                            d.decisions == 1 ? "" : "s");
    } else {
        ImGui::TextDisabled("No decisions yet.");
    }
    section("Oldest undecided");
    if (d.oldest_undecided.empty()) {
        ImGui::TextDisabled("Nothing waiting for a decision.");
    }
    for (std::size_t i : d.oldest_undecided) {
        if (i >= s.review.all.size()) {
            continue;
        }
        const records::SuggestionSummary& row = s.review.all[i];
        ImGui::PushID(row.id.c_str());
        const int days = static_cast<int>((ctx.now_ms - row.created_ms) / 86'400'000);
        if (selectable(ctx.widgets, (row.title + "##oldest").c_str(), false)) {
            ctx.intents.emplace_back(GoToIntent{Screen::kReview});
            ctx.intents.emplace_back(SelectSuggestionIntent{row.id});
        }
        ImGui::SameLine(ImGui::GetContentRegionAvail().x * 0.7F);
        ImGui::TextColored(days >= 30 ? theme_colour(Colour::kProblem) : theme_colour(Colour::kMuted), "%d day%s, %s",
                           days, days == 1 ? "" : "s", client::humanise(row.status).c_str());
        ImGui::PopID();
    }
    section("Our practices in other teams");
    if (d.adoption.empty()) {
        ImGui::TextDisabled("No practice of this team is in the library yet.");
    }
    int most = 1;
    for (const auto& [title, n] : d.adoption) {
        most = std::max(most, n);
    }
    for (const auto& [title, n] : d.adoption) {
        bar(title, n, most, theme_colour(Colour::kGood));
    }
    ImGui::Spacing();
    ImGui::Text("Practices this team adopted from others: %d", d.adopted_here);
    ImGui::EndChild();
}

}  // namespace outpost::ui
