#include "outpost/core/json.h"

#include <sqlite3.h>

#include <cstdio>
#include <map>

#include "outpost/core/error_codes.h"

namespace outpost::json {
namespace {

struct Row {
    std::int64_t id = 0;
    std::int64_t parent = -1;
    std::string key;
    std::string type;
    std::string atom;
    double real = 0;
    std::int64_t integer = 0;
};

Status invalid(std::string why) {
    return Status::error(errc::kJsonInvalid, std::move(why));
}

Value build(const std::vector<Row>& rows, const std::map<std::int64_t, std::vector<std::size_t>>& children,
            std::size_t at) {
    const Row& r = rows[at];
    Value v;
    if (r.type == "null") {
        v.type = Value::Type::kNull;
    } else if (r.type == "true" || r.type == "false") {
        v.type = Value::Type::kBool;
        v.boolean = r.type == "true";
    } else if (r.type == "integer") {
        v.type = Value::Type::kInteger;
        v.integer = r.integer;
    } else if (r.type == "real") {
        v.type = Value::Type::kReal;
        v.real = r.real;
    } else if (r.type == "text") {
        v.type = Value::Type::kText;
        v.text = r.atom;
    } else {
        const bool array = r.type == "array";
        v.type = array ? Value::Type::kArray : Value::Type::kObject;
        auto it = children.find(r.id);
        if (it != children.end()) {
            for (std::size_t c : it->second) {
                if (array) {
                    v.items.push_back(build(rows, children, c));
                } else {
                    v.members.push_back(Member{rows[c].key, build(rows, children, c)});
                }
            }
        }
    }
    return v;
}

}  // namespace

const Value* Value::find(std::string_view key) const {
    for (const auto& [k, v] : members) {
        if (k == key) {
            return &v;
        }
    }
    return nullptr;
}

const char* type_name(Value::Type t) {
    switch (t) {
        case Value::Type::kNull:
            return "null";
        case Value::Type::kBool:
            return "true/false";
        case Value::Type::kInteger:
            return "a whole number";
        case Value::Type::kReal:
            return "a number";
        case Value::Type::kText:
            return "text";
        case Value::Type::kArray:
            return "a list";
        case Value::Type::kObject:
            return "an object";
    }
    return "?";
}

bool depth_within(std::string_view text, int max_depth) {
    int depth = 0;
    bool in_string = false;
    bool escaped = false;
    for (char c : text) {
        if (in_string) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (++depth > max_depth) {
                return false;
            }
        } else if (c == '}' || c == ']') {
            --depth;
        }
    }
    return true;
}

Result<Value> parse(std::string_view text) {
    // Depth check first (cheap, and SQLite's own limit is 2000).
    if (!depth_within(text, kMaxDepth)) {
        return invalid("nested deeper than " + std::to_string(kMaxDepth) + " levels");
    }
    // One in-memory connection and prepared statement per thread, reused by every parse.
    struct Parser {
        sqlite3* db = nullptr;
        sqlite3_stmt* st = nullptr;
        Parser() {
            if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY, nullptr) == SQLITE_OK) {
                sqlite3_prepare_v2(db, "SELECT id, parent, key, type, atom FROM json_tree(?1)", -1, &st, nullptr);
            }
        }
        ~Parser() {
            sqlite3_finalize(st);
            sqlite3_close(db);
        }
        Parser(const Parser&) = delete;
        Parser& operator=(const Parser&) = delete;
    };
    thread_local Parser parser;
    if (parser.st == nullptr) {
        return Status::error(errc::kInternal, "cannot prepare the JSON reader");
    }
    sqlite3_stmt* st = parser.st;
    std::vector<Row> rows;
    Status status = Status::ok();
    sqlite3_bind_text(st, 1, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
    int rc = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        Row r;
        r.id = sqlite3_column_int64(st, 0);
        r.parent = sqlite3_column_type(st, 1) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 1);
        if (const unsigned char* k = sqlite3_column_text(st, 2)) {
            r.key = reinterpret_cast<const char*>(k);
        }
        r.type = reinterpret_cast<const char*>(sqlite3_column_text(st, 3));
        if (sqlite3_column_type(st, 4) == SQLITE_TEXT) {
            r.atom.assign(reinterpret_cast<const char*>(sqlite3_column_text(st, 4)),
                          static_cast<std::size_t>(sqlite3_column_bytes(st, 4)));
        }
        r.integer = sqlite3_column_int64(st, 4);
        r.real = sqlite3_column_double(st, 4);
        rows.push_back(std::move(r));
    }
    if (rc != SQLITE_DONE) {
        status = invalid("not valid JSON: " + std::string(sqlite3_errmsg(parser.db)));
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (!status.is_ok()) {
        return status;
    }
    if (rows.empty()) {
        return invalid("empty document");
    }
    std::map<std::int64_t, std::vector<std::size_t>> children;
    for (std::size_t i = 1; i < rows.size(); ++i) {
        children[rows[i].parent].push_back(i);
    }
    return build(rows, children, 0);
}

std::string_view utf8_prefix(std::string_view s, std::size_t max_bytes) {
    if (s.size() <= max_bytes) {
        return s;
    }
    std::size_t n = max_bytes;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0U) == 0x80U) {
        --n;  // s[n] continues the character that starts before it: cut before that character
    }
    return s.substr(0, n);
}

std::string valid_utf8(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    std::size_t i = 0;
    auto cont = [&](std::size_t at, unsigned lo = 0x80, unsigned hi = 0xBF) {
        if (at >= s.size()) {
            return false;
        }
        const auto c = static_cast<unsigned char>(s[at]);
        return c >= lo && c <= hi;
    };
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t len = 0;
        if (c < 0x80) {
            len = 1;
        } else if (c >= 0xC2 && c <= 0xDF) {
            len = cont(i + 1) ? 2 : 0;
        } else if (c >= 0xE0 && c <= 0xEF) {
            const unsigned lo = c == 0xE0 ? 0xA0 : 0x80;
            const unsigned hi = c == 0xED ? 0x9F : 0xBF;  // no surrogates
            len = cont(i + 1, lo, hi) && cont(i + 2) ? 3 : 0;
        } else if (c >= 0xF0 && c <= 0xF4) {
            const unsigned lo = c == 0xF0 ? 0x90 : 0x80;
            const unsigned hi = c == 0xF4 ? 0x8F : 0xBF;  // nothing above U+10FFFF
            len = cont(i + 1, lo, hi) && cont(i + 2) && cont(i + 3) ? 4 : 0;
        }
        if (len == 0) {
            out += "\xEF\xBF\xBD";
            ++i;
        } else {
            out.append(s.substr(i, len));
            i += len;
        }
    }
    return out;
}

void append_quoted(std::string& out, std::string_view s) {
    out.push_back('"');
    for (unsigned char c : s) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out.push_back(static_cast<char>(c));
                }
        }
    }
    out.push_back('"');
}

}  // namespace outpost::json
