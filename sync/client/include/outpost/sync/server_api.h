// ServerApi: typed calls to the central service over a Transport the caller owns.
//
// Threads: one thread at a time (the sync worker). Ownership: borrows the Transport, which must
// outlive it. Failure: network failures give errc::kSyncNetworkUnreachable; HTTP errors give the
// server's own stable code from its JSON error body.
#pragma once

#include "outpost/sync/messages.h"
#include "outpost/sync/transport.h"

namespace outpost::sync {

class ServerApi {
public:
    explicit ServerApi(Transport& transport) : m_transport(transport) {}

    [[nodiscard]] Result<HealthInfo> health();

private:
    Transport& m_transport;
};

}  // namespace outpost::sync
