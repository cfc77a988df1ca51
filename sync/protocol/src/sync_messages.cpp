#include "outpost/sync/sync_messages.h"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <set>

#include "outpost/core/error_codes.h"
#include "outpost/core/json.h"
#include "outpost/core/records/hlc.h"
#include "outpost/sync/messages.h"

namespace outpost::sync {
namespace {

using nlohmann::json;
namespace json_text = outpost::json;

Status malformed(const std::string& what) {
    return Status::error(errc::kProtocolMalformed, what);
}

Result<json> parse_object(std::string_view body, const char* what) {
    Result<json> parsed = parse_strict(body, what);
    OUTPOST_TRY(parsed);
    json j = std::move(*parsed);
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

// A strict, allocation-light reader for the two bulk messages (push requests and pull responses),
// which carry up to thousands of changes: it reads straight into WireChange instead of building a
// document first. Same rules as the DOM path: valid JSON and UTF-8, known fields only, each once.
class Reader {
public:
    explicit Reader(std::string_view s) : m_s(s) {}

    void ws() {
        while (m_i < m_s.size() && (m_s[m_i] == ' ' || m_s[m_i] == '\n' || m_s[m_i] == '\r' || m_s[m_i] == '\t')) {
            ++m_i;
        }
    }
    bool eat(char c) {
        ws();
        if (m_i < m_s.size() && m_s[m_i] == c) {
            ++m_i;
            return true;
        }
        return false;
    }
    [[nodiscard]] bool at_end() {
        ws();
        return m_i == m_s.size();
    }

    // Iterates the members of an object: on_member(key) must read the value.
    template <typename F>
    Status object(const std::string& where, F&& on_member) {
        if (!eat('{')) {
            return malformed(where + " must be a JSON object");
        }
        if (eat('}')) {
            return Status::ok();
        }
        for (;;) {
            std::string key;
            OUTPOST_TRY(string(key, where));
            if (!eat(':')) {
                return malformed(where + " is not valid JSON");
            }
            OUTPOST_TRY(on_member(key));
            if (eat(',')) {
                continue;
            }
            if (eat('}')) {
                return Status::ok();
            }
            return malformed(where + " is not valid JSON");
        }
    }

    template <typename F>
    Status array(const std::string& where, F&& on_item) {
        if (!eat('[')) {
            return malformed(where + " must be a list");
        }
        if (eat(']')) {
            return Status::ok();
        }
        for (std::size_t i = 0;; ++i) {
            OUTPOST_TRY(on_item(i));
            if (eat(',')) {
                continue;
            }
            if (eat(']')) {
                return Status::ok();
            }
            return malformed(where + " is not valid JSON");
        }
    }

    Status string(std::string& out, const std::string& where) {
        ws();
        if (m_i >= m_s.size() || m_s[m_i] != '"') {
            return malformed("expected text in " + where);
        }
        ++m_i;
        out.clear();
        for (;;) {
            const std::size_t start = m_i;
            while (m_i < m_s.size() && m_s[m_i] != '"' && m_s[m_i] != '\\' &&
                   static_cast<unsigned char>(m_s[m_i]) >= 0x20) {
                ++m_i;
            }
            out.append(m_s.substr(start, m_i - start));
            if (m_i >= m_s.size() || static_cast<unsigned char>(m_s[m_i]) < 0x20) {
                return malformed("unterminated text in " + where);
            }
            if (m_s[m_i] == '"') {
                ++m_i;
                break;
            }
            ++m_i;  // backslash
            if (m_i >= m_s.size()) {
                return malformed("unterminated text in " + where);
            }
            const char e = m_s[m_i++];
            switch (e) {
                case '"':
                    out.push_back('"');
                    break;
                case '\\':
                    out.push_back('\\');
                    break;
                case '/':
                    out.push_back('/');
                    break;
                case 'b':
                    out.push_back('\b');
                    break;
                case 'f':
                    out.push_back('\f');
                    break;
                case 'n':
                    out.push_back('\n');
                    break;
                case 'r':
                    out.push_back('\r');
                    break;
                case 't':
                    out.push_back('\t');
                    break;
                case 'u': {
                    std::uint32_t cp = 0;
                    OUTPOST_TRY(hex4(cp, where));
                    if (cp >= 0xD800 && cp <= 0xDBFF) {
                        std::uint32_t lo = 0;
                        if (m_i + 2 > m_s.size() || m_s[m_i] != '\\' || m_s[m_i + 1] != 'u') {
                            return malformed("broken surrogate pair in " + where);
                        }
                        m_i += 2;
                        OUTPOST_TRY(hex4(lo, where));
                        if (lo < 0xDC00 || lo > 0xDFFF) {
                            return malformed("broken surrogate pair in " + where);
                        }
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                        return malformed("broken surrogate pair in " + where);
                    }
                    append_utf8(out, cp);
                    break;
                }
                default:
                    return malformed("bad escape in " + where);
            }
        }
        if (!valid_utf8(out)) {
            return malformed("text in " + where + " is not valid UTF-8");
        }
        return Status::ok();
    }

    Status integer(std::int64_t& out, const std::string& where) {
        ws();
        const std::size_t start = m_i;
        OUTPOST_TRY(skip_number(where));
        const std::string_view t = m_s.substr(start, m_i - start);
        const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
        if (ec != std::errc() || end != t.data() + t.size()) {
            return malformed(where + " must be a whole number");
        }
        return Status::ok();
    }

    Status boolean(bool& out, const std::string& where) {
        ws();
        if (m_s.substr(m_i, 4) == "true") {
            m_i += 4;
            out = true;
            return Status::ok();
        }
        if (m_s.substr(m_i, 5) == "false") {
            m_i += 5;
            out = false;
            return Status::ok();
        }
        return malformed(where + " must be true or false");
    }

    // Any JSON value, validated and returned as its text.
    Status raw(std::string_view& out, const std::string& where) {
        ws();
        const std::size_t start = m_i;
        OUTPOST_TRY(skip_value(where, 0));
        out = m_s.substr(start, m_i - start);
        return Status::ok();
    }

private:
    Status hex4(std::uint32_t& cp, const std::string& where) {
        if (m_i + 4 > m_s.size()) {
            return malformed("bad \\u escape in " + where);
        }
        for (int k = 0; k < 4; ++k) {
            const char c = m_s[m_i++];
            cp <<= 4;
            if (c >= '0' && c <= '9') {
                cp |= static_cast<std::uint32_t>(c - '0');
            } else if (c >= 'a' && c <= 'f') {
                cp |= static_cast<std::uint32_t>(c - 'a' + 10);
            } else if (c >= 'A' && c <= 'F') {
                cp |= static_cast<std::uint32_t>(c - 'A' + 10);
            } else {
                return malformed("bad \\u escape in " + where);
            }
        }
        return Status::ok();
    }

    static void append_utf8(std::string& out, std::uint32_t cp) {
        if (cp < 0x80) {
            out.push_back(static_cast<char>(cp));
        } else if (cp < 0x800) {
            out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else if (cp < 0x10000) {
            out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else {
            out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        }
    }

    static bool valid_utf8(std::string_view s) {
        std::size_t i = 0;
        while (i < s.size()) {
            const auto c = static_cast<unsigned char>(s[i]);
            if (c < 0x80) {
                ++i;
                continue;
            }
            int n = 0;
            std::uint32_t cp = 0;
            if ((c & 0xE0) == 0xC0) {
                n = 1;
                cp = c & 0x1FU;
            } else if ((c & 0xF0) == 0xE0) {
                n = 2;
                cp = c & 0x0FU;
            } else if ((c & 0xF8) == 0xF0) {
                n = 3;
                cp = c & 0x07U;
            } else {
                return false;
            }
            if (i + static_cast<std::size_t>(n) >= s.size()) {
                return false;  // truncated sequence
            }
            for (int k = 1; k <= n; ++k) {
                const auto d = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
                if ((d & 0xC0) != 0x80) {
                    return false;
                }
                cp = (cp << 6) | (d & 0x3FU);
            }
            if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
                (cp >= 0xD800 && cp <= 0xDFFF)) {
                return false;
            }
            i += static_cast<std::size_t>(n) + 1;
        }
        return true;
    }

    Status skip_number(const std::string& where) {
        const std::size_t start = m_i;
        auto digits = [&] {
            const std::size_t d = m_i;
            while (m_i < m_s.size() && m_s[m_i] >= '0' && m_s[m_i] <= '9') {
                ++m_i;
            }
            return m_i - d;
        };
        if (m_i < m_s.size() && m_s[m_i] == '-') {
            ++m_i;
        }
        const std::size_t int_start = m_i;
        const std::size_t n = digits();
        if (n == 0 || (n > 1 && m_s[int_start] == '0')) {
            m_i = start;
            return malformed(where + " has a malformed number");
        }
        if (m_i < m_s.size() && m_s[m_i] == '.') {
            ++m_i;
            if (digits() == 0) {
                return malformed(where + " has a malformed number");
            }
        }
        if (m_i < m_s.size() && (m_s[m_i] == 'e' || m_s[m_i] == 'E')) {
            ++m_i;
            if (m_i < m_s.size() && (m_s[m_i] == '+' || m_s[m_i] == '-')) {
                ++m_i;
            }
            if (digits() == 0) {
                return malformed(where + " has a malformed number");
            }
        }
        return Status::ok();
    }

    Status skip_value(const std::string& where, int depth) {
        if (depth > kMaxJsonDepth) {
            return malformed(where + " is nested too deeply");
        }
        ws();
        if (m_i >= m_s.size()) {
            return malformed(where + " is not valid JSON");
        }
        const char c = m_s[m_i];
        if (c == '"') {
            std::string ignored;
            return string(ignored, where);
        }
        if (c == '{') {
            return object(where, [&](const std::string&) { return skip_value(where, depth + 1); });
        }
        if (c == '[') {
            return array(where, [&](std::size_t) { return skip_value(where, depth + 1); });
        }
        if (m_s.substr(m_i, 4) == "true" || m_s.substr(m_i, 4) == "null") {
            m_i += 4;
            return Status::ok();
        }
        if (m_s.substr(m_i, 5) == "false") {
            m_i += 5;
            return Status::ok();
        }
        return skip_number(where);
    }

    std::string_view m_s;
    std::size_t m_i = 0;
};

// The end of a bulk message: the object read cleanly, nothing trails it, and every member `need`
// names (as bits of `seen`) was there; `what` names the message and `members` its members in errors.
Status finish_message(Reader& r, const Status& read, unsigned seen, unsigned need, const char* what,
                      const char* members) {
    OUTPOST_TRY(read);
    if (!r.at_end()) {
        return malformed(std::string(what) + " has trailing data");
    }
    if (seen != need) {
        return malformed(std::string(what) + " needs " + members);
    }
    return Status::ok();
}

// Reads change number `index` (from 0) of a list; `pulled` changes carry device and author too.
// Error texts name the change and the member, and are built only when something is wrong: a push
// holds 2,000 changes of 8 members each.
Status read_change_fast(Reader& r, std::size_t index, bool pulled, WireChange& c) {
    static const std::string kMember = "this member";
    static const std::string kChange = "the change";
    auto where = [&] { return "change " + std::to_string(index + 1); };
    auto in = [&](Status st, const std::string& key) -> Status {
        return st.is_ok() ? st
                          : Status::error(st.code(), "'" + key + "' in " + where() + ": " + std::string(st.message()));
    };
    unsigned seen = 0;
    auto once = [&](unsigned bit, const std::string& key) -> Status {
        if ((seen & bit) != 0) {
            return malformed("'" + key + "' appears twice in " + where());
        }
        seen |= bit;
        return Status::ok();
    };
    auto bounded = [&](std::string& out, const std::string& key, std::size_t max) -> Status {
        Status read = r.string(out, kMember);
        if (!read.is_ok()) {
            return in(read, key);
        }
        if (out.size() > max) {
            return malformed("'" + key + "' in " + where() + " is longer than " + std::to_string(max) + " bytes");
        }
        return Status::ok();
    };
    Status members = r.object(kChange, [&](const std::string& key) -> Status {
        if (key == "seq") {
            OUTPOST_TRY(once(1, key));
            return in(r.integer(c.seq, kMember), key);
        }
        if (key == "record") {
            OUTPOST_TRY(once(2, key));
            return bounded(c.record, key, kMaxIdBytes);
        }
        if (key == "type") {
            OUTPOST_TRY(once(4, key));
            return bounded(c.type, key, kMaxIdBytes);
        }
        if (key == "team") {
            OUTPOST_TRY(once(8, key));
            return bounded(c.team, key, kMaxIdBytes);
        }
        if (key == "field") {
            OUTPOST_TRY(once(16, key));
            return bounded(c.field, key, kMaxIdBytes);
        }
        if (key == "value") {
            OUTPOST_TRY(once(32, key));
            std::string_view v;
            Status read = r.raw(v, kMember);
            if (!read.is_ok()) {
                return in(read, key);
            }
            if (v.size() > kMaxValueBytes) {
                return Status::error(errc::kSyncValueTooLarge, "'value' in " + where() + " is " +
                                                                   std::to_string(v.size()) + " bytes; the limit is " +
                                                                   std::to_string(kMaxValueBytes));
            }
            c.value.assign(v);
            return Status::ok();
        }
        if (key == "hlc") {
            OUTPOST_TRY(once(64, key));
            return bounded(c.hlc, key, 16);
        }
        if (key == "base") {
            OUTPOST_TRY(once(128, key));
            return bounded(c.base, key, 16);
        }
        if (pulled && key == "device") {
            OUTPOST_TRY(once(256, key));
            return bounded(c.device, key, kMaxIdBytes);
        }
        if (pulled && key == "author") {
            OUTPOST_TRY(once(512, key));
            return bounded(c.author, key, kMaxIdBytes);
        }
        return malformed("unknown field '" + key + "' in " + where());
    });
    if (!members.is_ok()) {
        return members.message().find(kChange) != std::string::npos
                   ? Status::error(members.code(), where() + ": " + std::string(members.message()))
                   : members;
    }
    const unsigned need = pulled ? 1023U : 255U;
    if (seen != need) {
        static const char* names[] = {"seq",   "record", "type", "team",   "field",
                                      "value", "hlc",    "base", "device", "author"};
        for (unsigned b = 0; b < 10; ++b) {
            if ((need & (1U << b)) != 0 && (seen & (1U << b)) == 0) {
                return malformed(std::string("'") + names[b] + "' is missing from " + where());
            }
        }
    }
    if (!is_hlc_text(c.hlc) || !is_hlc_text(c.base)) {
        return malformed("'hlc' and 'base' in " + where() + " must be 16 lower-case hex digits");
    }
    return Status::ok();
}

void write_change_fast(std::string& out, const WireChange& c, bool pulled) {
    out += "{\"seq\":";
    out += std::to_string(c.seq);
    out += ",\"record\":";
    json_text::append_quoted(out, c.record);
    out += ",\"type\":";
    json_text::append_quoted(out, c.type);
    out += ",\"team\":";
    json_text::append_quoted(out, c.team);
    out += ",\"field\":";
    json_text::append_quoted(out, c.field);
    out += ",\"value\":";
    out += c.value.empty() ? std::string_view("null") : std::string_view(c.value);
    out += ",\"hlc\":";
    json_text::append_quoted(out, c.hlc);
    out += ",\"base\":";
    json_text::append_quoted(out, c.base);
    if (pulled) {
        out += ",\"device\":";
        json_text::append_quoted(out, c.device);
        out += ",\"author\":";
        json_text::append_quoted(out, c.author);
    }
    out += '}';
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
    std::string out = "{\"device_id\":";
    out.reserve(m.changes.size() * 200 + 64);
    json_text::append_quoted(out, m.device_id);
    out += ",\"from_seq\":" + std::to_string(m.from_seq) + ",\"to_seq\":" + std::to_string(m.to_seq) + ",\"changes\":[";
    for (std::size_t i = 0; i < m.changes.size(); ++i) {
        if (i > 0) {
            out += ',';
        }
        write_change_fast(out, m.changes[i], false);
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
            json_text::append_quoted(out, r.code);
            out += ",\"message\":";
            json_text::append_quoted(out, r.message);
        }
        out += '}';
    }
    out += "]}";
    return out;
}

std::string encode(const PullResponse& m) {
    std::string out = "{\"changes\":[";
    out.reserve(m.changes.size() * 260 + 64);
    for (std::size_t i = 0; i < m.changes.size(); ++i) {
        if (i > 0) {
            out += ',';
        }
        write_change_fast(out, m.changes[i], true);
    }
    out += "],\"cursor\":";
    json_text::append_quoted(out, m.cursor);
    out += m.more ? ",\"more\":true}" : ",\"more\":false}";
    return out;
}

Result<EnrollRequest> decode_enroll_request(std::string_view body) {
    auto j = parse_object(body, "the enrolment request");
    OUTPOST_TRY(j);
    EnrollRequest m;
    Fields f(*j, "the enrolment request");
    OUTPOST_TRY(f.text("code", m.code));
    OUTPOST_TRY(f.text("device_name", m.device_name));
    OUTPOST_TRY(f.done());
    // A name is shown to IT in listings: no tabs, line breaks or terminal escapes in it.
    if (std::any_of(m.device_name.begin(), m.device_name.end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7F; })) {
        return malformed("the device name holds control characters (tabs, line breaks or escapes)");
    }
    return m;
}

Result<EnrollResponse> decode_enroll_response(std::string_view body) {
    auto j = parse_object(body, "the enrolment response");
    OUTPOST_TRY(j);
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
    OUTPOST_TRY(check_json_text(body, "the push"));
    Reader r(body);
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
                OUTPOST_TRY(read_change_fast(r, i, false, c));
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
    Reader r(body);
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

static Result<PullResponse> decode_pull_response_as_read(std::string_view body) {
    OUTPOST_TRY(check_json_text(body, "the pull response"));
    Reader r(body);
    PullResponse m;
    unsigned seen = 0;
    Status s = r.object("the pull response", [&](const std::string& key) -> Status {
        if (key == "changes" && (seen & 1U) == 0) {
            seen |= 1U;
            return r.array("'changes' in the pull response", [&](std::size_t i) -> Status {
                WireChange c;
                OUTPOST_TRY(read_change_fast(r, i, true, c));
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

namespace {

void append_hex16(std::string& out, std::uint64_t v) {
    static constexpr char kHex[] = "0123456789abcdef";
    char buf[16];
    for (int i = 15; i >= 0; --i) {
        buf[i] = kHex[v & 15U];
        v >>= 4;
    }
    out.append(buf, 16);
}

bool parse_hex16(const std::string& s, std::uint64_t& v) {
    Result<records::Hlc> h = records::Hlc::parse(s);
    if (!h.is_ok()) {
        return false;
    }
    v = h->packed;
    return true;
}

// One record of a snapshot; `where` names it in errors (built once per record, not per member).
Status read_snapshot_record(Reader& r, const std::string& where, SnapshotRecord& rec) {
    unsigned seen = 0;
    std::uint64_t base_hlc = 0;
    std::string hlc_text;
    auto bounded = [&](std::string& out) -> Status {
        OUTPOST_TRY(r.string(out, where));
        return out.size() <= kMaxIdBytes ? Status::ok() : malformed("a name in " + where + " is too long");
    };
    Status members = r.object(where, [&](const std::string& key) -> Status {
        unsigned bit = 0;
        if (key == "id") {
            bit = 1;
        } else if (key == "type") {
            bit = 2;
        } else if (key == "created_by") {
            bit = 4;
        } else if (key == "hlc") {
            bit = 8;
        } else if (key == "writers") {
            bit = 16;
        } else if (key == "fields") {
            bit = 32;
        } else {
            return malformed("unknown field '" + key + "' in " + where);
        }
        if ((seen & bit) != 0) {
            return malformed("'" + key + "' appears twice in " + where);
        }
        seen |= bit;
        switch (bit) {
            case 1:
                return bounded(rec.id);
            case 2:
                return bounded(rec.type);
            case 4:
                return bounded(rec.created_by);
            case 8:
                OUTPOST_TRY(r.string(hlc_text, where));
                return parse_hex16(hlc_text, base_hlc) ? Status::ok()
                                                       : malformed("'hlc' in " + where + " must be 16 hex digits");
            case 16:
                return r.array(where, [&](std::size_t) -> Status {
                    if (rec.writers.size() >= kMaxSnapshotVersions) {
                        return malformed(where + " has too many writers");
                    }
                    auto& w = rec.writers.emplace_back();
                    if (!r.eat('[')) {
                        return malformed("a writer in " + where + " must be [device, author]");
                    }
                    OUTPOST_TRY(bounded(w.first));
                    if (!r.eat(',')) {
                        return malformed("a writer in " + where + " must be [device, author]");
                    }
                    OUTPOST_TRY(bounded(w.second));
                    return r.eat(']') ? Status::ok() : malformed("a writer in " + where + " must be [device, author]");
                });
            default:
                return r.array(where, [&](std::size_t) -> Status {
                    if (rec.fields.size() >= kMaxSnapshotVersions) {
                        return malformed(where + " has too many fields");
                    }
                    auto& f = rec.fields.emplace_back();
                    const char* shape = " must be [field, value, hlc offset, writer] or with a base last";
                    if (!r.eat('[')) {
                        return malformed("a field in " + where + shape);
                    }
                    OUTPOST_TRY(bounded(f.field));
                    std::string_view v;
                    std::int64_t offset = 0;
                    std::int64_t writer = 0;
                    if (!r.eat(',')) {
                        return malformed("a field in " + where + shape);
                    }
                    OUTPOST_TRY(r.raw(v, where));
                    if (v.size() > kMaxValueBytes) {
                        return Status::error(errc::kSyncValueTooLarge, "a value in " + where + " is over the limit");
                    }
                    f.value.assign(v);
                    if (!r.eat(',')) {
                        return malformed("a field in " + where + shape);
                    }
                    OUTPOST_TRY(r.integer(offset, where));
                    if (!r.eat(',')) {
                        return malformed("a field in " + where + shape);
                    }
                    OUTPOST_TRY(r.integer(writer, where));
                    // The offset is checked against the record's hlc once both are read (below).
                    if (offset < 0 || writer < 0 || writer >= static_cast<std::int64_t>(kMaxSnapshotVersions)) {
                        return malformed("a field in " + where + " has a bad offset or writer");
                    }
                    f.hlc = static_cast<std::uint64_t>(offset);  // the record's hlc is added once all is read
                    f.writer = static_cast<std::uint32_t>(writer);
                    if (r.eat(',')) {
                        std::string base;
                        OUTPOST_TRY(r.string(base, where));
                        if (!parse_hex16(base, f.base)) {
                            return malformed("a base in " + where + " must be 16 hex digits");
                        }
                    }
                    return r.eat(']') ? Status::ok() : malformed("a field in " + where + shape);
                });
        }
    });
    OUTPOST_TRY(members);
    if (seen != 63U) {
        return malformed(where + " needs id, type, created_by, hlc, writers and fields");
    }
    for (SnapshotVersion& f : rec.fields) {
        if (f.writer >= rec.writers.size() || f.hlc > ~base_hlc) {
            return malformed("a field in " + where + " names a writer or time it does not have");
        }
        f.hlc += base_hlc;
    }
    return Status::ok();
}

}  // namespace

SnapshotWriter::SnapshotWriter(std::string_view team, std::size_t reserve_bytes) {
    m_out.reserve(reserve_bytes + 128);
    m_out += "{\"team\":";
    json_text::append_quoted(m_out, team);
    m_out += ",\"records\":[";
}

void SnapshotWriter::begin_record(std::string_view id, std::string_view type, std::string_view created_by) {
    end_record();
    m_open = true;
    ++m_records;
    m_id.assign(id);
    m_type.assign(type);
    m_created_by.assign(created_by);
    m_used = 0;
    m_writers_used = 0;
}

void SnapshotWriter::add(std::string_view field, std::string_view value, std::uint64_t hlc, std::uint64_t base,
                         std::string_view device, std::string_view author) {
    std::size_t w = 0;
    while (w < m_writers_used && (m_writers[w].first != device || m_writers[w].second != author)) {
        ++w;
    }
    if (w == m_writers_used) {
        if (m_writers.size() == m_writers_used) {
            m_writers.emplace_back();
        }
        m_writers[w].first.assign(device);
        m_writers[w].second.assign(author);
        ++m_writers_used;
    }
    if (m_versions.size() == m_used) {
        m_versions.emplace_back();
    }
    Version& v = m_versions[m_used++];
    v.field.assign(field);
    v.value.assign(value);
    v.hlc = hlc;
    v.base = base;
    v.writer = w;
}

void SnapshotWriter::end_record() {
    if (!m_open) {
        return;
    }
    m_open = false;
    std::uint64_t base_hlc = m_used == 0 ? 0 : m_versions[0].hlc;
    for (std::size_t k = 0; k < m_used; ++k) {
        base_hlc = std::min(base_hlc, m_versions[k].hlc);
    }
    m_out += m_records > 1 ? ",{\"id\":" : "{\"id\":";
    json_text::append_quoted(m_out, m_id);
    m_out += ",\"type\":";
    json_text::append_quoted(m_out, m_type);
    m_out += ",\"created_by\":";
    json_text::append_quoted(m_out, m_created_by);
    m_out += ",\"hlc\":\"";
    append_hex16(m_out, base_hlc);
    m_out += "\",\"writers\":[";
    for (std::size_t w = 0; w < m_writers_used; ++w) {
        m_out += w > 0 ? ",[" : "[";
        json_text::append_quoted(m_out, m_writers[w].first);
        m_out += ',';
        json_text::append_quoted(m_out, m_writers[w].second);
        m_out += ']';
    }
    m_out += "],\"fields\":[";
    char num[24];
    for (std::size_t k = 0; k < m_used; ++k) {
        const Version& f = m_versions[k];
        m_out += k > 0 ? ",[" : "[";
        json_text::append_quoted(m_out, f.field);
        m_out += ',';
        m_out += f.value.empty() ? std::string_view("null") : std::string_view(f.value);
        m_out += ',';
        m_out.append(num, static_cast<std::size_t>(std::to_chars(num, num + sizeof num, f.hlc - base_hlc).ptr - num));
        m_out += ',';
        m_out.append(num, static_cast<std::size_t>(std::to_chars(num, num + sizeof num, f.writer).ptr - num));
        if (f.base != 0) {
            m_out += ",\"";
            append_hex16(m_out, f.base);
            m_out += '"';
        }
        m_out += ']';
    }
    m_out += "]}";
}

std::string SnapshotWriter::finish(std::string_view next, std::string_view cursor, bool more) {
    end_record();
    m_out += "],\"next\":";
    json_text::append_quoted(m_out, next);
    m_out += ",\"cursor\":";
    json_text::append_quoted(m_out, cursor);
    m_out += more ? ",\"more\":true}" : ",\"more\":false}";
    return std::move(m_out);
}

std::string encode(const SnapshotResponse& m) {
    SnapshotWriter w(m.team);
    for (const SnapshotRecord& rec : m.records) {
        w.begin_record(rec.id, rec.type, rec.created_by);
        for (const SnapshotVersion& f : rec.fields) {
            if (f.writer < rec.writers.size()) {
                w.add(f.field, f.value, f.hlc, f.base, rec.writers[f.writer].first, rec.writers[f.writer].second);
            }
        }
    }
    return w.finish(m.next, m.cursor, m.more);
}

static Result<SnapshotResponse> decode_snapshot_response_as_read(std::string_view body) {
    OUTPOST_TRY(check_json_text(body, "the snapshot"));
    Reader r(body);
    SnapshotResponse m;
    unsigned seen = 0;
    static const std::string kWhere = "the snapshot";
    Status s = r.object(kWhere, [&](const std::string& key) -> Status {
        if (key == "team" && (seen & 1U) == 0) {
            seen |= 1U;
            return r.string(m.team, kWhere);
        }
        if (key == "records" && (seen & 2U) == 0) {
            seen |= 2U;
            return r.array(kWhere, [&](std::size_t i) -> Status {
                return read_snapshot_record(r, "snapshot record " + std::to_string(i + 1), m.records.emplace_back());
            });
        }
        if (key == "next" && (seen & 4U) == 0) {
            seen |= 4U;
            return r.string(m.next, kWhere);
        }
        if (key == "cursor" && (seen & 8U) == 0) {
            seen |= 8U;
            return r.string(m.cursor, kWhere);
        }
        if (key == "more" && (seen & 16U) == 0) {
            seen |= 16U;
            return r.boolean(m.more, kWhere);
        }
        return malformed("unknown or repeated field '" + key + "' in the snapshot");
    });
    OUTPOST_TRY(finish_message(r, s, seen, 31U, "the snapshot", "team, records, next, cursor and more"));
    if (m.team.size() > kMaxIdBytes || m.next.size() > kMaxIdBytes || m.cursor.size() > kMaxIdBytes) {
        return malformed("a name in the snapshot is too long");
    }
    return m;
}

// A value over the limit in what the server sent is the server's doing, not this laptop's push.
Result<PullResponse> decode_pull_response(std::string_view body) {
    Result<PullResponse> out = decode_pull_response_as_read(body);
    if (!out.is_ok() && out.status().code() == errc::kSyncValueTooLarge) {
        return Status::error(errc::kSyncPullValueTooLarge, out.status().message());
    }
    return out;
}

// A value over the limit in what the server sent is the server's doing, not this laptop's push.
Result<SnapshotResponse> decode_snapshot_response(std::string_view body) {
    Result<SnapshotResponse> out = decode_snapshot_response_as_read(body);
    if (!out.is_ok() && out.status().code() == errc::kSyncValueTooLarge) {
        return Status::error(errc::kSyncPullValueTooLarge, out.status().message());
    }
    return out;
}

}  // namespace outpost::sync
