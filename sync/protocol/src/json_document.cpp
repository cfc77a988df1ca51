// Whole JSON messages (json_reader.h): the checks before reading, an object's members, a value's kind.
#include <algorithm>
#include <charconv>

#include "json_reader.h"
#include "outpost/sync/messages.h"

namespace outpost::sync {
namespace {

Status malformed(const std::string& what) {
    return Status::error(errc::kProtocolMalformed, what);
}

std::string_view without_bom(std::string_view json) {
    constexpr std::string_view kBom = "\xEF\xBB\xBF";
    return json.substr(0, kBom.size()) == kBom ? json.substr(kBom.size()) : json;
}

// Whether a JSON number is within a double's range: one beyond it cannot be read as a number at all
// (one too small to tell from zero reads as zero).
bool within_double(std::string_view number) {
    double ignored = 0;
    if (std::from_chars(number.data(), number.data() + number.size(), ignored).ec != std::errc::result_out_of_range) {
        return true;
    }
    // Out of range one way or the other: the power of ten of the first significant digit tells which.
    const std::size_t e = number.find_first_of("eE");
    const std::size_t sign = number.front() == '-' ? 1 : 0;
    const std::string_view mantissa = number.substr(sign, e == std::string_view::npos ? e : e - sign);
    const std::size_t point = std::min(mantissa.find('.'), mantissa.size());
    const std::size_t first = mantissa.find_first_of("123456789");
    if (first == std::string_view::npos) {
        return true;  // zero
    }
    std::int64_t power = 0;
    if (e != std::string_view::npos) {
        std::string_view exponent = number.substr(e + 1);
        const bool negative = exponent.front() == '-';
        exponent.remove_prefix(exponent.front() == '-' || exponent.front() == '+' ? 1 : 0);
        if (std::from_chars(exponent.data(), exponent.data() + exponent.size(), power).ec != std::errc()) {
            return negative;  // an exponent of more than 18 digits
        }
        power = negative ? -power : power;
    }
    const auto digits_before = static_cast<std::int64_t>(first < point ? point - first - 1 : 0);
    const auto zeros_after = static_cast<std::int64_t>(first > point ? first - point : 0);
    return power + digits_before - zeros_after < 0;
}

// Skips one value as a reader building a document would accept it, refusing a number beyond a double's
// range too; sets `repeated` when an object in it names a key twice.
Status walk(JsonReader& r, const std::string& where, int depth, bool& repeated) {
    if (depth > kMaxJsonDepth) {
        return malformed(where + " is nested too deeply");
    }
    const char c = r.peek();
    if (c == '{') {
        std::vector<std::string> keys;
        OUTPOST_TRY(r.object(where, [&](const std::string& key) {
            keys.push_back(key);
            return walk(r, where, depth + 1, repeated);
        }));
        std::sort(keys.begin(), keys.end());
        repeated = repeated || std::adjacent_find(keys.begin(), keys.end()) != keys.end();
        return Status::ok();
    }
    if (c == '[') {
        return r.array(where, [&](std::size_t) { return walk(r, where, depth + 1, repeated); });
    }
    std::string_view value;
    OUTPOST_TRY(r.raw(value, where));
    return json_kind(value) != JsonKind::kNumber || within_double(value)
               ? Status::ok()
               : malformed(where + " holds a number too large to read");
}

}  // namespace

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

Status check_document(std::string_view text, std::string_view what) {
    OUTPOST_TRY(check_json_text(text, what));
    JsonReader r(without_bom(text));
    bool repeated = false;
    if (!walk(r, std::string(what), 0, repeated).is_ok() || !r.at_end()) {
        return malformed(std::string(what) + " is not valid JSON");
    }
    if (repeated) {
        return malformed(std::string(what) + " names a key twice");
    }
    return Status::ok();
}

Result<std::vector<JsonMember>> read_object(std::string_view text, std::string_view what) {
    const std::string where(what);
    text = without_bom(text);
    JsonReader whole(text);
    bool repeated = false;
    if (!walk(whole, where, 0, repeated).is_ok() || !whole.at_end()) {
        return malformed(where + " is not valid JSON");
    }
    JsonReader r(text);
    if (r.peek() != '{') {
        return malformed(where + " must be a JSON object");
    }
    std::vector<JsonMember> members;
    OUTPOST_TRY(r.object(where, [&](const std::string& key) {
        JsonMember& m = members.emplace_back();
        m.key = key;
        return r.raw(m.value, where);
    }));
    return members;
}

const JsonMember* find_member(const std::vector<JsonMember>& members, std::string_view key) {
    for (auto it = members.rbegin(); it != members.rend(); ++it) {
        if (it->key == key) {
            return &*it;
        }
    }
    return nullptr;
}

JsonKind json_kind(std::string_view value) {
    switch (value.empty() ? 'n' : value.front()) {
        case '{':
            return JsonKind::kObject;
        case '[':
            return JsonKind::kArray;
        case '"':
            return JsonKind::kString;
        case 't':
        case 'f':
            return JsonKind::kBoolean;
        case 'n':
            return JsonKind::kNull;
        default:
            return JsonKind::kNumber;
    }
}

bool json_string(std::string_view value, std::string& out) {
    if (json_kind(value) != JsonKind::kString) {
        return false;
    }
    JsonReader r(value);
    return r.string(out, "the text").is_ok() && r.at_end();
}

bool json_integer(std::string_view value, std::int64_t& out) {
    if (json_kind(value) != JsonKind::kNumber || value.find_first_of(".eE") != std::string_view::npos) {
        return false;
    }
    const char* end = value.data() + value.size();
    if (const auto [ptr, ec] = std::from_chars(value.data(), end, out); ec == std::errc() && ptr == end) {
        return true;
    }
    std::uint64_t wide = 0;
    if (const auto [ptr, ec] = std::from_chars(value.data(), end, wide); ec != std::errc() || ptr != end) {
        return false;
    }
    out = static_cast<std::int64_t>(wide);
    return true;
}

}  // namespace outpost::sync
