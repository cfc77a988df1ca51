// ConflictsController: the conflicts screen: the open conflicts, read on the reader (finding a
// form's records among 100,000 cases walks an index, which is no work for a frame), and resolving
// one (a normal write that has seen both values supersedes them; then the conflict is marked
// resolved, in the same transaction).
//
// Threads: UI thread only. resolve() touches the store: the IntentRouter holds the store mutex around it.
#pragma once

#include "outpost/ui/intents.h"

namespace outpost::ui {

struct AppContext;

class ConflictsController {
public:
    explicit ConflictsController(AppContext& ctx) : m_ctx(ctx) {}

    void load();
    void resolve(const ResolveConflictIntent& intent);

private:
    AppContext& m_ctx;
};

}  // namespace outpost::ui
