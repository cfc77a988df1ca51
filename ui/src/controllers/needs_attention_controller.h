// NeedsAttentionController: the "Needs attention" screen: the changes the server refused, read on the
// reader (each with its record's title, the question, the value this laptop holds and the one the
// server holds), asking before one is discarded, and discarding it (SyncEngine::discard_refused: the
// laptop holds the server's version again; a record the server took none of leaves the laptop).
// Fixing one is the record screen's save, which sends the refused answers again with the fix.
//
// Threads: UI thread only. discard() touches the store: the IntentRouter holds the store mutex around it.
#pragma once

#include <string>

namespace outpost::ui {

struct AppContext;

class NeedsAttentionController {
public:
    explicit NeedsAttentionController(AppContext& ctx) : m_ctx(ctx) {}

    // Reads the list again (on the reader); the status bar's count follows it.
    void load();
    // Asks "discard?" for the row `key` (RefusedRow::key()), or asks nothing ("").
    void confirm(const std::string& key);
    void discard(const std::string& record, const std::string& field);

private:
    AppContext& m_ctx;
};

}  // namespace outpost::ui
