// Widget helpers shared by views. Each interactive widget records its screen rectangle under its
// label, so headless tests and the automation mode can press a button by label.
// UI thread only.
#pragma once

#include <imgui.h>

#include <map>
#include <optional>
#include <string>

namespace outpost::ui {

class WidgetRegistry {
public:
    void begin_frame() { m_rects.clear(); }
    void record(const std::string& label, ImVec2 min, ImVec2 max) { m_rects[label] = Rect{min, max}; }
    // Centre of the widget drawn with `label` in the last frame.
    [[nodiscard]] std::optional<ImVec2> centre_of(const std::string& label) const;

private:
    struct Rect {
        ImVec2 min;
        ImVec2 max;
    };
    std::map<std::string, Rect> m_rects;
};

// ImGui::Button that records its rectangle. Returns true when pressed.
bool button(WidgetRegistry& widgets, const char* label, ImVec2 size = ImVec2(0, 0));

}  // namespace outpost::ui
