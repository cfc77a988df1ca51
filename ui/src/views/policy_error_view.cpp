// The site policy could not be read: the only thing the window shows. Running with defaults instead
// would quietly undo what IT set (a locked server, no export), so Outpost stops here and says why.
#include <imgui.h>

#include <string>

#include "outpost/core/error_codes.h"
#include "views.h"

namespace outpost::ui {

void draw_policy_error(ViewContext& ctx) {
    const AppState& s = ctx.state;
    if (begin_card("##policy_error", 620.0F)) {
        heading("Outpost cannot start on this laptop");
        std::string what = s.policy_error;
        if (!what.empty() && what[0] >= 'a' && what[0] <= 'z') {
            what[0] = static_cast<char>(what[0] - 'a' + 'A');  // the message is a sentence here
        }
        ImGui::TextWrapped("%s.", what.c_str());
        ImGui::Spacing();
        hint_text(std::string(errc::explain(errc::kPolicyInvalid)).c_str());
        ImGui::Spacing();
        hint_text("Your records are safe: nothing has been opened or changed.");
        if (button(ctx.widgets, "Quit")) {
            ctx.intents.emplace_back(QuitIntent{});
        }
    }
    end_card();
}

}  // namespace outpost::ui
