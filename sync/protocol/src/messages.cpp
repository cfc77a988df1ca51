// The service's envelope messages: GET /v1/health, the error body every failed request carries, and
// the forms of GET /v1/schemas. Small messages: checked whole, then read member by member.
#include "outpost/sync/messages.h"

#include <nlohmann/json.hpp>
#include <vector>

#include "json_reader.h"
#include "outpost/core/error_codes.h"
#include "outpost/core/json.h"

namespace outpost::sync {
namespace {

Status malformed(std::string what) {
    return Status::error(errc::kProtocolMalformed, std::move(what));
}

Status require_string(const std::vector<JsonMember>& obj, const char* key, std::string& out) {
    const JsonMember* m = find_member(obj, key);
    if (m == nullptr || !json_string(m->value, out)) {
        return malformed(std::string("field '") + key + "' must be a string");
    }
    return Status::ok();
}

}  // namespace

Result<std::vector<std::string>> decode_schema_documents(std::string_view body) {
    auto invalid = [](const std::string& why) { return Status::error(errc::kSyncSchemasInvalid, why); };
    if (body.size() > kMaxSchemasBytes) {
        return invalid("the forms are larger than " + std::to_string(kMaxSchemasBytes) + " bytes");
    }
    if (Status checked = check_document(body, "the forms"); !checked.is_ok()) {
        return invalid(checked.message());
    }
    Result<std::vector<JsonMember>> j = read_object(body, "the forms");
    if (!j.is_ok() || j->size() != 1 || j->front().key != "schemas" ||
        json_kind(j->front().value) != JsonKind::kArray) {
        return invalid("the answer is not {\"schemas\":[...]}");
    }
    std::vector<std::string> out;
    JsonReader r(j->front().value);
    const std::string where = "the forms";
    Status read = r.array(where, [&](std::size_t) -> Status {
        std::string_view doc;
        OUTPOST_TRY(r.raw(doc, where));
        if (json_kind(doc) != JsonKind::kObject) {
            return invalid("a form is not a JSON object");
        }
        out.emplace_back(doc);
        return Status::ok();
    });
    OUTPOST_TRY(read);
    if (out.empty()) {
        return invalid("the server sent no forms");
    }
    return out;
}

Result<std::vector<records::Schema>> decode_schemas(std::string_view body) {
    Result<std::vector<std::string>> docs = decode_schema_documents(body);
    OUTPOST_TRY(docs);
    std::vector<records::Schema> out;
    for (const std::string& doc : *docs) {
        Result<records::Schema> s = records::parse_schema(doc, "server form");
        if (!s.is_ok()) {
            return Status::error(errc::kSyncSchemasInvalid, s.status().message());
        }
        out.push_back(std::move(*s));
    }
    return out;
}

bool json_depth_within(std::string_view json_text, int max_depth) {
    return ::outpost::json::depth_within(json_text, max_depth);
}

std::string encode_health(const HealthInfo& h) {
    nlohmann::json j = {{"service", h.service},
                        {"version", h.version},
                        {"git_hash", h.git_hash},
                        {"protocols", h.protocols},
                        {"server_time_ms", h.server_time_ms}};
    return j.dump();
}

Result<HealthInfo> decode_health(std::string_view text) {
    OUTPOST_TRY(check_document(text, "the body"));
    Result<std::vector<JsonMember>> j = read_object(text, "the body");
    if (!j.is_ok()) {
        return malformed("health body must be an object");
    }
    HealthInfo h;
    OUTPOST_TRY(require_string(*j, "service", h.service));
    OUTPOST_TRY(require_string(*j, "version", h.version));
    OUTPOST_TRY(require_string(*j, "git_hash", h.git_hash));
    const JsonMember* protocols = find_member(*j, "protocols");
    if (protocols == nullptr || json_kind(protocols->value) != JsonKind::kArray) {
        return malformed("field 'protocols' must be an array");
    }
    JsonReader r(protocols->value);
    const std::string where = "field 'protocols'";
    Status items = r.array(where, [&](std::size_t) -> Status {
        std::string_view p;
        OUTPOST_TRY(r.raw(p, where));
        return json_string(p, h.protocols.emplace_back()) ? Status::ok()
                                                          : malformed("field 'protocols' must hold strings");
    });
    OUTPOST_TRY(items);
    const JsonMember* time = find_member(*j, "server_time_ms");
    if (time == nullptr || !json_integer(time->value, h.server_time_ms)) {
        return malformed("field 'server_time_ms' must be an integer");
    }
    return h;
}

std::string encode_error(const Status& status) {
    nlohmann::json j = {{"error", {{"code", status.code()}, {"message", status.message()}}}};
    return j.dump();
}

Status decode_error(std::string_view text) {
    if (text.empty()) {
        return Status::error(errc::kSyncServerError, "server answered with an empty error body");
    }
    OUTPOST_TRY(check_document(text, "the body"));
    Result<std::vector<JsonMember>> j = read_object(text, "the body");
    const JsonMember* err = j.is_ok() ? find_member(*j, "error") : nullptr;
    if (err == nullptr || json_kind(err->value) != JsonKind::kObject) {
        return malformed("error body has no 'error' object");
    }
    Result<std::vector<JsonMember>> e = read_object(err->value, "'error'");
    OUTPOST_TRY(e);
    std::string code;
    std::string message;
    OUTPOST_TRY(require_string(*e, "code", code));
    OUTPOST_TRY(require_string(*e, "message", message));
    if (!errc::is_well_formed(code)) {
        return malformed("error code '" + code + "' is not a valid code");
    }
    return Status::error(code, message);
}

}  // namespace outpost::sync
