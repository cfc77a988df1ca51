#include "keyboard.h"

#include <imgui.h>
#include <imgui_internal.h>

namespace outpost::ui {

void adjust_navigation() {
    ImGuiContext* ctx = ImGui::GetCurrentContext();
    if (ctx == nullptr) {
        return;
    }
    ImGuiContext& g = *ctx;
    // A tabbing request made by this frame's NewFrame (Tab was pressed): every item counts, and it
    // starts from the focused item rather than the top of the window.
    if (g.NavMoveSubmitted && (g.NavMoveFlags & ImGuiNavMoveFlags_Tabbing) != 0 &&
        (g.NavMoveFlags & ImGuiNavMoveFlags_FocusApi) == 0) {
        g.NavMoveFlags |= ImGuiNavMoveFlags_FocusApi;
        if (g.NavTabbingDir == 0 && g.NavId != 0) {
            g.NavTabbingDir = +1;
        }
    }
    // Escape in a text field leaves it and keeps what was typed (1.86 would put back the text the
    // field had when it was entered: typing lost to a stray key, or an old answer back after a save).
    if (g.ActiveId != 0 && g.ActiveId == g.InputTextState.ID &&
        ImGui::IsKeyPressed(g.IO.KeyMap[ImGuiKey_Escape], false)) {
        release_text_input();
    }
    // Enter on a control that takes no text presses it (NewFrame set only the "input" request).
    if (g.NavActivateInputId != 0 && g.NavActivateId == 0 && g.ActiveId == 0 && g.NavActivateInputId == g.NavId &&
        g.NavNextActivateId == 0) {
        g.NavActivateId = g.NavActivateDownId = g.NavActivatePressedId = g.NavId;
    }
}

bool navigation_pending() {
    const ImGuiContext* ctx = ImGui::GetCurrentContext();
    if (ctx == nullptr) {
        return false;
    }
    return ctx->NavMoveSubmitted || ctx->NavMoveScoringItems || ctx->NavNextActivateId != 0 || ctx->NavInitRequest ||
           ctx->NavActivateInputId != 0 || ctx->NavActivateId != 0;
}

void release_text_input() {
    ImGuiContext* ctx = ImGui::GetCurrentContext();
    if (ctx == nullptr) {
        return;
    }
    if (ctx->ActiveId != 0 && ctx->ActiveId == ctx->InputTextState.ID) {
        ctx->InputTextState.ID = 0;
        ImGui::ClearActiveID();
    }
}

}  // namespace outpost::ui
