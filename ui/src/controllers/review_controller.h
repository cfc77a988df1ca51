// ReviewController: the review loop (records/review.h) as the Suggestions, Review, Library and
// Dashboard screens show it. Reading happens on the reader after every sync and every action; the
// writes (a +1, a comment, a lead's decision, sharing, adopting, the notices' read marks) are single
// transactions on the UI thread, like saving a form, and reach the server with the next sync
// (requested at once).
//
// Threads: UI thread only. The writes touch the store: the IntentRouter holds the store mutex around
// them.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "outpost/core/records/review.h"
#include "outpost/ui/intents.h"

namespace outpost::ui {

struct AppContext;

class ReviewController {
public:
    explicit ReviewController(AppContext& ctx) : m_ctx(ctx) {}

    // Reads the suggestions, endorsements, comments, practices and adoptions on the reader.
    void load();
    // Shows `id` in the detail pane ("" closes it).
    void select(const std::string& id);
    void queue_changed(const records::QueueFilter& filter);
    void endorse(const EndorseIntent& intent);
    void comment(const CommentIntent& intent);
    // A lead's decision. From submitted (or needs_info) a decision first passes through under_review,
    // as the lifecycle asks; each step is its own write, so the server checks each in turn. Accepting
    // and declining need the note; asking for information sends the note as the question.
    void decide(const std::string& id, const std::string& status, const std::string& typed_note,
                const std::string& duplicate_of);
    void mark_duplicate(const MarkDuplicateIntent& intent);
    void share(const ShareIntent& intent);
    void adopt(const std::string& practice);
    void mark_notices_read(const std::vector<std::string>& keys);

private:
    // The queue after a change of filter or data, keeping the highlighted row on `keep`.
    void refresh_queue(const std::string& keep);
    // One write in a transaction; then "done" as a toast, a sync asked for, and the loop read again.
    void write(const std::function<Status(records::RecordEngine&, const records::Actor&)>& fn, const std::string& done);

    AppContext& m_ctx;
};

}  // namespace outpost::ui
