// AppState: the snapshot every view renders. Owned by App; touched by the UI thread only (workers
// post closures to the RunQueue, drained once per frame). Plain data: no ImGui type and no Session
// (the views convert to ImGui's types as they draw).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "outpost/client/drafts.h"
#include "outpost/client/form_model.h"
#include "outpost/client/settings.h"
#include "outpost/client/site_policy.h"
#include "outpost/core/records/engine.h"
#include "outpost/core/records/review.h"
#include "outpost/core/secure_buffer.h"
#include "outpost/sync/sync_engine.h"
#include "outpost/ui/intents.h"

namespace outpost::ui {

// A passphrase field's text, in sodium_malloc'd memory that is wiped when cleared or destroyed.
class SecureText {
public:
    static constexpr std::size_t kCapacity = 256;
    SecureText();
    [[nodiscard]] char* data() { return m_buf.empty() ? m_empty : reinterpret_cast<char*>(m_buf.data()); }
    [[nodiscard]] std::size_t capacity() const { return m_buf.empty() ? 1 : kCapacity; }
    [[nodiscard]] std::string_view view() const;
    void clear();
    void assign(std::string_view s);

private:
    SecureBuffer m_buf;
    char m_empty[1] = {0};
};

struct ProfileEntry {
    std::string name;     // its folder (what ChooseProfileIntent names)
    std::string display;  // as the person typed it
    std::string user;
    std::string team;
    std::string role;
    std::string server_url;
    bool wiped = false;  // removed at IT's request (sync::read_wipe_notice): listed, nothing to unlock
};

// One row of the case table: what the list shows, not the whole record.
struct CaseRow {
    std::string id;
    std::string type;
    std::string form;   // the form's title
    std::string title;  // record_title()
    std::string created_by;
    std::string status;  // a suggestion's or conflict's status, humanised
    std::int64_t created_ms = 0;
    std::int64_t updated_ms = 0;
};

struct CaseList {
    std::string search;
    std::string type;  // "" : every form
    records::SortBy sort = records::SortBy::kUpdated;
    bool descending = true;
    // A deque: appending a page never moves the rows already loaded (a vector's regrowth moved
    // 100,000 of them inside one frame: 5 ms).
    std::deque<CaseRow> rows;
    std::optional<records::Cursor> next;  // where the next page starts (rows.size() when none)
    bool loading = false;
    std::uint64_t query = 0;  // bumped on every change; answers to older queries are dropped
    std::string problem;
    bool focus_search = false;  // Ctrl+F: the search box takes the keyboard next frame
    bool pick_form = false;     // Ctrl+N: the "which form?" popup opens next frame
};

struct HistoryLine {
    std::int64_t at_ms = 0;
    std::string who;
    std::string question;
    std::string value;
};

// A case a record link may point to, as its picker lists it.
struct LinkOption {
    std::string id;
    std::string title;  // "Home visit: The Okafor family"
};

struct RecordScreen {
    client::FormModel form;
    std::vector<LinkOption> link_options;            // the cases this form's record links may point to
    std::map<std::string, std::string> link_search;  // a link question -> what is typed in its picker
    std::string draft_key;
    std::string heading;
    std::vector<HistoryLine> history;
    bool show_history = false;
    std::string problem;        // a save that failed for a reason other than the answers
    std::int64_t saved_ms = 0;  // "Saved" shows for a moment after this
    std::int64_t draft_saved_ms = 0;
    bool just_opened = true;   // the form shows from its top (not where the last one was scrolled to)
    bool focus_first = false;  // the first question takes the keyboard (a new form)
    std::string focus_field;   // this question takes the keyboard (the first to fix after a refused save)
};

// A form left unsaved (by a crash, or a restart while locked), offered on the case list: which form
// and which case it is, so the worker knows what "Continue it" opens.
struct FoundDraft {
    client::Draft draft;
    std::string form;   // the form's title ("Home visit")
    std::string title;  // the case's title as the draft has it ("The Okafor family"), or ""
};

struct CommentRow {
    std::string id;
    std::string author;
    std::string body;
    std::int64_t created_ms = 0;
};

// A suggestion's answers as the detail pane shows them (labels and words, in form order).
struct SuggestionDetail {
    std::vector<std::pair<std::string, std::string>> answers;
    std::vector<CommentRow> comments;  // oldest first
};

struct PracticeRow {
    std::string id;
    std::string title;
    std::string source_team;
    std::string category;
    std::string status;
    std::vector<std::pair<std::string, std::string>> answers;  // the problem, the change, the note
    std::string adopted_by;                                    // "b; c"
    int adoptions = 0;
    bool adopted_here = false;
};

// The review loop (records/review.h) as the Suggestions, Review, Library and Dashboard screens show
// it: read on the reader after every sync and every action, and rendered from here.
struct ReviewState {
    std::vector<records::SuggestionSummary> all;
    std::map<std::string, SuggestionDetail> details;  // by suggestion id
    std::vector<records::Notice> notices;             // unread "decisions arrived"
    records::Dashboard dashboard;
    std::vector<PracticeRow> library;
    bool loaded = false;

    // The lead's queue.
    records::QueueFilter filter{"open", "", 0, 0, records::QueueSort::kOldest};
    std::vector<std::size_t> queue;  // indexes into `all`, filtered and sorted
    std::size_t cursor = 0;          // the highlighted row of the queue
    bool scroll_to_cursor = false;   // the keyboard moved it: bring it into view
    std::string selected;            // the suggestion the detail pane shows ("" none)
    std::string pending;             // a decision waiting for its note: accepted, declined, needs_info
    std::string note;                // the decision note being written
    std::string comment;             // the comment being written
    std::string duplicate_of;        // the original picked for "Mark as duplicate"
    bool focus_note = false;         // the note field takes the keyboard next frame
    std::string problem;             // the last action's failure, in words
};

struct ConflictRow {
    std::string id;
    std::string record_id;
    std::string record_title;
    std::string question;  // the field's label
    std::string field;
    std::string record_type;
    std::string kept_value;  // as a worker reads it
    std::string kept_author;
    std::int64_t kept_ms = 0;
    std::string other_value;
    std::string other_author;
    std::int64_t other_ms = 0;
    std::string kept_encoded;  // canonical JSON, to write back as it was
    std::string other_encoded;
    std::string new_value;  // what the worker types instead
};

// One change the server refused, as the "Needs attention" screen shows it (sync::RefusedItem, in words).
struct RefusedRow {
    std::string record;
    std::string field;         // "" : the whole record (new, and refused whole)
    std::string form;          // the form's title
    std::string record_title;  // as the case list shows it
    std::string question;      // the field's label
    std::string reason;        // the code's plain words
    std::string server_said;   // the server's own words, when they add to them ("" none)
    std::string value;         // what this laptop holds, as a worker reads it
    std::string server_value;  // what the server holds, as far as this laptop knows ("" : no answer)
    bool on_laptop = true;     // the record is here to open
    [[nodiscard]] std::string key() const { return record + "/" + field; }
};

struct NeedsAttention {
    std::vector<RefusedRow> rows;
    bool loaded = false;
    std::string confirm;  // the row (key()) whose "Discard my change" waits for a yes
    bool focus = false;   // the keyboard goes to the yes (when asking), else to the first row's first button
};

// What this laptop knows of one attachment (by hash), for the record screen.
struct FileStatus {
    bool here = false;        // its bytes (all of them, verified)
    std::int64_t stored = 0;  // bytes here (a download in progress)
    std::int64_t size = 0;
    bool uploading = false;  // waiting in the upload queue
    bool uploaded = false;
    bool refused = false;
    std::int64_t sent = 0;
    bool wanted = false;  // asked for: downloads at the next sync
    std::string problem;  // the last failure, in words
};

// An image decoded for the screen: a texture the host made (AppOptions::make_texture; null when
// headless), and its size.
struct Picture {
    void* texture = nullptr;
    int width = 0;
    int height = 0;
};

// A folder as the file picker shows it, listed off the UI thread (ui/src/folder_lister.h).
struct FolderEntry {
    std::string name;  // as shown
    std::string path;
    bool folder = false;
};
struct FolderListing {
    std::string dir;                   // the folder listed ("" none yet)
    std::vector<FolderEntry> entries;  // its folders, then its files, without hidden ones
};

struct Attachments {
    std::map<std::string, FileStatus> files;    // the open record's files, by hash
    std::map<std::string, Picture> thumbnails;  // by hash
    std::string browse_dir;                     // the file picker's folder
    std::string pick_for;                       // the field the picker attaches into ("" closed)
    std::string problem;                        // the last attach or save, in words
    std::string viewing;                        // hash shown large ("" none)
    Picture large;
};

struct SyncBar {
    bool online = false;
    bool known = false;  // any sync or probe has answered yet
    sync::SyncState state;
    std::vector<sync::RefusedChange> refused;

    // The newest evidence decides "online": a probe's answer, or a sync that has moved (a new phase or
    // a new success). The same sync state read again says nothing new: it once kept "Online" for a
    // minute and a half after the server had gone, until the next sync failed. Pure.
    void take_sync_state(const sync::SyncState& s);
    void take_probe(bool up);
};

// A new recovery code on screen (Screen::kRecoveryCode): shown once, then one group of it typed back.
struct RecoveryOffer {
    SecureText code;               // "7KQ3-...-X9" while it is on screen; wiped when done
    int group = 0;                 // the group asked for (1-based; 0: the code is being shown)
    std::string typed;             // what is typed for it
    bool focus = false;            // the group's field takes the keyboard next frame
    bool required = false;         // the site policy or the service desk's escrow: no "Skip"
    bool escrowed = false;         // sealed for the service desk too
    bool after_recovery = false;   // made because the old one was used
    Screen then = Screen::kCases;  // where to go once it is done
    std::string problem;
};

struct AppState {
    Screen screen = Screen::kProfiles;
    std::uint64_t frame = 0;
    client::UiSettings settings;
    client::SitePolicy policy;  // fixed by IT for this laptop (site_policy.h)
    std::string policy_error;   // a site policy that could not be read: the app shows only this

    // Profiles, creation, enrolment and unlock.
    std::vector<ProfileEntry> profiles;
    std::string profile;           // the chosen profile's folder name
    std::string profile_display;   // ...and its name as the person typed it
    std::string new_profile_name;  // typed on the create-profile screen
    SecureText passphrase;
    SecureText passphrase_again;
    std::string provision_path;                // enrolment from a file...
    std::string provision_text;                // ...or its text, pasted
    std::vector<std::string> provision_files;  // .outpost files found in the usual folders
    std::string browse_dir;                    // the file picker's folder
    std::string device_name;
    bool working = false;              // a worker is unlocking, creating or enrolling
    std::string working_on;            // what it is doing, in words
    std::string problem;               // the last failure on these screens, in words
    std::string locked_note;           // why the unlock screen shows ("Locked after 10 minutes without use")
    bool profile_wiped = false;        // the chosen profile was removed at IT's request: nothing to unlock
    bool focus_passphrase = false;     // the passphrase field takes the keyboard next frame
    SecureText recovery_code;          // typed on the "Forgot passphrase?" screen
    bool focus_recovery_code = false;  // ...whose code field takes the keyboard next frame
    RecoveryOffer recovery;            // the code being shown (Screen::kRecoveryCode)

    // Unlocked.
    bool unlocked = false;
    std::string user;
    std::string role;
    std::string team;
    std::string server_url;
    std::string device_id;
    bool prefetch_attachments = false;                       // this profile's choice (Settings)
    std::vector<std::pair<std::string, std::string>> forms;  // (type, title) a worker can create
    // Forms this laptop cannot use in their newest version, in plain words ("Home visit version 4
    // needs a newer Outpost. ..."), shown above every screen while any is left.
    std::vector<std::string> form_notices;
    CaseList cases;
    std::optional<RecordScreen> record;
    std::optional<RecordScreen> idea;  // the quick-idea form (Ctrl+Shift+N)
    Attachments attachments;
    bool suggestions_mine = true;
    ReviewState review;
    std::vector<ConflictRow> conflicts;
    NeedsAttention attention;
    std::vector<FoundDraft> drafts_found;  // unsaved forms found at unlock (after a crash)
    SyncBar sync;

    // Settings.
    SecureText old_passphrase;
    std::string settings_message;
    SecureText recovery_passphrase;  // "Make a new recovery code" asks for the passphrase first
    std::string recovery_message;
    bool confirm_remove = false;

    // The folder the open file picker (enrolment or attachments) shows, as last listed.
    FolderListing folder;

    // A line at the top for a few seconds ("Saved", "Resolved").
    std::string toast;
    std::int64_t toast_until_ms = 0;
};

// One line for the status bar's connection part, e.g. "Online" or "Offline - will retry". Pure.
[[nodiscard]] std::string connection_label(const SyncBar& bar);

}  // namespace outpost::ui
