// Value codec: field values to and from their canonical JSON (the spelling in the change log, the
// heads and on the wire), with fast paths for the spellings encode_value writes most often.
#include "value_codec.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "outpost/core/error_codes.h"
#include "outpost/core/json.h"
#include "outpost/core/records/engine.h"

namespace outpost::records {
namespace {

void append_number(std::string& out, double d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", d);
    out += buf;
}

// Fast paths for the canonical encodings encode_value() writes most often. Anything else (escapes,
// lists, locations, or input from elsewhere) goes through the full JSON reader.
std::optional<FieldValue> decode_simple(FieldKind kind, std::string_view text) {
    if (kind != FieldKind::kInteger && kind != FieldKind::kDecimal && kind != FieldKind::kYesNo &&
        kind != FieldKind::kMultiChoice && kind != FieldKind::kLocation && plain_quoted(text)) {
        return FieldValue{std::string(text.substr(1, text.size() - 2))};
    }
    if (kind == FieldKind::kMultiChoice && text.size() >= 2 && text.front() == '[' && text.back() == ']') {
        // The canonical list spelling: ["a","b"] with plain items (no escapes, no spaces).
        std::vector<std::string> items;
        std::size_t i = 1;
        while (i < text.size() - 1) {
            if (text[i] != '"') {
                return std::nullopt;
            }
            const std::size_t end = text.find('"', i + 1);
            if (end == std::string_view::npos || end >= text.size() - 1) {
                return std::nullopt;
            }
            const std::string_view item = text.substr(i + 1, end - i - 1);
            if (std::any_of(item.begin(), item.end(),
                            [](char c) { return c == '\\' || static_cast<unsigned char>(c) < 0x20; })) {
                return std::nullopt;
            }
            items.emplace_back(item);
            i = end + 1;
            if (text[i] == ',') {
                ++i;
                if (text[i] != '"') {
                    return std::nullopt;
                }
            } else if (i != text.size() - 1) {
                return std::nullopt;
            }
        }
        return FieldValue{std::move(items)};
    }
    if (kind == FieldKind::kYesNo && (text == "true" || text == "false")) {
        return FieldValue{text == "true"};
    }
    if (kind == FieldKind::kInteger || kind == FieldKind::kDecimal) {
        std::int64_t n = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
        if (ec == std::errc() && end == text.data() + text.size()) {
            return FieldValue{n};
        }
    }
    return std::nullopt;
}

}  // namespace

bool plain_quoted(std::string_view text) {
    return text.size() >= 2 && text.front() == '"' && text.back() == '"' &&
           std::none_of(text.begin() + 1, text.end() - 1,
                        [](char c) { return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20; });
}

std::string encode_value(const FieldValue& v) {
    std::string out;
    std::visit(
        [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
                out = "null";
            } else if constexpr (std::is_same_v<T, std::string>) {
                json::append_quoted(out, x);
            } else if constexpr (std::is_same_v<T, std::int64_t>) {
                out = std::to_string(x);
            } else if constexpr (std::is_same_v<T, double>) {
                append_number(out, x);
            } else if constexpr (std::is_same_v<T, bool>) {
                out = x ? "true" : "false";
            } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
                out = "[";
                for (std::size_t i = 0; i < x.size(); ++i) {
                    if (i > 0) {
                        out += ',';
                    }
                    json::append_quoted(out, x[i]);
                }
                out += ']';
            } else {
                out = "{\"lat\":";
                append_number(out, x.latitude);
                out += ",\"lon\":";
                append_number(out, x.longitude);
                out += ",\"acc\":";
                append_number(out, x.accuracy_m);
                out += '}';
            }
        },
        v);
    return out;
}

std::optional<FieldValue> value_from_json(FieldKind kind, const json::Value& v) {
    using T = json::Value::Type;
    switch (kind) {
        case FieldKind::kInteger:
            if (v.type == T::kInteger) {
                return FieldValue{v.integer};
            }
            break;
        case FieldKind::kDecimal:
            if (v.type == T::kInteger) {
                return FieldValue{v.integer};
            }
            if (v.type == T::kReal) {
                return FieldValue{v.real};
            }
            break;
        case FieldKind::kYesNo:
            if (v.type == T::kBool) {
                return FieldValue{v.boolean};
            }
            break;
        case FieldKind::kMultiChoice: {
            if (v.type != T::kArray) {
                break;
            }
            std::vector<std::string> items;
            for (const auto& item : v.items) {
                if (item.type != T::kText) {
                    return std::nullopt;  // a list holds text
                }
                items.push_back(item.text);
            }
            return FieldValue{items};
        }
        case FieldKind::kLocation: {
            const json::Value* lat = v.find("lat");
            const json::Value* lon = v.find("lon");
            const json::Value* acc = v.find("acc");
            if (lat != nullptr && lon != nullptr && acc != nullptr && lat->is_number() && lon->is_number() &&
                acc->is_number()) {
                return FieldValue{Location{lat->number(), lon->number(), acc->number()}};
            }
            break;
        }
        default:
            if (v.type == T::kText) {
                return FieldValue{v.text};
            }
            break;
    }
    return std::nullopt;
}

Result<FieldValue> decode_value(FieldKind kind, std::string_view text) {
    if (text == "null") {
        return FieldValue{};
    }
    if (std::optional<FieldValue> simple = decode_simple(kind, text)) {
        return *simple;
    }
    Result<json::Value> j = json::parse(text);
    OUTPOST_TRY(j);
    if (std::optional<FieldValue> v = value_from_json(kind, *j)) {
        return std::move(*v);
    }
    return Status::error(errc::kFieldWrongKind, "value " + std::string(json::utf8_prefix(text, 40)) +
                                                    " does not fit a " + std::string(kind_name(kind)) + " field");
}

bool canonical_as_is(FieldKind kind, std::string_view text) {
    if (text == "null") {
        return true;
    }
    switch (kind) {
        case FieldKind::kYesNo:
            return text == "true" || text == "false";
        case FieldKind::kInteger:
        case FieldKind::kDecimal: {
            std::int64_t n = 0;
            const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
            if (ec != std::errc() || end != text.data() + text.size()) {
                return false;
            }
            char buf[24];
            const auto [out, ec2] = std::to_chars(buf, buf + sizeof buf, n);
            return ec2 == std::errc() && std::string_view(buf, static_cast<std::size_t>(out - buf)) == text;
        }
        case FieldKind::kMultiChoice:
            return decode_simple(kind, text).has_value();
        case FieldKind::kLocation:
            return false;
        default:
            return plain_quoted(text);
    }
}

std::string canonical(const Schema* sch, const std::string& field, std::string value) {
    if (const FieldDef* def = sch != nullptr ? sch->field(field) : nullptr; def != nullptr) {
        if (canonical_as_is(def->kind, value)) {
            return value;
        }
        if (Result<FieldValue> v = decode_value(def->kind, value); v.is_ok()) {
            return encode_value(*v);
        }
    }
    return value;
}

Values values_of(const Schema* s, const std::vector<Head>& heads) {
    Values values;
    for (const Head& h : heads) {
        const FieldDef* def = s != nullptr ? s->field(h.field) : nullptr;
        if (def == nullptr) {
            continue;  // _deleted, or a field this build's form does not know
        }
        Result<FieldValue> v = decode_value(def->kind, h.value);
        if (v.is_ok() && !std::holds_alternative<std::monostate>(*v)) {
            values.emplace(h.field, std::move(*v));
        }
    }
    return values;
}

}  // namespace outpost::records
