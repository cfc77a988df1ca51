// The sync status bar, always visible: online or offline, changes waiting to send, the last good sync,
// Sync now, progress while syncing, on a problem its reason, and how many refused changes need
// attention (pressing it opens the "Needs attention" screen).
#include <imgui.h>

#include <algorithm>
#include <string>

#include "../theme.h"
#include "outpost/client/words.h"
#include "views.h"

namespace outpost::ui {

void draw_status_bar(ViewContext& ctx) {
    AppState& s = ctx.state;
    const ImGuiViewport* vp = ImGui::GetMainViewport();
    const float height = status_bar_height();
    ImGui::SetNextWindowPos(ImVec2(vp->WorkPos.x, vp->WorkPos.y + vp->WorkSize.y - height));
    ImGui::SetNextWindowSize(ImVec2(vp->WorkSize.x, height));
    const ImGuiWindowFlags flags = ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove |
                                   ImGuiWindowFlags_NoSavedSettings | ImGuiWindowFlags_NoFocusOnAppearing;
    ImGui::PushStyleColor(ImGuiCol_WindowBg, theme_colour(Colour::kPanel));
    ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(14.0F, height * 0.12F));
    if (ImGui::Begin("##status_bar", nullptr, flags)) {
        if (!s.unlocked) {
            ImGui::AlignTextToFramePadding();
            ImGui::TextDisabled("%s", s.profile_wiped ? "This profile's cases are no longer on this laptop."
                                                      : "Locked. Your cases are encrypted on this laptop.");
        } else {
            const SyncBar& b = s.sync;
            const sync::SyncState& st = b.state;
            const bool syncing = st.phase == sync::SyncPhase::kSyncing;
            const ImVec4 colour = syncing                                           ? theme_colour(Colour::kAccent)
                                  : !b.known                                        ? theme_colour(Colour::kMuted)
                                  : b.online && st.phase != sync::SyncPhase::kError ? theme_colour(Colour::kGood)
                                  : b.online                                        ? theme_colour(Colour::kWarning)
                                                                                    : theme_colour(Colour::kProblem);
            // The parts in order of importance; one that does not fit before "Sync now" is left out
            // (at large text sizes), never drawn under the button.
            const float button_w = std::min(9.0F * ImGui::GetFontSize(), ImGui::GetWindowWidth() * 0.3F);
            const float limit = ImGui::GetWindowWidth() - button_w - 14.0F - ImGui::GetStyle().ItemSpacing.x;
            bool first = true;
            auto part = [&](const std::string& text, const ImVec4* col, bool separator) {
                const float sep_w = separator ? ImGui::CalcTextSize("|").x + ImGui::GetStyle().ItemSpacing.x : 0.0F;
                const float x =
                    first ? ImGui::GetCursorPosX()
                          : ImGui::GetItemRectMax().x - ImGui::GetWindowPos().x + ImGui::GetStyle().ItemSpacing.x;
                if (x + sep_w + ImGui::CalcTextSize(text.c_str()).x > limit) {
                    return false;
                }
                if (!first) {
                    ImGui::SameLine();
                    if (separator) {
                        ImGui::TextDisabled("|");
                        ImGui::SameLine();
                    }
                }
                first = false;
                if (col != nullptr) {
                    ImGui::TextColored(*col, "%s", text.c_str());
                } else {
                    ImGui::TextUnformatted(text.c_str());
                }
                return true;
            };
            ImGui::AlignTextToFramePadding();
            part(connection_label(b), &colour, false);
            const ImVec4 warning = theme_colour(Colour::kWarning);
            const ImVec4 problem = theme_colour(Colour::kProblem);
            const std::size_t attention = s.attention.rows.size();
            if (attention > 0) {
                // A button that reads as a warning: the refused changes, one press from the screen
                // that lists them (also in the navigation, for the keyboard).
                const std::string label = std::to_string(attention) +
                                          (attention == 1 ? " needs attention" : " need attention") + "##status_bar";
                const float w =
                    ImGui::CalcTextSize(label.c_str(), nullptr, true).x + ImGui::GetStyle().FramePadding.x * 2;
                const float x = ImGui::GetItemRectMax().x - ImGui::GetWindowPos().x + ImGui::GetStyle().ItemSpacing.x;
                if (x + w <= limit) {
                    ImGui::SameLine();
                    ImGui::TextDisabled("|");
                    ImGui::SameLine();
                    ImGui::PushStyleColor(ImGuiCol_Text, warning);
                    ImGui::PushStyleColor(ImGuiCol_Button, ImVec4(0, 0, 0, 0));
                    if (button(ctx.widgets, label.c_str())) {
                        ctx.intents.emplace_back(GoToIntent{Screen::kNeedsAttention});
                    }
                    ImGui::PopStyleColor(2);
                    if (ImGui::IsItemHovered()) {
                        ImGui::SetTooltip(
                            "The server refused changes made on this laptop. Open the list to fix or "
                            "discard them.");
                    }
                }
            }
            part(std::to_string(st.waiting) + " change" + (st.waiting == 1 ? "" : "s") + " waiting to send", nullptr,
                 true);
            if (st.files_waiting > 0) {  // attachments go after the records, and may take longer
                part("+ " + std::to_string(st.files_waiting) + " file" + (st.files_waiting == 1 ? "" : "s"), &warning,
                     false);
            }
            if (syncing) {
                const std::string what =
                    st.to_push > 0  ? "Sending " + std::to_string(st.pushed) + " of " + std::to_string(st.to_push)
                    : st.pulled > 0 ? "Receiving " + std::to_string(st.pulled) + " changes"
                                    : std::string("Checking for changes");
                const float bar_w = 14.0F * ImGui::GetFontSize();
                const float x = ImGui::GetItemRectMax().x - ImGui::GetWindowPos().x + ImGui::GetStyle().ItemSpacing.x;
                if (x + bar_w <= limit) {
                    ImGui::SameLine();
                    const double total = static_cast<double>(std::max<std::int64_t>(st.to_push, 1));
                    const float fraction = st.to_push > 0 ? static_cast<float>(static_cast<double>(st.pushed) / total)
                                                          : -1.0F * static_cast<float>(ImGui::GetTime());
                    ImGui::ProgressBar(fraction >= 0 ? fraction : 0.0F, ImVec2(bar_w, 0), what.c_str());
                }
            } else {
                part("Last sync: " + client::relative_time(st.last_success_ms, ctx.now_ms), nullptr, true);
            }
            if ((st.phase == sync::SyncPhase::kError || st.phase == sync::SyncPhase::kOffline) && !st.reason.empty()) {
                if (part(st.reason, &problem, true) && ImGui::IsItemHovered()) {
                    ImGui::SetTooltip("%s", st.reason.c_str());
                }
            }
            const float w = button_w;
            ImGui::SameLine(ImGui::GetWindowWidth() - w - 14.0F);
            // Always pressable: during a sync it asks for one more afterwards, which picks up what was
            // written meanwhile (the bar's state can be a second old, too).
            if (button(ctx.widgets, "Sync now", ImVec2(w, 0))) {
                ctx.intents.emplace_back(SyncNowIntent{});
            }
        }
    }
    ImGui::End();
    ImGui::PopStyleVar();
    ImGui::PopStyleColor();
}

}  // namespace outpost::ui
