// BlobTransfer: one sync's attachments, after the records (PROTOCOL.md, "Attachments"), on the
// BlobStore the engine was handed (the Session's own): every upload that is due, resumed where the
// server's copy stops, in pieces that grow while each goes quickly; then every download wanted, in
// ranged GETs, verified before the file counts as here.
//  - A file's failure is kept on it in the BlobStore (with its retry time, doubled per attempt between
//    SyncOptions::blob_backoff_min and blob_backoff_max, or refused for good) and never stops the
//    others; only a lost network ends the pass.
//  - Afterwards, SyncState::files_waiting is the uploads still waiting.
//
// Ownership: borrows the SyncContext (and through it the BlobStore) and the summary, which must
// outlive it. Threads: run() on the syncing thread; it takes the store mutex for each use of the
// BlobStore and never holds it across a request (never call it with the mutex held).
// Failure: sync.network.unreachable when the network is lost (the next sync resumes); else ok, with the
// failures counted in SyncSummary::files_failed and kept on their files.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "outpost/core/blob_store.h"
#include "outpost/core/records/engine.h"
#include "outpost/core/status.h"
#include "outpost/sync/sync_engine.h"
#include "outpost/sync/transport.h"
#include "sync_context.h"

namespace outpost::sync {

// With the store mutex held: the files an answer (`canonical`, as stored) to `type`'s `field` names are
// wanted in `blobs`, when that field holds attachments; nothing for any other field or an answer that
// cannot be read.
[[nodiscard]] Status want_attachments(const records::RecordEngine& records, BlobStore& blobs, std::string_view type,
                                      std::string_view field, std::string_view canonical);

class BlobTransfer {
public:
    BlobTransfer(SyncContext& ctx, SyncSummary& summary) : m_ctx(ctx), m_blobs(ctx.blobs), m_summary(summary) {}
    BlobTransfer(const BlobTransfer&) = delete;
    BlobTransfer& operator=(const BlobTransfer&) = delete;

    [[nodiscard]] Status run();

private:
    [[nodiscard]] Status upload(const BlobStore::Upload& up);
    [[nodiscard]] Status download(const BlobStore::Download& down);
    // Each takes the store mutex itself: never call them with it held.
    // A failed upload: kept on the file (retried later, or never when `refused`); returns `why`.
    Status upload_failed(const BlobStore::Upload& up, const Status& why, bool refused);
    // An answer to an upload with no usable position.
    Status upload_unexpected(const BlobStore::Upload& up, const HttpResponse& r);
    // Done when the server says the file is whole, with the right size (a captive portal's 200 is not).
    std::optional<Status> upload_done_if_whole(const BlobStore::Upload& up, const HttpResponse& r);
    Status download_failed(const BlobStore::Download& down, const Status& why);
    // When a file that failed `attempts` times is tried again.
    [[nodiscard]] std::int64_t retry_at(int attempts) const;

    SyncContext& m_ctx;
    BlobStore& m_blobs;
    SyncSummary& m_summary;
};

}  // namespace outpost::sync
