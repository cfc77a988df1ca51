#include "outpost/ui/widgets.h"

#include <imgui_internal.h>
#include <imgui_stdlib.h>
#include <sodium.h>

#include <algorithm>

#include "text_edit.h"
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

namespace {

struct EditLimit {
    std::int64_t max_chars = 0;
    bool cut = false;
};

std::int64_t code_points(const char* s, int len) {
    std::int64_t n = 0;
    for (int i = 0; i < len; ++i) {
        n += (static_cast<unsigned char>(s[i]) & 0xC0U) != 0x80U ? 1 : 0;
    }
    return n;
}

// Cuts what was typed or pasted at the limit, on a character boundary.
int limit_edit(ImGuiInputTextCallbackData* data) {
    auto* limit = static_cast<EditLimit*>(data->UserData);
    if (data->EventFlag != ImGuiInputTextFlags_CallbackEdit || limit == nullptr || limit->max_chars <= 0 ||
        code_points(data->Buf, data->BufTextLen) <= limit->max_chars) {
        return 0;
    }
    std::int64_t n = 0;
    int at = 0;
    for (; at < data->BufTextLen; ++at) {
        if ((static_cast<unsigned char>(data->Buf[at]) & 0xC0U) != 0x80U && ++n > limit->max_chars) {
            break;
        }
    }
    data->DeleteChars(at, data->BufTextLen - at);
    limit->cut = true;
    return 0;
}

// Runs an ImGui text field over `text` through stand-ins when it needs them (text_edit.h).
template <typename Draw>
bool edit_exactly(std::string* text, std::int64_t max_chars, bool* cut, Draw draw) {
    EditLimit limit{max_chars, false};
    bool changed = false;
    if (needs_stand_ins(*text)) {
        std::string editable = to_editable(*text);
        changed = draw(&editable, &limit);
        if (changed) {
            *text = from_editable(editable);
        }
    } else {
        changed = draw(text, &limit);
        if (changed && needs_stand_ins(*text)) {
            *text = from_editable(*text);  // a typed or pasted stand-in
        }
    }
    if (limit.cut && cut != nullptr) {
        *cut = true;
    }
    return changed;
}

}  // namespace

bool input_text(WidgetRegistry& widgets, const char* label, std::string* text, const char* hint,
                ImGuiInputTextFlags flags, float width, std::int64_t max_chars, bool* cut) {
    ImGui::SetNextItemWidth(width);
    const std::string id = hidden(label);
    const bool changed = edit_exactly(text, max_chars, cut, [&](std::string* t, EditLimit* limit) {
        const ImGuiInputTextFlags f = flags | (max_chars > 0 ? ImGuiInputTextFlags_CallbackEdit : 0);
        return hint != nullptr ? ImGui::InputTextWithHint(id.c_str(), hint, t, f, limit_edit, limit)
                               : ImGui::InputText(id.c_str(), t, f, limit_edit, limit);
    });
    widgets.record_last(label);
    return changed;
}

bool input_multiline(WidgetRegistry& widgets, const char* label, std::string* text, int min_lines, int max_lines,
                     std::int64_t max_chars, bool* cut) {
    const std::string id = hidden(label);
    const ImGuiID editor = ImGui::GetID(id.c_str());
    const ImGuiStyle& style = ImGui::GetStyle();
    const float line = ImGui::GetTextLineHeight();
    const float width = ImGui::GetContentRegionAvail().x;
    const float wrap_width = width - style.FramePadding.x * 2.0F;
    ImGuiStorage* storage = ImGui::GetStateStorage();
    const ImGuiID edit_request = editor + 1;
    // Not being edited, and a line wider than the field: show the answer wrapped, as a worker reads
    // it. Clicking it, or Enter or Space on it, opens the editor (ImGui 1.86's text fields do not wrap).
    const bool editing = ImGui::GetActiveID() == editor || storage->GetBool(edit_request, false);
    const bool too_wide = !text->empty() && ImGui::CalcTextSize(text->c_str()).x > wrap_width;
    // One height for both ways of showing it (wrapped to read, or in the editor), so nothing below
    // moves when the field is entered or left: the wrapped lines, or the typed ones if more.
    int typed_lines = 1;
    for (char c : *text) {
        typed_lines += c == '\n' ? 1 : 0;
    }
    const float wrapped_h = too_wide ? ImGui::CalcTextSize(text->c_str(), nullptr, false, wrap_width).y : 0.0F;
    const float lines_h = std::max(wrapped_h, line * static_cast<float>(typed_lines));
    const float height =
        std::clamp(lines_h, line * static_cast<float>(min_lines), line * static_cast<float>(max_lines)) +
        style.FramePadding.y * 2.0F + (too_wide ? style.ScrollbarSize : 0.0F);
    if (!editing && too_wide) {
        const ImVec2 at = ImGui::GetCursorScreenPos();
        const bool pressed = ImGui::InvisibleButton((id + "_read").c_str(), ImVec2(width, height));
        const bool hovered = ImGui::IsItemHovered();
        widgets.record_last(label);
        ImDrawList* dl = ImGui::GetWindowDrawList();
        const ImVec2 end(at.x + width, at.y + height);
        dl->AddRectFilled(at, end, ImGui::GetColorU32(hovered ? ImGuiCol_FrameBgHovered : ImGuiCol_FrameBg),
                          style.FrameRounding);
        if (style.FrameBorderSize > 0.0F) {
            dl->AddRect(at, end, ImGui::GetColorU32(ImGuiCol_Border), style.FrameRounding, 0, style.FrameBorderSize);
        }
        const ImVec4 clip(at.x, at.y, end.x, end.y - style.FramePadding.y);
        dl->AddText(ImGui::GetFont(), ImGui::GetFontSize(),
                    ImVec2(at.x + style.FramePadding.x, at.y + style.FramePadding.y), ImGui::GetColorU32(ImGuiCol_Text),
                    text->c_str(), text->c_str() + text->size(), wrap_width, &clip);
        if (pressed) {
            storage->SetBool(edit_request, true);
        }
        return false;
    }
    if (storage->GetBool(edit_request, false)) {
        ImGui::SetKeyboardFocusHere();
        storage->SetBool(edit_request, false);
    }
    const bool changed = edit_exactly(text, max_chars, cut, [&](std::string* t, EditLimit* limit) {
        return ImGui::InputTextMultiline(id.c_str(), t, ImVec2(-1.0F, height), ImGuiInputTextFlags_CallbackEdit,
                                         limit_edit, limit);
    });
    widgets.record_last(label);
    // Tab out of it to the next control. (ImGui 1.86 registers a multi-line field twice, as a text
    // field and as its frame, so a tab from it would land on itself.)
    const ImGuiIO& io = ImGui::GetIO();
    if (ImGui::IsItemActive() && ImGui::IsKeyPressed(io.KeyMap[ImGuiKey_Tab], true) && !io.KeyShift && !io.KeyCtrl) {
        ImGui::SetKeyboardFocusHere();
    }
    return changed;
}

bool input_secret(WidgetRegistry& widgets, const char* label, char* buf, std::size_t size, float width,
                  ImGuiInputTextFlags flags) {
    ImGui::SetNextItemWidth(width);
    const bool changed = ImGui::InputText(hidden(label).c_str(), buf, size, ImGuiInputTextFlags_Password | flags);
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

void whole_on_hover(const std::string& text, float width) {
    if (ImGui::IsItemHovered() && ImGui::CalcTextSize(text.c_str()).x > width) {
        ImGui::BeginTooltip();
        ImGui::PushTextWrapPos(ImGui::GetFontSize() * 30.0F);
        ImGui::TextUnformatted(text.c_str());
        ImGui::PopTextWrapPos();
        ImGui::EndTooltip();
    }
}

void focus_when_opened(bool this_one) {
    if (this_one && ImGui::IsWindowAppearing()) {
        ImGui::SetKeyboardFocusHere();
    }
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
