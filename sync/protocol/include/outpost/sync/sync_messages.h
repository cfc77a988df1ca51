// Sync protocol v1 messages for enrolment, push and pull (DESIGN §4), and their JSON codec. Shared by
// the client and the server. docs/PROTOCOL.md shows each message with an example.
//
// Decoders never throw and enforce the protocol's limits: a malformed body, a wrong type or an unknown
// field is refused with sync.protocol.malformed (naming the field); too many changes in one push with
// sync.push.batch_too_large; an oversized value with sync.push.value_too_large.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "outpost/core/status.h"

namespace outpost::sync {

inline constexpr std::size_t kMaxPushBatch = 2000;          // changes in one push
inline constexpr std::size_t kMaxValueBytes = 64U * 1024U;  // one field's value, encoded
inline constexpr std::size_t kMaxIdBytes = 128;             // ids, names, codes

// POST /v1/enroll
struct EnrollRequest {
    std::string code;         // the one-time code from the provisioning file
    std::string device_name;  // e.g. "Ann's laptop"
    friend bool operator==(const EnrollRequest&, const EnrollRequest&) = default;
};
struct EnrollResponse {
    std::string device_id;
    std::string token;  // bearer token; the server keeps only its BLAKE2b hash
    std::string user;
    std::string team;
    std::string role;
    friend bool operator==(const EnrollResponse&, const EnrollResponse&) = default;
};

// One field write, as pushed by a device or pulled from the server.
struct WireChange {
    std::int64_t seq = 0;  // push: the device's outbox seq; pull: the server's seq
    std::string record;
    std::string type;
    std::string team;
    std::string field;
    std::string value;     // the value as JSON text (a JSON value, not a string holding JSON). The codec
                           // keeps the value, not its spelling (object keys may be reordered): receivers
                           // canonicalise it with the field's kind (records::decode_value/encode_value).
    std::string hlc;       // 16 hex digits
    std::string base;      // 16 hex digits; all zeros when the writer saw no value
    std::string device;    // pull only: the writing device
    std::string author;    // pull only: the writing user
    int form_version = 0;  // push, optional: the version of the record's form it was written under
    friend bool operator==(const WireChange&, const WireChange&) = default;
};

// POST /v1/push: changes from_seq..to_seq of the device's outbox, contiguous and ascending.
struct PushRequest {
    std::string device_id;
    std::int64_t from_seq = 0;
    std::int64_t to_seq = 0;
    std::vector<WireChange> changes;
    friend bool operator==(const PushRequest&, const PushRequest&) = default;
};

enum class ChangeOutcome { kApplied, kSuperseded, kConflict, kRejected };
[[nodiscard]] std::string_view outcome_name(ChangeOutcome o);

struct ChangeResult {
    std::int64_t seq = 0;
    ChangeOutcome outcome = ChangeOutcome::kApplied;
    std::string code;     // kRejected: a stable code, e.g. sync.scope.forbidden
    std::string message;  // kRejected: plain words for the worker
    friend bool operator==(const ChangeResult&, const ChangeResult&) = default;
};
struct PushResponse {
    std::vector<ChangeResult> results;  // one per change, in order
    friend bool operator==(const PushResponse&, const PushResponse&) = default;
};

// GET /v1/pull?cursor=C&limit=N
struct PullResponse {
    std::vector<WireChange> changes;
    std::string cursor;  // opaque; send it back to continue
    bool more = false;
    friend bool operator==(const PullResponse&, const PullResponse&) = default;
};

// GET /v1/snapshot: the team's records as they stand now, for a device's first sync. Each record
// carries every version in its fields' frontiers (usually one per field). Compact on the wire: a
// version's HLC is the record's `hlc` plus an offset, and its (device, author) an index into the
// record's writers. Paged by record id; `cursor` is the log's end when the page was read (every
// change at or below it is in the records), so a client keeps the first page's cursor and pulls from
// it once the last page is in.
struct SnapshotVersion {
    std::string field;
    std::string value;  // JSON text
    std::uint64_t hlc = 0;
    std::uint64_t base = 0;
    std::uint32_t writer = 0;  // index into SnapshotRecord::writers
    friend bool operator==(const SnapshotVersion&, const SnapshotVersion&) = default;
};
struct SnapshotRecord {
    std::string id;
    std::string type;
    std::string created_by;
    std::vector<std::pair<std::string, std::string>> writers;  // (device, author)
    std::vector<SnapshotVersion> fields;
    friend bool operator==(const SnapshotRecord&, const SnapshotRecord&) = default;
};
struct SnapshotResponse {
    std::string team;
    std::vector<SnapshotRecord> records;
    std::string next;    // the last record id of this page: send it back as `after`
    std::string cursor;  // pull cursor valid after the snapshot (see above)
    bool more = false;
    friend bool operator==(const SnapshotResponse&, const SnapshotResponse&) = default;
};
// Versions per snapshot record, at most (a form has far fewer fields).
inline constexpr std::size_t kMaxSnapshotVersions = 4096;

// Writes a snapshot page, the same JSON as encode(SnapshotResponse), one version at a time, so a
// server can stream storage rows into it without building the page first. Versions of a record
// follow its begin_record(); the record's writers and base HLC are worked out when it ends.
class SnapshotWriter {
public:
    explicit SnapshotWriter(std::string_view team, std::size_t reserve_bytes = 0);
    void begin_record(std::string_view id, std::string_view type, std::string_view created_by);
    void add(std::string_view field, std::string_view value, std::uint64_t hlc, std::uint64_t base,
             std::string_view device, std::string_view author);
    // Records begun so far (the open one included).
    [[nodiscard]] std::size_t records() const { return m_records; }
    // The whole page; the writer is spent.
    [[nodiscard]] std::string finish(std::string_view next, std::string_view cursor, bool more);

private:
    struct Version {
        std::string field;
        std::string value;
        std::uint64_t hlc = 0;
        std::uint64_t base = 0;
        std::size_t writer = 0;
    };
    void end_record();
    std::string m_out;
    std::size_t m_records = 0;
    bool m_open = false;
    std::string m_id;
    std::string m_type;
    std::string m_created_by;
    std::vector<Version> m_versions;  // reused from record to record
    std::size_t m_used = 0;           // versions of the open record
    std::vector<std::pair<std::string, std::string>> m_writers;
    std::size_t m_writers_used = 0;
};

[[nodiscard]] std::string encode(const EnrollRequest& m);
[[nodiscard]] std::string encode(const EnrollResponse& m);
[[nodiscard]] std::string encode(const PushRequest& m);
[[nodiscard]] std::string encode(const PushResponse& m);
[[nodiscard]] std::string encode(const PullResponse& m);
[[nodiscard]] std::string encode(const SnapshotResponse& m);

[[nodiscard]] Result<EnrollRequest> decode_enroll_request(std::string_view body);
[[nodiscard]] Result<EnrollResponse> decode_enroll_response(std::string_view body);
[[nodiscard]] Result<PushRequest> decode_push_request(std::string_view body);
[[nodiscard]] Result<PushResponse> decode_push_response(std::string_view body);
[[nodiscard]] Result<PullResponse> decode_pull_response(std::string_view body);
[[nodiscard]] Result<SnapshotResponse> decode_snapshot_response(std::string_view body);

}  // namespace outpost::sync
