// A small file picker in a modal popup: folders to go into, files (those `accept` takes) to choose.
// (A native dialog would need a toolkit beyond GLFW.) Used for the enrolment file and attachments.
#include <imgui.h>

#include <algorithm>
#include <filesystem>
#include <vector>

#include "views.h"

namespace outpost::ui {

bool draw_file_picker(ViewContext& ctx, const char* title, std::string& dir_text,
                      const std::function<bool(const std::filesystem::path&)>& accept, std::string& chosen) {
    ImGui::SetNextWindowSize(ImVec2(620.0F, 420.0F), ImGuiCond_Appearing);
    if (!ImGui::BeginPopupModal(title, nullptr, ImGuiWindowFlags_NoSavedSettings)) {
        return false;
    }
    bool picked = false;
    const std::filesystem::path dir(dir_text);
    ImGui::TextDisabled("%s", dir.string().c_str());
    ImGui::BeginChild("##files", ImVec2(0, -ImGui::GetFrameHeightWithSpacing() * 1.3F), true);
    if (dir.has_parent_path() && dir.parent_path() != dir && selectable(ctx.widgets, ".. (up)", false)) {
        dir_text = dir.parent_path().string();
    }
    std::vector<std::filesystem::directory_entry> entries;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
        const std::string name = e.path().filename().string();
        if (!name.empty() && name.front() != '.' &&
            (e.is_directory(ec) || (e.is_regular_file(ec) && accept(e.path())))) {
            entries.push_back(e);
        }
    }
    std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
        return a.is_directory() != b.is_directory() ? a.is_directory() : a.path() < b.path();
    });
    for (const auto& e : entries) {
        const bool folder = e.is_directory(ec);
        const std::string label = e.path().filename().string() + (folder ? "/" : "");
        if (selectable(ctx.widgets, label.c_str(), false)) {
            if (folder) {
                dir_text = e.path().string();
            } else {
                chosen = e.path().string();
                picked = true;
                ImGui::CloseCurrentPopup();
            }
        }
    }
    if (entries.empty()) {
        ImGui::TextDisabled("Nothing to choose here.");
    }
    ImGui::EndChild();
    if (button(ctx.widgets, "Cancel##picker")) {
        ImGui::CloseCurrentPopup();
    }
    ImGui::EndPopup();
    return picked;
}

}  // namespace outpost::ui
