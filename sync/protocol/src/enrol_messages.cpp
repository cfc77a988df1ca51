// POST /v1/enroll: the request (the one-time code and the device's name) and its answer (the device's
// id, token, user, team and role). Small messages: checked whole, then read member by member.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "json_reader.h"
#include "outpost/core/error_codes.h"
#include "outpost/sync/sync_messages.h"

namespace outpost::sync {
namespace {

Status malformed(const std::string& what) {
    return Status::error(errc::kProtocolMalformed, what);
}

// Reads the text members of one JSON object, named `where` in errors, and refuses any it did not read.
class Fields {
public:
    // `body` must outlive the Fields.
    static Result<Fields> read(std::string_view body, const char* where) {
        OUTPOST_TRY(check_document(body, where));
        Result<std::vector<JsonMember>> members = read_object(body, where);
        OUTPOST_TRY(members);
        return Fields(std::move(*members), where);
    }

    Status text(const char* key, std::string& out, std::size_t max = kMaxIdBytes) {
        m_seen.insert(key);
        const JsonMember* m = find_member(m_members, key);
        if (m == nullptr) {
            return malformed("'" + std::string(key) + "' is missing from " + m_where);
        }
        if (!json_string(m->value, out)) {
            return malformed("'" + std::string(key) + "' in " + m_where + " must be text");
        }
        if (out.size() > max) {
            return malformed("'" + std::string(key) + "' in " + m_where + " is longer than " + std::to_string(max) +
                             " bytes");
        }
        return Status::ok();
    }
    // The unknown member that sorts first, as a sorted map of the members would meet it.
    Status done() const {
        const JsonMember* unknown = nullptr;
        for (const JsonMember& m : m_members) {
            if (m_seen.count(m.key) == 0 && (unknown == nullptr || m.key < unknown->key)) {
                unknown = &m;
            }
        }
        return unknown == nullptr ? Status::ok() : malformed("unknown field '" + unknown->key + "' in " + m_where);
    }

private:
    Fields(std::vector<JsonMember> members, std::string where)
        : m_members(std::move(members)), m_where(std::move(where)) {}
    std::vector<JsonMember> m_members;
    std::string m_where;
    std::set<std::string, std::less<>> m_seen;
};

}  // namespace

std::string encode(const EnrollRequest& m) {
    return nlohmann::json{{"code", m.code}, {"device_name", m.device_name}}.dump();
}

std::string encode(const EnrollResponse& m) {
    return nlohmann::json{
        {"device_id", m.device_id}, {"token", m.token}, {"user", m.user}, {"team", m.team}, {"role", m.role}}
        .dump();
}

Result<EnrollRequest> decode_enroll_request(std::string_view body) {
    Result<Fields> f = Fields::read(body, "the enrolment request");
    OUTPOST_TRY(f);
    EnrollRequest m;
    OUTPOST_TRY(f->text("code", m.code));
    OUTPOST_TRY(f->text("device_name", m.device_name));
    OUTPOST_TRY(f->done());
    // A name is shown to IT in listings: no tabs, line breaks or terminal escapes in it.
    if (std::any_of(m.device_name.begin(), m.device_name.end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; })) {
        return malformed("the device name holds control characters (tabs, line breaks or escapes)");
    }
    return m;
}

Result<EnrollResponse> decode_enroll_response(std::string_view body) {
    Result<Fields> f = Fields::read(body, "the enrolment response");
    OUTPOST_TRY(f);
    EnrollResponse m;
    OUTPOST_TRY(f->text("device_id", m.device_id));
    OUTPOST_TRY(f->text("token", m.token));
    OUTPOST_TRY(f->text("user", m.user));
    OUTPOST_TRY(f->text("team", m.team));
    OUTPOST_TRY(f->text("role", m.role));
    OUTPOST_TRY(f->done());
    return m;
}

}  // namespace outpost::sync
