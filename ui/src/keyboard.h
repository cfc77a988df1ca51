// Keyboard rules on top of Dear ImGui 1.86's own navigation, so a worker can fill a whole form
// without a mouse. Call adjust_navigation() once per frame, right after ImGui::NewFrame() and before
// any window is drawn. UI thread only.
//
// What 1.86 does, and what changes:
// - Tab visits only text fields (1.86 counts only "inputable" items as tab stops); from a focused
//   button it jumps back to the first field. Here Tab and Shift+Tab go through every control in order:
//   text fields, buttons, check boxes, radio buttons and drop-downs, from the one that has the focus.
// - Enter only starts text input (1.86 maps it to "input", Space to "activate"). Here Enter on a
//   button, a check box, a list row or a drop-down presses it, as Space does.
// - Escape in a text field puts back the text it had when entered. Here it leaves the field and keeps
//   what was typed; nothing typed is lost to a stray key.
#pragma once

namespace outpost::ui {

void adjust_navigation();

// True while ImGui has a focus or activation request that only a further frame completes (a field
// asked to take the keyboard, a tab in flight): the window must not rest yet.
[[nodiscard]] bool navigation_pending();

// Lets go of the text field being edited, if any, without touching what it holds: a form replaced
// under it (a save, another record) must not get the old field's text back on Escape.
void release_text_input();

}  // namespace outpost::ui
