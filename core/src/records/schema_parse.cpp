// Reading a form document (records/schema.h): every property checked, nested groups and repeats
// flattened into Schema::fields, and every expression parsed with its field references resolved.
#include <algorithm>
#include <fstream>
#include <regex>
#include <set>

#include "outpost/core/assets.h"
#include "outpost/core/error_codes.h"
#include "outpost/core/json.h"
#include "outpost/core/records/engine.h"
#include "outpost/core/records/roles.h"
#include "outpost/core/records/schema.h"
#include "outpost/platform/utf8.h"
#include "schema_internal.h"
#include "value_codec.h"

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
    {FieldKind::kTime, "time"},
    {FieldKind::kNote, "note"},
    {FieldKind::kGroup, "group"},
    {FieldKind::kRepeat, "repeat"},
    {FieldKind::kCalculate, "calculate"},
};
const std::set<std::string, std::less<>> kRoles = {std::string(kRoleWorker), std::string(kRoleLead),
                                                   std::string(kRoleAdmin)};
constexpr int kMaxNesting = 4;
constexpr std::size_t kMaxFields = 1000;

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

bool is_choice_kind(FieldKind k) {
    return k == FieldKind::kChoice || k == FieldKind::kMultiChoice;
}

// A form's default answer, from its JSON spelling, for a field of `kind` (locations, files and the
// kinds without a typed answer take none).
std::optional<FieldValue> default_value(FieldKind kind, const json::Value& v) {
    switch (kind) {
        case FieldKind::kLocation:
        case FieldKind::kAttachments:
        case FieldKind::kNote:
        case FieldKind::kGroup:
        case FieldKind::kRepeat:
        case FieldKind::kCalculate:
            return std::nullopt;
        default:
            return value_from_json(kind, v);
    }
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

    // {"column": "text", ...}
    Status text_map(const json::Value& v, const std::string& field, const std::string& key,
                    std::map<std::string, std::string, std::less<>>& out) const {
        if (v.type != json::Value::Type::kObject) {
            return fail(field, "'" + key + "' must map names to text");
        }
        for (const auto& [k, t] : v.members) {
            if (t.type != json::Value::Type::kText) {
                return fail(field, "'" + key + "." + k + "' must be text");
            }
            out[k] = t.text;
        }
        return Status::ok();
    }

    // {"cy": {"label": "...", ...}, ...}
    Status translations(const json::Value& v, const std::string& field, const std::set<std::string>& keys,
                        std::map<std::string, std::map<std::string, std::string>>& out) const {
        if (v.type != json::Value::Type::kObject) {
            return fail(field, "'translations' must map language codes to texts");
        }
        for (const auto& [lang, texts] : v.members) {
            if (lang.empty() || lang.size() > 16 || texts.type != json::Value::Type::kObject) {
                return fail(field, "'translations' must map language codes to texts");
            }
            for (const auto& [k, t] : texts.members) {
                if (keys.count(k) == 0 || t.type != json::Value::Type::kText) {
                    return fail(field, "'translations." + lang + "." + k + "' is not a text this form can translate");
                }
                out[lang][k] = t.text;
            }
        }
        return Status::ok();
    }

    Status expression(const json::Value& v, const std::string& field, const std::string& key,
                      ExpressionPtr& out) const {
        if (v.type != json::Value::Type::kText) {
            return fail(field, "'" + key + "' must be an expression, written as text");
        }
        Result<Expression> e = Expression::parse(v.text);
        if (!e.is_ok()) {
            return Status::error(errc::kFormExpressionInvalid,
                                 source + ": field '" + field + "': '" + key + "' " + e.status().message());
        }
        out = std::make_shared<const Expression>(std::move(*e));
        return Status::ok();
    }

    Status choices(const json::Value& v, FieldDef& d) const {
        if (v.type != json::Value::Type::kArray) {
            return fail(d.name, "'choices' must be a list");
        }
        bool objects = false;
        for (const json::Value& item : v.items) {
            if (item.type == json::Value::Type::kText && !item.text.empty()) {
                d.choices.push_back(item.text);
                d.choice_defs.push_back(ChoiceDef{item.text, {}, {}, {}});
                continue;
            }
            if (item.type != json::Value::Type::kObject) {
                return fail(d.name, "'choices' must hold codes or {\"name\": ..., \"label\": ...} objects");
            }
            objects = true;
            ChoiceDef c;
            for (const auto& [k, cv] : item.members) {
                if (k == "name" || k == "label") {
                    if (cv.type != json::Value::Type::kText) {
                        return fail(d.name, "a choice's '" + k + "' must be text");
                    }
                    (k == "name" ? c.name : c.label) = cv.text;
                } else if (k == "translations") {
                    std::map<std::string, std::map<std::string, std::string>> t;
                    OUTPOST_TRY(translations(cv, d.name, {"label"}, t));
                    for (auto& [lang, texts] : t) {
                        c.labels[lang] = texts["label"];
                    }
                } else if (k == "filter") {
                    OUTPOST_TRY(text_map(cv, d.name, "filter", c.filter));
                } else {
                    return fail(d.name, "a choice has an unknown property '" + k + "'");
                }
            }
            if (c.name.empty()) {
                return fail(d.name, "every choice needs a 'name'");
            }
            d.choices.push_back(c.name);
            d.choice_defs.push_back(std::move(c));
        }
        if (!objects) {
            d.choice_defs.clear();
        }
        return Status::ok();
    }

    Result<FieldDef> field(const json::Value& f, const std::string& where,
                           std::vector<const json::Value*>& nested) const {
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
                        "needs a 'kind', one of text, long_text, integer, decimal, date, time, datetime, choice, "
                        "multi_choice, yes_no, location, record_link, attachments, note, group, repeat, calculate");
        }
        d.kind = *kind_from_name(kind->text);
        const json::Value* default_json = nullptr;
        for (const auto& [key, v] : f.members) {
            if (key == "name" || key == "kind") {
                continue;
            }
            if (key == "label" || key == "help" || key == "pattern" || key == "link_type" || key == "initial" ||
                key == "required_message" || key == "constraint_message") {
                if (v.type != json::Value::Type::kText) {
                    return fail(d.name, "'" + key + "' must be text");
                }
                (key == "label"              ? d.label
                 : key == "help"             ? d.help
                 : key == "pattern"          ? d.pattern
                 : key == "link_type"        ? d.link_type
                 : key == "initial"          ? d.initial
                 : key == "required_message" ? d.required_message
                                             : d.constraint_message) = v.text;
            } else if (key == "required") {
                if (v.type == json::Value::Type::kBool) {
                    d.required = v.boolean;
                } else {
                    OUTPOST_TRY(expression(v, d.name, key, d.required_if));
                }
            } else if (key == "retired" || key == "read_only") {
                if (v.type != json::Value::Type::kBool) {
                    return fail(d.name, "'" + key + "' must be true or false");
                }
                (key == "retired" ? d.retired : d.read_only) = v.boolean;
            } else if (key == "min_length" || key == "max_length" || key == "max_items") {
                if (v.type != json::Value::Type::kInteger || v.integer < 0) {
                    return fail(d.name, "'" + key + "' must be a whole number, 0 or more");
                }
                if (key == "max_items") {
                    d.max_items = v.integer;
                } else {
                    (key == "min_length" ? d.min_length : d.max_length) = v.integer;
                }
            } else if (key == "min" || key == "max") {
                if (!v.is_number()) {
                    return fail(d.name, "'" + key + "' must be a number");
                }
                (key == "min" ? d.min : d.max) = v.number();
            } else if (key == "choices") {
                OUTPOST_TRY(choices(v, d));
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
            } else if (key == "relevant") {
                OUTPOST_TRY(expression(v, d.name, key, d.relevant));
            } else if (key == "constraint") {
                OUTPOST_TRY(expression(v, d.name, key, d.constraint));
            } else if (key == "calculate") {
                OUTPOST_TRY(expression(v, d.name, key, d.calculate));
            } else if (key == "choice_filter") {
                OUTPOST_TRY(expression(v, d.name, key, d.choice_filter));
            } else if (key == "default") {
                default_json = &v;
            } else if (key == "translations") {
                OUTPOST_TRY(translations(v, d.name, {"label", "help", "required_message", "constraint_message"},
                                         d.translations));
            } else if (key == "fields") {
                if (d.kind != FieldKind::kGroup && d.kind != FieldKind::kRepeat) {
                    return fail(d.name, "only a group or a repeat has 'fields'");
                }
                if (v.type != json::Value::Type::kArray || v.items.empty()) {
                    return fail(d.name, "'fields' must be a non-empty list");
                }
                for (const json::Value& child : v.items) {
                    nested.push_back(&child);
                }
            } else {
                return fail(d.name, "unknown property '" + key + "'");
            }
        }
        if (d.label.empty() && d.kind != FieldKind::kCalculate) {
            return fail(d.name, "needs a 'label' to show on the form");
        }
        if ((d.kind == FieldKind::kGroup || d.kind == FieldKind::kRepeat) && nested.empty()) {
            return fail(d.name, "a group or a repeat needs 'fields'");
        }
        if ((d.kind == FieldKind::kCalculate) != (d.calculate != nullptr)) {
            return fail(d.name, "'calculate' goes with kind calculate, which needs it");
        }
        if (!holds_value(d.kind) && (d.required || d.required_if || d.constraint || default_json != nullptr)) {
            return fail(d.name, "a " + std::string(kind_name(d.kind)) +
                                    " takes no answer, so no 'required', "
                                    "'constraint' or 'default'");
        }
        const bool choice = is_choice_kind(d.kind);
        if (choice && d.choices.empty()) {
            return fail(d.name, "a choice field needs 'choices'");
        }
        if (!choice && (!d.choices.empty() || d.choice_filter)) {
            return fail(d.name, "'choices' and 'choice_filter' only apply to choice fields");
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
        if (d.max_items < 1 || d.max_items > 500) {
            return fail(d.name, "'max_items' must be from 1 to 500");
        }
        if (!d.pattern.empty()) {
            try {
                std::regex re(d.pattern, std::regex::ECMAScript);
            } catch (const std::regex_error&) {
                return fail(d.name, "'pattern' is not a valid regular expression");
            }
        }
        if (default_json != nullptr) {
            std::optional<FieldValue> v = default_value(d.kind, *default_json);
            std::vector<FieldError> problems;
            if (v) {
                check_value(d, *v, problems);
            }
            if (!v || !problems.empty()) {
                return fail(d.name, "'default' is not an answer this field takes");
            }
            d.default_json = encode_value(*v);
        }
        return d;
    }

    // Parses `items` into s.fields (flattened), inside `parent` (and `repeat`) at nesting `depth`.
    Status fields_into(const std::vector<const json::Value*>& items, Schema& s, FieldDef* parent, int depth) const {
        if (depth > kMaxNesting) {
            return fail(parent != nullptr ? parent->name : "", "groups are nested too deeply");
        }
        for (std::size_t i = 0; i < items.size(); ++i) {
            if (s.fields.size() >= kMaxFields) {
                return fail("", "has more than " + std::to_string(kMaxFields) + " fields");
            }
            std::vector<const json::Value*> nested;
            const std::string where =
                (parent != nullptr ? parent->name + " " : std::string()) + "#" + std::to_string(i + 1);
            Result<FieldDef> f = field(*items[i], where, nested);
            OUTPOST_TRY(f);
            if (parent != nullptr) {
                f->parent = parent->name;
                f->repeat = parent->kind == FieldKind::kRepeat ? parent->name : parent->repeat;
                parent->fields.push_back(f->name);
            }
            if (!f->repeat.empty() && f->kind == FieldKind::kRepeat) {
                return fail(f->name, "a repeat inside a repeat is not supported (one level of repeats)");
            }
            if (!f->repeat.empty() && (!f->transitions.empty() || !f->requires_answers.empty())) {
                return fail(f->name, "a field inside a repeat cannot have a lifecycle");
            }
            if (s.def(f->name) != nullptr) {
                return fail(f->name, "is defined twice");
            }
            const std::size_t at = s.fields.size();
            s.fields.push_back(std::move(*f));
            if (!nested.empty()) {
                // Children are appended after the container; its `fields` list is filled as they come.
                OUTPOST_TRY(fields_into(nested, s, nullptr, depth + 1, at));
            }
        }
        return Status::ok();
    }

    Status fields_into(const std::vector<const json::Value*>& items, Schema& s, FieldDef*, int depth,
                       std::size_t parent_index) const {
        // s.fields may grow (and move) while children are read: work on a copy of the container, then
        // write back its list of children.
        FieldDef container = s.fields[parent_index];
        OUTPOST_TRY(fields_into(items, s, &container, depth));
        s.fields[parent_index].fields = container.fields;
        return Status::ok();
    }

    // Every ${name} an expression of `f` uses must be a field of the form (a repeat's field only from
    // inside that repeat or through count(), sum(), min() or max()).
    Status references(const Schema& s, const FieldDef& f) const {
        for (const auto& [key, e] : {std::pair<const char*, const ExpressionPtr&>{"relevant", f.relevant},
                                     {"required", f.required_if},
                                     {"constraint", f.constraint},
                                     {"calculate", f.calculate},
                                     {"choice_filter", f.choice_filter}}) {
            if (!e) {
                continue;
            }
            for (const std::string& r : e->references()) {
                const FieldDef* other = s.def(r);
                if (other == nullptr) {
                    return Status::error(errc::kFormExpressionInvalid, source + ": field '" + f.name + "': '" + key +
                                                                           "' refers to ${" + r +
                                                                           "}, which is not a field of this form");
                }
            }
            if (e->uses_columns() && e.get() != f.choice_filter.get()) {
                return Status::error(errc::kFormExpressionInvalid, source + ": field '" + f.name + "': '" + key +
                                                                       "' uses a bare name; write a field as ${name}");
            }
        }
        return Status::ok();
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
        if (version == nullptr || version->type != json::Value::Type::kInteger || version->integer < 1 ||
            version->integer > 1'000'000) {
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
            if (key == "description" || key == "default_language") {
                if (v.type != json::Value::Type::kText) {
                    return fail("", "'" + key + "' must be text");
                }
                (key == "description" ? s.description : s.default_language) = v.text;
            } else if (key == "retired") {
                if (v.type != json::Value::Type::kBool) {
                    return fail("", "'retired' must be true or false");
                }
                s.retired = v.boolean;
            } else if (key == "translations") {
                std::map<std::string, std::map<std::string, std::string>> t;
                OUTPOST_TRY(translations(v, "", {"title", "description"}, t));
                for (auto& [lang, texts] : t) {
                    s.title_translations[lang] = texts["title"];
                }
            } else if (key != "type" && key != "version" && key != "title" && key != "fields" && key != "purpose") {
                return fail("", "unknown property '" + key + "'");
            }
        }
        std::vector<const json::Value*> top;
        for (const json::Value& f : fields->items) {
            top.push_back(&f);
        }
        OUTPOST_TRY(fields_into(top, s, nullptr, 0));
        for (const FieldDef& f : s.fields) {
            OUTPOST_TRY(references(s, f));
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
                const FieldDef* on = s.def(f.visible_if->field);
                if (on == nullptr || on == &f || on->repeat != f.repeat) {
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

}  // namespace

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

Result<std::vector<FormFile>> read_form_files(const std::filesystem::path& dir) {
    std::error_code ec;
    std::vector<std::filesystem::path> paths;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
        if (e.is_regular_file() && e.path().extension() == ".json") {
            paths.push_back(e.path());
        }
    }
    if (ec) {
        return Status::error(errc::kIo, "cannot read the forms folder " + path_to_utf8(dir) + ": " + ec.message());
    }
    std::sort(paths.begin(), paths.end());
    std::vector<FormFile> out;
    for (const auto& p : paths) {
        std::ifstream in(p, std::ios::binary);
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (!in.is_open() || in.bad()) {
            return Status::error(errc::kIo, "cannot read " + path_to_utf8(p));
        }
        out.push_back(FormFile{path_to_utf8(p.filename()), std::move(text)});
    }
    return out;
}

Result<std::vector<Schema>> parse_form_files(const std::vector<FormFile>& files) {
    std::vector<Schema> out;
    std::set<std::string> types;
    for (const FormFile& f : files) {
        Result<Schema> s = parse_schema(f.text, f.name);
        OUTPOST_TRY(s);
        if (!types.insert(s->type).second) {
            return Status::error(errc::kRecordSchemaInvalid,
                                 f.name + ": type '" + s->type + "' is defined by another file too");
        }
        out.push_back(std::move(*s));
    }
    return out;
}

Result<std::vector<Schema>> load_schemas(const std::filesystem::path& dir) {
    Result<std::vector<FormFile>> files = read_form_files(dir);
    OUTPOST_TRY(files);
    return parse_form_files(*files);
}

}  // namespace outpost::records
