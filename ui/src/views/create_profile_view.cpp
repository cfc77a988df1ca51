// First run: a profile name and a passphrase, asked twice, with a strength hint.
#include <imgui.h>

#include <string>

#include "../theme.h"
#include "outpost/client/words.h"
#include "views.h"

namespace outpost::ui {

void draw_create_profile(ViewContext& ctx) {
    AppState& s = ctx.state;
    if (begin_card("##create", 620.0F)) {
        heading("Create your profile");
        hint_text(
            "Your cases are kept encrypted on this laptop, and your passphrase opens them: choose one you "
            "will remember. Next you get a recovery code to write down, in case you ever forget it.");
        ImGui::Spacing();
        ImGui::TextUnformatted("Your name");
        if (ImGui::IsWindowAppearing()) {
            ImGui::SetKeyboardFocusHere();
        }
        bool edited = input_text(ctx.widgets, "Your name##profile", &s.new_profile_name, "for example Ann", 0, -1.0F);
        const bool name_done = ImGui::IsItemDeactivated() && ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Enter));
        ImGui::Spacing();
        ImGui::TextUnformatted("Passphrase");
        if (name_done) {
            ImGui::SetKeyboardFocusHere();  // Enter after the name goes on to the passphrase
        }
        edited |= input_secret(ctx.widgets, "Passphrase##new", s.passphrase.data(), s.passphrase.capacity());
        bool submit = ImGui::IsItemDeactivated() && ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Enter));
        const client::Strength st = client::passphrase_strength(s.passphrase.view(), s.policy.min_passphrase_length);
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
            const std::string hint = "At least " + std::to_string(s.policy.min_passphrase_length) +
                                     " characters. A short sentence of four or more words works well.";
            hint_text(hint.c_str());
        }
        ImGui::Spacing();
        ImGui::TextUnformatted("The same passphrase again");
        edited |= input_secret(ctx.widgets, "Passphrase again##new", s.passphrase_again.data(),
                               s.passphrase_again.capacity());
        submit |= ImGui::IsItemDeactivated() && ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Enter));
        if (edited) {
            ctx.intents.emplace_back(ClearProblemIntent{});  // a message about what was typed goes with it
        }
        ImGui::Spacing();
        problem_text(s.problem);
        ImGui::Spacing();
        if (primary_button(ctx.widgets, "Continue") || submit) {
            ctx.intents.emplace_back(CreateProfileIntent{s.new_profile_name});
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
