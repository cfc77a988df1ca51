// "Decisions arrived": what happened to my suggestions since I last looked (a lead's decision, a
// question, another idea folded into mine). Listed until read; each opens its suggestion.
#include <imgui.h>

#include <utility>

#include "../theme.h"
#include "outpost/client/words.h"
#include "views.h"

namespace outpost::ui {

void draw_notices(ViewContext& ctx) {
    ReviewState& r = ctx.state.review;
    if (r.notices.empty()) {
        return;
    }
    ImGui::PushStyleColor(ImGuiCol_ChildBg, theme_colour(Colour::kPanel));
    const float h = ImGui::GetTextLineHeightWithSpacing() *
                    (static_cast<float>(std::min<std::size_t>(r.notices.size(), 4)) * 2.0F + 2.6F);
    ImGui::BeginChild("##notices", ImVec2(0, h), true);
    ImGui::PushStyleColor(ImGuiCol_Text, theme_colour(Colour::kGood));
    ImGui::Text("Decisions arrived (%zu)", r.notices.size());
    ImGui::PopStyleColor();
    ImGui::SameLine(ImGui::GetWindowContentRegionMax().x - ImGui::CalcTextSize("Mark all read").x -
                    ImGui::GetStyle().FramePadding.x * 2.0F);
    if (button(ctx.widgets, "Mark all read")) {
        MarkNoticesReadIntent read;
        for (const records::Notice& n : r.notices) {
            read.keys.push_back(n.key);
        }
        ctx.intents.emplace_back(std::move(read));
    }
    for (const records::Notice& n : r.notices) {
        ImGui::PushID(n.key.c_str());
        badge(client::humanise(n.status).c_str(), status_colour(n.status == "duplicate" ? "accepted" : n.status));
        ImGui::SameLine();
        if (selectable(ctx.widgets, (n.title + "##notice").c_str(), false)) {
            ctx.intents.emplace_back(SelectSuggestionIntent{n.suggestion});
        }
        ImGui::Indent();
        ImGui::TextWrapped("%s", n.text.c_str());
        ImGui::Unindent();
        ImGui::PopID();
    }
    ImGui::EndChild();
    ImGui::PopStyleColor();
}

}  // namespace outpost::ui
