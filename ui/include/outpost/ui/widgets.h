// Widget helpers shared by views. Each interactive widget records its screen rectangle under its
// visible label (the part before "##"), so headless tests and the automation mode can press a button
// or type into a field by its label, as a person would.
// UI thread only.
#pragma once

#include <imgui.h>

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace outpost::ui {

class WidgetRegistry {
public:
    void begin_frame() {
        m_rects.clear();
        m_hidden.clear();
    }
    void record(std::string_view label, ImVec2 min, ImVec2 max);
    // Records the last item drawn under `label`.
    void record_last(std::string_view label);
    // Centre of the widget drawn with `label` in the last frame.
    [[nodiscard]] std::optional<ImVec2> centre_of(const std::string& label) const;
    // Drawn in the last frame where a person could press it (not scrolled out of view).
    [[nodiscard]] bool has(const std::string& label) const { return m_rects.count(label) != 0; }
    // Drawn in the last frame but scrolled out of its window's view.
    [[nodiscard]] bool hidden(const std::string& label) const { return m_hidden.count(label) != 0; }
    // Scrolls the widget's window to it when it is next drawn (scripts do this, as a person would).
    void scroll_to(const std::string& label) const;
    [[nodiscard]] std::vector<std::string> labels() const;

private:
    struct Rect {
        ImVec2 min;
        ImVec2 max;
    };
    std::map<std::string, Rect> m_rects;
    std::set<std::string> m_hidden;
    mutable std::string m_scroll_to;
};

// The visible part of an ImGui label ("Save##form" -> "Save").
[[nodiscard]] std::string_view visible_label(std::string_view label);

// ImGui widgets that record their rectangles. Each returns what the ImGui widget returns.
bool button(WidgetRegistry& widgets, const char* label, ImVec2 size = ImVec2(0, 0));
// A button drawn in the theme's accent colour, for the one main action of a screen.
bool primary_button(WidgetRegistry& widgets, const char* label, ImVec2 size = ImVec2(0, 0));
// Text fields keep what is typed exactly, in any script (characters ImGui cannot hold while editing
// travel as stand-ins: ui/src/text_edit.h). With `max_chars` > 0, typing or pasting past that many
// characters (code points) is cut there, and `*cut` (when given) is set.
bool input_text(WidgetRegistry& widgets, const char* label, std::string* text, const char* hint = nullptr,
                ImGuiInputTextFlags flags = 0, float width = -1.0F, std::int64_t max_chars = 0, bool* cut = nullptr);
// A multi-line field `min_lines` tall that grows with its lines up to `max_lines`, then scrolls.
bool input_multiline(WidgetRegistry& widgets, const char* label, std::string* text, int min_lines = 3,
                     int max_lines = 12, std::int64_t max_chars = 0, bool* cut = nullptr);
bool input_secret(WidgetRegistry& widgets, const char* label, char* buf, std::size_t size, float width = -1.0F,
                  ImGuiInputTextFlags flags = 0);
bool checkbox(WidgetRegistry& widgets, const char* label, bool* value);
bool selectable(WidgetRegistry& widgets, const char* label, bool selected, ImGuiSelectableFlags flags = 0,
                ImVec2 size = ImVec2(0, 0));

// After an item showing `text` in `width` (a table cell): when the text is cut there, hovering the
// item shows it whole.
void whole_on_hover(const std::string& text, float width);

// Inside a popup or drop-down being drawn, just before an item: when the popup has just opened and
// `this_one` is true, the keyboard starts on this item (the current choice, else the first).
void focus_when_opened(bool this_one);

// Wipes ImGui's own copy of the text being edited (ImGui keeps one for the active input, password
// fields included) and lets go of the active input. Call after a passphrase has been used.
void wipe_text_input_state();

// A small rounded label in a colour, e.g. a suggestion's status.
void badge(const char* text, ImVec4 colour);
// Text in the theme's colour for problems, wrapped.
void problem_text(const std::string& text);
// A muted hint line.
void hint_text(const char* text);

}  // namespace outpost::ui
