#include "outpost/core/records/schema.h"

#include <algorithm>
#include <cctype>
#include <regex>
#include <set>

#include "outpost/core/error_codes.h"
#include "outpost/core/records/attachments.h"
#include "outpost/core/records/logic.h"
#include "schema_internal.h"

namespace outpost::records {
namespace {

// UTF-8 code points in `s`.
std::int64_t char_count(const std::string& s) {
    return static_cast<std::int64_t>(
        std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

bool digits(const std::string& s, std::size_t at, std::size_t n) {
    return at + n <= s.size() &&
           std::all_of(s.begin() + static_cast<std::ptrdiff_t>(at), s.begin() + static_cast<std::ptrdiff_t>(at + n),
                       [](char c) { return c >= '0' && c <= '9'; });
}

int num(const std::string& s, std::size_t at, std::size_t n) {
    return std::stoi(s.substr(at, n));
}

bool valid_date(const std::string& s) {
    if (s.size() < 10 || !digits(s, 0, 4) || s[4] != '-' || !digits(s, 5, 2) || s[7] != '-' || !digits(s, 8, 2)) {
        return false;
    }
    const int y = num(s, 0, 4);
    const int m = num(s, 5, 2);
    const int d = num(s, 8, 2);
    static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1) {
        return false;
    }
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= kDays[m - 1] + ((m == 2 && leap) ? 1 : 0);
}

bool valid_datetime(const std::string& s) {
    // YYYY-MM-DDTHH:MM[:SS]Z
    if (!valid_date(s) || s.size() < 17 || s[10] != 'T' || !digits(s, 11, 2) || s[13] != ':' || !digits(s, 14, 2)) {
        return false;
    }
    std::size_t at = 16;
    if (s.size() > at && s[at] == ':') {
        if (!digits(s, at + 1, 2) || num(s, at + 1, 2) > 59) {
            return false;
        }
        at += 3;
    }
    return s.size() == at + 1 && s[at] == 'Z' && num(s, 11, 2) < 24 && num(s, 14, 2) < 60;
}

}  // namespace

bool is_empty(const FieldValue& v) {
    if (std::holds_alternative<std::monostate>(v)) {
        return true;
    }
    if (const auto* s = std::get_if<std::string>(&v)) {
        // "[]": an attachments field with no file (no other kind's answer is ever exactly that
        // and meant as an answer).
        return s->find_first_not_of(" \t\r\n") == std::string::npos || *s == "[]";
    }
    if (const auto* l = std::get_if<std::vector<std::string>>(&v)) {
        return l->empty();
    }
    return false;
}

void check_value(const FieldDef& f, const FieldValue& v, std::vector<FieldError>& errors) {
    auto add = [&](const std::string& field, std::string_view code, std::string message) {
        errors.push_back({field, std::string(code), std::move(message)});
    };
    auto wrong = [&](const char* expected) {
        add(f.name, errc::kFieldWrongKind, f.label + " must be " + expected + ".");
    };
    switch (f.kind) {
        case FieldKind::kText:
        case FieldKind::kLongText: {
            const auto* s = std::get_if<std::string>(&v);
            if (s == nullptr) {
                wrong("text");
                break;
            }
            if (f.kind == FieldKind::kText && s->find('\n') != std::string::npos) {
                add(f.name, errc::kFieldWrongKind, f.label + " must be a single line.");
            }
            const std::int64_t n = char_count(*s);
            if (f.max_length && n > *f.max_length) {
                add(f.name, errc::kFieldTooLong,
                    f.label + " is too long: " + std::to_string(n) + " characters, at most " +
                        std::to_string(*f.max_length) + ".");
            }
            if (f.min_length && n < *f.min_length) {
                add(f.name, errc::kFieldTooShort,
                    f.label + " is too short: at least " + std::to_string(*f.min_length) + " characters.");
            }
            if (!f.pattern.empty()) {
                try {
                    if (!std::regex_match(*s, std::regex(f.pattern, std::regex::ECMAScript))) {
                        add(f.name, errc::kFieldPattern, f.label + " is not in the expected format.");
                    }
                } catch (const std::exception&) {
                    add(f.name, errc::kFieldPattern, f.label + " could not be checked against its format.");
                }
            }
            break;
        }
        case FieldKind::kInteger:
        case FieldKind::kDecimal: {
            double x = 0;
            if (const auto* i = std::get_if<std::int64_t>(&v)) {
                x = static_cast<double>(*i);
            } else if (const auto* d = std::get_if<double>(&v); d != nullptr && f.kind == FieldKind::kDecimal) {
                x = *d;
            } else {
                wrong(f.kind == FieldKind::kInteger ? "a whole number" : "a number");
                break;
            }
            if (x != x || (f.min && x < *f.min) || (f.max && x > *f.max)) {
                std::string range = f.min && f.max
                                        ? "between " + std::to_string(*f.min) + " and " + std::to_string(*f.max)
                                    : f.min ? "at least " + std::to_string(*f.min)
                                            : "at most " + std::to_string(f.max.value_or(0));
                add(f.name, errc::kFieldOutOfRange, f.label + " must be " + range + ".");
            }
            break;
        }
        case FieldKind::kDate:
        case FieldKind::kDateTime: {
            const auto* s = std::get_if<std::string>(&v);
            const bool ok =
                s != nullptr && (f.kind == FieldKind::kDate ? (s->size() == 10 && valid_date(*s)) : valid_datetime(*s));
            if (!ok) {
                add(f.name, errc::kFieldBadDate,
                    f.label + (f.kind == FieldKind::kDate ? " must be a date like 2026-11-23."
                                                          : " must be a date and time like 2026-11-23T14:30Z."));
            }
            break;
        }
        case FieldKind::kChoice: {
            const auto* s = std::get_if<std::string>(&v);
            if (s == nullptr || std::find(f.choices.begin(), f.choices.end(), *s) == f.choices.end()) {
                add(f.name, errc::kFieldNotAChoice, f.label + " must be one of the listed options.");
            }
            break;
        }
        case FieldKind::kMultiChoice: {
            const auto* l = std::get_if<std::vector<std::string>>(&v);
            if (l == nullptr) {
                wrong("a list of options");
                break;
            }
            for (const std::string& c : *l) {
                if (std::find(f.choices.begin(), f.choices.end(), c) == f.choices.end()) {
                    add(f.name, errc::kFieldNotAChoice, f.label + " has an option that is not on the list.");
                    break;
                }
            }
            if (std::set<std::string>(l->begin(), l->end()).size() != l->size()) {
                add(f.name, errc::kFieldNotAChoice, f.label + " lists an option twice.");
            }
            break;
        }
        case FieldKind::kYesNo:
            if (!std::holds_alternative<bool>(v)) {
                wrong("yes or no");
            }
            break;
        case FieldKind::kLocation: {
            const auto* loc = std::get_if<Location>(&v);
            if (loc == nullptr || !(loc->latitude >= -90 && loc->latitude <= 90) ||
                !(loc->longitude >= -180 && loc->longitude <= 180) ||
                !(loc->accuracy_m >= 0 && loc->accuracy_m <= 100'000)) {
                add(f.name, errc::kFieldBadLocation, f.label + " is not a valid location.");
            }
            break;
        }
        case FieldKind::kAttachments: {
            const auto* s = std::get_if<std::string>(&v);
            Result<std::vector<Attachment>> list =
                s != nullptr ? parse_attachments(*s)
                             : Result<std::vector<Attachment>>(Status::error(errc::kFieldWrongKind, ""));
            if (!list.is_ok()) {
                add(f.name, errc::kFieldWrongKind, f.label + " is not a valid list of files.");
            }
            break;
        }
        case FieldKind::kRecordLink: {
            const auto* s = std::get_if<std::string>(&v);
            if (s == nullptr || s->size() != 36 || (*s)[8] != '-' || (*s)[13] != '-' || (*s)[18] != '-' ||
                (*s)[23] != '-') {
                add(f.name, errc::kFieldBadLink, f.label + " must point to a record.");
            }
            break;
        }
        case FieldKind::kTime: {
            const auto* s = std::get_if<std::string>(&v);
            if (s == nullptr || s->size() != 5 || !digits(*s, 0, 2) || (*s)[2] != ':' || !digits(*s, 3, 2) ||
                num(*s, 0, 2) > 23 || num(*s, 3, 2) > 59) {
                add(f.name, errc::kFieldBadDate, f.label + " must be a time like 14:30.");
            }
            break;
        }
        case FieldKind::kCalculate:
            if (!std::holds_alternative<std::string>(v)) {
                wrong("text");
            }
            break;
        case FieldKind::kNote:
        case FieldKind::kGroup:
        case FieldKind::kRepeat:
            add(f.name, errc::kFieldWrongKind, f.label + " takes no answer.");
            break;
    }
}

namespace {

// Checks that `role` may write field `f` (retired fields take no values).
void check_writable(const FieldDef& f, std::string_view role, std::vector<FieldError>& errors) {
    if (f.retired) {
        errors.push_back({f.name, std::string(errc::kFieldRetired), f.label + " is no longer used on this form."});
    }
    if (!f.editable_by.empty() && std::find(f.editable_by.begin(), f.editable_by.end(), role) == f.editable_by.end()) {
        errors.push_back({f.name, std::string(errc::kFieldNotEditable),
                          "Only a " + f.editable_by.front() + " can change " + f.label + "."});
    }
}

}  // namespace

std::string choice_label(std::string_view code) {
    std::string out;
    out.reserve(code.size());
    for (char c : code) {
        out.push_back(c == '_' ? ' ' : c);
    }
    if (!out.empty()) {
        out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
    }
    return out;
}

bool holds_value(FieldKind k) {
    return k != FieldKind::kNote && k != FieldKind::kGroup && k != FieldKind::kRepeat;
}

std::string FieldDef::choice_text(std::string_view code) const {
    for (const ChoiceDef& c : choice_defs) {
        if (c.name == code && !c.label.empty()) {
            return c.label;
        }
    }
    return choice_label(code);
}

const FieldDef* Schema::def(std::string_view name) const {
    for (const FieldDef& f : fields) {
        if (f.name == name) {
            return &f;
        }
    }
    return nullptr;
}

const FieldDef* Schema::field(std::string_view name) const {
    if (name.find('.') == std::string_view::npos) {
        const FieldDef* f = def(name);
        return f != nullptr && f->repeat.empty() ? f : nullptr;
    }
    const std::optional<ItemKey> key = split_item_key(name);
    if (!key) {
        return nullptr;
    }
    const FieldDef* repeat = def(key->repeat);
    if (repeat == nullptr || repeat->kind != FieldKind::kRepeat) {
        return nullptr;
    }
    if (key->field == "_removed") {
        static const FieldDef kRemoved = [] {
            FieldDef d;
            d.name = "_removed";
            d.label = "Removed";
            d.kind = FieldKind::kYesNo;
            return d;
        }();
        return &kRemoved;
    }
    const FieldDef* child = def(key->field);
    return child != nullptr && child->repeat == key->repeat ? child : nullptr;
}

std::optional<ItemKey> split_item_key(std::string_view name) {
    const std::size_t a = name.find('.');
    const std::size_t b = a == std::string_view::npos ? a : name.find('.', a + 1);
    if (b == std::string_view::npos || name.find('.', b + 1) != std::string_view::npos) {
        return std::nullopt;
    }
    ItemKey k{name.substr(0, a), name.substr(a + 1, b - a - 1), name.substr(b + 1)};
    const bool item_ok = !k.item.empty() && k.item.size() <= 16 &&
                         std::all_of(k.item.begin(), k.item.end(),
                                     [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); });
    if (k.repeat.empty() || k.field.empty() || !item_ok) {
        return std::nullopt;
    }
    return k;
}

std::string item_key(std::string_view repeat, std::string_view item, std::string_view field) {
    std::string out;
    out.reserve(repeat.size() + item.size() + field.size() + 2);
    out.append(repeat).append(".").append(item).append(".").append(field);
    return out;
}

bool is_visible(const Schema& schema, const FieldDef& field, const Values& values) {
    return is_relevant(schema, field, values, "");
}

std::vector<FieldError> validate_field(const FieldDef& field, const FieldValue& value, std::string_view role) {
    std::vector<FieldError> errors;
    check_writable(field, role, errors);
    if (!is_empty(value)) {
        check_value(field, value, errors);
    }
    return errors;
}

namespace {

std::string choice_of(const Values& values, const std::string& field) {
    const auto it = values.find(field);
    if (it != values.end()) {
        if (const auto* s = std::get_if<std::string>(&it->second)) {
            return *s;
        }
    }
    return "";
}

std::string words_of(std::string_view token) {
    std::string out(token);
    std::replace(out.begin(), out.end(), '_', ' ');
    return out;
}

}  // namespace

std::optional<FieldError> check_transition(const FieldDef& f, std::string_view from, std::string_view to) {
    if (f.transitions.empty()) {
        return std::nullopt;
    }
    const std::string was(from.empty() ? std::string_view(f.initial) : from);
    if (to == was) {
        return std::nullopt;
    }
    const auto steps = f.transitions.find(was);
    const bool allowed = !to.empty() && steps != f.transitions.end() &&
                         std::find(steps->second.begin(), steps->second.end(), to) != steps->second.end();
    if (allowed) {
        return std::nullopt;
    }
    std::string message = f.label + " cannot go from " + words_of(was.empty() ? "unanswered" : was) + " to " +
                          words_of(to.empty() ? "unanswered" : to);
    if (steps != f.transitions.end() && !steps->second.empty()) {
        message += "; from " + words_of(was) + " it can become ";
        for (std::size_t i = 0; i < steps->second.size(); ++i) {
            message += (i == 0 ? "" : i + 1 == steps->second.size() ? " or " : ", ") + words_of(steps->second[i]);
        }
    }
    return FieldError{f.name, std::string(errc::kFieldTransition), message + "."};
}

std::vector<FieldError> check_required_answers(const Schema& schema, const FieldDef& f, std::string_view value,
                                               const Values& values) {
    std::vector<FieldError> errors;
    const auto needed = f.requires_answers.find(std::string(value));
    if (needed == f.requires_answers.end()) {
        return errors;
    }
    for (const std::string& n : needed->second) {
        const auto it = values.find(n);
        if (it == values.end() || is_empty(it->second)) {
            const FieldDef* other = schema.field(n);
            const std::string label = other != nullptr ? other->label : n;
            errors.push_back({n, std::string(errc::kFieldRequired),
                              label + " is needed when " + f.label + " is " + words_of(value) + "."});
        }
    }
    return errors;
}

std::vector<FieldError> validate(const Schema& schema, const Values& values, const std::vector<std::string>& changed,
                                 std::string_view role, const Values& before, std::string_view today) {
    std::vector<FieldError> errors = validate(schema, values, changed, role, today);
    for (const std::string& name : changed) {
        const FieldDef* f = schema.field(name);
        if (f == nullptr || (f->transitions.empty() && f->requires_answers.empty())) {
            continue;
        }
        const std::string to = choice_of(values, name);
        if (std::optional<FieldError> e = check_transition(*f, choice_of(before, name), to)) {
            errors.push_back(std::move(*e));
        }
        for (FieldError& e : check_required_answers(schema, *f, to, values)) {
            errors.push_back(std::move(e));
        }
    }
    return errors;
}

std::vector<FieldError> validate(const Schema& schema, const Values& values, const std::vector<std::string>& changed,
                                 std::string_view role, const Values& before) {
    return validate(schema, values, changed, role, before, "");
}

std::vector<FieldError> validate(const Schema& schema, const Values& values, const std::vector<std::string>& changed,
                                 std::string_view role) {
    return validate(schema, values, changed, role, std::string_view());
}

std::vector<FieldError> validate(const Schema& schema, const Values& values, const std::vector<std::string>& changed,
                                 std::string_view role, std::string_view today) {
    std::vector<FieldError> errors;
    auto add = [&](const std::string& field, std::string_view code, std::string message) {
        errors.push_back({field, std::string(code), std::move(message)});
    };
    auto reserved = [](std::string_view name) { return name == "_deleted" || name == kFormVersionField; };
    for (const std::string& name : changed) {
        const FieldDef* f = schema.field(name);
        if (f == nullptr) {
            if (!reserved(name)) {
                add(name, errc::kFieldUnknown, "This form has no field called '" + name + "'.");
            }
            continue;
        }
        check_writable(*f, role, errors);
    }
    for (const auto& [name, value] : values) {
        const FieldDef* f = schema.field(name);
        if (f == nullptr) {
            if (!reserved(name) && std::find(changed.begin(), changed.end(), name) == changed.end()) {
                add(name, errc::kFieldUnknown, "This form has no field called '" + name + "'.");
            }
            continue;
        }
        if (!is_empty(value)) {
            const std::size_t before = errors.size();
            check_value(*f, value, errors);
            for (std::size_t i = before; i < errors.size(); ++i) {
                errors[i].field = name;  // a repeat's answer is named by its item
            }
        }
    }
    for (FieldError& e : check_logic(schema, values, changed, today)) {
        errors.push_back(std::move(e));
    }
    return errors;
}

}  // namespace outpost::records
