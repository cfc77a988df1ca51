#include "outpost/ui/widgets.h"

#include <imgui_internal.h>
#include <imgui_stdlib.h>
#include <sodium.h>

#include "theme.h"

namespace outpost::ui {

std::string_view visible_label(std::string_view label) {
    const std::size_t hashes = label.find("##");
    return hashes == std::string_view::npos ? label : label.substr(0, hashes);
}

void WidgetRegistry::record(std::string_view label, ImVec2 min, ImVec2 max) {
    m_rects[std::string(visible_label(label))] = Rect{min, max};
}

void WidgetRegistry::record_last(std::string_view label) {
    const std::string name(visible_label(label));
    if (!m_scroll_to.empty() && name == m_scroll_to) {
        ImGui::SetScrollHereY(0.5F);  // a script asked for it: it is in view from the next frame
        m_scroll_to.clear();
    }
    if (!ImGui::IsItemVisible()) {
        m_hidden.insert(name);  // scrolled out of its window: no one could press it now
        return;
    }
    record(label, ImGui::GetItemRectMin(), ImGui::GetItemRectMax());
}

void WidgetRegistry::scroll_to(const std::string& label) const {
    m_scroll_to = label;
}

std::optional<ImVec2> WidgetRegistry::centre_of(const std::string& label) const {
    const auto it = m_rects.find(label);
    if (it == m_rects.end()) {
        return std::nullopt;
    }
    const Rect& r = it->second;
    return ImVec2((r.min.x + r.max.x) * 0.5F, (r.min.y + r.max.y) * 0.5F);
}

std::vector<std::string> WidgetRegistry::labels() const {
    std::vector<std::string> out;
    for (const auto& [label, rect] : m_rects) {
        out.push_back(label);
    }
    return out;
}

bool button(WidgetRegistry& widgets, const char* label, ImVec2 size) {
    const bool pressed = ImGui::Button(label, size);
    widgets.record_last(label);
    return pressed;
}

bool primary_button(WidgetRegistry& widgets, const char* label, ImVec2 size) {
    const ImVec4 accent = theme_colour(Colour::kAccent);
    ImGui::PushStyleColor(ImGuiCol_Button, accent);
    ImGui::PushStyleColor(ImGuiCol_ButtonHovered, theme_colour(Colour::kAccentHovered));
    ImGui::PushStyleColor(ImGuiCol_ButtonActive, theme_colour(Colour::kAccentHovered));
    ImGui::PushStyleColor(ImGuiCol_Text, theme_colour(Colour::kOnAccent));
    const bool pressed = button(widgets, label, size);
    ImGui::PopStyleColor(4);
    return pressed;
}

// Inputs draw no label of their own (the views put the question above them); the label is the
// widget's ID and the name it is recorded under.
namespace {
std::string hidden(const char* label) {
    return std::string("##") + label;
}
}  // namespace

bool input_text(WidgetRegistry& widgets, const char* label, std::string* text, const char* hint,
                ImGuiInputTextFlags flags, float width) {
    ImGui::SetNextItemWidth(width);
    const std::string id = hidden(label);
    const bool changed = hint != nullptr ? ImGui::InputTextWithHint(id.c_str(), hint, text, flags)
                                         : ImGui::InputText(id.c_str(), text, flags);
    widgets.record_last(label);
    return changed;
}

bool input_multiline(WidgetRegistry& widgets, const char* label, std::string* text, float height) {
    const bool changed = ImGui::InputTextMultiline(hidden(label).c_str(), text, ImVec2(-1.0F, height));
    widgets.record_last(label);
    return changed;
}

bool input_secret(WidgetRegistry& widgets, const char* label, char* buf, std::size_t size, float width) {
    ImGui::SetNextItemWidth(width);
    const bool changed = ImGui::InputText(hidden(label).c_str(), buf, size, ImGuiInputTextFlags_Password);
    widgets.record_last(label);
    return changed;
}

bool checkbox(WidgetRegistry& widgets, const char* label, bool* value) {
    const bool changed = ImGui::Checkbox(label, value);
    widgets.record_last(label);
    return changed;
}

bool selectable(WidgetRegistry& widgets, const char* label, bool selected, ImGuiSelectableFlags flags, ImVec2 size) {
    const bool pressed = ImGui::Selectable(label, selected, flags, size);
    widgets.record_last(label);
    return pressed;
}

void wipe_text_input_state() {
    ImGuiContext* g = ImGui::GetCurrentContext();
    if (g == nullptr) {
        return;
    }
    ImGuiInputTextState& st = g->InputTextState;
    if (!st.TextW.empty()) {
        sodium_memzero(st.TextW.Data, static_cast<std::size_t>(st.TextW.size_in_bytes()));
    }
    if (!st.TextA.empty()) {
        sodium_memzero(st.TextA.Data, static_cast<std::size_t>(st.TextA.size_in_bytes()));
    }
    if (!st.InitialTextA.empty()) {
        sodium_memzero(st.InitialTextA.Data, static_cast<std::size_t>(st.InitialTextA.size_in_bytes()));
    }
    st.CurLenW = 0;
    st.CurLenA = 0;
    st.ID = 0;
    if (g->WithinFrameScope) {
        ImGui::ClearActiveID();
    }
}

void badge(const char* text, ImVec4 colour) {
    const ImVec2 size = ImGui::CalcTextSize(text);
    const ImVec2 pad(6.0F, 1.0F);
    const ImVec2 at = ImGui::GetCursorScreenPos();
    ImDrawList* dl = ImGui::GetWindowDrawList();
    dl->AddRectFilled(at, ImVec2(at.x + size.x + pad.x * 2, at.y + size.y + pad.y * 2),
                      ImGui::ColorConvertFloat4ToU32(colour), 6.0F);
    dl->AddText(ImVec2(at.x + pad.x, at.y + pad.y), ImGui::ColorConvertFloat4ToU32(theme_colour(Colour::kOnAccent)),
                text);
    ImGui::Dummy(ImVec2(size.x + pad.x * 2, size.y + pad.y * 2));
}

void problem_text(const std::string& text) {
    if (text.empty()) {
        return;
    }
    ImGui::PushStyleColor(ImGuiCol_Text, theme_colour(Colour::kProblem));
    ImGui::TextWrapped("%s", text.c_str());
    ImGui::PopStyleColor();
}

void hint_text(const char* text) {
    ImGui::PushStyleColor(ImGuiCol_Text, ImGui::GetStyleColorVec4(ImGuiCol_TextDisabled));
    ImGui::TextWrapped("%s", text);
    ImGui::PopStyleColor();
}

}  // namespace outpost::ui
