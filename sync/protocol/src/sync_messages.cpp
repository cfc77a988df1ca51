#include "outpost/sync/sync_messages.h"

#include <nlohmann/json.hpp>
#include <set>

#include "outpost/core/error_codes.h"
#include "outpost/sync/messages.h"

namespace outpost::sync {
namespace {

using nlohmann::json;

Status malformed(const std::string& what) {
    return Status::error(errc::kProtocolMalformed, what);
}

Result<json> parse_object(std::string_view body, const char* what) {
    if (!json_depth_within(body)) {
        return malformed(std::string(what) + " is nested too deeply");
    }
    json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
        return malformed(std::string(what) + " is not valid JSON");
    }
    if (!j.is_object()) {
        return malformed(std::string(what) + " must be a JSON object");
    }
    return j;
}

// Reads the fields of one JSON object and refuses any it did not read.
class Fields {
public:
    Fields(const json& obj, std::string where) : m_obj(obj), m_where(std::move(where)) {}

    Status text(const char* key, std::string& out, std::size_t max = kMaxIdBytes, bool required = true) {
        m_seen.insert(key);
        auto it = m_obj.find(key);
        if (it == m_obj.end()) {
            return required ? missing(key) : Status::ok();
        }
        if (!it->is_string()) {
            return wrong(key, "text");
        }
        out = it->get<std::string>();
        if (out.size() > max) {
            return malformed("'" + std::string(key) + "' in " + m_where + " is longer than " + std::to_string(max) +
                             " bytes");
        }
        return Status::ok();
    }
    Status integer(const char* key, std::int64_t& out) {
        m_seen.insert(key);
        auto it = m_obj.find(key);
        if (it == m_obj.end()) {
            return missing(key);
        }
        if (!it->is_number_integer()) {
            return wrong(key, "a whole number");
        }
        out = it->get<std::int64_t>();
        return Status::ok();
    }
    Status boolean(const char* key, bool& out) {
        m_seen.insert(key);
        auto it = m_obj.find(key);
        if (it == m_obj.end()) {
            return missing(key);
        }
        if (!it->is_boolean()) {
            return wrong(key, "true or false");
        }
        out = it->get<bool>();
        return Status::ok();
    }
    // Any JSON value, kept as its JSON text.
    Status value(const char* key, std::string& out) {
        m_seen.insert(key);
        auto it = m_obj.find(key);
        if (it == m_obj.end()) {
            return missing(key);
        }
        out = it->dump();
        if (out.size() > kMaxValueBytes) {
            return Status::error(errc::kSyncValueTooLarge, "'" + std::string(key) + "' in " + m_where + " is " +
                                                               std::to_string(out.size()) + " bytes; the limit is " +
                                                               std::to_string(kMaxValueBytes));
        }
        return Status::ok();
    }
    Result<const json*> array(const char* key) {
        m_seen.insert(key);
        auto it = m_obj.find(key);
        if (it == m_obj.end()) {
            return missing(key);
        }
        if (!it->is_array()) {
            return wrong(key, "a list");
        }
        return &*it;
    }
    Status done() const {
        for (auto it = m_obj.begin(); it != m_obj.end(); ++it) {
            if (m_seen.count(it.key()) == 0) {
                return malformed("unknown field '" + it.key() + "' in " + m_where);
            }
        }
        return Status::ok();
    }

private:
    Status missing(const char* key) const { return malformed("'" + std::string(key) + "' is missing from " + m_where); }
    Status wrong(const char* key, const char* kind) const {
        return malformed("'" + std::string(key) + "' in " + m_where + " must be " + kind);
    }
    const json& m_obj;
    std::string m_where;
    std::set<std::string, std::less<>> m_seen;
};

bool is_hlc_text(const std::string& s) {
    return s.size() == 16 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

Status read_change(const json& j, const std::string& where, bool pulled, WireChange& c) {
    if (!j.is_object()) {
        return malformed(where + " must be an object");
    }
    Fields f(j, where);
    OUTPOST_TRY(f.integer("seq", c.seq));
    OUTPOST_TRY(f.text("record", c.record));
    OUTPOST_TRY(f.text("type", c.type));
    OUTPOST_TRY(f.text("team", c.team));
    OUTPOST_TRY(f.text("field", c.field));
    OUTPOST_TRY(f.value("value", c.value));
    OUTPOST_TRY(f.text("hlc", c.hlc, 16));
    OUTPOST_TRY(f.text("base", c.base, 16));
    if (pulled) {
        OUTPOST_TRY(f.text("device", c.device));
        OUTPOST_TRY(f.text("author", c.author));
    }
    OUTPOST_TRY(f.done());
    if (!is_hlc_text(c.hlc) || !is_hlc_text(c.base)) {
        return malformed("'hlc' and 'base' in " + where + " must be 16 lower-case hex digits");
    }
    return Status::ok();
}

json write_change(const WireChange& c, bool pulled) {
    json j = {{"seq", c.seq},     {"record", c.record}, {"type", c.type}, {"team", c.team},
              {"field", c.field}, {"hlc", c.hlc},       {"base", c.base}};
    json v = json::parse(c.value, nullptr, false);
    j["value"] = v.is_discarded() ? json(nullptr) : v;
    if (pulled) {
        j["device"] = c.device;
        j["author"] = c.author;
    }
    return j;
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

std::string encode(const EnrollRequest& m) {
    return json{{"code", m.code}, {"device_name", m.device_name}}.dump();
}

std::string encode(const EnrollResponse& m) {
    return json{{"device_id", m.device_id}, {"token", m.token}, {"user", m.user}, {"team", m.team}, {"role", m.role}}
        .dump();
}

std::string encode(const PushRequest& m) {
    json changes = json::array();
    for (const WireChange& c : m.changes) {
        changes.push_back(write_change(c, false));
    }
    return json{{"device_id", m.device_id}, {"from_seq", m.from_seq}, {"to_seq", m.to_seq}, {"changes", changes}}
        .dump();
}

std::string encode(const PushResponse& m) {
    json results = json::array();
    for (const ChangeResult& r : m.results) {
        json j = {{"seq", r.seq}, {"result", std::string(outcome_name(r.outcome))}};
        if (r.outcome == ChangeOutcome::kRejected) {
            j["code"] = r.code;
            j["message"] = r.message;
        }
        results.push_back(j);
    }
    return json{{"results", results}}.dump();
}

std::string encode(const PullResponse& m) {
    json changes = json::array();
    for (const WireChange& c : m.changes) {
        changes.push_back(write_change(c, true));
    }
    return json{{"changes", changes}, {"cursor", m.cursor}, {"more", m.more}}.dump();
}

Result<EnrollRequest> decode_enroll_request(std::string_view body) {
    auto j = parse_object(body, "the enrolment request");
    if (!j.is_ok()) {
        return j.status();
    }
    EnrollRequest m;
    Fields f(*j, "the enrolment request");
    OUTPOST_TRY(f.text("code", m.code));
    OUTPOST_TRY(f.text("device_name", m.device_name));
    OUTPOST_TRY(f.done());
    return m;
}

Result<EnrollResponse> decode_enroll_response(std::string_view body) {
    auto j = parse_object(body, "the enrolment response");
    if (!j.is_ok()) {
        return j.status();
    }
    EnrollResponse m;
    Fields f(*j, "the enrolment response");
    OUTPOST_TRY(f.text("device_id", m.device_id));
    OUTPOST_TRY(f.text("token", m.token));
    OUTPOST_TRY(f.text("user", m.user));
    OUTPOST_TRY(f.text("team", m.team));
    OUTPOST_TRY(f.text("role", m.role));
    OUTPOST_TRY(f.done());
    return m;
}

Result<PushRequest> decode_push_request(std::string_view body) {
    auto j = parse_object(body, "the push");
    if (!j.is_ok()) {
        return j.status();
    }
    PushRequest m;
    Fields f(*j, "the push");
    OUTPOST_TRY(f.text("device_id", m.device_id));
    OUTPOST_TRY(f.integer("from_seq", m.from_seq));
    OUTPOST_TRY(f.integer("to_seq", m.to_seq));
    auto changes = f.array("changes");
    if (!changes.is_ok()) {
        return changes.status();
    }
    OUTPOST_TRY(f.done());
    if ((*changes)->size() > kMaxPushBatch) {
        return Status::error(errc::kSyncBatchTooLarge, "a push carries at most " + std::to_string(kMaxPushBatch) +
                                                           " changes, this one " + std::to_string((*changes)->size()));
    }
    for (std::size_t i = 0; i < (*changes)->size(); ++i) {
        WireChange c;
        OUTPOST_TRY(read_change((**changes)[i], "change " + std::to_string(i + 1), false, c));
        m.changes.push_back(std::move(c));
    }
    // The batch is the device's outbox from from_seq to to_seq: contiguous and ascending.
    const auto n = static_cast<std::int64_t>(m.changes.size());
    if (m.from_seq < 1 || m.to_seq - m.from_seq + 1 != n) {
        return malformed("the push says seq " + std::to_string(m.from_seq) + ".." + std::to_string(m.to_seq) +
                         " but carries " + std::to_string(n) + " changes");
    }
    for (std::int64_t i = 0; i < n; ++i) {
        if (m.changes[static_cast<std::size_t>(i)].seq != m.from_seq + i) {
            return malformed("change " + std::to_string(i + 1) + " has seq " +
                             std::to_string(m.changes[static_cast<std::size_t>(i)].seq) + ", expected " +
                             std::to_string(m.from_seq + i));
        }
    }
    return m;
}

Result<PushResponse> decode_push_response(std::string_view body) {
    auto j = parse_object(body, "the push response");
    if (!j.is_ok()) {
        return j.status();
    }
    PushResponse m;
    Fields f(*j, "the push response");
    auto results = f.array("results");
    if (!results.is_ok()) {
        return results.status();
    }
    OUTPOST_TRY(f.done());
    for (std::size_t i = 0; i < (*results)->size(); ++i) {
        const json& r = (**results)[i];
        const std::string where = "result " + std::to_string(i + 1);
        if (!r.is_object()) {
            return malformed(where + " must be an object");
        }
        Fields rf(r, where);
        ChangeResult cr;
        std::string outcome;
        OUTPOST_TRY(rf.integer("seq", cr.seq));
        OUTPOST_TRY(rf.text("result", outcome));
        OUTPOST_TRY(rf.text("code", cr.code, kMaxIdBytes, false));
        OUTPOST_TRY(rf.text("message", cr.message, 4096, false));
        OUTPOST_TRY(rf.done());
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
    }
    return m;
}

Result<PullResponse> decode_pull_response(std::string_view body) {
    auto j = parse_object(body, "the pull response");
    if (!j.is_ok()) {
        return j.status();
    }
    PullResponse m;
    Fields f(*j, "the pull response");
    auto changes = f.array("changes");
    if (!changes.is_ok()) {
        return changes.status();
    }
    OUTPOST_TRY(f.text("cursor", m.cursor));
    OUTPOST_TRY(f.boolean("more", m.more));
    OUTPOST_TRY(f.done());
    for (std::size_t i = 0; i < (*changes)->size(); ++i) {
        WireChange c;
        OUTPOST_TRY(read_change((**changes)[i], "change " + std::to_string(i + 1), true, c));
        m.changes.push_back(std::move(c));
    }
    return m;
}

}  // namespace outpost::sync
