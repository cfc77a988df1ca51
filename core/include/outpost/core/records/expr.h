// Form logic: the expression language of a form's `relevant`, `required`, `constraint`, `calculate`
// and `choice_filter` (docs/FORMS.md). It is the ODK XPath subset that XLSForms use, so expressions
// written for ODK, Kobo or SurveyCTO carry over:
//   ${field}  a field of the record (inside a repeat item: a sibling in the same item first)
//   .         the value being checked (in a constraint)
//   name      a bare name: a column of the choice being filtered (in a choice_filter)
//   'text' "text" 12 3.5
//   or  and  = != < <= > >=  + -  * div mod  unary -  ( )
//   not() selected() count-selected() today() string-length() regex() if() concat() coalesce()
//   contains() starts-with() int() number() string() boolean() round() true() false()
//   count(${repeat}) sum() min() max() over a repeat's field
// Values are text, numbers and booleans, converted as XPath 1.0 converts them: an unanswered field is
// '', a number from text that is not a number is NaN (so `${age} > 17` is false while age is empty),
// a date 'YYYY-MM-DD' counts as days since 1970-01-01 and a time 'HH:MM' as a fraction of a day, so
// dates compare and subtract. A multiple choice is its codes separated by spaces; yes/no is 'yes' or
// 'no'. Evaluation never fails: a bad regular expression met at run time matches nothing.
//
// The laptop and the server evaluate with this one implementation, over the same decoded values.
//
// Thread-safety: an Expression is immutable after parse and may be evaluated from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "outpost/core/status.h"

namespace outpost::records {

struct ExprValue {
    enum class Type { kText, kNumber, kBool };
    Type type = Type::kText;
    std::string text;
    double number = 0;
    bool boolean = false;

    static ExprValue of_text(std::string s) { return {Type::kText, std::move(s), 0, false}; }
    static ExprValue of_number(double d) { return {Type::kNumber, {}, d, false}; }
    static ExprValue of_bool(bool b) { return {Type::kBool, {}, 0, b}; }
    [[nodiscard]] std::string as_text() const;
    [[nodiscard]] double as_number() const;
    [[nodiscard]] bool as_bool() const;
};

// Where an expression's names come from. The record's values, the repeat item being looked at, the
// choice being filtered, and the date. Implementations: records/logic.h.
class ExprScope {
public:
    virtual ~ExprScope() = default;
    // ${name}: the field's value ('' when unanswered or unknown).
    [[nodiscard]] virtual ExprValue field(std::string_view name) const = 0;
    // Every value of ${name} across a repeat's items (for count, sum, min, max); a field outside a
    // repeat gives its one value. count(${repeat}) gets one entry per item.
    [[nodiscard]] virtual std::vector<ExprValue> field_values(std::string_view name) const = 0;
    // '.': the value being checked.
    [[nodiscard]] virtual ExprValue self() const { return ExprValue::of_text(""); }
    // A bare name: the filtered choice's column ('' when none).
    [[nodiscard]] virtual ExprValue column(std::string_view) const { return ExprValue::of_text(""); }
    // today(): 'YYYY-MM-DD', in the laptop's or the server's calendar.
    [[nodiscard]] virtual std::string today() const = 0;
};

class Expression {
public:
    struct Node;
    // Parses `text`. Failure: form.expression.invalid, message "at position N: <problem>" (N counts
    // bytes from 1). Refuses text over 4,096 bytes or nested deeper than 64.
    [[nodiscard]] static Result<Expression> parse(std::string_view text);

    [[nodiscard]] ExprValue evaluate(const ExprScope& scope) const;
    [[nodiscard]] bool test(const ExprScope& scope) const { return evaluate(scope).as_bool(); }

    // The ${field} names it refers to, each once, in order of first use.
    [[nodiscard]] const std::vector<std::string>& references() const { return m_refs; }
    // Whether it uses '.' or bare (choice column) names.
    [[nodiscard]] bool uses_self() const { return m_uses_self; }
    [[nodiscard]] bool uses_columns() const { return m_uses_columns; }
    [[nodiscard]] const std::string& text() const { return m_text; }

private:
    std::shared_ptr<const Node> m_root;
    std::vector<std::string> m_refs;
    bool m_uses_self = false;
    bool m_uses_columns = false;
    std::string m_text;
};

// A number as XPath writes it: whole numbers without a point, others with up to 15 significant
// digits, NaN as "NaN". Used for calculated answers.
[[nodiscard]] std::string number_text(double d);
// Days since 1970-01-01 of a 'YYYY-MM-DD' date, or NaN.
[[nodiscard]] double date_number(std::string_view text);

}  // namespace outpost::records
