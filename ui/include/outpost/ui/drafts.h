// Drafts: the text of a form not yet saved, kept inside the encrypted profile store (tables ui_drafts
// and ui_draft_texts) so that a crash, a lock or a restart loses nothing and no plaintext reaches the
// disk. A draft names its form and, for a saved record, the record: continuing it reopens that record.
//
// Threads: the caller serialises access to the store (the Session's mutex). Failure: the store's
// codes (store.*, core.io.failed, core.disk.full).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "outpost/core/status.h"
#include "outpost/core/store.h"

namespace outpost::ui {

struct Draft {
    std::string key;        // one per form opened
    std::string type;       // the form
    std::string record_id;  // empty: a new record
    std::map<std::string, std::string> texts;
    std::int64_t saved_ms = 0;
};

// Creates or moves forward the client's own tables (drafts, and the notices already read).
[[nodiscard]] Status migrate_ui_tables(Store& store);
// Writes `d` whole (replacing a draft with the same key), in one savepoint.
[[nodiscard]] Status save_draft(Store& store, const Draft& d);
// Every draft, newest first. A store the window never opened has none.
[[nodiscard]] Result<std::vector<Draft>> read_drafts(Store& store);
[[nodiscard]] Status discard_draft(Store& store, const std::string& key);

}  // namespace outpost::ui
