// Drafts: the text of a form not yet saved, kept inside the encrypted profile store (tables ui_drafts
// and ui_draft_texts) so that a crash, a lock or a restart loses nothing and no plaintext reaches the
// disk. A draft names its form and, for a saved record, the record: continuing it reopens that record.
//
// Ownership: a Drafts borrows the store, which must outlive it. Threads: the caller serialises access
// to the store (the Session's mutex); a Drafts holds no state of its own. Failure: the store's codes
// (store.*, core.io.failed, core.disk.full).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "outpost/core/status.h"

namespace outpost {
class Store;
}

namespace outpost::client {

struct Draft {
    std::string key;        // one per form opened
    std::string type;       // the form
    std::string record_id;  // empty: a new record
    std::map<std::string, std::string> texts;
    std::int64_t saved_ms = 0;
};

// Creates or moves forward the client's own tables (drafts, and the notices already read).
[[nodiscard]] Status migrate_ui_tables(Store& store);

class Drafts {
public:
    explicit Drafts(Store& store) : m_store(store) {}

    // Writes `d` whole (replacing a draft with the same key), in one savepoint.
    [[nodiscard]] Status save(const Draft& d);
    // Every draft, newest first. A store the window never opened has none.
    [[nodiscard]] Result<std::vector<Draft>> all();
    [[nodiscard]] Status discard(const std::string& key);

private:
    Store& m_store;
};

}  // namespace outpost::client
