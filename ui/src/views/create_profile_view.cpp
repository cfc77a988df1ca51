// First run: a profile name and a passphrase, asked twice, with a strength hint.
#include <imgui.h>

#include "../theme.h"
#include "outpost/ui/words.h"
#include "views.h"

namespace outpost::ui {

void draw_create_profile(ViewContext& ctx) {
    AppState& s = ctx.state;
    if (begin_card("##create", 620.0F)) {
        heading("Create your profile");
        hint_text(
            "Your cases are kept encrypted on this laptop. Only your passphrase opens them: "
            "it cannot be recovered, so choose one you will remember.");
        ImGui::Spacing();
        ImGui::TextUnformatted("Your name");
        input_text(ctx.widgets, "Your name##profile", &s.profile, "for example Ann", 0, -1.0F);
        ImGui::Spacing();
        ImGui::TextUnformatted("Passphrase");
        const bool edited = input_secret(ctx.widgets, "Passphrase##new", s.passphrase.data(), s.passphrase.capacity());
        (void)edited;
        const Strength st = passphrase_strength(s.passphrase.view(), s.policy.min_passphrase_length);
        if (!s.passphrase.view().empty()) {
            const float fraction = static_cast<float>(st.score) / 4.0F;
            const ImVec4 colour = st.score >= 3   ? theme_colour(Colour::kGood)
                                  : st.score == 2 ? theme_colour(Colour::kWarning)
                                                  : theme_colour(Colour::kProblem);
            ImGui::PushStyleColor(ImGuiCol_PlotHistogram, colour);
            ImGui::ProgressBar(std::max(fraction, 0.05F), ImVec2(-1.0F, 6.0F), "");
            ImGui::PopStyleColor();
            ImGui::TextColored(colour, "%s.", st.label.c_str());
            ImGui::SameLine();
            hint_text(st.hint.c_str());
        } else {
            hint_text("At least 8 characters. A short sentence of four or more words works well.");
        }
        ImGui::Spacing();
        ImGui::TextUnformatted("The same passphrase again");
        input_secret(ctx.widgets, "Passphrase again##new", s.passphrase_again.data(), s.passphrase_again.capacity());
        ImGui::Spacing();
        problem_text(s.problem);
        ImGui::Spacing();
        if (primary_button(ctx.widgets, "Continue")) {
            ctx.intents.emplace_back(CreateProfileIntent{});
        }
        if (!s.profiles.empty()) {
            ImGui::SameLine();
            if (button(ctx.widgets, "Back")) {
                ctx.intents.emplace_back(GoToIntent{Screen::kProfiles});
            }
        }
    }
    end_card();
}

}  // namespace outpost::ui
