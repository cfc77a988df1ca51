// The sync protocol's one JSON reader: a strict, streaming reader that reads a message straight into
// its struct, without building a document first. The bulk messages (push requests, pull and snapshot
// pages of thousands of changes) read through JsonReader member by member; the small ones (health,
// error, enrolment, the forms, the provisioning file) check the whole text with check_document, then
// look their members up with read_object and the json_* value helpers, whatever the document's order.
// (json_reader.cpp holds the tokenizer, json_document.cpp the whole-message functions.)
//
// What the reader accepts: one JSON value (RFC 8259) in valid UTF-8, with no control character
// unescaped in text and \u escapes paired as UTF-16 requires; numbers as JSON spells them. JsonReader
// itself does not refuse an object naming a key twice: its callers see every key and refuse repeats
// themselves; check_document refuses them in the whole document.
//
// Ownership: a JsonReader, a JsonMember and raw() only view the text they were given; it must outlive
// them. Thread-safety: a JsonReader is used by one thread; the free functions are pure.
// Failure: sync.protocol.malformed, naming the `where` or `what` passed in; nothing throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "outpost/core/error_codes.h"
#include "outpost/core/status.h"

namespace outpost::sync {

// Whether JSON text holds the NUL character, raw or escaped (\u0000): no Outpost message may, since
// NUL cuts text short in C strings and SQLite ("a\u0000b" was once stored as "a").
[[nodiscard]] bool json_has_nul(std::string_view json);
// The checks every JSON message gets before it is read: at most kMaxJsonDepth deep (messages.h), no
// NUL. "<what> is nested deeper than ..." or "<what> holds the NUL character ..." otherwise.
[[nodiscard]] Status check_json_text(std::string_view json, std::string_view what);

// Checks one whole message strictly before its members are looked up: check_json_text, then one valid
// JSON value and nothing after it, with no number beyond a double's range (1e400) and no object naming
// a key twice. A UTF-8 byte-order mark before the value is skipped. "<what> is not valid JSON" (which wins when both
// apply) or "<what> names a key twice" otherwise.
[[nodiscard]] Status check_document(std::string_view json, std::string_view what);

// One member of an object: its key (unescaped) and its value as JSON text (a view into the text read).
struct JsonMember {
    std::string key;
    std::string_view value;
};

// The members of the object `json` holds (after an optional byte-order mark), in document order. Values
// are validated as check_document does, but objects in them may name a key twice (find_member takes
// the last).
// "<what> must be a JSON object" when `json` holds another value; "<what> is not valid JSON" when it is
// not JSON or something follows the object.
[[nodiscard]] Result<std::vector<JsonMember>> read_object(std::string_view json, std::string_view what);
// The last member named `key`, or nullptr.
[[nodiscard]] const JsonMember* find_member(const std::vector<JsonMember>& members, std::string_view key);

// What a value read by read_object or JsonReader::raw is (it starts with one of {["tfn-0123456789).
enum class JsonKind { kObject, kArray, kString, kNumber, kBoolean, kNull };
[[nodiscard]] JsonKind json_kind(std::string_view value);
// True, with the text unescaped into `out`, when `value` is a JSON string.
[[nodiscard]] bool json_string(std::string_view value, std::string& out);
// True when `value` is a whole number (no fraction or exponent) of at most 64 bits. One above
// INT64_MAX is read as its two's complement, as a JSON library's signed integer reads it.
[[nodiscard]] bool json_integer(std::string_view value, std::int64_t& out);

// Reads a JSON text token by token. Every method skips whitespace first and, on failure, returns
// sync.protocol.malformed naming `where`, leaving the reader somewhere inside the bad token.
class JsonReader {
public:
    explicit JsonReader(std::string_view json) : m_s(json) {}

    // Skips whitespace; true when the next character is `c`, which is then consumed.
    bool eat(char c) {
        skip_whitespace();
        if (m_i < m_s.size() && m_s[m_i] == c) {
            ++m_i;
            return true;
        }
        return false;
    }
    // Skips whitespace; the next character, or '\0' at the end.
    [[nodiscard]] char peek() {
        skip_whitespace();
        return m_i < m_s.size() ? m_s[m_i] : '\0';
    }
    // Skips whitespace; true when nothing is left.
    [[nodiscard]] bool at_end() {
        skip_whitespace();
        return m_i == m_s.size();
    }

    // Reads an object: on_member(const std::string& key) is called for each member and must read its
    // value. "<where> must be a JSON object" when the next value is not one.
    template <typename F>
    Status object(const std::string& where, F&& on_member) {
        if (!eat('{')) {
            return malformed(where + " must be a JSON object");
        }
        if (eat('}')) {
            return Status::ok();
        }
        std::string key;
        for (;;) {
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

    // Reads an array: on_item(std::size_t index) is called for each item and must read it.
    // "<where> must be a list" when the next value is not one.
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

    // A string, unescaped into `out` (valid UTF-8; \u0000 becomes a NUL byte).
    Status string(std::string& out, const std::string& where);
    // A number that is a whole number within int64.
    Status integer(std::int64_t& out, const std::string& where);
    Status boolean(bool& out, const std::string& where);
    // Any JSON value, validated and returned as its text (a view into the reader's text). Objects in it
    // may name a key twice; it may nest at most kMaxJsonDepth deep.
    Status raw(std::string_view& out, const std::string& where);

private:
    static Status malformed(const std::string& what) { return Status::error(errc::kProtocolMalformed, what); }
    void skip_whitespace() {
        while (m_i < m_s.size() && (m_s[m_i] == ' ' || m_s[m_i] == '\n' || m_s[m_i] == '\r' || m_s[m_i] == '\t')) {
            ++m_i;
        }
    }
    Status hex4(std::uint32_t& cp, const std::string& where);
    Status skip_number(const std::string& where);
    Status skip_value(const std::string& where, int depth);

    std::string_view m_s;
    std::size_t m_i = 0;
};

}  // namespace outpost::sync
