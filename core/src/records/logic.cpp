#include "outpost/core/records/logic.h"

#include <algorithm>

#include "outpost/core/error_codes.h"
#include "outpost/core/time_format.h"
#include "schema_internal.h"

namespace outpost::records {

namespace {

constexpr int kSettlePasses = 4;

const FieldValue* find_value(const Values& values, std::string_view key) {
    const auto it = values.find(key);
    return it == values.end() ? nullptr : &it->second;
}

// The legacy visible_if rule: shown when the other field's value (or any of its choices) is listed.
bool visible_if_holds(const FieldDef& f, const Values& values, std::string_view item) {
    if (!f.visible_if) {
        return true;
    }
    const std::string key =
        f.repeat.empty() || item.empty() ? f.visible_if->field : item_key(f.repeat, item, f.visible_if->field);
    const FieldValue* v = find_value(values, key);
    if (v == nullptr) {
        return false;
    }
    const auto& allowed = f.visible_if->values;
    auto in = [&](const std::string& s) { return std::find(allowed.begin(), allowed.end(), s) != allowed.end(); };
    if (const auto* b = std::get_if<bool>(v)) {
        return in(*b ? "yes" : "no");
    }
    if (const auto* s = std::get_if<std::string>(v)) {
        return in(*s);
    }
    if (const auto* l = std::get_if<std::vector<std::string>>(v)) {
        return std::any_of(l->begin(), l->end(), in);
    }
    return false;
}

std::string key_of(const FieldDef& f, std::string_view item) {
    return f.repeat.empty() ? f.name : item_key(f.repeat, item, f.name);
}

// The value a calculation gives for a calculate field (text, as it is stored).
FieldValue calculated(const Schema& schema, const FieldDef& f, const Values& values, std::string_view today,
                      std::string_view item) {
    const RecordScope scope(schema, values, today, f.repeat, item);
    std::string text = f.calculate->evaluate(scope).as_text();
    if (text.empty() || text == "NaN") {
        return FieldValue{};
    }
    return FieldValue{std::move(text)};
}

bool same_value(const FieldValue* a, const FieldValue& b) {
    if (a == nullptr) {
        return is_empty(b);
    }
    return *a == b;
}

}  // namespace

ExprValue expr_value(const FieldDef& f, const FieldValue& v) {
    if (const auto* s = std::get_if<std::string>(&v)) {
        return ExprValue::of_text(*s);
    }
    if (const auto* i = std::get_if<std::int64_t>(&v)) {
        return ExprValue::of_number(static_cast<double>(*i));
    }
    if (const auto* d = std::get_if<double>(&v)) {
        return ExprValue::of_number(*d);
    }
    if (const auto* b = std::get_if<bool>(&v)) {
        return ExprValue::of_text(*b ? "yes" : "no");
    }
    if (const auto* l = std::get_if<std::vector<std::string>>(&v)) {
        std::string out;
        for (const std::string& c : *l) {
            out += (out.empty() ? "" : " ") + c;
        }
        return ExprValue::of_text(std::move(out));
    }
    if (const auto* loc = std::get_if<Location>(&v)) {
        return ExprValue::of_text(number_text(loc->latitude) + " " + number_text(loc->longitude) + " 0 " +
                                  number_text(loc->accuracy_m));
    }
    (void)f;
    return ExprValue::of_text("");
}

std::string today_of(std::int64_t ms) {
    return iso_utc(ms).substr(0, 10);
}

RecordScope::RecordScope(const Schema& schema, const Values& values, std::string_view today, std::string_view repeat,
                         std::string_view item)
    : m_schema(schema), m_values(values), m_today(today), m_repeat(repeat), m_item(item) {
}

ExprValue RecordScope::field(std::string_view name) const {
    const FieldDef* def = m_schema.def(name);
    if (def == nullptr || !holds_value(def->kind)) {
        return ExprValue::of_text("");
    }
    const FieldValue* v = nullptr;
    if (def->repeat.empty()) {
        v = find_value(m_values, name);
    } else if (def->repeat == m_repeat && !m_item.empty()) {
        v = find_value(m_values, item_key(m_repeat, m_item, name));
    }
    return v == nullptr ? ExprValue::of_text("") : expr_value(*def, *v);
}

std::vector<ExprValue> RecordScope::field_values(std::string_view name) const {
    const FieldDef* def = m_schema.def(name);
    std::vector<ExprValue> out;
    if (def == nullptr) {
        return out;
    }
    if (def->kind == FieldKind::kRepeat) {
        for (std::string& item : repeat_items(m_values, def->name)) {
            out.push_back(ExprValue::of_text(std::move(item)));
        }
        return out;
    }
    if (def->repeat.empty()) {
        out.push_back(field(name));
        return out;
    }
    for (const std::string& item : repeat_items(m_values, def->repeat)) {
        const FieldValue* v = find_value(m_values, item_key(def->repeat, item, def->name));
        out.push_back(v == nullptr ? ExprValue::of_text("") : expr_value(*def, *v));
    }
    return out;
}

ExprValue RecordScope::column(std::string_view name) const {
    if (m_choice == nullptr) {
        return ExprValue::of_text("");
    }
    if (name == "name") {
        return ExprValue::of_text(m_choice->name);
    }
    const auto it = m_choice->filter.find(name);
    return ExprValue::of_text(it == m_choice->filter.end() ? std::string() : it->second);
}

std::vector<std::string> repeat_items(const Values& values, std::string_view repeat) {
    std::vector<std::string> items;
    const std::string prefix = std::string(repeat) + ".";
    for (auto it = values.lower_bound(prefix); it != values.end() && it->first.compare(0, prefix.size(), prefix) == 0;
         ++it) {
        const std::optional<ItemKey> k = split_item_key(it->first);
        if (!k || k->repeat != repeat) {
            continue;
        }
        if (items.empty() || items.back() != k->item) {
            items.emplace_back(k->item);
        }
    }
    std::erase_if(items, [&](const std::string& item) {
        const FieldValue* removed = find_value(values, item_key(repeat, item, "_removed"));
        const bool* b = removed != nullptr ? std::get_if<bool>(removed) : nullptr;
        return b != nullptr && *b;
    });
    return items;
}

std::string new_item_id(std::int64_t ms, std::uint32_t salt) {
    static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    // 6 characters of seconds-and-tenths (time-ordered for decades), 2 of salt.
    auto t = static_cast<std::uint64_t>(ms < 0 ? 0 : ms / 100);
    std::string out(8, '0');
    for (int i = 5; i >= 0; --i) {
        out[static_cast<std::size_t>(i)] = kDigits[t % 36];
        t /= 36;
    }
    out[6] = kDigits[salt % 36];
    out[7] = kDigits[(salt / 36) % 36];
    return out;
}

bool is_relevant(const Schema& schema, const FieldDef& f, const Values& values, std::string_view today,
                 std::string_view item) {
    if (!f.parent.empty()) {
        const FieldDef* parent = schema.def(f.parent);
        // A repeat's own relevance is a question about the record, not about one item.
        if (parent != nullptr &&
            !is_relevant(schema, *parent, values, today, parent->kind == FieldKind::kRepeat ? "" : item)) {
            return false;
        }
    }
    if (!visible_if_holds(f, values, item)) {
        return false;
    }
    if (f.relevant) {
        const RecordScope scope(schema, values, today, f.kind == FieldKind::kRepeat ? "" : f.repeat, item);
        return f.relevant->test(scope);
    }
    return true;
}

bool is_required(const Schema& schema, const FieldDef& f, const Values& values, std::string_view today,
                 std::string_view item) {
    if (f.retired || !holds_value(f.kind) || f.kind == FieldKind::kCalculate) {
        return false;
    }
    if (!f.required && !f.required_if) {
        return false;
    }
    if (!is_relevant(schema, f, values, today, item)) {
        return false;
    }
    if (f.required_if) {
        const RecordScope scope(schema, values, today, f.repeat, item);
        return f.required_if->test(scope);
    }
    return true;
}

std::vector<std::string> offered_choices(const Schema& schema, const FieldDef& f, const Values& values,
                                         std::string_view today, std::string_view item) {
    if (!f.choice_filter) {
        return f.choices;
    }
    RecordScope scope(schema, values, today, f.repeat, item);
    std::vector<std::string> out;
    for (std::size_t i = 0; i < f.choices.size(); ++i) {
        const ChoiceDef plain{f.choices[i], {}, {}, {}};
        scope.set_choice(i < f.choice_defs.size() ? &f.choice_defs[i] : &plain);
        if (f.choice_filter->test(scope)) {
            out.push_back(f.choices[i]);
        }
    }
    return out;
}

Values settle(const Schema& schema, const Values& values, std::string_view today) {
    Values now = values;
    for (int pass = 0; pass < kSettlePasses; ++pass) {
        bool moved = false;
        auto visit = [&](const FieldDef& f, std::string_view item) {
            const std::string key = key_of(f, item);
            const FieldValue* current = find_value(now, key);
            FieldValue want;
            if (!is_relevant(schema, f, now, today, item)) {
                want = FieldValue{};  // a question not asked keeps no answer
            } else if (f.calculate) {
                want = calculated(schema, f, now, today, item);
            } else {
                return;
            }
            if (same_value(current, want)) {
                return;
            }
            if (std::holds_alternative<std::monostate>(want)) {
                now.erase(key);
            } else {
                now[key] = std::move(want);
            }
            moved = true;
        };
        for (const FieldDef& f : schema.fields) {
            if (!holds_value(f.kind) || f.retired) {
                continue;
            }
            if (f.repeat.empty()) {
                visit(f, "");
                continue;
            }
            for (const std::string& item : repeat_items(now, f.repeat)) {
                visit(f, item);
            }
        }
        if (!moved) {
            break;
        }
    }
    Values changes;
    for (const auto& [k, v] : now) {
        const FieldValue* before = find_value(values, k);
        if (before == nullptr || !(*before == v)) {
            changes[k] = v;
        }
    }
    for (const auto& [k, v] : values) {
        if (now.find(k) == now.end() && !is_empty(v)) {
            changes[k] = FieldValue{};
        }
    }
    return changes;
}

std::vector<FieldError> check_logic(const Schema& schema, const Values& values, const std::vector<std::string>& changed,
                                    std::string_view today) {
    std::vector<FieldError> errors;
    auto was_changed = [&](const std::string& key) {
        return std::find(changed.begin(), changed.end(), key) != changed.end();
    };
    auto check = [&](const FieldDef& f, std::string_view item) {
        const std::string key = key_of(f, item);
        const FieldValue* v = find_value(values, key);
        const bool answered = v != nullptr && !is_empty(*v);
        if (!answered) {
            if (is_required(schema, f, values, today, item)) {
                errors.push_back({key, std::string(errc::kFieldRequired),
                                  f.required_message.empty() ? f.label + " is required." : f.required_message});
            }
            return;
        }
        if (!is_relevant(schema, f, values, today, item)) {
            if (was_changed(key)) {
                errors.push_back({key, std::string(errc::kFieldNotRelevant),
                                  f.label + " is not asked for this record, so it must be left empty."});
            }
            return;
        }
        if (f.constraint) {
            RecordScope scope(schema, values, today, f.repeat, item);
            scope.set_self(expr_value(f, *v));
            if (!f.constraint->test(scope)) {
                errors.push_back({key, std::string(errc::kFieldConstraint),
                                  f.constraint_message.empty() ? f.label + " does not pass the form's check."
                                                               : f.constraint_message});
            }
        }
    };
    for (const FieldDef& f : schema.fields) {
        if (f.kind == FieldKind::kRepeat) {
            const std::size_t n = repeat_items(values, f.name).size();
            if (static_cast<std::int64_t>(n) > f.max_items) {
                errors.push_back(
                    {f.name, std::string(errc::kFieldOutOfRange),
                     f.label + " has " + std::to_string(n) + " items; at most " + std::to_string(f.max_items) + "."});
            }
            continue;
        }
        if (!holds_value(f.kind)) {
            continue;
        }
        if (f.repeat.empty()) {
            check(f, "");
            continue;
        }
        for (const std::string& item : repeat_items(values, f.repeat)) {
            check(f, item);
        }
    }
    return errors;
}

}  // namespace outpost::records
