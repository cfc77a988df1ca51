#include "outpost/client/form_model.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "outpost/core/error_codes.h"
#include "outpost/core/records/logic.h"

namespace outpost::client {
namespace {

using records::FieldDef;
using records::FieldKind;
using records::FieldValue;

std::string trim(std::string_view s) {
    std::size_t b = 0;
    std::size_t e = s.size();
    while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\n' || s[b] == '\r')) {
        ++b;
    }
    while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\n' || s[e - 1] == '\r')) {
        --e;
    }
    return std::string(s.substr(b, e - b));
}

std::vector<std::string> lines(std::string_view text) {
    std::vector<std::string> out;
    std::size_t start = 0;
    while (start <= text.size()) {
        const std::size_t nl = text.find('\n', start);
        const std::string item = trim(text.substr(start, nl == std::string_view::npos ? nl : nl - start));
        if (!item.empty()) {
            out.push_back(item);
        }
        if (nl == std::string_view::npos) {
            break;
        }
        start = nl + 1;
    }
    return out;
}

bool parse_double(const std::string& s, double& out) {
    if (s.empty()) {
        return false;
    }
    char* end = nullptr;
    out = std::strtod(s.c_str(), &end);
    return end == s.c_str() + s.size() && std::isfinite(out);
}

records::FieldError parse_error(const FieldDef& f, std::string words) {
    return {f.name, std::string(errc::kFieldWrongKind), std::move(words)};
}

}  // namespace

FormModel FormModel::blank(const records::Schema& schema) {
    FormModel m;
    m.m_schema = &schema;
    for (const FieldDef& f : schema.fields) {
        if (!f.default_json.empty() && f.repeat.empty()) {
            if (Result<FieldValue> v = records::decode_value(f.kind, f.default_json); v.is_ok()) {
                m.m_text[f.name] = to_text(f.kind, *v);
            }
        }
    }
    return m;
}

FormModel FormModel::of(const records::Schema& schema, const records::Record& r) {
    FormModel m;
    m.m_schema = &schema;
    m.m_record_id = r.id;
    for (const auto& [key, value] : r.values) {
        const FieldDef* f = schema.field(key);
        if (f != nullptr && holds_value(f->kind) && f->name != "_removed") {
            m.m_text[key] = to_text(f->kind, value);
        }
    }
    for (const FieldDef& f : schema.fields) {
        if (f.kind == FieldKind::kRepeat) {
            m.m_items[f.name] = records::repeat_items(r.values, f.name);
        }
    }
    m.m_original = m.m_text;
    return m;
}

const records::Values& FormModel::live() const {
    if (m_live_valid && m_live_texts == m_text) {
        return m_live;
    }
    m_live.clear();
    if (m_schema != nullptr) {
        for (const auto& [key, typed] : m_text) {
            const FieldDef* f = m_schema->field(key);
            if (f == nullptr || !holds_value(f->kind) || trim(typed).empty()) {
                continue;
            }
            std::optional<records::FieldError> problem;
            records::FieldValue v = parse(*f, typed, problem);
            if (!problem && !std::holds_alternative<std::monostate>(v)) {
                m_live[key] = std::move(v);
            }
        }
        for (const std::string& removed : m_removed) {
            m_live[removed + "._removed"] = true;
        }
        for (auto& [key, v] : records::settle(*m_schema, m_live, m_today)) {
            const FieldDef* f = m_schema->field(key);
            if (f != nullptr && f->kind == FieldKind::kCalculate) {
                if (std::holds_alternative<std::monostate>(v)) {
                    m_live.erase(key);
                } else {
                    m_live[key] = std::move(v);
                }
            }
        }
    }
    m_live_texts = m_text;
    m_live_valid = true;
    return m_live;
}

bool FormModel::required(const FieldDef& f, std::string_view item) const {
    return m_schema != nullptr && records::is_required(*m_schema, f, live(), m_today, item);
}

std::vector<std::string> FormModel::offered(const FieldDef& f, std::string_view item) const {
    return m_schema == nullptr ? f.choices : records::offered_choices(*m_schema, f, live(), m_today, item);
}

std::string FormModel::calculated(const FieldDef& f, std::string_view item) const {
    const records::Values& v = live();
    const auto it = v.find(f.repeat.empty() ? f.name : records::item_key(f.repeat, item, f.name));
    return it == v.end() ? std::string() : to_text(f.kind, it->second);
}

std::vector<std::string> FormModel::items(const std::string& repeat) const {
    const auto it = m_items.find(repeat);
    return it == m_items.end() ? std::vector<std::string>{} : it->second;
}

std::string FormModel::add_item(const std::string& repeat, std::int64_t now_ms, std::uint32_t salt) {
    std::vector<std::string>& list = m_items[repeat];
    std::string id = records::new_item_id(now_ms, salt);
    while (std::find(list.begin(), list.end(), id) != list.end()) {
        id = records::new_item_id(now_ms, ++salt);
    }
    list.push_back(id);
    // An item exists once it has a key: its first field, empty, marks it.
    if (const FieldDef* r = m_schema != nullptr ? m_schema->def(repeat) : nullptr; r != nullptr) {
        for (const std::string& child : r->fields) {
            const FieldDef* c = m_schema->def(child);
            if (c != nullptr && holds_value(c->kind)) {
                m_text[records::item_key(repeat, id, child)];
                if (!c->default_json.empty()) {
                    if (Result<FieldValue> v = records::decode_value(c->kind, c->default_json); v.is_ok()) {
                        m_text[records::item_key(repeat, id, child)] = to_text(c->kind, *v);
                    }
                }
            }
        }
    }
    return id;
}

void FormModel::remove_item(const std::string& repeat, const std::string& item) {
    std::vector<std::string>& list = m_items[repeat];
    list.erase(std::remove(list.begin(), list.end(), item), list.end());
    const std::string prefix = repeat + "." + item + ".";
    bool held = false;
    for (const auto& [key, t] : m_original) {
        held = held || key.compare(0, prefix.size(), prefix) == 0;
    }
    for (auto it = m_text.begin(); it != m_text.end();) {
        it = it->first.compare(0, prefix.size(), prefix) == 0 ? m_text.erase(it) : std::next(it);
    }
    if (held) {
        m_removed.push_back(repeat + "." + item);
        m_live_valid = false;
    }
}

std::string FormModel::text(const std::string& field) const {
    const auto it = m_text.find(field);
    return it != m_text.end() ? it->second : std::string();
}

bool FormModel::has_choice(const std::string& field, std::string_view choice) const {
    for (const std::string& item : lines(text(field))) {
        if (item == choice) {
            return true;
        }
    }
    return false;
}

void FormModel::set_choice(const std::string& field, std::string_view choice, bool on) {
    std::vector<std::string> items = lines(text(field));
    items.erase(std::remove(items.begin(), items.end(), std::string(choice)), items.end());
    if (on) {
        items.emplace_back(choice);
    }
    // Keep the form's own order, so the same choices always read the same.
    std::string out;
    if (const FieldDef* f = m_schema != nullptr ? m_schema->field(field) : nullptr; f != nullptr) {
        for (const std::string& c : f->choices) {
            if (std::find(items.begin(), items.end(), c) != items.end()) {
                out += (out.empty() ? "" : "\n") + c;
            }
        }
    }
    m_text[field] = out;
}

bool FormModel::visible(const FieldDef& f, std::string_view item) const {
    return m_schema == nullptr || records::is_relevant(*m_schema, f, live(), m_today, item);
}

bool FormModel::editable(const FieldDef& f, std::string_view role) {
    if (f.retired) {
        return false;
    }
    return f.editable_by.empty() ||
           std::find(f.editable_by.begin(), f.editable_by.end(), std::string(role)) != f.editable_by.end();
}

std::vector<std::string> FormModel::keys() const {
    std::vector<std::string> out;
    for (const auto& [k, t] : m_text) {
        out.push_back(k);
    }
    for (const auto& [k, t] : m_original) {
        if (m_text.find(k) == m_text.end()) {
            out.push_back(k);
        }
    }
    return out;
}

std::vector<std::string> FormModel::changed_fields() const {
    std::vector<std::string> out;
    if (m_schema == nullptr) {
        return out;
    }
    for (const std::string& key : keys()) {
        const FieldDef* f = m_schema->field(key);
        if (f == nullptr || f->kind == FieldKind::kCalculate) {
            continue;
        }
        const std::optional<records::ItemKey> ik = records::split_item_key(key);
        if (ik && std::find(m_removed.begin(), m_removed.end(),
                            std::string(ik->repeat) + "." + std::string(ik->item)) != m_removed.end()) {
            continue;
        }
        const auto now = m_text.find(key);
        const auto was = m_original.find(key);
        const std::string a = now != m_text.end() ? trim(now->second) : std::string();
        const std::string b = was != m_original.end() ? trim(was->second) : std::string();
        if (a != b) {
            out.push_back(key);
        }
    }
    for (const std::string& removed : m_removed) {
        out.push_back(removed + "._removed");
    }
    return out;
}

records::Values FormModel::values_to_write(std::string_view role, std::vector<records::FieldError>& errors) const {
    records::Values out;
    if (m_schema == nullptr) {
        return out;
    }
    for (const std::string& name : changed_fields()) {
        const FieldDef* f = m_schema->field(name);
        if (f == nullptr) {
            continue;
        }
        if (f->name == "_removed") {
            out[name] = true;
            continue;
        }
        const std::optional<records::ItemKey> ik = records::split_item_key(name);
        const std::string_view item = ik ? ik->item : std::string_view();
        if (!visible(*f, item) || !editable(*f, role)) {
            continue;
        }
        const std::string t = f->kind == FieldKind::kLongText ? text(name) : trim(text(name));
        if (trim(t).empty()) {
            if (!is_new()) {
                out[name] = std::monostate{};  // an answer taken back
            }
            continue;
        }
        std::optional<records::FieldError> problem;
        records::FieldValue v = parse(*f, t, problem);
        if (problem) {
            problem->field = name;
            errors.push_back(std::move(*problem));
        } else {
            out[name] = std::move(v);
        }
    }
    return out;
}

records::FieldValue FormModel::parse(const FieldDef& f, const std::string& typed,
                                     std::optional<records::FieldError>& problem) {
    const std::string t = f.kind == FieldKind::kLongText ? typed : trim(typed);
    switch (f.kind) {
        case FieldKind::kText:
        case FieldKind::kLongText:
        case FieldKind::kDate:
        case FieldKind::kDateTime:
        case FieldKind::kChoice:
        case FieldKind::kRecordLink:
        case FieldKind::kTime:
        case FieldKind::kCalculate:
        case FieldKind::kAttachments:  // the list's JSON, written by the attach buttons
            return t;
        case FieldKind::kNote:
        case FieldKind::kGroup:
        case FieldKind::kRepeat:
            return std::monostate{};
        case FieldKind::kInteger: {
            std::int64_t v = 0;
            const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
            if (ec != std::errc() || end != t.data() + t.size()) {
                problem = parse_error(f, "Enter a whole number, like 3.");
                return std::monostate{};
            }
            return v;
        }
        case FieldKind::kDecimal: {
            double v = 0;
            if (!parse_double(t, v)) {
                problem = parse_error(f, "Enter a number, like 2.5.");
                return std::monostate{};
            }
            return v;
        }
        case FieldKind::kMultiChoice:
            return lines(t);
        case FieldKind::kYesNo:
            if (t == "yes" || t == "no") {
                return t == "yes";
            }
            problem = parse_error(f, "Choose Yes or No.");
            return std::monostate{};
        case FieldKind::kLocation: {
            const std::size_t comma = t.find(',');
            records::Location l;
            if (comma == std::string::npos || !parse_double(trim(t.substr(0, comma)), l.latitude) ||
                !parse_double(trim(t.substr(comma + 1)), l.longitude)) {
                problem = parse_error(f, "Enter the place as latitude, longitude, like 51.5072, -0.1276.");
                return std::monostate{};
            }
            return l;
        }
    }
    return std::monostate{};
}

void FormModel::set_errors(const std::vector<records::FieldError>& errors) {
    m_errors.clear();
    for (const records::FieldError& e : errors) {
        m_errors.emplace(e.field,
                         Problem{e.message.empty() ? std::string(errc::explain(e.code)) : e.message, text(e.field)});
    }
}

const std::string* FormModel::error(const std::string& field) const {
    const auto it = m_errors.find(field);
    return it != m_errors.end() && it->second.text == text(field) ? &it->second.message : nullptr;
}

std::size_t FormModel::error_count() const {
    std::size_t n = 0;
    for (const auto& [field, p] : m_errors) {
        n += p.text == text(field) ? 1 : 0;
    }
    return n;
}

bool FormModel::was_cut(const std::string& field) const {
    const auto it = m_cut.find(field);
    return it != m_cut.end() && it->second == text(field);
}

void FormModel::restore(const std::map<std::string, std::string>& texts) {
    for (const auto& [field, t] : texts) {
        const FieldDef* f = m_schema != nullptr ? m_schema->field(field) : nullptr;
        if (f == nullptr || f->name == "_removed") {
            continue;
        }
        m_text[field] = t;
        if (const std::optional<records::ItemKey> ik = records::split_item_key(field)) {
            std::vector<std::string>& list = m_items[std::string(ik->repeat)];
            if (std::find(list.begin(), list.end(), ik->item) == list.end()) {
                list.emplace_back(ik->item);
                std::sort(list.begin(), list.end());
            }
        }
    }
}

std::string FormModel::to_text(FieldKind kind, const FieldValue& v) {
    if (std::holds_alternative<std::monostate>(v)) {
        return "";
    }
    switch (kind) {
        case FieldKind::kYesNo:
            return std::get_if<bool>(&v) != nullptr ? (std::get<bool>(v) ? "yes" : "no") : "";
        case FieldKind::kMultiChoice: {
            std::string out;
            if (const auto* items = std::get_if<std::vector<std::string>>(&v)) {
                for (const auto& i : *items) {
                    out += (out.empty() ? "" : "\n") + i;
                }
            }
            return out;
        }
        case FieldKind::kLocation:
            if (const auto* l = std::get_if<records::Location>(&v)) {
                char buf[64];
                std::snprintf(buf, sizeof buf, "%.6f, %.6f", l->latitude, l->longitude);
                return buf;
            }
            return "";
        case FieldKind::kInteger:
            if (const auto* i = std::get_if<std::int64_t>(&v)) {
                return std::to_string(*i);
            }
            return "";
        case FieldKind::kDecimal:
            if (const auto* d = std::get_if<double>(&v)) {
                char buf[64];
                std::snprintf(buf, sizeof buf, "%.15g", *d);
                return buf;
            }
            return "";
        default:
            if (const auto* s = std::get_if<std::string>(&v)) {
                return *s;
            }
            return "";
    }
}

}  // namespace outpost::client
