// Form logic over a record (docs/FORMS.md): whether a question is asked (relevant, visible_if, and its
// group's or repeat's), whether it is required, whether its answer passes its constraint, what a
// calculation gives, which choices a choice_filter offers, and a repeat's items. The laptop's records
// engine and the server's push run these same functions, so a record one accepts the other accepts.
//
// Thread-safety: pure functions over values; safe from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "outpost/core/records/expr.h"
#include "outpost/core/records/schema.h"

namespace outpost::records {

// The value an expression sees for an answer of field `f` (expr.h: numbers for number kinds, 'yes' or
// 'no', codes separated by spaces, text for the rest; '' when unanswered).
[[nodiscard]] ExprValue expr_value(const FieldDef& f, const FieldValue& v);

// 'YYYY-MM-DD' (UTC) of a time in ms since the epoch: today() for a clock reading.
[[nodiscard]] std::string today_of(std::int64_t ms);

// A record's values seen by expressions; inside repeat item `item` of `repeat` when given, where a
// sibling in the same item is found by its own name.
class RecordScope final : public ExprScope {
public:
    // Borrows `schema` and `values`, which must outlive the scope.
    RecordScope(const Schema& schema, const Values& values, std::string_view today, std::string_view repeat = {},
                std::string_view item = {});
    [[nodiscard]] ExprValue field(std::string_view name) const override;
    [[nodiscard]] std::vector<ExprValue> field_values(std::string_view name) const override;
    [[nodiscard]] ExprValue self() const override { return m_self; }
    [[nodiscard]] ExprValue column(std::string_view name) const override;
    [[nodiscard]] std::string today() const override { return m_today; }

    void set_self(ExprValue v) { m_self = std::move(v); }
    void set_choice(const ChoiceDef* c) { m_choice = c; }

private:
    const Schema& m_schema;
    const Values& m_values;
    std::string m_today;
    std::string m_repeat;
    std::string m_item;
    ExprValue m_self;
    const ChoiceDef* m_choice = nullptr;
};

// The items of `repeat` in `values` that are not removed, in id order (ids are made time-ordered).
[[nodiscard]] std::vector<std::string> repeat_items(const Values& values, std::string_view repeat);
// A new item id: 8 of [a-z0-9], time-ordered by `ms`, with `salt` (random bits) making ids from two
// laptops in the same millisecond differ.
[[nodiscard]] std::string new_item_id(std::int64_t ms, std::uint32_t salt);

// Whether field `f` is asked, given the values (in repeat item `item` for a field inside a repeat).
[[nodiscard]] bool is_relevant(const Schema& schema, const FieldDef& f, const Values& values, std::string_view today,
                               std::string_view item = {});
// Whether an answer to `f` is required now (it is then also asked).
[[nodiscard]] bool is_required(const Schema& schema, const FieldDef& f, const Values& values, std::string_view today,
                               std::string_view item = {});
// The codes of `f`'s choices its choice_filter offers now (all of them without a filter).
[[nodiscard]] std::vector<std::string> offered_choices(const Schema& schema, const FieldDef& f, const Values& values,
                                                       std::string_view today, std::string_view item = {});

// What makes `values` consistent with the form's logic: each calculation's new result and each answer
// to a question no longer asked, cleared (std::monostate). Empty when nothing changes. Calculations
// that use other calculations settle over a few passes.
[[nodiscard]] Values settle(const Schema& schema, const Values& values, std::string_view today);

// The form-logic problems of a record's complete values: a required answer missing (code
// record.field.required), an answer to a question not asked among `changed` (record.field.not_relevant),
// an answer failing its constraint (record.field.constraint), too many repeat items
// (record.field.out_of_range). `changed` names the fields this write sets.
[[nodiscard]] std::vector<FieldError> check_logic(const Schema& schema, const Values& values,
                                                  const std::vector<std::string>& changed, std::string_view today);

}  // namespace outpost::records
