#include "server_answer.h"

#include <charconv>
#include <string>

#include "outpost/core/error_codes.h"
#include "outpost/sync/messages.h"

namespace outpost::sync {

Status http_error(const HttpResponse& res) {
    Status s = decode_error(res.body);
    if (s.is_ok() || !errc::is_well_formed(s.code())) {
        return Status::error(res.status == 503 ? errc::kSyncServerUnavailable : errc::kSyncServerError,
                             "the server answered HTTP " + std::to_string(res.status));
    }
    if (res.status == 503) {
        return Status::error(errc::kSyncServerUnavailable,
                             "the server answered 503 (" + std::string(s.code()) + "): " + std::string(s.message()));
    }
    return s;
}

bool is_network(const Status& s) {
    return s.code() == errc::kSyncNetworkUnreachable;
}

std::int64_t header_i64(const HttpResponse& r, const char* name, std::int64_t fallback) {
    const auto it = r.headers.find(name);
    if (it == r.headers.end()) {
        return fallback;
    }
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
    return ec == std::errc() && end == it->second.data() + it->second.size() && v >= 0 ? v : fallback;
}

}  // namespace outpost::sync
