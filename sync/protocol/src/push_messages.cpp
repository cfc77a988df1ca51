// POST /v1/push: the request (a batch of the device's outbox) and its answer (one result per change).
// Both are written directly and read with the streaming JsonReader: a push carries up to 2,000 changes.
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

}  // namespace

std::string_view outcome_name(ChangeOutcome o) {
    switch (o) {
        case ChangeOutcome::kApplied:
            return "applied";
        case ChangeOutcome::kSuperseded:
            return "superseded";
        case ChangeOutcome::kConflict:
            return "conflict";
        case ChangeOutcome::kRejected:
            return "rejected";
    }
    return "?";
}

std::string encode(const PushRequest& m) {
    std::string out = "{\"device_id\":";
    out.reserve(m.changes.size() * 200 + 64);
    json::append_quoted(out, m.device_id);
    out += ",\"from_seq\":" + std::to_string(m.from_seq) + ",\"to_seq\":" + std::to_string(m.to_seq) + ",\"changes\":[";
    for (std::size_t i = 0; i < m.changes.size(); ++i) {
        if (i > 0) {
            out += ',';
        }
        write_change(out, m.changes[i], false);
    }
    out += "]}";
    return out;
}

std::string encode(const PushResponse& m) {
    // Written directly (no JSON tree): a push of 2,000 changes is answered, and stored, as 2,000 results.
    std::string out = "{\"results\":[";
    out.reserve(m.results.size() * 36 + 16);
    for (std::size_t i = 0; i < m.results.size(); ++i) {
        const ChangeResult& r = m.results[i];
        out += i > 0 ? ",{\"seq\":" : "{\"seq\":";
        out += std::to_string(r.seq);
        out += ",\"result\":\"";
        out += outcome_name(r.outcome);
        out += '"';
        if (r.outcome == ChangeOutcome::kRejected) {
            out += ",\"code\":";
            json::append_quoted(out, r.code);
            out += ",\"message\":";
            json::append_quoted(out, r.message);
        }
        out += '}';
    }
    out += "]}";
    return out;
}

Result<PushRequest> decode_push_request(std::string_view body) {
    OUTPOST_TRY(check_json_text(body, "the push"));
    JsonReader r(body);
    PushRequest m;
    unsigned seen = 0;
    Status s = r.object("the push", [&](const std::string& key) -> Status {
        if (key == "device_id" && (seen & 1U) == 0) {
            seen |= 1U;
            OUTPOST_TRY(r.string(m.device_id, "'device_id' in the push"));
            return m.device_id.size() <= kMaxIdBytes ? Status::ok() : malformed("'device_id' is too long");
        }
        if (key == "from_seq" && (seen & 2U) == 0) {
            seen |= 2U;
            return r.integer(m.from_seq, "'from_seq' in the push");
        }
        if (key == "to_seq" && (seen & 4U) == 0) {
            seen |= 4U;
            return r.integer(m.to_seq, "'to_seq' in the push");
        }
        if (key == "changes" && (seen & 8U) == 0) {
            seen |= 8U;
            return r.array("'changes' in the push", [&](std::size_t i) -> Status {
                if (i >= kMaxPushBatch) {
                    return Status::error(errc::kSyncBatchTooLarge,
                                         "a push carries at most " + std::to_string(kMaxPushBatch) + " changes");
                }
                WireChange c;
                OUTPOST_TRY(read_change(r, i, false, c));
                m.changes.push_back(std::move(c));
                return Status::ok();
            });
        }
        return malformed("unknown or repeated field '" + key + "' in the push");
    });
    OUTPOST_TRY(finish_message(r, s, seen, 15U, "the push", "device_id, from_seq, to_seq and changes"));
    // The batch is part of the device's outbox: seqs ascend strictly within from_seq..to_seq (the
    // outbox has gaps where pulled changes sit between a device's own).
    if (m.from_seq < 1 || (m.changes.empty() ? m.to_seq < m.from_seq - 1 : m.to_seq < m.from_seq)) {
        return malformed("the push says seq " + std::to_string(m.from_seq) + ".." + std::to_string(m.to_seq));
    }
    std::int64_t prev = m.from_seq - 1;
    for (std::size_t i = 0; i < m.changes.size(); ++i) {
        const std::int64_t seq = m.changes[i].seq;
        if (seq <= prev || seq > m.to_seq) {
            return malformed("change " + std::to_string(i + 1) + " has seq " + std::to_string(seq) + ", outside " +
                             std::to_string(m.from_seq) + ".." + std::to_string(m.to_seq) + " or out of order");
        }
        prev = seq;
    }
    return m;
}

Result<PushResponse> decode_push_response(std::string_view body) {
    OUTPOST_TRY(check_json_text(body, "the push response"));
    JsonReader r(body);
    PushResponse m;
    unsigned seen = 0;
    const std::string where = "this result";  // errors are prefixed with the result's number below
    std::string outcome;
    auto read_result = [&]() -> Status {
        ChangeResult cr;
        unsigned got = 0;
        outcome.clear();
        Status fields = r.object(where, [&](const std::string& k) -> Status {
            if (k == "seq" && (got & 1U) == 0) {
                got |= 1U;
                return r.integer(cr.seq, where);
            }
            if (k == "result" && (got & 2U) == 0) {
                got |= 2U;
                return r.string(outcome, where);
            }
            if (k == "code" && (got & 4U) == 0) {
                got |= 4U;
                Status read = r.string(cr.code, where);
                return !read.is_ok() || cr.code.size() <= kMaxIdBytes ? read : malformed("a result's code is too long");
            }
            if (k == "message" && (got & 8U) == 0) {
                got |= 8U;
                Status read = r.string(cr.message, where);
                return !read.is_ok() || cr.message.size() <= 4096 ? read : malformed("a result's message is too long");
            }
            return malformed("unknown or repeated field '" + k + "' in " + where);
        });
        if (!fields.is_ok()) {
            return fields;
        }
        if ((got & 3U) != 3U) {
            return malformed(where + " needs seq and result");
        }
        if (outcome == "applied") {
            cr.outcome = ChangeOutcome::kApplied;
        } else if (outcome == "superseded") {
            cr.outcome = ChangeOutcome::kSuperseded;
        } else if (outcome == "conflict") {
            cr.outcome = ChangeOutcome::kConflict;
        } else if (outcome == "rejected" && !cr.code.empty()) {
            cr.outcome = ChangeOutcome::kRejected;
        } else {
            return malformed(where + " has an unknown result '" + outcome + "'");
        }
        m.results.push_back(std::move(cr));
        return Status::ok();
    };
    Status s = r.object("the push response", [&](const std::string& key) -> Status {
        if (key != "results" || seen != 0) {
            return malformed("unknown or repeated field '" + key + "' in the push response");
        }
        seen = 1;
        return r.array("'results' in the push response", [&](std::size_t i) -> Status {
            Status one = read_result();
            return one.is_ok() ? one
                               : Status::error(one.code(), "result " + std::to_string(i + 1) +
                                                               " in the push response: " + std::string(one.message()));
        });
    });
    OUTPOST_TRY(finish_message(r, s, seen, 1U, "the push response", "results"));
    return m;
}

}  // namespace outpost::sync
