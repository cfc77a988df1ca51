// How the sync client reads what the server answered: an HTTP error as a Status, a lost network,
// and the numbers in Outpost-* headers.
//
// Threads: pure functions, any thread. Failure: said per function.
#pragma once

#include <cstdint>

#include "outpost/core/status.h"
#include "outpost/sync/transport.h"

namespace outpost::sync {

// An HTTP error answer as a Status with the server's code, or sync.server.error for a body that
// carries none. A 503 (the server's disk is full or failing) is sync.server.unavailable, so the worker
// is not told that this laptop's disk is full; the server's own code stays in the message.
[[nodiscard]] Status http_error(const HttpResponse& res);

// Whether `s` says no answer arrived at all (sync.network.unreachable): the sync stops there.
[[nodiscard]] bool is_network(const Status& s);

// A header's whole value as a number >= 0; `fallback` when it is missing or anything else.
[[nodiscard]] std::int64_t header_i64(const HttpResponse& r, const char* name, std::int64_t fallback);

}  // namespace outpost::sync
