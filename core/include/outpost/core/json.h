// A small JSON document model for core, parsed by SQLite's built-in JSON support (json_tree), so
// core needs no JSON library beyond the SQLite it already links. Used for schemas and config files.
//
// Thread-safety: parse() opens its own in-memory connection; values are plain data.
// Failure: parse() returns core.json.invalid with a message; nothing throws.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "outpost/core/status.h"

namespace outpost::json {

inline constexpr int kMaxDepth = 64;

struct Member;

struct Value {
    enum class Type { kNull, kBool, kInteger, kReal, kText, kArray, kObject };
    Type type = Type::kNull;
    bool boolean = false;
    std::int64_t integer = 0;
    double real = 0;
    std::string text;
    std::vector<Value> items;     // arrays
    std::vector<Member> members;  // objects, in document order (std::vector allows the incomplete type)

    [[nodiscard]] const Value* find(std::string_view key) const;
    [[nodiscard]] bool is_number() const { return type == Type::kInteger || type == Type::kReal; }
    [[nodiscard]] double number() const { return type == Type::kInteger ? static_cast<double>(integer) : real; }
};

struct Member {
    std::string key;
    Value value;
};

[[nodiscard]] const char* type_name(Value::Type t);

// True when no object or array in `text` nests deeper than `max_depth`, checked without parsing
// (brackets inside strings do not count). Guards parsers whose cost or recursion grows with depth.
[[nodiscard]] bool depth_within(std::string_view text, int max_depth);

// Parses a JSON text. Refuses invalid JSON and nesting deeper than kMaxDepth.
[[nodiscard]] Result<Value> parse(std::string_view text);

// Appends `s` as a JSON string literal (quoted and escaped) to `out`. `s` must be valid UTF-8
// (strict readers refuse anything else); see valid_utf8.
void append_quoted(std::string& out, std::string_view s);

// The longest prefix of `s` of at most `max_bytes` that does not end inside a UTF-8 character: for
// cutting user text into messages.
[[nodiscard]] std::string_view utf8_prefix(std::string_view s, std::size_t max_bytes);
// `s` with every byte that is not part of a well-formed UTF-8 sequence replaced by U+FFFD.
[[nodiscard]] std::string valid_utf8(std::string_view s);

}  // namespace outpost::json
