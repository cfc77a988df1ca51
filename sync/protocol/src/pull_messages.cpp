// GET /v1/pull: a page of changes from the log, written directly and read with the streaming
// JsonReader (a page carries thousands of changes).
#include <string>

#include "json_reader.h"
#include "outpost/core/error_codes.h"
#include "outpost/core/json.h"
#include "outpost/sync/sync_messages.h"
#include "wire_change.h"

namespace outpost::sync {
namespace {

Status malformed(const std::string& what) {
    return Status::error(errc::kProtocolMalformed, what);
}

Result<PullResponse> read_pull_response(std::string_view body) {
    OUTPOST_TRY(check_json_text(body, "the pull response"));
    JsonReader r(body);
    PullResponse m;
    unsigned seen = 0;
    Status s = r.object("the pull response", [&](const std::string& key) -> Status {
        if (key == "changes" && (seen & 1U) == 0) {
            seen |= 1U;
            return r.array("'changes' in the pull response", [&](std::size_t i) -> Status {
                WireChange c;
                OUTPOST_TRY(read_change(r, i, true, c));
                m.changes.push_back(std::move(c));
                return Status::ok();
            });
        }
        if (key == "cursor" && (seen & 2U) == 0) {
            seen |= 2U;
            OUTPOST_TRY(r.string(m.cursor, "'cursor' in the pull response"));
            return m.cursor.size() <= kMaxIdBytes ? Status::ok() : malformed("'cursor' is too long");
        }
        if (key == "more" && (seen & 4U) == 0) {
            seen |= 4U;
            return r.boolean(m.more, "'more' in the pull response");
        }
        return malformed("unknown or repeated field '" + key + "' in the pull response");
    });
    OUTPOST_TRY(finish_message(r, s, seen, 7U, "the pull response", "changes, cursor and more"));
    return m;
}

}  // namespace

std::string encode(const PullResponse& m) {
    std::string out = "{\"changes\":[";
    out.reserve(m.changes.size() * 260 + 64);
    for (std::size_t i = 0; i < m.changes.size(); ++i) {
        if (i > 0) {
            out += ',';
        }
        write_change(out, m.changes[i], true);
    }
    out += "],\"cursor\":";
    json::append_quoted(out, m.cursor);
    out += m.more ? ",\"more\":true}" : ",\"more\":false}";
    return out;
}

Result<PullResponse> decode_pull_response(std::string_view body) {
    Result<PullResponse> out = read_pull_response(body);
    if (!out.is_ok()) {
        return as_pulled(out.status());
    }
    return out;
}

}  // namespace outpost::sync
