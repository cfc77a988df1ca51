// CasesController: the case table's query. Pages are read on the reader (keyset pages of
// kPageRows); each page's rows go into AppState::cases, then whether each has reached the server.
//
// Threads: UI thread only; the pages are read on the reader and posted back.
#pragma once

#include "outpost/core/records/schema.h"
#include "outpost/ui/intents.h"

namespace outpost::ui {

struct AppContext;

class CasesController {
public:
    static constexpr int kPageRows = 200;  // case-table rows per query

    explicit CasesController(AppContext& ctx) : m_ctx(ctx) {}

    // The search, form filter or sort the view has now.
    void query_changed(const QueryChangedIntent& asked);
    // Reads the first page again (`more`: false), or the next one.
    void query(bool more);

    // A form whose records are cases (not suggestions, conflicts or the review loop's records).
    [[nodiscard]] static bool is_case_form(const records::Schema* s) {
        return s != nullptr && s->purpose == records::FormPurpose::kCase;
    }

private:
    AppContext& m_ctx;
};

}  // namespace outpost::ui
