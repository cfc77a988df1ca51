// The form expression language (records/expr.h): the ODK XPath subset, its conversions, and errors
// that name the position.
#include "outpost/core/records/expr.h"

#include <doctest/doctest.h>

#include <map>
#include <string>

#include "outpost/core/error_codes.h"

namespace {

using outpost::records::Expression;
using outpost::records::ExprScope;
using outpost::records::ExprValue;

struct MapScope : ExprScope {
    std::map<std::string, ExprValue, std::less<>> fields;
    std::map<std::string, std::vector<ExprValue>, std::less<>> lists;
    ExprValue me = ExprValue::of_text("");
    ExprValue field(std::string_view name) const override {
        auto it = fields.find(name);
        return it == fields.end() ? ExprValue::of_text("") : it->second;
    }
    std::vector<ExprValue> field_values(std::string_view name) const override {
        auto it = lists.find(name);
        return it == lists.end() ? std::vector<ExprValue>{field(name)} : it->second;
    }
    ExprValue self() const override { return me; }
    ExprValue column(std::string_view name) const override {
        return ExprValue::of_text(name == "county" ? "north" : "");
    }
    std::string today() const override { return "2026-12-06"; }
};

std::string eval(const std::string& text, const MapScope& scope) {
    auto e = Expression::parse(text);
    REQUIRE_MESSAGE(e.is_ok(), text << ": " << e.status().message());
    return e->evaluate(scope).as_text();
}

std::string error_of(const std::string& text) {
    auto e = Expression::parse(text);
    REQUIRE_FALSE(e.is_ok());
    CHECK(e.status().code() == outpost::errc::kFormExpressionInvalid);
    return e.status().message();
}

}  // namespace

TEST_CASE("Expressions: arithmetic, comparison and logic follow XPath precedence") {
    MapScope s;
    CHECK(eval("1 + 2 * 3", s) == "7");
    CHECK(eval("(1 + 2) * 3", s) == "9");
    CHECK(eval("7 div 2", s) == "3.5");
    CHECK(eval("7 mod 3", s) == "1");
    CHECK(eval("-3 + 5", s) == "2");
    CHECK(eval("1 < 2 and 2 < 3", s) == "true");
    CHECK(eval("1 > 2 or 3 >= 3", s) == "true");
    CHECK(eval("not(1 = 1)", s) == "false");
    CHECK(eval("1 != 2", s) == "true");
    CHECK(eval("0.1 + 0.2", s) == "0.3");
    CHECK(eval("1 div 0", s) == "Infinity");
}

TEST_CASE("Expressions: fields, conversions and an unanswered field") {
    MapScope s;
    s.fields["age"] = ExprValue::of_number(17);
    s.fields["name"] = ExprValue::of_text("Ann Jones");
    s.fields["visit"] = ExprValue::of_text("2026-12-01");
    CHECK(eval("${age} > 16", s) == "true");
    CHECK(eval("${age} + 1", s) == "18");
    CHECK(eval("${missing} > 17", s) == "false");  // '' is NaN as a number
    CHECK(eval("${missing} = ''", s) == "true");
    CHECK(eval("${name} = 'Ann Jones'", s) == "true");
    CHECK(eval("'10' = 10", s) == "true");  // a number on one side compares as numbers
    CHECK(eval("today() - ${visit}", s) == "5");
    CHECK(eval("${visit} < today()", s) == "true");
    CHECK(eval("'14:30' > '09:15'", s) == "true");
}

TEST_CASE("Expressions: the functions ODK forms use") {
    MapScope s;
    s.fields["needs"] = ExprValue::of_text("meals shopping");
    s.fields["phone"] = ExprValue::of_text("07700 900123");
    s.lists["score"] = {ExprValue::of_number(3), ExprValue::of_text(""), ExprValue::of_number(4)};
    s.lists["rooms"] = {ExprValue::of_text("a"), ExprValue::of_text("b")};
    CHECK(eval("selected(${needs}, 'meals')", s) == "true");
    CHECK(eval("selected(${needs}, 'meal')", s) == "false");
    CHECK(eval("count-selected(${needs})", s) == "2");
    CHECK(eval("string-length('Cymraeg ŵ')", s) == "9");
    CHECK(eval("regex(${phone}, '^07[0-9]{3} [0-9]{6}$')", s) == "true");
    CHECK(eval("regex(${phone}, '^01')", s) == "false");
    CHECK(eval("if(${missing} = '', 'none', 'some')", s) == "none");
    CHECK(eval("concat('a', 1, true())", s) == "a1true");
    CHECK(eval("coalesce(${missing}, 'fallback')", s) == "fallback");
    CHECK(eval("int(-3.7)", s) == "-3");
    CHECK(eval("round(2.345, 2)", s) == "2.35");
    CHECK(eval("count(${rooms})", s) == "2");
    CHECK(eval("sum(${score})", s) == "7");  // unanswered items are left out
    CHECK(eval("max(${score})", s) == "4");
    CHECK(eval("min(${score})", s) == "3");
    CHECK(eval("contains('household', 'hold')", s) == "true");
    CHECK(eval("starts-with('household', 'house')", s) == "true");
    CHECK(eval("today()", s) == "2026-12-06");
}

TEST_CASE("Expressions: '.' is the answer and bare names are choice columns") {
    MapScope s;
    s.me = ExprValue::of_number(130);
    auto e = Expression::parse(". >= 0 and . <= 120");
    REQUIRE(e.is_ok());
    CHECK(e->uses_self());
    CHECK_FALSE(e->test(s));
    s.me = ExprValue::of_number(40);
    CHECK(e->test(s));
    auto f = Expression::parse("county = 'north'");
    REQUIRE(f.is_ok());
    CHECK(f->uses_columns());
    CHECK(f->test(s));
}

TEST_CASE("Expressions: references are listed once each, in order") {
    auto e = Expression::parse("${a} + ${b} * ${a} + sum(${c})");
    REQUIRE(e.is_ok());
    CHECK(e->references() == std::vector<std::string>{"a", "b", "c"});
}

TEST_CASE("Expressions: malformed expressions are refused with the position") {
    CHECK(error_of("1 +") == "at position 4: the expression ends too soon");
    CHECK(error_of("${age > 3") == "at position 1: a field is written ${name}, with a letter first");
    CHECK(error_of("'open") == "at position 1: text is not closed (a ' is missing)");
    CHECK(error_of("frobnicate(1)") == "at position 1: unknown function 'frobnicate()'");
    CHECK(error_of("if(1, 2)") == "at position 1: if() takes 3 arguments, not 2");
    CHECK(error_of("(1 + 2") == "at position 7: a ')' is missing");
    CHECK(error_of("1 2") == "at position 3: unexpected '2'");
    CHECK(error_of("${a} ! 2") == "at position 6: '!' must be part of '!='; use not() for 'not'");
    CHECK(error_of("sum(3)") == "at position 1: sum() takes a field, like sum(${rooms})");
    CHECK(error_of("regex(., '(')") == "at position 1: regex() pattern is not a valid regular expression");
    CHECK(error_of("   ") == "at position 1: the expression is empty");
    CHECK(error_of("1 # 2") == "at position 3: unexpected character '#'");
}

TEST_CASE("Expressions: deep nesting and long text are refused, not a crash") {
    std::string deep(200, '(');
    deep += "1";
    deep += std::string(200, ')');
    CHECK(error_of(deep).find("nested too deeply") != std::string::npos);
    std::string longer = "1";
    while (longer.size() <= 4096) {
        longer += " + 1";
    }
    CHECK(error_of(longer).find("longer than 4096") != std::string::npos);
}
