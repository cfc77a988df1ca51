// A small file picker in a modal popup: folders to go into, files (those `accept` takes) to choose.
// (A native dialog would need a toolkit beyond GLFW.) Used for the enrolment file and attachments.
// The folder is listed on the FolderLister's worker, never here: this draws the last listing.
#include <imgui.h>

#include <filesystem>

#include "../folder_lister.h"
#include "outpost/platform/utf8.h"
#include "views.h"

namespace outpost::ui {

bool draw_file_picker(ViewContext& ctx, const char* title, std::string& dir_text,
                      const std::function<bool(const std::filesystem::path&)>& accept, std::string& chosen) {
    ImGui::SetNextWindowSize(ImVec2(620.0F, 420.0F), ImGuiCond_Appearing);
    if (!ImGui::BeginPopupModal(title, nullptr, ImGuiWindowFlags_NoSavedSettings)) {
        return false;
    }
    if (ctx.folders != nullptr) {
        ctx.folders->request(dir_text, /*again=*/ImGui::IsWindowAppearing());
    }
    bool picked = false;
    const std::filesystem::path dir = path_from_utf8(dir_text);
    const FolderListing& listing = ctx.state.folder;
    const bool listed = listing.dir == dir_text;
    ImGui::TextDisabled("%s", path_to_utf8(dir).c_str());
    ImGui::BeginChild("##files", ImVec2(0, -ImGui::GetFrameHeightWithSpacing() * 1.3F), true);
    if (dir.has_parent_path() && dir.parent_path() != dir && selectable(ctx.widgets, ".. (up)", false)) {
        dir_text = path_to_utf8(dir.parent_path());
    }
    bool any = false;
    for (const FolderEntry& e : listing.entries) {
        if (!listed || (!e.folder && !accept(path_from_utf8(e.path)))) {
            continue;
        }
        any = true;
        const std::string label = e.name + (e.folder ? "/" : "");
        if (selectable(ctx.widgets, label.c_str(), false)) {
            if (e.folder) {
                dir_text = e.path;
            } else {
                chosen = e.path;
                picked = true;
                ImGui::CloseCurrentPopup();
            }
        }
    }
    if (!listed) {
        ImGui::TextDisabled("Reading the folder...");
    } else if (!any) {
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
