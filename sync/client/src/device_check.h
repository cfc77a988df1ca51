// DeviceCheck: the first piece of every sync. It asks the server who this laptop is now
// (GET /v1/whoami) and brings the laptop in line before anything moves:
//  - a new role (IT ran `user role`) is kept with the credentials and shown on the state board, so
//    a new lead gets the review queue and a former lead loses it;
//  - a new team (`user move`) is kept too; the old team's records are let go, except those with
//    changes still to send or refused (the worker's unsynced work stays until it is sent or
//    refused), and the pull starts again from a snapshot of the new team;
//  - a token with less than a third of its life left is renewed (POST /v1/token/renew) and the new
//    one kept in the store; the old one stays valid on the server until its own expiry, so a lost
//    answer costs nothing;
//  - a refusal stops the sync with the server's code. For sync.auth.wiped the engine's on_wiped
//    runs first (sync_engine.h).
//
// Ownership: borrows the SyncContext. Threads: the syncing thread; the store only under its mutex.
// Failure: the server's codes (sync.auth.*), sync.network.unreachable, store.* codes.
#pragma once

#include "outpost/core/status.h"
#include "outpost/sync/sync_engine.h"
#include "sync_context.h"

namespace outpost::sync {

class DeviceCheck {
public:
    DeviceCheck(SyncContext& ctx, SyncSummary& summary) : m_ctx(ctx), m_summary(summary) {}
    [[nodiscard]] Status run();

private:
    [[nodiscard]] Status moved_team(const std::string& from, const std::string& to, const std::string& role);
    [[nodiscard]] Status renew();

    SyncContext& m_ctx;
    SyncSummary& m_summary;
};

}  // namespace outpost::sync
