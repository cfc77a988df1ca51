#include "outpost/client/words.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "outpost/core/error_codes.h"
#include "outpost/core/records/attachments.h"
#include "outpost/platform/process.h"

namespace outpost::client {
namespace {

std::tm local(std::int64_t ms) {
    return platform::local_time(ms);
}

// The formats used here, as literals (strftime's format must be one for the compiler to check it).
enum class TimeFormat { kHourMinute, kDate, kDateTime };

std::string strftime_str(TimeFormat f, const std::tm& tm) {
    // Written by hand, not with strftime: Windows' C library has no %e, and %b follows the locale.
    static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::array<char, 64> buf{};
    const char* month = kMonths.at(static_cast<std::size_t>(tm.tm_mon) % 12);
    int n = 0;
    switch (f) {
        case TimeFormat::kHourMinute:
            n = std::snprintf(buf.data(), buf.size(), "%02d:%02d", tm.tm_hour, tm.tm_min);
            break;
        case TimeFormat::kDate:
            n = std::snprintf(buf.data(), buf.size(), "%2d %s %d", tm.tm_mday, month, tm.tm_year + 1900);
            break;
        case TimeFormat::kDateTime:
            n = std::snprintf(buf.data(), buf.size(), "%2d %s %d, %02d:%02d", tm.tm_mday, month, tm.tm_year + 1900,
                              tm.tm_hour, tm.tm_min);
            break;
    }
    return std::string(buf.data(), static_cast<std::size_t>(std::max(n, 0)));
}

// Passphrases people pick when asked for one in a hurry, compared without copying the passphrase.
bool common(std::string_view p) {
    static const std::array<std::string_view, 16> kCommon = {
        "password", "password1", "passw0rd", "12345678", "123456789", "1234567890", "qwertyuiop", "qwerty123",
        "iloveyou", "letmein1",  "welcome1", "outpost1", "changeme",  "football",   "11111111",   "abcdefgh"};
    for (std::string_view c : kCommon) {
        if (c.size() == p.size() && std::equal(c.begin(), c.end(), p.begin(), [](char a, char b) {
                return a == static_cast<char>(std::tolower(static_cast<unsigned char>(b)));
            })) {
            return true;
        }
    }
    return false;
}

}  // namespace

Strength passphrase_strength(std::string_view p, std::size_t min_chars) {
    Strength s;
    // Length counts in characters, not bytes.
    std::size_t chars = 0;
    for (unsigned char c : p) {
        chars += (c & 0xC0U) != 0x80U ? 1 : 0;
    }
    if (chars < std::max(min_chars, kMinPassphrase)) {
        s.label = "Too short";
        s.hint = "Use at least " + std::to_string(std::max(min_chars, kMinPassphrase)) +
                 " characters. A short sentence is easy to remember.";
        return s;
    }
    // Nothing here copies the passphrase to the heap (it is not wiped there); the little this keeps on
    // the stack is wiped before returning.
    bool upper = false;
    bool digit = false;
    bool other = false;
    int spaces = 0;
    std::array<bool, 256> seen{};
    std::size_t distinct = 0;
    for (char c : p) {
        const auto u = static_cast<unsigned char>(c);
        upper = upper || std::isupper(u) != 0;
        digit = digit || std::isdigit(u) != 0;
        other = other || (std::isalnum(u) == 0 && c != ' ');
        spaces += c == ' ' ? 1 : 0;
        distinct += seen[u] ? 0 : 1;
        seen[u] = true;
    }
    sodium_memzero(seen.data(), seen.size());
    if (common(p) || distinct <= 3) {
        s.score = 1;
        s.label = "Weak";
        s.hint = "This is one of the first things anyone would try. Pick a few unrelated words instead.";
        return s;
    }
    int score = chars >= 20 ? 3 : chars >= 14 ? 2 : 1;
    score += (upper ? 1 : 0) + (digit ? 1 : 0) + (other ? 1 : 0) >= 2 ? 1 : 0;
    score += spaces >= 3 ? 1 : 0;  // a sentence of four or more words
    s.score = std::clamp(score, 1, 4);
    static const std::array<const char*, 5> kLabels = {"Too short", "Weak", "Fair", "Good", "Strong"};
    s.label = kLabels[static_cast<std::size_t>(s.score)];
    s.hint = s.score >= 4   ? "Hard to guess. Make sure you can remember it: it cannot be recovered without it."
             : s.score == 3 ? "Good. A few more words would make it stronger still."
                            : "Longer is stronger: four or more unrelated words work well.";
    return s;
}

std::string relative_time(std::int64_t then_ms, std::int64_t now_ms) {
    if (then_ms <= 0) {
        return "never";
    }
    const std::int64_t ago = (now_ms - then_ms) / 1000;
    if (ago < 45) {
        return "just now";
    }
    if (ago < 90) {
        return "a minute ago";
    }
    if (ago < 3600) {
        return std::to_string((ago + 30) / 60) + " minutes ago";
    }
    const std::tm then = local(then_ms);
    const std::tm now = local(now_ms);
    const std::tm yesterday = local(now_ms - 86'400'000);
    const bool same_day = then.tm_year == now.tm_year && then.tm_yday == now.tm_yday;
    if (same_day) {
        return "today " + strftime_str(TimeFormat::kHourMinute, then);
    }
    if (then.tm_year == yesterday.tm_year && then.tm_yday == yesterday.tm_yday) {
        return "yesterday " + strftime_str(TimeFormat::kHourMinute, then);
    }
    return strftime_str(TimeFormat::kDate, then).substr(then.tm_mday < 10 ? 1 : 0);
}

std::string format_time(std::int64_t ms) {
    const std::tm t = local(ms);
    std::string s = strftime_str(TimeFormat::kDateTime, t);
    return s.front() == ' ' ? s.substr(1) : s;
}

std::string humanise(std::string_view token) {
    return records::choice_label(token);
}

std::string display_value(const records::FieldValue& v) {
    struct Visitor {
        std::string operator()(std::monostate) const { return ""; }
        std::string operator()(const std::string& s) const { return s; }
        std::string operator()(std::int64_t i) const { return std::to_string(i); }
        std::string operator()(double d) const {
            std::string s = std::to_string(d);
            while (s.find('.') != std::string::npos && (s.back() == '0' || s.back() == '.')) {
                const bool dot = s.back() == '.';
                s.pop_back();
                if (dot) {
                    break;
                }
            }
            return s;
        }
        std::string operator()(bool b) const { return b ? "Yes" : "No"; }
        std::string operator()(const std::vector<std::string>& items) const {
            std::string s;
            for (const auto& i : items) {
                s += (s.empty() ? "" : ", ") + humanise(i);
            }
            return s;
        }
        std::string operator()(const records::Location& l) const {
            return std::to_string(l.latitude).substr(0, 9) + ", " + std::to_string(l.longitude).substr(0, 9);
        }
    };
    return std::visit(Visitor{}, v);
}

std::string files_words(std::string_view attachments_json) {
    Result<std::vector<records::Attachment>> list = records::parse_attachments(attachments_json);
    if (!list.is_ok() || list->empty()) {
        return list.is_ok() ? "no files" : std::string(attachments_json);
    }
    std::string out = list->size() == 1 ? "1 file: " : std::to_string(list->size()) + " files: ";
    for (std::size_t i = 0; i < list->size(); ++i) {
        out += (i > 0 ? ", " : "") + (*list)[i].name;
    }
    return out;
}

std::string size_words(std::int64_t bytes) {
    char buf[32];
    if (bytes < 1024) {
        std::snprintf(buf, sizeof buf, "%lld bytes", static_cast<long long>(bytes));
    } else if (bytes < 1024 * 1024) {
        std::snprintf(buf, sizeof buf, "%.0f KB", static_cast<double>(bytes) / 1024.0);
    } else {
        std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / (1024.0 * 1024.0));
    }
    return buf;
}

std::string display_encoded(const records::FieldDef* field, std::string_view encoded) {
    if (field != nullptr) {
        if (Result<records::FieldValue> v = records::decode_value(field->kind, encoded); v.is_ok()) {
            std::string s = display_value(*v);
            if (field->kind == records::FieldKind::kAttachments) {
                return files_words(s);
            }
            return field->kind == records::FieldKind::kChoice ? humanise(s) : s;
        }
    }
    if (encoded.size() >= 2 && encoded.front() == '"' && encoded.back() == '"') {
        return std::string(encoded.substr(1, encoded.size() - 2));
    }
    return std::string(encoded);
}

std::string record_title(const records::Schema* schema, const records::Record& r) {
    if (schema != nullptr) {
        for (const records::FieldDef& f : schema->fields) {
            if (f.kind != records::FieldKind::kText) {
                continue;
            }
            const auto it = r.values.find(f.name);
            if (it != r.values.end()) {
                if (const auto* s = std::get_if<std::string>(&it->second); s != nullptr && !s->empty()) {
                    return *s;
                }
            }
        }
        return schema->title;
    }
    return humanise(r.type);
}

std::string answers_problem_words(std::size_t n) {
    if (n == 0) {
        return "";
    }
    return n == 1 ? "One answer needs another look before this can be saved."
                  : std::to_string(n) + " answers need another look before this can be saved.";
}

std::int64_t character_count(std::string_view utf8) {
    std::int64_t n = 0;
    for (char c : utf8) {
        n += (static_cast<unsigned char>(c) & 0xC0U) != 0x80U ? 1 : 0;
    }
    return n;
}

std::string count_words(std::int64_t n) {
    std::string digits = std::to_string(n < 0 ? -n : n);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) {
            out.push_back(',');
        }
        out.push_back(digits[i]);
    }
    return n < 0 ? "-" + out : out;
}

std::string draft_words(std::string_view form, std::string_view title, bool is_new, std::int64_t saved_ms,
                        std::int64_t now_ms) {
    std::string out = is_new ? "An unsaved new " + std::string(form) : "Unsaved changes to " + std::string(form);
    if (!title.empty()) {
        out += " \"" + std::string(title) + "\"";
    }
    return out + " (kept " + relative_time(saved_ms, now_ms) + ").";
}

std::string problem_words(const Status& s) {
    if (s.is_ok()) {
        return "";
    }
    return std::string(errc::explain(s.code()));
}

}  // namespace outpost::client
