// JsonReader, the streaming tokenizer (json_reader.h).
#include "json_reader.h"

#include <charconv>

#include "outpost/sync/messages.h"

namespace outpost::sync {
namespace {

void append_utf8(std::string& out, std::uint32_t cp) {
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

bool valid_utf8(std::string_view s) {
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

}  // namespace

Status JsonReader::string(std::string& out, const std::string& where) {
    skip_whitespace();
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

Status JsonReader::integer(std::int64_t& out, const std::string& where) {
    skip_whitespace();
    const std::size_t start = m_i;
    OUTPOST_TRY(skip_number(where));
    const std::string_view t = m_s.substr(start, m_i - start);
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
    if (ec != std::errc() || end != t.data() + t.size()) {
        return malformed(where + " must be a whole number");
    }
    return Status::ok();
}

Status JsonReader::boolean(bool& out, const std::string& where) {
    skip_whitespace();
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

Status JsonReader::raw(std::string_view& out, const std::string& where) {
    skip_whitespace();
    const std::size_t start = m_i;
    OUTPOST_TRY(skip_value(where, 0));
    out = m_s.substr(start, m_i - start);
    return Status::ok();
}

Status JsonReader::hex4(std::uint32_t& cp, const std::string& where) {
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

Status JsonReader::skip_number(const std::string& where) {
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

Status JsonReader::skip_value(const std::string& where, int depth) {
    if (depth > kMaxJsonDepth) {
        return malformed(where + " is nested too deeply");
    }
    skip_whitespace();
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

}  // namespace outpost::sync
