// Intents: what a view asks for. Views never call subsystems or change what they do not edit; they
// append intents, which App applies after the frame on the UI thread. (A view does edit the text
// buffers of the screen it draws, as ImGui's inputs do: form answers, the search box, passphrases.)
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "outpost/ui/settings.h"

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
    kSettings
};

struct GoToIntent {
    Screen screen;
};
struct ChooseProfileIntent {  // then unlock it
    std::string name;
};
struct CreateProfileIntent {};  // checks the name and passphrases, then asks for enrolment
struct ClearProblemIntent {};   // what a message on a locked screen was about has been typed again
struct EnrolIntent {};          // from the enrolment screen's file or pasted text
struct UnlockIntent {};
struct LockIntent {};
struct SyncNowIntent {};
struct QueryChangedIntent {};  // search text, form filter or sort changed
struct MoreRowsIntent {};      // the case table scrolled near the end of what is loaded
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
};
// The review loop. The decision note, the comment and the duplicate's original come from
// AppState::review (the fields the views edit).
struct SelectSuggestionIntent {  // show it in the detail pane ("" closes the pane)
    std::string id;
};
struct EndorseIntent {  // +1, or take it back
    std::string suggestion;
    bool on = true;
};
struct CommentIntent {
    std::string suggestion;
};
struct DecideIntent {  // a lead moves a suggestion on: under_review, needs_info, accepted, declined, implemented
    std::string suggestion;
    std::string status;
};
struct MarkDuplicateIntent {
    std::string suggestion;
};
struct ShareIntent {  // to the practice library, or back out of it
    std::string suggestion;
    bool on = true;
};
struct AdoptIntent {  // "adopted here"
    std::string practice;
};
struct MarkNoticesReadIntent {};  // every notice shown
struct QueueChangedIntent {};     // the queue's filter or sort changed
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
struct ChangePassphraseIntent {};
struct SetAutoLockIntent {
    int minutes = 10;
};
struct SetFontScaleIntent {
    float scale = 1.0F;
};
struct SetThemeIntent {
    Theme theme = Theme::kDark;
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
                 SetAutoLockIntent, SetFontScaleIntent, SetThemeIntent, RemoveProfileIntent, QuitIntent>;
using Intents = std::vector<Intent>;

}  // namespace outpost::ui
