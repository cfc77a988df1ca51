// Pusher: one sync's push of the outbox (the records engine's changes made on this device, past the
// outbox position), in batches of SyncOptions::push_batch.
//  - A pipeline: while a batch is on the wire, the batch after it is read and encoded on a helper
//    thread, and the answers to the batch before are committed on another, so the laptop's work
//    overlaps the server's. One commit at most is in flight; it is settled (awaited, its counts and
//    progress published on the pushing thread) before anything else moves the outbox position, and
//    before run() returns.
//  - Each batch's answers are committed together with the outbox position, in one transaction.
//  - A change the server refuses is kept in sync_refused with its code and reason. A batch the server
//    cannot take whole (too large, malformed) is halved until the one change at fault is found and
//    refused alone; a change too large for the protocol is refused here without being sent. Neither
//    ever blocks the changes behind it.
//
// Ownership: borrows the SyncContext and the summary, which must outlive it. Threads: run() on the
// syncing thread, once; it takes the store mutex itself (never call it with the mutex held).
// Failure: the first Status that stops the push (sync.network.unreachable, the server's codes, store.*);
// what was committed before it stays committed.
#pragma once

#include <atomic>
#include <cstdint>
#include <future>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "outpost/core/records/engine.h"
#include "outpost/core/status.h"
#include "outpost/sync/sync_engine.h"
#include "outpost/sync/sync_messages.h"
#include "sync_context.h"

namespace outpost::sync {

class Pusher {
public:
    Pusher(SyncContext& ctx, SyncSummary& summary);
    Pusher(const Pusher&) = delete;
    Pusher& operator=(const Pusher&) = delete;

    [[nodiscard]] Status run();

private:
    // A batch read from the outbox and encoded. When its first change is too large for the protocol
    // the batch is that change alone, with no body: it is refused here, so it never traps the queue,
    // and a batch otherwise stops before such a change (the changes before it go first; refusing it
    // early would move the position past them).
    struct Prepared {
        Status status = Status::ok();
        std::vector<records::Change> batch;
        std::string body;
    };
    // A batch's answers being written on a helper thread.
    struct Committing {
        std::future<Status> done;
        SyncSummary counts;
        std::int64_t changes = 0;
    };

    // Up to `size` changes after `after`. Any thread: takes the store mutex only to read.
    [[nodiscard]] Prepared prepare(std::int64_t after, int size) const;
    // The push request for a batch (any thread).
    [[nodiscard]] std::string encode_batch(const std::vector<records::Change>& batch) const;
    // Sends a batch's encoded request and checks the answers match it (one per change, in order);
    // writes nothing.
    [[nodiscard]] Result<PushResponse> post_batch(std::string body, const std::vector<records::Change>& batch);
    // Commits an answered batch on a helper thread (settle() first).
    void start_commit(std::vector<records::Change> batch, PushResponse answer);
    // Awaits the commit in flight, if any, and counts and publishes what it committed.
    [[nodiscard]] Status settle();
    // Refuses one change here and moves the outbox position past it (settles first).
    [[nodiscard]] Status refuse(const records::Change& c, std::string_view code, std::string message);
    // With the store mutex held, each in one transaction: a change refused here; a batch's answers
    // (any thread: counts into `counts` only).
    [[nodiscard]] Status refuse_locally(const records::Change& c, std::string_view code, const std::string& message);
    [[nodiscard]] Status commit_batch(const std::vector<records::Change>& batch, const PushResponse& answer,
                                      SyncSummary& counts) const;

    SyncContext& m_ctx;
    SyncSummary& m_summary;
    std::int64_t m_upto = 0;  // the outbox position: every change up to it is answered
    int m_batch_size;         // push_batch, or less while a refused batch is halved
    // Each change names the form version it was written under, unless the server is older than that
    // member (it refuses the batch as malformed, naming it): then this sync sends without.
    std::atomic<bool> m_send_versions{true};
    std::unique_ptr<Committing> m_committing;
};

}  // namespace outpost::sync
