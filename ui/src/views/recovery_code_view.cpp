// The recovery code: shown once, large and in groups, to be written down; then one group of it typed
// back. Also the "Forgot passphrase?" screen, where the code and a new passphrase open the profile.
#include <imgui.h>

#include <algorithm>
#include <string>

#include "../theme.h"
#include "outpost/client/recovery.h"
#include "outpost/client/words.h"
#include "views.h"

namespace outpost::ui {
namespace {

// The groups large, with their numbers above them, so they can be read aloud and checked one by one.
void draw_code_groups(std::string_view code) {
    const std::vector<std::string> groups = client::recovery_code_groups(code);
    ImGui::PushFont(current_fonts().heading);
    // As large as the card allows, all on one line (at most half as large again as a heading).
    float wide = 0.0F;
    for (const std::string& g : groups) {
        wide += ImGui::CalcTextSize(g.c_str()).x + ImGui::CalcTextSize("  ").x;
    }
    const float scale = std::clamp(ImGui::GetContentRegionAvail().x / std::max(wide, 1.0F), 0.8F, 1.5F);
    ImGui::SetWindowFontScale(scale);
    const float gap = ImGui::CalcTextSize("  ").x;
    for (std::size_t i = 0; i < groups.size(); ++i) {
        if (i > 0) {
            ImGui::SameLine(0.0F, gap);
        }
        ImGui::BeginGroup();
        ImGui::SetWindowFontScale(scale * 0.5F);
        ImGui::TextDisabled("%zu", i + 1);
        ImGui::SetWindowFontScale(scale);
        ImGui::TextUnformatted(groups[i].c_str());
        ImGui::EndGroup();
    }
    ImGui::SetWindowFontScale(1.0F);
    ImGui::PopFont();
}

}  // namespace

void draw_recovery_code(ViewContext& ctx) {
    AppState& s = ctx.state;
    RecoveryOffer& r = s.recovery;
    if (begin_card("##recovery", 720.0F)) {
        if (r.group == 0) {
            heading(r.after_recovery ? "Your new recovery code" : "Your recovery code");
            hint_text(
                "If you forget your passphrase, this code opens your profile with everything in it, including "
                "changes not yet sent. It is shown only now.");
            if (r.after_recovery) {
                hint_text("The code you just used no longer works: this one replaces it.");
            }
            ImGui::Spacing();
            draw_code_groups(r.code.view());
            ImGui::Spacing();
            ImGui::TextWrapped(
                "Write it down now, or print this screen, and keep it somewhere safe away from this laptop. "
                "Anyone with the code and this laptop can open your cases.");
            if (r.escrowed) {
                hint_text("A sealed copy is kept for your service desk, which only it can open.");
            }
            ImGui::Spacing();
            problem_text(r.problem);
            if (r.focus) {  // shown again after a wrong group: Enter asks for a group again
                ImGui::SetKeyboardFocusHere();
                r.focus = false;
            }
            if (primary_button(ctx.widgets, "I have written it down")) {
                ctx.intents.emplace_back(RecoveryWrittenIntent{});
            }
        } else {
            heading("Check your recovery code");
            const std::string ask = "Type group " + std::to_string(r.group) + " of the code, as you wrote it down.";
            ImGui::TextUnformatted(ask.c_str());
            ImGui::Spacing();
            if (ImGui::IsWindowAppearing() || r.focus) {
                ImGui::SetKeyboardFocusHere();
                r.focus = false;
            }
            input_text(ctx.widgets, "Group##recovery", &r.typed, "four letters or digits", 0, 200.0F);
            const bool enter = ImGui::IsItemDeactivated() && ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Enter));
            ImGui::Spacing();
            if (primary_button(ctx.widgets, "Check") || enter) {
                ctx.intents.emplace_back(ConfirmRecoveryIntent{r.typed});
            }
        }
        if (r.required) {
            ImGui::Spacing();
            hint_text(r.escrowed ? "This profile keeps a recovery code: your organisation holds a sealed copy."
                                 : "Your organisation requires a recovery code for every profile.");
        } else {
            ImGui::SameLine();
            if (button(ctx.widgets, "Skip")) {
                ctx.intents.emplace_back(SkipRecoveryIntent{});
            }
            hint_text("Skip: no recovery code. A forgotten passphrase then loses everything on this laptop.");
        }
    }
    end_card();
}

void draw_recover(ViewContext& ctx) {
    AppState& s = ctx.state;
    if (begin_card("##recover", 620.0F)) {
        heading("Forgot your passphrase?");
        hint_text(
            "Type the recovery code you wrote down when this profile was made, and choose a new passphrase. "
            "Everything on this laptop stays, including changes not yet sent.");
        ImGui::Spacing();
        ImGui::TextUnformatted("Recovery code");
        if (ImGui::IsWindowAppearing() || s.focus_recovery_code) {
            ImGui::SetKeyboardFocusHere();
            s.focus_recovery_code = false;
        }
        // Shown as typed (not as dots): it is copied from paper, and a slip must be easy to see.
        ImGui::SetNextItemWidth(-1.0F);
        bool edited = ImGui::InputText("##recover_code", s.recovery_code.data(), s.recovery_code.capacity(),
                                       ImGuiInputTextFlags_CharsUppercase);
        ctx.widgets.record_last("Recovery code");
        ImGui::Spacing();
        ImGui::TextUnformatted("New passphrase");
        edited |= input_secret(ctx.widgets, "New passphrase##recover", s.passphrase.data(), s.passphrase.capacity());
        const std::string hint = "At least " + std::to_string(s.policy.min_passphrase_length) + " characters.";
        hint_text(hint.c_str());
        ImGui::TextUnformatted("The same passphrase again");
        edited |= input_secret(ctx.widgets, "New passphrase again##recover", s.passphrase_again.data(),
                               s.passphrase_again.capacity());
        const bool submit = ImGui::IsItemDeactivated() && ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Enter));
        if (edited) {
            ctx.intents.emplace_back(ClearProblemIntent{});
        }
        ImGui::Spacing();
        problem_text(s.problem);
        if (s.working) {
            ImGui::TextUnformatted(s.working_on.c_str());
        } else {
            if (primary_button(ctx.widgets, "Recover") || submit) {
                ctx.intents.emplace_back(RecoverIntent{});
            }
            ImGui::SameLine();
            if (button(ctx.widgets, "Back")) {
                ctx.intents.emplace_back(GoToIntent{Screen::kUnlock});
            }
        }
    }
    end_card();
}

}  // namespace outpost::ui
