// SnapshotPuller: a first sync: the team's records whole, by snapshot pages (GET /v1/snapshot), each
// applied (records::RecordEngine::apply_snapshot) together with its place in the snapshot, in one
// transaction, so a first sync cut anywhere resumes at the page after the last one committed. When
// every page is in, the pull cursor the first page gave is committed with the last page: the log is
// pulled from there.
//  - The next page is downloaded and decoded on a helper thread while this one is written, and the
//    page written before it is freed there too (two million small frees are better made off the
//    writing thread).
//  - The store is in bulk mode (Store::set_bulk_mode: a rollback journal) while the pages go in, and
//    back in WAL before run() returns, whether it succeeded or not.
//  - With prefetch, the files the records' attachments answers name are wanted here.
//
// Ownership: borrows the SyncContext and the summary, which must outlive it. Threads: run() on the
// syncing thread; it takes the store mutex itself (never call it with the mutex held).
// Failure: the first Status that stops it (pages committed before it stay committed); a server with no
// snapshot (404) is no failure: run() leaves the cursor empty and the log is pulled from the start.
#pragma once

#include <cstdint>
#include <future>
#include <string>
#include <vector>

#include "outpost/core/records/engine.h"
#include "outpost/core/status.h"
#include "outpost/sync/sync_engine.h"
#include "outpost/sync/sync_messages.h"
#include "sync_context.h"

namespace outpost::sync {

class SnapshotPuller {
public:
    SnapshotPuller(SyncContext& ctx, SyncSummary& summary, bool prefetch)
        : m_ctx(ctx), m_summary(summary), m_prefetch(prefetch) {}
    SnapshotPuller(const SnapshotPuller&) = delete;
    SnapshotPuller& operator=(const SnapshotPuller&) = delete;

    // Sets `cursor` to where the pull goes on once every page is in (left as it is when the server has
    // no snapshot).
    [[nodiscard]] Status run(std::string& cursor);

private:
    // One snapshot page, fetched and decoded off the store's thread.
    struct Page {
        Status status = Status::ok();
        bool unsupported = false;  // the server has no /v1/snapshot: pull the log from the start instead
        SnapshotResponse wire;
        std::vector<records::PulledRecord> records;
        std::int64_t versions = 0;
    };
    // The page after `after`, on a helper thread, which frees `spent` first.
    [[nodiscard]] std::future<Page> fetch_ahead(std::string after, Page spent) const;
    [[nodiscard]] Page fetch(const std::string& after) const;
    // Applies a page and moves the snapshot's place on (or, on the last page, sets the pull cursor),
    // in one transaction; leaves bulk mode after the last. Takes the store mutex.
    [[nodiscard]] Status commit_page(Page& page, const std::string& snapshot_cursor);

    SyncContext& m_ctx;
    SyncSummary& m_summary;
    bool m_prefetch;
};

}  // namespace outpost::sync
