// Puller: one sync's pull: the server's log from the pull cursor, page by page, until it says there
// is no more. With no cursor yet (a first sync) it takes the team's records by snapshot first
// (SnapshotPuller), and again when the server says it does not know the cursor (a restored server).
//  - Each page's changes are applied (records::RecordEngine::apply_remote) together with the cursor,
//    in one transaction: a crash anywhere resumes without loss or duplication.
//  - With prefetch, the files a pulled attachments answer names are wanted here, in the same
//    transaction (the BlobTransfer after the pull fetches them).
//  - A server that keeps saying "more" without moving on, or with next to nothing in its pages, or
//    with a cursor that is not a log position, gets a clear error instead of an endless pull.
//
// Ownership: borrows the SyncContext and the summary, which must outlive it. Threads: run() on the
// syncing thread; it takes the store mutex itself (never call it with the mutex held).
// Failure: the first Status that stops the pull; pages committed before it stay committed.
#pragma once

#include <string>
#include <vector>

#include "outpost/core/records/engine.h"
#include "outpost/core/status.h"
#include "outpost/sync/sync_engine.h"
#include "outpost/sync/sync_messages.h"
#include "sync_context.h"

namespace outpost::sync {

class Puller {
public:
    Puller(SyncContext& ctx, SyncSummary& summary, bool prefetch)
        : m_ctx(ctx), m_summary(summary), m_prefetch(prefetch) {}
    Puller(const Puller&) = delete;
    Puller& operator=(const Puller&) = delete;

    [[nodiscard]] Status run();

private:
    // A page's changes as the records engine takes them (consumes them); sync.server.error for a bad
    // timestamp.
    [[nodiscard]] static Result<std::vector<records::Change>> to_changes(PullResponse& page);
    // Applies `changes` and moves the cursor to `cursor`, in one transaction (takes the store mutex).
    [[nodiscard]] Status commit_page(const std::vector<records::Change>& changes, const std::string& cursor);
    // A first sync, or one after the server forgot the cursor: `cursor` as the snapshot leaves it.
    [[nodiscard]] Status snapshot(std::string& cursor);

    SyncContext& m_ctx;
    SyncSummary& m_summary;
    bool m_prefetch;
};

}  // namespace outpost::sync
