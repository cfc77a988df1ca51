// The unlocked shell: navigation on the left, the chosen screen on the right, a toast on top.
#include <imgui.h>

#include <algorithm>

#include "../theme.h"
#include "outpost/client/words.h"
#include "outpost/core/records/roles.h"
#include "views.h"

namespace outpost::ui {

namespace {

// A brief message ("Saved", "Accepted") floats over the top of the screen, so the page under it
// never moves and a click aimed at a button lands on it.
void draw_toast(ViewContext& ctx, float nav_width) {
    const AppState& s = ctx.state;
    if (s.toast.empty()) {
        return;
    }
    const ImGuiViewport* vp = ImGui::GetMainViewport();
    ImGui::SetNextWindowPos(
        ImVec2(vp->WorkPos.x + nav_width + (vp->WorkSize.x - nav_width) * 0.5F, vp->WorkPos.y + 6.0F), ImGuiCond_Always,
        ImVec2(0.5F, 0.0F));
    ImGui::SetNextWindowBgAlpha(0.95F);
    const ImGuiWindowFlags flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoInputs | ImGuiWindowFlags_NoNav |
                                   ImGuiWindowFlags_NoFocusOnAppearing | ImGuiWindowFlags_AlwaysAutoResize |
                                   ImGuiWindowFlags_NoSavedSettings;
    ImGui::PushStyleColor(ImGuiCol_WindowBg, theme_colour(Colour::kPanel));
    ImGui::PushStyleColor(ImGuiCol_Border, theme_colour(Colour::kGood));
    ImGui::PushStyleVar(ImGuiStyleVar_WindowBorderSize, 1.0F);
    ImGui::PushStyleVar(ImGuiStyleVar_WindowRounding, 6.0F);
    if (ImGui::Begin("##toast", nullptr, flags)) {
        ImGui::PushStyleColor(ImGuiCol_Text, theme_colour(Colour::kGood));
        ImGui::PushTextWrapPos(ImGui::GetFontSize() * 36.0F);
        ImGui::TextUnformatted(s.toast.c_str());
        ImGui::PopTextWrapPos();
        ImGui::PopStyleColor();
    }
    ImGui::End();
    ImGui::PopStyleVar(2);
    ImGui::PopStyleColor(2);
}

}  // namespace

void draw_shell(ViewContext& ctx) {
    AppState& s = ctx.state;
    const ImGuiViewport* vp = ImGui::GetMainViewport();
    ImGui::SetNextWindowPos(vp->WorkPos);
    ImGui::SetNextWindowSize(ImVec2(vp->WorkSize.x, vp->WorkSize.y - status_bar_height()));
    const ImGuiWindowFlags flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                                   ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoBringToFrontOnFocus;
    ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(0, 0));
    ImGui::Begin("##shell", nullptr, flags);
    ImGui::PopStyleVar();

    // The navigation keeps at most about a quarter of the window, whatever the text size.
    const float nav_width = std::min(14.0F * ImGui::GetFontSize(), vp->WorkSize.x * 0.26F);
    ImGui::PushStyleColor(ImGuiCol_ChildBg, theme_colour(Colour::kPanel));
    ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(14.0F, 16.0F));
    ImGui::BeginChild("##nav", ImVec2(nav_width, 0), false,
                      ImGuiWindowFlags_AlwaysUseWindowPadding | ImGuiWindowFlags_NavFlattened);
    ImGui::PushFont(current_fonts().heading);
    ImGui::TextUnformatted("Outpost");
    ImGui::PopFont();
    ImGui::TextUnformatted(s.profile_display.c_str());
    ImGui::TextDisabled("%s team, %s", s.team.c_str(), s.role.c_str());
    ImGui::Spacing();
    ImGui::Separator();
    ImGui::Spacing();
    const float row = ImGui::GetFrameHeight() * 1.3F;
    ImGui::PushStyleVar(ImGuiStyleVar_SelectableTextAlign, ImVec2(0.0F, 0.5F));
    auto nav = [&](const char* label, Screen screen, bool active) {
        if (selectable(ctx.widgets, label, active, 0, ImVec2(0, row))) {
            ctx.intents.emplace_back(GoToIntent{screen});
        }
    };
    nav("Cases", Screen::kCases, s.screen == Screen::kCases || s.screen == Screen::kRecord);
    const std::size_t news = s.review.notices.size();
    nav((news == 0 ? std::string("Suggestions") : "Suggestions (" + std::to_string(news) + " new)")
            .append("##nav")
            .c_str(),
        Screen::kSuggestions, s.screen == Screen::kSuggestions);
    if (s.role == records::kRoleLead) {
        std::size_t open = 0;
        for (const auto& sug : s.review.all) {
            open += records::is_decided(sug.status) ? 0 : 1;
        }
        nav((open == 0 ? std::string("Review queue") : "Review queue (" + std::to_string(open) + ")")
                .append("##nav")
                .c_str(),
            Screen::kReview, s.screen == Screen::kReview);
    }
    nav("Library", Screen::kLibrary, s.screen == Screen::kLibrary);
    if (s.role == records::kRoleLead) {
        nav("Dashboard", Screen::kDashboard, s.screen == Screen::kDashboard);
    }
    const std::string conflicts =
        s.conflicts.empty() ? std::string("Conflicts") : "Conflicts (" + std::to_string(s.conflicts.size()) + ")";
    nav((conflicts + "##nav").c_str(), Screen::kConflicts, s.screen == Screen::kConflicts);
    if (!s.attention.rows.empty() || s.screen == Screen::kNeedsAttention) {
        nav(("Needs attention (" + std::to_string(s.attention.rows.size()) + ")##nav").c_str(), Screen::kNeedsAttention,
            s.screen == Screen::kNeedsAttention);
    }
    nav("Settings", Screen::kSettings, s.screen == Screen::kSettings);
    ImGui::PopStyleVar();
    ImGui::Spacing();
    ImGui::Separator();
    ImGui::Spacing();
    if (button(ctx.widgets, "New idea", ImVec2(-1.0F, 0))) {
        ctx.intents.emplace_back(OpenIdeaIntent{});
    }
    hint_text("Ctrl+Shift+N from anywhere");
    // Lock at the foot of the panel, or under the rest when large text leaves no room there.
    ImGui::SetCursorPosY(
        std::max(ImGui::GetCursorPosY(), ImGui::GetWindowHeight() - ImGui::GetFrameHeightWithSpacing() * 2.2F));
    if (button(ctx.widgets, "Lock", ImVec2(-1.0F, 0))) {
        ctx.intents.emplace_back(LockIntent{});
    }
    hint_text("Ctrl+L");
    ImGui::EndChild();
    ImGui::PopStyleVar();
    ImGui::PopStyleColor();

    ImGui::SameLine(0, 0);
    ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(22.0F, 16.0F));
    ImGui::BeginChild("##content", ImVec2(0, 0), false,
                      ImGuiWindowFlags_AlwaysUseWindowPadding | ImGuiWindowFlags_NavFlattened);
    // A form this laptop cannot use in its newest version is said above every screen, until an
    // updated Outpost reads it.
    if (!s.form_notices.empty()) {
        ImGui::PushStyleColor(ImGuiCol_Text, theme_colour(Colour::kWarning));
        for (const std::string& line : s.form_notices) {
            ImGui::TextWrapped("%s", line.c_str());
        }
        ImGui::PopStyleColor();
        ImGui::Spacing();
    }

    switch (s.screen) {
        case Screen::kRecord:
            draw_record(ctx);
            break;
        case Screen::kSuggestions:
            draw_suggestions(ctx);
            break;
        case Screen::kReview:
            draw_review(ctx);
            break;
        case Screen::kLibrary:
            draw_library(ctx);
            break;
        case Screen::kDashboard:
            draw_dashboard(ctx);
            break;
        case Screen::kConflicts:
            draw_conflicts(ctx);
            break;
        case Screen::kSettings:
            draw_settings(ctx);
            break;
        case Screen::kNeedsAttention:
            draw_needs_attention(ctx);
            break;
        default:
            draw_cases(ctx);
            break;
    }
    ImGui::EndChild();
    ImGui::PopStyleVar();
    ImGui::End();
    draw_toast(ctx, nav_width);
}

}  // namespace outpost::ui
