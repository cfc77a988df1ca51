#include "outpost/core/records/schema.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <regex>
#include <set>

#include "outpost/core/assets.h"
#include "outpost/core/error_codes.h"
#include "outpost/core/json.h"
#include "outpost/core/records/attachments.h"
#include "outpost/core/records/roles.h"
#include "outpost/platform/utf8.h"

namespace outpost::records {
namespace {

constexpr std::pair<FieldKind, std::string_view> kKinds[] = {
    {FieldKind::kText, "text"},
    {FieldKind::kLongText, "long_text"},
    {FieldKind::kInteger, "integer"},
    {FieldKind::kDecimal, "decimal"},
    {FieldKind::kDate, "date"},
    {FieldKind::kDateTime, "datetime"},
    {FieldKind::kChoice, "choice"},
    {FieldKind::kMultiChoice, "multi_choice"},
    {FieldKind::kYesNo, "yes_no"},
    {FieldKind::kLocation, "location"},
    {FieldKind::kRecordLink, "record_link"},
    {FieldKind::kAttachments, "attachments"},
};
const std::set<std::string, std::less<>> kRoles = {std::string(kRoleWorker), std::string(kRoleLead),
                                                   std::string(kRoleAdmin)};

bool is_identifier(std::string_view s) {
    if (s.empty() || s.size() > 64 || !(s[0] >= 'a' && s[0] <= 'z')) {
        return false;
    }
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

bool is_text_kind(FieldKind k) {
    return k == FieldKind::kText || k == FieldKind::kLongText;
}

struct SchemaParser {
    std::string source;
    Status fail(const std::string& field, const std::string& problem) const {
        return Status::error(errc::kRecordSchemaInvalid,
                             source + (field.empty() ? "" : ": field '" + field + "'") + ": " + problem);
    }

    // {"value": ["value", ...], ...}: a lifecycle's steps, or the answers a value requires.
    Status list_map(const json::Value& v, const std::string& field, const char* key,
                    std::map<std::string, std::vector<std::string>>& out) const {
        if (v.type != json::Value::Type::kObject) {
            return fail(field, std::string("'") + key + "' must map values to lists");
        }
        for (const auto& [from, to] : v.members) {
            OUTPOST_TRY(string_list(to, field, key, out[from]));
        }
        return Status::ok();
    }

    Status string_list(const json::Value& v, const std::string& field, const char* key,
                       std::vector<std::string>& out) const {
        if (v.type != json::Value::Type::kArray) {
            return fail(field, std::string("'") + key + "' must be a list of text");
        }
        for (const json::Value& item : v.items) {
            if (item.type != json::Value::Type::kText || item.text.empty()) {
                return fail(field, std::string("'") + key + "' must hold non-empty text");
            }
            out.push_back(item.text);
        }
        return Status::ok();
    }

    Result<FieldDef> field(const json::Value& f, std::size_t index) const {
        const std::string where = "#" + std::to_string(index + 1);
        if (f.type != json::Value::Type::kObject) {
            return fail(where, "must be an object");
        }
        FieldDef d;
        const json::Value* name = f.find("name");
        if (name == nullptr || name->type != json::Value::Type::kText || !is_identifier(name->text) ||
            name->text[0] == '_') {
            return fail(where, "needs a 'name' of lower-case letters, digits and underscores");
        }
        d.name = name->text;
        const json::Value* kind = f.find("kind");
        if (kind == nullptr || kind->type != json::Value::Type::kText || !kind_from_name(kind->text)) {
            return fail(d.name,
                        "needs a 'kind', one of text, long_text, integer, decimal, date, datetime, choice, "
                        "multi_choice, yes_no, location, record_link");
        }
        d.kind = *kind_from_name(kind->text);
        for (const auto& [key, v] : f.members) {
            if (key == "name" || key == "kind") {
                continue;
            }
            if (key == "label" || key == "help" || key == "pattern" || key == "link_type") {
                if (v.type != json::Value::Type::kText) {
                    return fail(d.name, "'" + key + "' must be text");
                }
                (key == "label"     ? d.label
                 : key == "help"    ? d.help
                 : key == "pattern" ? d.pattern
                                    : d.link_type) = v.text;
            } else if (key == "required" || key == "retired") {
                if (v.type != json::Value::Type::kBool) {
                    return fail(d.name, "'" + key + "' must be true or false");
                }
                (key == "required" ? d.required : d.retired) = v.boolean;
            } else if (key == "min_length" || key == "max_length") {
                if (v.type != json::Value::Type::kInteger || v.integer < 0) {
                    return fail(d.name, "'" + key + "' must be a whole number, 0 or more");
                }
                (key == "min_length" ? d.min_length : d.max_length) = v.integer;
            } else if (key == "min" || key == "max") {
                if (!v.is_number()) {
                    return fail(d.name, "'" + key + "' must be a number");
                }
                (key == "min" ? d.min : d.max) = v.number();
            } else if (key == "choices") {
                OUTPOST_TRY(string_list(v, d.name, "choices", d.choices));
            } else if (key == "editable_by") {
                OUTPOST_TRY(string_list(v, d.name, "editable_by", d.editable_by));
                for (const std::string& r : d.editable_by) {
                    if (kRoles.count(r) == 0) {
                        return fail(d.name, "'editable_by' names an unknown role '" + r + "' (worker, lead, admin)");
                    }
                }
            } else if (key == "transitions") {
                OUTPOST_TRY(list_map(v, d.name, "transitions", d.transitions));
            } else if (key == "requires") {
                OUTPOST_TRY(list_map(v, d.name, "requires", d.requires_answers));
            } else if (key == "initial") {
                if (v.type != json::Value::Type::kText) {
                    return fail(d.name, "'initial' must be text");
                }
                d.initial = v.text;
            } else if (key == "visible_if") {
                const json::Value* on = v.type == json::Value::Type::kObject ? v.find("field") : nullptr;
                const json::Value* in = v.type == json::Value::Type::kObject ? v.find("in") : nullptr;
                if (on == nullptr || on->type != json::Value::Type::kText || in == nullptr) {
                    return fail(d.name, "'visible_if' must be {\"field\": \"...\", \"in\": [...]}");
                }
                VisibleIf vi;
                vi.field = on->text;
                OUTPOST_TRY(string_list(*in, d.name, "visible_if.in", vi.values));
                d.visible_if = vi;
            } else {
                return fail(d.name, "unknown property '" + key + "'");
            }
        }
        if (d.label.empty()) {
            return fail(d.name, "needs a 'label' to show on the form");
        }
        const bool choice = d.kind == FieldKind::kChoice || d.kind == FieldKind::kMultiChoice;
        if (choice && d.choices.empty()) {
            return fail(d.name, "a choice field needs 'choices'");
        }
        if (!choice && !d.choices.empty()) {
            return fail(d.name, "'choices' only apply to choice fields");
        }
        if (choice && std::set<std::string>(d.choices.begin(), d.choices.end()).size() != d.choices.size()) {
            return fail(d.name, "'choices' has a duplicate");
        }
        if ((d.min_length || d.max_length || !d.pattern.empty()) && !is_text_kind(d.kind)) {
            return fail(d.name, "length and pattern limits only apply to text fields");
        }
        if ((d.min || d.max) && d.kind != FieldKind::kInteger && d.kind != FieldKind::kDecimal) {
            return fail(d.name, "'min' and 'max' only apply to number fields");
        }
        if (d.min_length && d.max_length && *d.min_length > *d.max_length) {
            return fail(d.name, "'min_length' is greater than 'max_length'");
        }
        if (d.min && d.max && *d.min > *d.max) {
            return fail(d.name, "'min' is greater than 'max'");
        }
        if (!d.pattern.empty()) {
            try {
                std::regex re(d.pattern, std::regex::ECMAScript);
            } catch (const std::regex_error&) {
                return fail(d.name, "'pattern' is not a valid regular expression");
            }
        }
        return d;
    }

    Result<Schema> schema(const json::Value& doc) const {
        if (doc.type != json::Value::Type::kObject) {
            return fail("", "a schema must be a JSON object");
        }
        Schema s;
        const json::Value* type = doc.find("type");
        if (type == nullptr || type->type != json::Value::Type::kText || !is_identifier(type->text)) {
            return fail("", "needs a 'type' of lower-case letters, digits and underscores");
        }
        s.type = type->text;
        const json::Value* version = doc.find("version");
        if (version == nullptr || version->type != json::Value::Type::kInteger || version->integer < 1) {
            return fail("", "needs a 'version', a whole number from 1");
        }
        s.version = static_cast<int>(version->integer);
        const json::Value* title = doc.find("title");
        if (title == nullptr || title->type != json::Value::Type::kText || title->text.empty()) {
            return fail("", "needs a 'title'");
        }
        s.title = title->text;
        if (const json::Value* purpose = doc.find("purpose")) {
            const std::string p = purpose->type == json::Value::Type::kText ? purpose->text : std::string();
            if (p == "case") {
                s.purpose = FormPurpose::kCase;
            } else if (p == "suggestion") {
                s.purpose = FormPurpose::kSuggestion;
            } else if (p == "internal") {
                s.purpose = FormPurpose::kInternal;
            } else {
                return fail("", "'purpose' is case, suggestion or internal");
            }
        }
        const json::Value* fields = doc.find("fields");
        if (fields == nullptr || fields->type != json::Value::Type::kArray || fields->items.empty()) {
            return fail("", "needs a non-empty 'fields' list");
        }
        for (const auto& [key, v] : doc.members) {
            (void)v;
            if (key != "type" && key != "version" && key != "title" && key != "fields" && key != "description" &&
                key != "purpose") {
                return fail("", "unknown property '" + key + "'");
            }
        }
        std::set<std::string> names;
        for (std::size_t i = 0; i < fields->items.size(); ++i) {
            Result<FieldDef> f = field(fields->items[i], i);
            OUTPOST_TRY(f);
            if (!names.insert(f->name).second) {
                return fail(f->name, "is defined twice");
            }
            s.fields.push_back(std::move(*f));
        }
        for (const FieldDef& f : s.fields) {
            const bool lifecycle = !f.transitions.empty() || !f.initial.empty() || !f.requires_answers.empty();
            if (lifecycle && f.kind != FieldKind::kChoice) {
                return fail(f.name, "'transitions', 'initial' and 'requires' apply to choice fields");
            }
            auto is_choice = [&](const std::string& v) {
                return std::find(f.choices.begin(), f.choices.end(), v) != f.choices.end();
            };
            if (!f.initial.empty() && !is_choice(f.initial)) {
                return fail(f.name, "'initial' value '" + f.initial + "' is not one of its choices");
            }
            for (const auto& [from, tos] : f.transitions) {
                for (const std::string& v : tos) {
                    if (!is_choice(from) || !is_choice(v)) {
                        return fail(f.name, "'transitions' step '" + from + "' -> '" + v +
                                                "' names a value that is "
                                                "not one of its choices");
                    }
                }
            }
            for (const auto& [value, needed] : f.requires_answers) {
                if (!is_choice(value)) {
                    return fail(f.name, "'requires' names '" + value + "', which is not one of its choices");
                }
                for (const std::string& n : needed) {
                    const FieldDef* other = s.field(n);
                    if (other == nullptr || other == &f) {
                        return fail(f.name, "'requires' names '" + n + "', which is not another field");
                    }
                }
            }
            if (f.visible_if) {
                const FieldDef* on = s.field(f.visible_if->field);
                if (on == nullptr || on == &f) {
                    return fail(f.name,
                                "'visible_if' refers to '" + f.visible_if->field + "', which is not another field");
                }
                if (on->kind != FieldKind::kChoice && on->kind != FieldKind::kMultiChoice &&
                    on->kind != FieldKind::kYesNo) {
                    return fail(f.name, "'visible_if' must depend on a choice or yes/no field");
                }
                for (const std::string& val : f.visible_if->values) {
                    const bool ok = on->kind == FieldKind::kYesNo
                                        ? (val == "yes" || val == "no")
                                        : std::find(on->choices.begin(), on->choices.end(), val) != on->choices.end();
                    if (!ok) {
                        return fail(f.name, "'visible_if' value '" + val + "' is not a choice of '" + on->name + "'");
                    }
                }
            }
        }
        return s;
    }
};

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

// Checks one present value against its field's kind and limits.
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
    }
}

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

std::string_view kind_name(FieldKind k) {
    for (const auto& [kind, name] : kKinds) {
        if (kind == k) {
            return name;
        }
    }
    return "?";
}

std::optional<FieldKind> kind_from_name(std::string_view name) {
    for (const auto& [kind, n] : kKinds) {
        if (n == name) {
            return kind;
        }
    }
    return std::nullopt;
}

const FieldDef* Schema::field(std::string_view name) const {
    for (const FieldDef& f : fields) {
        if (f.name == name) {
            return &f;
        }
    }
    return nullptr;
}

Result<Schema> parse_schema(std::string_view json_text, std::string_view source) {
    SchemaParser p{std::string(source)};
    Result<json::Value> doc = json::parse(json_text);
    if (!doc.is_ok()) {
        return p.fail("", doc.status().message());
    }
    return p.schema(*doc);
}

std::filesystem::path bundled_forms_dir() {
    return asset_dir("forms", OUTPOST_BUNDLED_FORMS_DIR);
}

Result<std::vector<Schema>> load_schemas(const std::filesystem::path& dir) {
    std::error_code ec;
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
        if (e.is_regular_file() && e.path().extension() == ".json") {
            files.push_back(e.path());
        }
    }
    if (ec) {
        return Status::error(errc::kIo, "cannot read the forms folder " + path_to_utf8(dir) + ": " + ec.message());
    }
    std::sort(files.begin(), files.end());
    std::vector<Schema> out;
    std::set<std::string> types;
    for (const auto& f : files) {
        std::ifstream in(f, std::ios::binary);
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        Result<Schema> s = parse_schema(text, path_to_utf8(f.filename()));
        OUTPOST_TRY(s);
        if (!types.insert(s->type).second) {
            return Status::error(errc::kRecordSchemaInvalid, path_to_utf8(f.filename()) + ": type '" + s->type +
                                                                 "' is defined by another file too");
        }
        out.push_back(std::move(*s));
    }
    return out;
}

bool is_visible(const Schema& schema, const FieldDef& field, const Values& values) {
    if (!field.visible_if) {
        return true;
    }
    const FieldDef* on = schema.field(field.visible_if->field);
    auto it = values.find(field.visible_if->field);
    if (on == nullptr || it == values.end()) {
        return false;
    }
    const auto& allowed = field.visible_if->values;
    auto in = [&](const std::string& v) { return std::find(allowed.begin(), allowed.end(), v) != allowed.end(); };
    if (const auto* b = std::get_if<bool>(&it->second)) {
        return in(*b ? "yes" : "no");
    }
    if (const auto* s = std::get_if<std::string>(&it->second)) {
        return in(*s);
    }
    if (const auto* l = std::get_if<std::vector<std::string>>(&it->second)) {
        return std::any_of(l->begin(), l->end(), in);
    }
    return false;
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
                                 std::string_view role, const Values& before) {
    std::vector<FieldError> errors = validate(schema, values, changed, role);
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
                                 std::string_view role) {
    std::vector<FieldError> errors;
    auto add = [&](const std::string& field, std::string_view code, std::string message) {
        errors.push_back({field, std::string(code), std::move(message)});
    };
    for (const std::string& name : changed) {
        const FieldDef* f = schema.field(name);
        if (f == nullptr) {
            if (name != "_deleted") {
                add(name, errc::kFieldUnknown, "This form has no field called '" + name + "'.");
            }
            continue;
        }
        check_writable(*f, role, errors);
    }
    for (const auto& [name, value] : values) {
        if (schema.field(name) == nullptr && name != "_deleted" &&
            std::find(changed.begin(), changed.end(), name) == changed.end()) {
            add(name, errc::kFieldUnknown, "This form has no field called '" + name + "'.");
        }
    }
    for (const FieldDef& f : schema.fields) {
        auto it = values.find(f.name);
        const bool visible = is_visible(schema, f, values);
        if (it == values.end() || is_empty(it->second)) {
            if (f.required && visible && !f.retired) {
                add(f.name, errc::kFieldRequired, f.label + " is required.");
            }
            continue;
        }
        check_value(f, it->second, errors);
    }
    return errors;
}

}  // namespace outpost::records
