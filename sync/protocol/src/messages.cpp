#include "outpost/sync/messages.h"

#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "outpost/core/error_codes.h"
#include "outpost/core/json.h"

namespace outpost::sync {
namespace {

using nlohmann::json;

Status malformed(std::string what) {
    return Status::error(errc::kProtocolMalformed, std::move(what));
}

}  // namespace

Result<nlohmann::json> parse_strict(std::string_view text, std::string_view what) {
    OUTPOST_TRY(check_json_text(text, what));
    // An object naming a key twice is refused: which one counts would be the parser's guess.
    std::vector<std::set<std::string>> keys;
    bool duplicate = false;
    json j = json::parse(
        text,
        [&](int /*depth*/, json::parse_event_t event, json& parsed) {
            if (event == json::parse_event_t::object_start) {
                keys.emplace_back();
            } else if (event == json::parse_event_t::object_end && !keys.empty()) {
                keys.pop_back();
            } else if (event == json::parse_event_t::key && !keys.empty() &&
                       !keys.back().insert(parsed.get<std::string>()).second) {
                duplicate = true;
            }
            return true;
        },
        /*allow_exceptions=*/false);
    if (j.is_discarded()) {
        return malformed(std::string(what) + " is not valid JSON");
    }
    if (duplicate) {
        return malformed(std::string(what) + " names a key twice");
    }
    return j;
}

namespace {

Result<json> parse(std::string_view text) {
    return parse_strict(text, "the body");
}

Status require_string(const json& obj, const char* key, std::string& out) {
    auto it = obj.find(key);
    if (it == obj.end() || !it->is_string()) {
        return malformed(std::string("field '") + key + "' must be a string");
    }
    out = it->get<std::string>();
    return Status::ok();
}

}  // namespace

Result<std::vector<records::Schema>> decode_schemas(std::string_view body) {
    auto invalid = [](const std::string& why) { return Status::error(errc::kSyncSchemasInvalid, why); };
    if (body.size() > kMaxSchemasBytes) {
        return invalid("the forms are larger than " + std::to_string(kMaxSchemasBytes) + " bytes");
    }
    Result<json> parsed = parse_strict(body, "the forms");
    if (!parsed.is_ok()) {
        return invalid(parsed.status().message());
    }
    const json& j = *parsed;
    if (!j.is_object() || j.size() != 1 || !j.contains("schemas") || !j["schemas"].is_array()) {
        return invalid("the answer is not {\"schemas\":[...]}");
    }
    std::vector<records::Schema> out;
    for (const json& doc : j["schemas"]) {
        if (!doc.is_object()) {
            return invalid("a form is not a JSON object");
        }
        Result<records::Schema> s = records::parse_schema(doc.dump(), "server form");
        if (!s.is_ok()) {
            return invalid(s.status().message());
        }
        out.push_back(std::move(*s));
    }
    if (out.empty()) {
        return invalid("the server sent no forms");
    }
    return out;
}

bool json_has_nul(std::string_view text) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\0') {
            return true;
        }
        if (text[i] == '\\') {
            // An escape: "\u0000" is NUL; any other escape is skipped whole (so "\\u0000" is not).
            if (text.substr(i, 6) == "\\u0000") {
                return true;
            }
            ++i;
        }
    }
    return false;
}

Status check_json_text(std::string_view text, std::string_view what) {
    if (!json_depth_within(text)) {
        return malformed(std::string(what) + " is nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
    }
    if (json_has_nul(text)) {
        return malformed(std::string(what) + " holds the NUL character, which no text may");
    }
    return Status::ok();
}

bool json_depth_within(std::string_view json_text, int max_depth) {
    return ::outpost::json::depth_within(json_text, max_depth);
}

std::string encode_health(const HealthInfo& h) {
    json j = {{"service", h.service},
              {"version", h.version},
              {"git_hash", h.git_hash},
              {"protocols", h.protocols},
              {"server_time_ms", h.server_time_ms}};
    return j.dump();
}

Result<HealthInfo> decode_health(std::string_view text) {
    Result<json> parsed = parse(text);
    OUTPOST_TRY(parsed);
    const json& j = *parsed;
    if (!j.is_object()) {
        return malformed("health body must be an object");
    }
    HealthInfo h;
    OUTPOST_TRY(require_string(j, "service", h.service));
    OUTPOST_TRY(require_string(j, "version", h.version));
    OUTPOST_TRY(require_string(j, "git_hash", h.git_hash));
    auto protocols = j.find("protocols");
    if (protocols == j.end() || !protocols->is_array()) {
        return malformed("field 'protocols' must be an array");
    }
    for (const json& p : *protocols) {
        if (!p.is_string()) {
            return malformed("field 'protocols' must hold strings");
        }
        h.protocols.push_back(p.get<std::string>());
    }
    auto time = j.find("server_time_ms");
    if (time == j.end() || !time->is_number_integer()) {
        return malformed("field 'server_time_ms' must be an integer");
    }
    h.server_time_ms = time->get<std::int64_t>();
    return h;
}

std::string encode_error(const Status& status) {
    json j = {{"error", {{"code", status.code()}, {"message", status.message()}}}};
    return j.dump();
}

Status decode_error(std::string_view text) {
    if (text.empty()) {
        return Status::error(errc::kSyncServerError, "server answered with an empty error body");
    }
    Result<json> parsed = parse(text);
    OUTPOST_TRY(parsed);
    const json& j = *parsed;
    auto err = j.is_object() ? j.find("error") : j.end();
    if (err == j.end() || !err->is_object()) {
        return malformed("error body has no 'error' object");
    }
    std::string code;
    std::string message;
    OUTPOST_TRY(require_string(*err, "code", code));
    OUTPOST_TRY(require_string(*err, "message", message));
    if (!errc::is_well_formed(code)) {
        return malformed("error code '" + code + "' is not a valid code");
    }
    return Status::error(code, message);
}

}  // namespace outpost::sync
