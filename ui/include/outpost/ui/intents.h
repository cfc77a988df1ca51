// Intents: what a view asks for. Views never call subsystems or change what they do not edit; they
// append intents, which App applies after the frame on the UI thread, each routed to the controller
// of its area (ui/src/controllers/). (A view does edit the text buffers of the screen it draws, as
// ImGui's inputs do: form answers, the search box, passphrases.) An intent carries what the view had
// when it was made (the text typed, the ids shown), since it may be applied a frame or more later
// while a sync holds the store. Passphrases are the exception: they stay in AppState's SecureText
// (sodium_malloc'd, wiped), never copied into an intent.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "outpost/client/settings.h"
#include "outpost/core/records/engine.h"
#include "outpost/core/records/review.h"

namespace outpost::ui {

enum class Screen {
    kProfiles,
    kCreateProfile,
    kEnrol,
    kUnlock,
    kCases,
    kRecord,
    kSuggestions,
    kReview,
    kLibrary,
    kDashboard,
    kConflicts,
    kSettings,
    kNeedsAttention,  // the changes the server refused (needs_attention_view.cpp)
    kRecoveryCode,    // unlocked: the new recovery code shown, then a group of it typed back
    kRecover          // locked: "Forgot passphrase?": the recovery code and a new passphrase
};

struct GoToIntent {
    Screen screen;
};
struct ChooseProfileIntent {  // then unlock it
    std::string name;
};
struct CreateProfileIntent {  // checks the name and passphrases (AppState's), then asks for enrolment
    std::string name;         // as typed
};
struct ClearProblemIntent {};  // what a message on a locked screen was about has been typed again
struct EnrolIntent {           // from the enrolment file, or its text pasted (which wins when not blank)
    std::string path;
    std::string text;
};
struct UnlockIntent {};  // the chosen profile, with the passphrase typed (AppState's)
// Recovery codes (recovery_controller.h).
struct RecoveryWrittenIntent {};  // "I have written it down": ask for a group of it back
struct ConfirmRecoveryIntent {    // the group typed back
    std::string typed;
};
struct SkipRecoveryIntent {};  // no recovery code for this profile (when the policy allows)
struct RecoverIntent {};       // the recovery code and the new passphrase typed twice (AppState's)
struct LockIntent {};
struct SyncNowIntent {};
struct QueryChangedIntent {  // search text, form filter or sort changed: the case table's query now
    std::string search;
    std::string type;  // "": every form
    records::SortBy sort = records::SortBy::kUpdated;
    bool descending = true;
};
struct MoreRowsIntent {};  // the case table scrolled near the end of what is loaded
struct OpenRecordIntent {
    std::string id;
};
struct NewRecordIntent {
    std::string type;
};
struct SaveRecordIntent {};
struct CloseRecordIntent {};
struct ContinueDraftIntent {
    std::string key;
};
struct DiscardDraftIntent {
    std::string key;
};
struct OpenIdeaIntent {};
struct SaveIdeaIntent {};
struct CloseIdeaIntent {};
struct PutIdeaAsideIntent {};  // Escape: closed, and what was typed kept as a draft
enum class Keep { kKept, kOther, kNew };
struct ResolveConflictIntent {
    std::string conflict_id;
    Keep keep = Keep::kKept;
    std::string new_value;  // Keep::kNew: the answer typed instead
};
// A change the server refused: ask before it is discarded, then take it back (the laptop holds the
// server's version again). An empty field is the whole record.
struct ConfirmDiscardIntent {
    std::string key;  // RefusedRow::key(); "" asks nothing any more
};
struct DiscardRefusedIntent {
    std::string record;
    std::string field;
};
// The review loop.
struct SelectSuggestionIntent {  // show it in the detail pane ("" closes the pane)
    std::string id;
};
struct EndorseIntent {  // +1, or take it back
    std::string suggestion;
    bool on = true;
};
struct CommentIntent {
    std::string suggestion;
    std::string body;
};
struct DecideIntent {  // a lead moves a suggestion on: under_review, needs_info, accepted, declined, implemented
    std::string suggestion;
    std::string status;
    std::string note;  // the decision note (accepting and declining need one; needs_info sends it as the question)
};
struct MarkDuplicateIntent {
    std::string suggestion;
    std::string original;  // the suggestion it duplicates
    std::string note;      // "": "Duplicate of <the original's title>"
};
struct ShareIntent {  // to the practice library, or back out of it
    std::string suggestion;
    bool on = true;
};
struct AdoptIntent {  // "adopted here"
    std::string practice;
};
struct MarkNoticesReadIntent {      // every notice shown
    std::vector<std::string> keys;  // records::Notice::key
};
struct QueueChangedIntent {  // the queue's filter or sort changed
    records::QueueFilter filter;
};
// Attachments on the open record (or idea). The field's answer is edited like any answer and saved
// with the form; the bytes go into the encrypted store at once.
struct AttachFileIntent {
    std::string field;
    std::string path;
};
struct RemoveAttachmentIntent {
    std::string field;
    std::string hash;
};
struct OpenAttachmentIntent {  // view it (fetching it first when it is not here)
    std::string hash;
};
struct SaveAttachmentIntent {  // export it to the Downloads folder
    std::string hash;
    std::string name;
};
struct SetPrefetchIntent {  // this profile: download every attachment at once, or when opened
    bool on = false;
};
struct ChangePassphraseIntent {};  // the old and new passphrases typed (AppState's)
struct NewRecoveryCodeIntent {};   // Settings: AppState's recovery_passphrase typed
struct SetAutoLockIntent {
    int minutes = 10;
};
struct SetFontScaleIntent {
    float scale = 1.0F;
};
struct SetThemeIntent {
    client::Theme theme = client::Theme::kDark;
};
struct RemoveProfileIntent {};
struct QuitIntent {};

using Intent =
    std::variant<GoToIntent, ChooseProfileIntent, CreateProfileIntent, ClearProblemIntent, EnrolIntent, UnlockIntent,
                 LockIntent, SyncNowIntent, QueryChangedIntent, MoreRowsIntent, OpenRecordIntent, NewRecordIntent,
                 SaveRecordIntent, CloseRecordIntent, ContinueDraftIntent, DiscardDraftIntent, OpenIdeaIntent,
                 SaveIdeaIntent, CloseIdeaIntent, PutIdeaAsideIntent, ResolveConflictIntent, SelectSuggestionIntent,
                 EndorseIntent, CommentIntent, DecideIntent, MarkDuplicateIntent, ShareIntent, AdoptIntent,
                 MarkNoticesReadIntent, QueueChangedIntent, AttachFileIntent, RemoveAttachmentIntent,
                 OpenAttachmentIntent, SaveAttachmentIntent, SetPrefetchIntent, ChangePassphraseIntent,
                 SetAutoLockIntent, SetFontScaleIntent, SetThemeIntent, RemoveProfileIntent, QuitIntent,
                 ConfirmDiscardIntent, DiscardRefusedIntent, RecoveryWrittenIntent, ConfirmRecoveryIntent,
                 SkipRecoveryIntent, RecoverIntent, NewRecoveryCodeIntent>;
using Intents = std::vector<Intent>;

}  // namespace outpost::ui
