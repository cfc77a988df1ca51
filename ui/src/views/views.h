// Views: one per file, each draws one screen (or bar) from AppState and appends intents. They never
// call the records engine, the store or the network. They may edit the text buffers of the screen
// they draw (form answers, the search box, passphrases), as ImGui's inputs do. UI thread only.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "outpost/ui/app_state.h"
#include "outpost/ui/intents.h"
#include "outpost/ui/widgets.h"

namespace outpost::ui {

class FolderLister;

struct ViewContext {
    Intents& intents;
    WidgetRegistry& widgets;
    AppState& state;
    std::int64_t now_ms = 0;
    FolderLister* folders = nullptr;  // lists the file picker's folder off the UI thread
};

// Locked: choosing a profile, creating one, enrolling it, unlocking it.
void draw_profiles(ViewContext& ctx);
void draw_create_profile(ViewContext& ctx);
void draw_enrol(ViewContext& ctx);
void draw_unlock(ViewContext& ctx);
// The recovery code: shown and typed back (unlocked, Screen::kRecoveryCode); "Forgot passphrase?"
// (locked, Screen::kRecover).
void draw_recovery_code(ViewContext& ctx);
void draw_recover(ViewContext& ctx);
void draw_policy_error(ViewContext& ctx);

// Unlocked: the navigation and the screen it shows.
void draw_shell(ViewContext& ctx);
void draw_cases(ViewContext& ctx);
void draw_record(ViewContext& ctx);
void draw_suggestions(ViewContext& ctx);
// The review loop: a lead's queue, the practice library, the lead's dashboard; the pane showing one
// suggestion (with a lead's decisions when `as_lead`), and the "decisions arrived" notices.
void draw_review(ViewContext& ctx);
void draw_library(ViewContext& ctx);
void draw_dashboard(ViewContext& ctx);
void draw_suggestion_detail(ViewContext& ctx, bool as_lead);
void draw_notices(ViewContext& ctx);
void draw_conflicts(ViewContext& ctx);
// The changes the server refused: why, where, the two answers; open the record, or discard the change.
void draw_needs_attention(ViewContext& ctx);
void draw_settings(ViewContext& ctx);
// The quick idea form (Ctrl+Shift+N), over whatever is on screen.
void draw_idea(ViewContext& ctx);
// The questions of a form (shared by the record screen and the quick idea). When the screen's
// focus_first is set, the first question the worker can answer takes the keyboard; when its
// focus_field names a question, that one does (each is cleared once done).
void draw_form_fields(ViewContext& ctx, RecordScreen& screen, const char* id_suffix, bool compact);

// An attachments question: its files (thumbnail, name, size, where it stands: waiting to upload,
// uploading, sent, not on this laptop), and Attach / Open / Save to disk / Remove.
void draw_attachments(ViewContext& ctx, client::FormModel& form, const records::FieldDef& field, const std::string& id,
                      bool editable);
// The large view of a picture (or why there is none), over the screen.
void draw_attachment_viewer(ViewContext& ctx);
// A modal file picker named `title` (open it with ImGui::OpenPopup(title)): true, with `chosen`
// set, when a file was picked this frame. `dir` is the folder shown, changed as the person moves.
// The folder is listed by ctx.folders, not here: until its listing arrives the picker says so.
bool draw_file_picker(ViewContext& ctx, const char* title, std::string& dir,
                      const std::function<bool(const std::filesystem::path&)>& accept, std::string& chosen);

// Always visible along the bottom.
void draw_status_bar(ViewContext& ctx);
[[nodiscard]] float status_bar_height();

// Layout helpers: the area above the status bar, and a centred card for the locked screens.
[[nodiscard]] bool begin_card(const char* id, float width);
void end_card();
void heading(const char* text);
// A small muted title over a rule, between the parts of a pane.
void section(const char* text);

}  // namespace outpost::ui
