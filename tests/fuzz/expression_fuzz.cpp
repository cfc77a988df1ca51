// Fuzz target: the form expression language (records/expr.h), which reads rules written by form
// designers and imported from spreadsheets. Any input must be refused with form.expression.invalid and
// a position inside the text (or just past it), or parse to an expression that evaluates without
// crashing over a record, and a second parse of the same text must agree (parsing is deterministic).
//
// Input: the expression text. Evaluation runs over a fixed scope whose fields hold numbers, text, a
// date and a repeat, so every conversion is reached.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz_target.h"
#include "outpost/core/error_codes.h"
#include "outpost/core/records/expr.h"

namespace {

using outpost::records::ExprValue;

struct Scope final : outpost::records::ExprScope {
    ExprValue field(std::string_view name) const override {
        if (name == "n") {
            return ExprValue::of_number(42);
        }
        if (name == "d") {
            return ExprValue::of_text("2026-02-29");
        }
        return ExprValue::of_text(name.empty() ? "" : "a b c");
    }
    std::vector<ExprValue> field_values(std::string_view name) const override {
        return {field(name), ExprValue::of_number(-1.5), ExprValue::of_text("")};
    }
    ExprValue self() const override { return ExprValue::of_text("12:30"); }
    ExprValue column(std::string_view) const override { return ExprValue::of_text("north"); }
    std::string today() const override { return "2026-12-06"; }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* raw, std::size_t size) {
    using outpost::records::Expression;
    const std::string_view text(reinterpret_cast<const char*>(raw), size);
    auto e = Expression::parse(text);
    if (!e.is_ok()) {
        if (e.status().code() != outpost::errc::kFormExpressionInvalid) {
            std::abort();
        }
        const std::string& m = e.status().message();
        if (m.rfind("at position ", 0) != 0) {
            std::abort();
        }
        const unsigned long pos = std::strtoul(m.c_str() + 12, nullptr, 10);
        if (pos < 1 || pos > text.size() + 1) {
            std::abort();
        }
        return 0;
    }
    const Scope scope;
    const ExprValue v = e->evaluate(scope);
    auto again = Expression::parse(text);
    if (!again.is_ok() || again->references() != e->references() || again->evaluate(scope).as_text() != v.as_text()) {
        std::abort();
    }
    return 0;
}
