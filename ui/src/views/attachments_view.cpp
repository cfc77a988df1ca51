// An attachments question: each file with its thumbnail (pictures that are here), name and size,
// and where it stands, in words and colour: waiting to upload (clearly marked), uploading with its
// progress, sent, refused with the reason, not on this laptop (Open fetches it), arriving. Attach
// opens the file picker; Open shows a picture large; Save to disk writes it to Downloads.
#include <imgui.h>

#include "../theme.h"
#include "outpost/client/words.h"
#include "outpost/core/records/attachments.h"
#include "outpost/platform/app_dirs.h"
#include "outpost/platform/utf8.h"
#include "views.h"

namespace outpost::ui {
namespace {

void status_line(const FileStatus& st) {
    if (st.refused) {
        badge("Not sent", theme_colour(Colour::kProblem));
    } else if (st.uploading && st.sent > 0 && st.size > 0) {
        badge("Uploading", theme_colour(Colour::kWarning));
        ImGui::SameLine();
        ImGui::ProgressBar(static_cast<float>(st.sent) / static_cast<float>(st.size), ImVec2(120.0F, 0), "");
    } else if (st.uploading) {
        badge("Waiting to upload", theme_colour(Colour::kWarning));
    } else if (st.uploaded) {
        badge("Sent", theme_colour(Colour::kGood));
    } else if (!st.here && st.wanted) {
        badge("Downloading", theme_colour(Colour::kMuted));
        if (st.size > 0) {
            ImGui::SameLine();
            ImGui::ProgressBar(static_cast<float>(st.stored) / static_cast<float>(st.size), ImVec2(120.0F, 0), "");
        }
    } else if (!st.here) {
        badge("Not on this laptop", theme_colour(Colour::kMuted));
    } else {
        badge("On this laptop", theme_colour(Colour::kMuted));  // attached, not saved yet
    }
    if (!st.problem.empty()) {
        ImGui::SameLine();
        ImGui::TextColored(theme_colour(Colour::kProblem), "%s", st.problem.c_str());
    }
}

}  // namespace

void draw_attachments(ViewContext& ctx, client::FormModel& form, const records::FieldDef& f, const std::string& id,
                      bool editable) {
    Attachments& at = ctx.state.attachments;
    std::string& text = form.text(f.name);
    Result<std::vector<records::Attachment>> list = records::parse_attachments(text.empty() ? "[]" : text);
    const float thumb = 3.0F * ImGui::GetFrameHeight();
    if (list.is_ok()) {
        for (const records::Attachment& a : *list) {
            ImGui::PushID(a.hash.c_str());
            const auto pic = at.thumbnails.find(a.hash);
            if (pic != at.thumbnails.end() && pic->second.texture != nullptr) {
                const float scale = thumb / static_cast<float>(std::max(pic->second.width, pic->second.height));
                ImGui::Image(pic->second.texture, ImVec2(static_cast<float>(pic->second.width) * scale,
                                                         static_cast<float>(pic->second.height) * scale));
            } else {
                ImGui::Button(a.mime.rfind("image/", 0) == 0 ? "IMG" : "DOC", ImVec2(thumb, thumb));
            }
            ImGui::SameLine();
            ImGui::BeginGroup();
            ImGui::Text("%s", a.name.c_str());
            ImGui::SameLine();
            ImGui::TextDisabled("%s", client::size_words(a.size).c_str());
            const auto st = at.files.find(a.hash);
            if (st != at.files.end()) {
                status_line(st->second);
            }
            if (button(ctx.widgets, ("Open " + a.name + "##open").c_str())) {
                ctx.intents.emplace_back(OpenAttachmentIntent{a.hash});
            }
            if (st != at.files.end() && st->second.here && ctx.state.policy.export_allowed) {
                ImGui::SameLine();
                if (button(ctx.widgets, ("Save " + a.name + " to disk##save").c_str())) {
                    ctx.intents.emplace_back(SaveAttachmentIntent{a.hash, a.name});
                }
            }
            if (editable) {
                ImGui::SameLine();
                if (button(ctx.widgets, ("Remove " + a.name + "##remove").c_str())) {
                    ctx.intents.emplace_back(RemoveAttachmentIntent{f.name, a.hash});
                }
            }
            ImGui::EndGroup();
            ImGui::PopID();
        }
        if (list->empty()) {
            ImGui::TextDisabled("No files.");
        }
    }
    if (editable) {
        const std::string attach = "Attach a file##" + id;
        if (button(ctx.widgets, attach.c_str())) {
            if (at.browse_dir.empty()) {
                at.browse_dir = path_to_utf8(platform::home_folder());
            }
            at.pick_for = f.name;
            ImGui::OpenPopup("Choose a file to attach");
        }
        std::string picked;
        if (at.pick_for == f.name && draw_file_picker(
                                         ctx, "Choose a file to attach", at.browse_dir,
                                         [](const std::filesystem::path&) { return true; }, picked)) {
            ctx.intents.emplace_back(AttachFileIntent{f.name, picked});
        }
    }
    if (!at.problem.empty()) {
        problem_text(at.problem);
    }
}

void draw_attachment_viewer(ViewContext& ctx) {
    Attachments& at = ctx.state.attachments;
    if (at.viewing.empty()) {
        return;
    }
    if (!ImGui::IsPopupOpen("Attachment")) {
        ImGui::OpenPopup("Attachment");
    }
    const ImGuiViewport* vp = ImGui::GetMainViewport();
    ImGui::SetNextWindowSize(ImVec2(vp->WorkSize.x * 0.8F, vp->WorkSize.y * 0.85F), ImGuiCond_Appearing);
    if (ImGui::BeginPopupModal("Attachment", nullptr, ImGuiWindowFlags_NoSavedSettings)) {
        const ImVec2 room = ImGui::GetContentRegionAvail();
        if (at.large.texture != nullptr) {
            const float scale =
                std::min((room.x) / static_cast<float>(at.large.width),
                         (room.y - ImGui::GetFrameHeightWithSpacing()) / static_cast<float>(at.large.height));
            ImGui::Image(at.large.texture, ImVec2(static_cast<float>(at.large.width) * std::min(scale, 1.0F),
                                                  static_cast<float>(at.large.height) * std::min(scale, 1.0F)));
        } else {
            ImGui::TextWrapped(
                "There is no preview for this file here. Save it to disk to open it with another program.");
        }
        if (button(ctx.widgets, "Close##viewer") || ImGui::IsKeyPressed(ImGui::GetKeyIndex(ImGuiKey_Escape))) {
            at.viewing.clear();
            ImGui::CloseCurrentPopup();
        }
        ImGui::EndPopup();
    }
}

}  // namespace outpost::ui
