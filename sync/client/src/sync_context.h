// SyncContext: what the pieces of one SyncEngine share (as LiteCore's Replicator hands its Pusher and
// Puller the database and the socket): the store, records engine, BlobStore, store mutex, transport
// and clock the engine was handed, its credentials and options, its state board and its client
// state table. Each sync builds its pieces over it: Pusher (pusher.h), Puller (puller.h),
// SnapshotPuller (snapshot_puller.h) and BlobTransfer (blob_transfer.h).
//
// Ownership: the SyncEngine owns it; what it borrows must outlive the engine.
// Threads: store, records, blobs and client only with store_mutex held, never across a network wait;
// transport on the syncing thread; creds, options and clock read-only; board any thread.
#pragma once

#include <cstddef>
#include <mutex>

#include "client_state.h"
#include "outpost/core/blob_store.h"
#include "outpost/core/clock.h"
#include "outpost/core/records/engine.h"
#include "outpost/core/store.h"
#include "outpost/sync/sync_engine.h"
#include "outpost/sync/transport.h"
#include "state_board.h"

namespace outpost::sync {

// The largest pull or snapshot page taken (the server makes pages of 8 MiB).
inline constexpr std::size_t kMaxPageBytes = 64U * 1024U * 1024U;

struct SyncContext {
    Store& store;
    records::RecordEngine& records;
    BlobStore& blobs;
    StoreMutex& store_mutex;
    Transport& transport;
    const Clock& clock;
    Credentials creds;
    SyncOptions options;  // batch and page sizes already within the protocol's limits
    StateBoard board;
    ClientState client;  // over `store`
};

}  // namespace outpost::sync
