// Sync protocol messages (v1) and their JSON codec, shared by the client and the server.
// See docs/PROTOCOL.md for the wire format.
//
// Decoders never throw: malformed input returns errc::kProtocolMalformed with a message naming the
// offending field. Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "outpost/core/records/schema.h"
#include "outpost/core/status.h"

namespace outpost::sync {

// Upper bound on the JSON nesting depth any decoder accepts.
inline constexpr int kMaxJsonDepth = 64;

// GET /v1/health
struct HealthInfo {
    std::string service;  // always "outpost-server"
    std::string version;
    std::string git_hash;
    std::vector<std::string> protocols;  // e.g. {"v1"}
    std::int64_t server_time_ms = 0;

    friend bool operator==(const HealthInfo&, const HealthInfo&) = default;
};

[[nodiscard]] std::string encode_health(const HealthInfo& h);
[[nodiscard]] Result<HealthInfo> decode_health(std::string_view json);

// Error body: {"error":{"code":"...","message":"..."}}. `status` must not be ok.
[[nodiscard]] std::string encode_error(const Status& status);
// Parses an error body into a Status carrying the server's code. A body that is not a valid error
// envelope yields errc::kProtocolMalformed (or kSyncServerError for an empty body).
[[nodiscard]] Status decode_error(std::string_view json);

// The answer of GET /v1/schemas: {"schemas":[form, ...]}, every form one this build can read
// (records::parse_schema), at most kMaxSchemasBytes and kMaxJsonDepth deep, nothing else in it.
// sync.schemas.invalid naming what is wrong. Nothing is kept from an answer that fails.
inline constexpr std::size_t kMaxSchemasBytes = 4U * 1024U * 1024U;
[[nodiscard]] Result<std::vector<records::Schema>> decode_schemas(std::string_view body);
// The form documents of such an answer, each as its JSON text, checked as a message (size, depth,
// UTF-8, no key twice, each an object, at least one) but not as forms: the laptop reads each on its
// own (records::parse_schema), so that one form it cannot read (from a newer Outpost) does not cost
// it the others. sync.schemas.invalid when the answer itself is wrong.
[[nodiscard]] Result<std::vector<std::string>> decode_schema_documents(std::string_view body);

// Rejects JSON nested deeper than kMaxJsonDepth without parsing it (guards the recursive readers: the
// protocol's and SQLite's). Strings are skipped correctly, so brackets inside strings do not count.
[[nodiscard]] bool json_depth_within(std::string_view json, int max_depth = kMaxJsonDepth);

}  // namespace outpost::sync
