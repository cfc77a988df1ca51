// The sync status bar, always visible: online or offline, changes waiting to send, the last good sync,
// Sync now, progress while syncing, and on a problem its reason and what the server refused.
#include <imgui.h>

#include "../theme.h"
#include "outpost/ui/words.h"
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
            ImGui::TextDisabled("Locked. Your cases are encrypted on this laptop.");
        } else {
            const SyncBar& b = s.sync;
            const sync::SyncState& st = b.state;
            const bool syncing = st.phase == sync::SyncPhase::kSyncing;
            const ImVec4 colour = syncing                                           ? theme_colour(Colour::kAccent)
                                  : !b.known                                        ? theme_colour(Colour::kMuted)
                                  : b.online && st.phase != sync::SyncPhase::kError ? theme_colour(Colour::kGood)
                                  : b.online                                        ? theme_colour(Colour::kWarning)
                                                                                    : theme_colour(Colour::kProblem);
            ImGui::AlignTextToFramePadding();
            ImGui::TextColored(colour, "%s", connection_label(b).c_str());
            ImGui::SameLine();
            ImGui::TextDisabled("|");
            ImGui::SameLine();
            ImGui::Text("%lld change%s waiting to send", static_cast<long long>(st.waiting),
                        st.waiting == 1 ? "" : "s");
            if (st.files_waiting > 0) {  // attachments go after the records, and may take longer
                ImGui::SameLine();
                ImGui::TextColored(theme_colour(Colour::kWarning), "+ %lld file%s",
                                   static_cast<long long>(st.files_waiting), st.files_waiting == 1 ? "" : "s");
            }
            ImGui::SameLine();
            ImGui::TextDisabled("|");
            ImGui::SameLine();
            ImGui::Text("Last sync: %s", relative_time(st.last_success_ms, ctx.now_ms).c_str());
            if (syncing) {
                ImGui::SameLine();
                const double total = static_cast<double>(std::max<std::int64_t>(st.to_push, 1));
                const float fraction = st.to_push > 0 ? static_cast<float>(static_cast<double>(st.pushed) / total)
                                                      : -1.0F * static_cast<float>(ImGui::GetTime());
                const std::string what =
                    st.to_push > 0  ? "Sending " + std::to_string(st.pushed) + " of " + std::to_string(st.to_push)
                    : st.pulled > 0 ? "Receiving " + std::to_string(st.pulled) + " changes"
                                    : std::string("Checking for changes");
                ImGui::ProgressBar(fraction >= 0 ? fraction : 0.0F, ImVec2(14.0F * ImGui::GetFontSize(), 0),
                                   what.c_str());
            }
            if ((st.phase == sync::SyncPhase::kError || st.phase == sync::SyncPhase::kOffline) && !st.reason.empty()) {
                ImGui::SameLine();
                ImGui::TextColored(theme_colour(Colour::kProblem), "%s", st.reason.c_str());
                if (ImGui::IsItemHovered()) {
                    ImGui::SetTooltip("%s", st.reason.c_str());
                }
            }
            if (!b.refused.empty()) {
                ImGui::SameLine();
                ImGui::TextColored(theme_colour(Colour::kWarning), "%zu change%s refused", b.refused.size(),
                                   b.refused.size() == 1 ? "" : "s");
                if (ImGui::IsItemHovered()) {
                    ImGui::BeginTooltip();
                    ImGui::TextUnformatted("The server refused these changes. They are kept on this laptop:");
                    for (const sync::RefusedChange& r : b.refused) {
                        ImGui::BulletText("%s: %s", humanise(r.field).c_str(), r.message.c_str());
                    }
                    ImGui::EndTooltip();
                }
            }
            const float w = 9.0F * ImGui::GetFontSize();
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
