// Enrolment: the file IT handed out (given with --provision, picked from a list, or typed as a path),
// or its text pasted from an email. Enrolling creates the encrypted profile and registers the device.
#include <imgui.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "outpost/platform/app_dirs.h"
#include "outpost/platform/utf8.h"
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
        if (ImGui::IsWindowAppearing()) {
            ImGui::SetKeyboardFocusHere();  // the path field
        }
        const float browse_w = ImGui::CalcTextSize("Browse...").x + ImGui::GetStyle().FramePadding.x * 2.0F;
        input_text(ctx.widgets, "Enrolment file##path", &s.provision_path, "/home/ann/Downloads/ann.outpost", 0,
                   ImGui::GetContentRegionAvail().x - browse_w - ImGui::GetStyle().ItemSpacing.x);
        const bool submit = ImGui::IsItemDeactivated() && ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Enter)) &&
                            !s.provision_path.empty();
        ImGui::SameLine();
        if (button(ctx.widgets, "Browse...")) {
            if (s.browse_dir.empty()) {
                const std::filesystem::path typed = path_from_utf8(s.provision_path);
                s.browse_dir = !s.provision_path.empty() && std::filesystem::is_directory(typed.parent_path())
                                   ? path_to_utf8(typed.parent_path())
                                   : path_to_utf8(platform::home_folder());
            }
            ImGui::OpenPopup("Choose the enrolment file");
        }
        std::string picked;
        if (draw_file_picker(
                ctx, "Choose the enrolment file", s.browse_dir,
                [](const std::filesystem::path& p) { return p.extension() == ".outpost"; }, picked)) {
            s.provision_path = picked;
        }
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
        input_multiline(ctx.widgets, "Enrolment text##paste", &s.provision_text, 4, 8);
        ImGui::Spacing();
        ImGui::Text("This laptop will be called \"%s\" on the server.", s.device_name.c_str());
        ImGui::Spacing();
        problem_text(s.problem);
        if (s.working) {
            ImGui::TextUnformatted(s.working_on.c_str());
        } else {
            if (primary_button(ctx.widgets, "Enrol") || submit) {
                ctx.intents.emplace_back(EnrolIntent{s.provision_path, s.provision_text});
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
