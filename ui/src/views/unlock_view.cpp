// Unlock: the chosen profile's passphrase. Also where an auto-lock lands, saying why, and the way to
// "Forgot passphrase?" (recovery_code_view.cpp).
#include <imgui.h>

#include "views.h"

namespace outpost::ui {
namespace {

// A profile IT had wiped: what happened, and the ways on. There is nothing to unlock.
void draw_wiped_profile(ViewContext& ctx) {
    AppState& s = ctx.state;
    if (begin_card("##wiped", 520.0F)) {
        heading((s.profile_display + "'s profile was removed").c_str());
        hint_text(s.locked_note.c_str());
        ImGui::Spacing();
        ImGui::TextWrapped(
            "Its cases, drafts and files are no longer on this laptop. To use Outpost here again, ask IT for a "
            "new enrolment file and make a new profile.");
        ImGui::Spacing();
        if (primary_button(ctx.widgets, "Make a new profile")) {
            ctx.intents.emplace_back(GoToIntent{Screen::kCreateProfile});
        }
        ImGui::SameLine();
        if (button(ctx.widgets, "Someone else")) {
            ctx.intents.emplace_back(GoToIntent{Screen::kProfiles});
        }
    }
    end_card();
}

}  // namespace

void draw_unlock(ViewContext& ctx) {
    AppState& s = ctx.state;
    if (s.profile_wiped) {
        draw_wiped_profile(ctx);
        return;
    }
    if (begin_card("##unlock", 520.0F)) {
        heading(("Welcome back, " + s.profile_display).c_str());
        if (!s.locked_note.empty()) {
            hint_text(s.locked_note.c_str());
            ImGui::Spacing();
        }
        ImGui::TextUnformatted("Passphrase");
        if (ImGui::IsWindowAppearing() || s.focus_passphrase) {
            ImGui::SetKeyboardFocusHere();
            s.focus_passphrase = false;
        }
        ImGui::SetNextItemWidth(-1.0F);
        const bool enter = ImGui::InputText("##unlock_passphrase", s.passphrase.data(), s.passphrase.capacity(),
                                            ImGuiInputTextFlags_Password | ImGuiInputTextFlags_EnterReturnsTrue);
        ctx.widgets.record_last("Passphrase");
        ImGui::Spacing();
        problem_text(s.problem);
        if (s.working) {
            ImGui::TextUnformatted(s.working_on.c_str());
        } else {
            if (primary_button(ctx.widgets, "Unlock") || enter) {
                ctx.intents.emplace_back(UnlockIntent{});
            }
            ImGui::SameLine();
            if (button(ctx.widgets, "Someone else")) {
                ctx.intents.emplace_back(GoToIntent{Screen::kProfiles});
            }
            ImGui::SameLine();
            if (button(ctx.widgets, "Forgot passphrase?")) {
                ctx.intents.emplace_back(GoToIntent{Screen::kRecover});
            }
        }
    }
    end_card();
}

}  // namespace outpost::ui
