#include "intent_router.h"

#include <type_traits>

#include "app_context.h"
#include "attachments_controller.h"
#include "cases_controller.h"
#include "conflicts_controller.h"
#include "drafts_controller.h"
#include "navigation_controller.h"
#include "needs_attention_controller.h"
#include "profiles_controller.h"
#include "records_controller.h"
#include "recovery_controller.h"
#include "review_controller.h"
#include "session_controller.h"
#include "settings_controller.h"
#include "sync_bar_controller.h"

namespace outpost::ui {
namespace {

template <typename T, typename... Ts>
inline constexpr bool kOneOf = (std::is_same_v<T, Ts> || ...);

// The intents whose handling reads or writes the store on the UI thread. The others touch no store
// there: they post to a worker (the case list, suggestions, unlocking, enrolling, a passphrase
// change), hand the drafts to the slow worker with the session they close (a lock), or change only
// AppState and settings.
template <typename T>
inline constexpr bool kTouchesStore =
    kOneOf<T, OpenRecordIntent, NewRecordIntent, SaveRecordIntent, CloseRecordIntent, ContinueDraftIntent,
           DiscardDraftIntent, SaveIdeaIntent, CloseIdeaIntent, PutIdeaAsideIntent, ResolveConflictIntent,
           EndorseIntent, CommentIntent, DecideIntent, MarkDuplicateIntent, ShareIntent, AdoptIntent,
           MarkNoticesReadIntent, AttachFileIntent, RemoveAttachmentIntent, OpenAttachmentIntent, SaveAttachmentIntent,
           SetPrefetchIntent, DiscardRefusedIntent>;

// Each intent to the controller that owns it.
struct Route {
    AppContext& c;

    void operator()(const GoToIntent& i) const { c.navigation->go_to(i.screen); }
    void operator()(const QuitIntent&) const { c.navigation->quit(); }
    // Profiles and the session.
    void operator()(const ChooseProfileIntent& i) const { c.profiles->choose(i.name); }
    void operator()(const CreateProfileIntent& i) const { c.profiles->create(i.name); }
    void operator()(const ClearProblemIntent&) const { c.profiles->clear_problem(); }
    void operator()(const EnrolIntent& i) const { c.profiles->enrol(i.path, i.text); }
    void operator()(const RemoveProfileIntent&) const { c.profiles->remove(); }
    void operator()(const UnlockIntent&) const { c.sessions->unlock(); }
    void operator()(const LockIntent&) const { c.sessions->lock("Locked. Your unsaved answers are kept, encrypted."); }
    void operator()(const RecoveryWrittenIntent&) const { c.recovery->written(); }
    void operator()(const ConfirmRecoveryIntent& i) const { c.recovery->confirm(i.typed); }
    void operator()(const SkipRecoveryIntent&) const { c.recovery->skip(); }
    void operator()(const RecoverIntent&) const { c.recovery->recover(); }
    void operator()(const NewRecoveryCodeIntent&) const { c.recovery->replace(); }
    // Cases, records, ideas and drafts.
    void operator()(const QueryChangedIntent& i) const { c.cases->query_changed(i); }
    void operator()(const MoreRowsIntent&) const { c.cases->query(true); }
    void operator()(const OpenRecordIntent& i) const { c.records->open(i.id); }
    void operator()(const NewRecordIntent& i) const { c.records->create(i.type); }
    void operator()(const SaveRecordIntent&) const { c.records->save_record(); }
    void operator()(const CloseRecordIntent&) const { c.records->close_record(); }
    void operator()(const OpenIdeaIntent&) const { c.records->open_idea(); }
    void operator()(const SaveIdeaIntent&) const { c.records->save_idea(); }
    void operator()(const CloseIdeaIntent&) const { c.records->close_idea(); }
    void operator()(const PutIdeaAsideIntent&) const { c.records->put_idea_aside(); }
    void operator()(const ContinueDraftIntent& i) const { c.drafts->continue_draft(i.key); }
    void operator()(const DiscardDraftIntent& i) const { c.drafts->discard(i.key); }
    void operator()(const ResolveConflictIntent& i) const { c.conflicts->resolve(i); }
    void operator()(const ConfirmDiscardIntent& i) const { c.attention->confirm(i.key); }
    void operator()(const DiscardRefusedIntent& i) const { c.attention->discard(i.record, i.field); }
    // The review loop.
    void operator()(const SelectSuggestionIntent& i) const { c.review->select(i.id); }
    void operator()(const QueueChangedIntent& i) const { c.review->queue_changed(i.filter); }
    void operator()(const EndorseIntent& i) const { c.review->endorse(i); }
    void operator()(const CommentIntent& i) const { c.review->comment(i); }
    void operator()(const DecideIntent& i) const { c.review->decide(i.suggestion, i.status, i.note, ""); }
    void operator()(const MarkDuplicateIntent& i) const { c.review->mark_duplicate(i); }
    void operator()(const ShareIntent& i) const { c.review->share(i); }
    void operator()(const AdoptIntent& i) const { c.review->adopt(i.practice); }
    void operator()(const MarkNoticesReadIntent& i) const { c.review->mark_notices_read(i.keys); }
    // Attachments.
    void operator()(const AttachFileIntent& i) const { c.attachments->attach(i); }
    void operator()(const RemoveAttachmentIntent& i) const { c.attachments->remove(i); }
    void operator()(const OpenAttachmentIntent& i) const { c.attachments->open(i.hash); }
    void operator()(const SaveAttachmentIntent& i) const { c.attachments->save(i); }
    // Settings.
    void operator()(const SetPrefetchIntent& i) const { c.settings->set_prefetch(i.on); }
    void operator()(const ChangePassphraseIntent&) const { c.settings->change_passphrase(); }
    void operator()(const SetAutoLockIntent& i) const { c.settings->set_auto_lock(i.minutes); }
    void operator()(const SetFontScaleIntent& i) const { c.settings->set_font_scale(i.scale); }
    void operator()(const SetThemeIntent& i) const { c.settings->set_theme(i.theme); }
    void operator()(const SyncNowIntent&) const { c.sync_bar->sync_now(); }
};

}  // namespace

bool IntentRouter::touches_store(const Intent& intent) {
    return std::visit([](const auto& i) { return kTouchesStore<std::decay_t<decltype(i)>>; }, intent);
}

void IntentRouter::dispatch(const Intent& intent) {
    std::visit(Route{m_ctx}, intent);
}

bool IntentRouter::run(Wait wait) {
    bool applied = false;
    while (!m_waiting.empty()) {
        // Held across this intent's store work, so that the Session's calls inside it (which take the
        // recursive mutex again) cannot wait.
        std::unique_lock<sync::StoreMutex> hold;
        if (wait == Wait::kNever && m_ctx.session && touches_store(m_waiting.front())) {
            hold = m_ctx.session->try_hold();
            if (!hold.owns_lock()) {
                m_ctx.retry_store_soon();
                return applied;
            }
        }
        const Intent intent = std::move(m_waiting.front());
        m_waiting.pop_front();
        dispatch(intent);
        applied = true;
    }
    return applied;
}

}  // namespace outpost::ui
