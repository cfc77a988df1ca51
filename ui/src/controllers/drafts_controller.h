// DraftsController: the drafts of unsaved forms, kept in the encrypted store (client/drafts.h): the
// autosave every few seconds while a form differs from what is stored, setting a form aside when
// another takes the screen, the drafts offered at unlock (each named by its form and case, those that
// hold nothing unsaved dropped unseen), continuing one, and discarding one.
//
// Threads: UI thread only. Every method here but unsaved() and due() touches the store: the
// IntentRouter holds the store mutex around the intents' calls; the autosave takes it itself
// (Session::try_hold) and, when a sync holds it, tries again in a moment.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "outpost/client/drafts.h"

namespace outpost::ui {

struct AppContext;
struct RecordScreen;

class DraftsController {
public:
    static constexpr std::int64_t kEveryMs = 3000;  // a dirty form is saved as a draft this often

    explicit DraftsController(AppContext& ctx) : m_ctx(ctx) {}

    // Saves `screen`'s answers as its draft.
    void save(RecordScreen& screen);
    // Before another form takes the record screen: its unsaved answers become a draft, or its draft
    // goes if nothing is unsaved.
    void set_aside_record();
    // At unlock and after an idea is put aside: the drafts to offer, into AppState::drafts_found.
    void find();
    // "Continue it": the draft's own case (or a new one for a new form's draft), its answers back.
    void continue_draft(const std::string& key);
    void discard(const std::string& key);

    // The record's and the idea's answers, where unsaved, as drafts to save (at a lock).
    [[nodiscard]] std::vector<client::Draft> unsaved() const;
    // The autosave, when due at `now` (app clock): true when what it did must be drawn.
    bool autosave(std::int64_t now);
    // When the autosave falls due next (app clock), if a form holds unsaved answers.
    [[nodiscard]] std::optional<std::int64_t> due() const;

private:
    AppContext& m_ctx;
    std::int64_t m_last_check_ms = 0;
};

}  // namespace outpost::ui
