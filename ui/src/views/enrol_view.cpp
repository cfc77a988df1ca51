// Enrolment: the file IT handed out (given with --provision, picked from a list, or typed as a path),
// or its text pasted from an email. Enrolling creates the encrypted profile and registers the device.
#include <imgui.h>

#include "views.h"

namespace outpost::ui {

void draw_enrol(ViewContext& ctx) {
    AppState& s = ctx.state;
    if (begin_card("##enrol", 680.0F)) {
        heading("Connect this laptop to your team");
        hint_text(
            "IT gives each person an enrolment file (it ends in .outpost). It can be used once, "
            "and only for a few days.");
        ImGui::Spacing();
        ImGui::TextUnformatted("Enrolment file");
        input_text(ctx.widgets, "Enrolment file##path", &s.provision_path, "/home/ann/Downloads/ann.outpost", 0, -1.0F);
        if (!s.provision_files.empty()) {
            ImGui::TextDisabled("Found on this laptop:");
            for (const std::string& f : s.provision_files) {
                if (selectable(ctx.widgets, f.c_str(), f == s.provision_path)) {
                    s.provision_path = f;
                }
            }
        }
        ImGui::Spacing();
        ImGui::TextUnformatted("Or paste the text of the file");
        input_multiline(ctx.widgets, "Enrolment text##paste", &s.provision_text, ImGui::GetTextLineHeight() * 4.0F);
        ImGui::Spacing();
        ImGui::Text("This laptop will be called \"%s\" on the server.", s.device_name.c_str());
        ImGui::Spacing();
        problem_text(s.problem);
        if (s.working) {
            ImGui::TextUnformatted(s.working_on.c_str());
        } else {
            if (primary_button(ctx.widgets, "Enrol")) {
                ctx.intents.emplace_back(EnrolIntent{});
            }
            ImGui::SameLine();
            if (button(ctx.widgets, "Back")) {
                ctx.intents.emplace_back(GoToIntent{Screen::kCreateProfile});
            }
        }
    }
    end_card();
}

}  // namespace outpost::ui
