#include "outpost/ui/widgets.h"

namespace outpost::ui {

std::optional<ImVec2> WidgetRegistry::centre_of(const std::string& label) const {
    auto it = m_rects.find(label);
    if (it == m_rects.end()) {
        return std::nullopt;
    }
    return ImVec2((it->second.min.x + it->second.max.x) * 0.5F, (it->second.min.y + it->second.max.y) * 0.5F);
}

bool button(WidgetRegistry& widgets, const char* label, ImVec2 size) {
    const bool pressed = ImGui::Button(label, size);
    widgets.record(label, ImGui::GetItemRectMin(), ImGui::GetItemRectMax());
    return pressed;
}

}  // namespace outpost::ui
