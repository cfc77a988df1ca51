// Property: the laptop and the server reach the same verdict on form logic. The laptop evaluates over
// the values its engine holds; the server over the same values after the wire (encode_value on the
// laptop, decode_value for the field's kind on the server). Thousands of random expressions over
// random records must agree, and so must the whole-record check (check_logic) that each side runs.
#include <doctest/doctest.h>

#include <random>
#include <string>

#include "outpost/core/records/engine.h"
#include "outpost/core/records/logic.h"

namespace {

using namespace outpost;
using records::FieldValue;
using records::Values;

constexpr const char* kForm = R"({
  "type": "prop", "version": 1, "title": "Property",
  "fields": [
    {"name": "n_int", "kind": "integer", "label": "Int"},
    {"name": "n_dec", "kind": "decimal", "label": "Dec"},
    {"name": "t_text", "kind": "text", "label": "Text"},
    {"name": "c_one", "kind": "choice", "label": "One", "choices": ["a", "b", "c"]},
    {"name": "c_many", "kind": "multi_choice", "label": "Many", "choices": ["a", "b", "c"]},
    {"name": "yn", "kind": "yes_no", "label": "YN"},
    {"name": "d_date", "kind": "date", "label": "Date"},
    {"name": "t_time", "kind": "time", "label": "Time"},
    {"name": "rep", "kind": "repeat", "label": "Rep", "fields": [
      {"name": "r_num", "kind": "integer", "label": "Num"},
      {"name": "r_text", "kind": "text", "label": "RText"}]}
  ]
})";

struct Gen {
    std::mt19937_64 rng;
    int pick(int n) { return static_cast<int>(rng() % static_cast<std::uint64_t>(n)); }

    std::string field() {
        static const char* names[] = {"n_int", "n_dec", "t_text", "c_one", "c_many", "yn", "d_date", "t_time"};
        return std::string("${") + names[pick(8)] + "}";
    }
    std::string literal() {
        switch (pick(5)) {
            case 0:
                return std::to_string(pick(40) - 10);
            case 1:
                return std::to_string(pick(100)) + "." + std::to_string(pick(10));
            case 2: {
                static const char* texts[] = {"'a'", "'b'", "''", "'yes'", "'no'", "'2026-01-15'", "'12:30'", "'x y'"};
                return texts[pick(8)];
            }
            case 3:
                return pick(2) == 0 ? "true()" : "false()";
            default:
                return "today()";
        }
    }
    std::string expr(int depth) {
        if (depth <= 0) {
            return pick(2) == 0 ? field() : literal();
        }
        static const char* binops[] = {
            " + ", " - ", " * ", " div ", " mod ", " = ", " != ", " < ", " <= ", " > ", " >= ", " and ", " or "};
        switch (pick(12)) {
            case 0:
            case 1:
            case 2:
            case 3:
                return "(" + expr(depth - 1) + binops[pick(13)] + expr(depth - 1) + ")";
            case 4:
                return "not(" + expr(depth - 1) + ")";
            case 5:
                return "selected(" + field() + ", " + literal() + ")";
            case 6:
                return "if(" + expr(depth - 1) + ", " + expr(depth - 1) + ", " + expr(depth - 1) + ")";
            case 7:
                return "string-length(" + expr(depth - 1) + ")";
            case 8:
                return pick(2) == 0 ? "sum(${r_num})" : "count(${rep})";
            case 9:
                return "concat(" + expr(depth - 1) + ", " + expr(depth - 1) + ")";
            case 10:
                return "round(" + expr(depth - 1) + ", " + std::to_string(pick(3)) + ")";
            default:
                return "-" + expr(depth - 1);
        }
    }

    Values record() {
        Values v;
        if (pick(4) != 0) {
            v["n_int"] = static_cast<std::int64_t>(pick(200) - 100);
        }
        if (pick(4) != 0) {
            v["n_dec"] = pick(2) == 0 ? FieldValue{(pick(20000) - 10000) / 100.0} : FieldValue{std::int64_t{pick(9)}};
        }
        if (pick(4) != 0) {
            static const char* texts[] = {"a", "Ann Jones", "12", "-3.5", "2026-01-15", "ŵ ŷ", " ", "yes"};
            v["t_text"] = std::string(texts[pick(8)]);
        }
        if (pick(4) != 0) {
            v["c_one"] = std::string(1, static_cast<char>('a' + pick(3)));
        }
        if (pick(4) != 0) {
            std::vector<std::string> many;
            for (const char* c : {"a", "b", "c"}) {
                if (pick(2) == 0) {
                    many.emplace_back(c);
                }
            }
            v["c_many"] = many;
        }
        if (pick(4) != 0) {
            v["yn"] = pick(2) == 0;
        }
        if (pick(4) != 0) {
            v["d_date"] = "2026-0" + std::to_string(1 + pick(9)) + "-1" + std::to_string(pick(10));
        }
        if (pick(4) != 0) {
            v["t_time"] = std::to_string(10 + pick(14)) + ":" + std::to_string(10 + pick(50));
        }
        const int items = pick(4);
        for (int i = 0; i < items; ++i) {
            const std::string item = "item000" + std::to_string(i);
            if (pick(3) != 0) {
                v["rep." + item + ".r_num"] = static_cast<std::int64_t>(pick(10));
            }
            v["rep." + item + ".r_text"] = std::string("t");
        }
        return v;
    }
};

// The values as the server decodes them from the wire.
Values over_the_wire(const records::Schema& s, const Values& laptop) {
    Values out;
    for (const auto& [name, value] : laptop) {
        const records::FieldDef* def = s.field(name);
        REQUIRE(def != nullptr);
        auto decoded = records::decode_value(def->kind, records::encode_value(value));
        REQUIRE_MESSAGE(decoded.is_ok(), name << ": " << decoded.status().message());
        out[name] = *decoded;
    }
    return out;
}

}  // namespace

TEST_CASE("Logic property: laptop and server evaluate thousands of random expressions alike") {
    auto schema = records::parse_schema(kForm, "prop.json");
    REQUIRE_MESSAGE(schema.is_ok(), schema.status().message());
    Gen g{std::mt19937_64(20261206)};
    int checked = 0;
    int true_seen = 0;
    for (int round = 0; round < 4000; ++round) {
        const std::string text = g.expr(1 + g.pick(4));
        auto e = records::Expression::parse(text);
        REQUIRE_MESSAGE(e.is_ok(), text << ": " << e.status().message());
        const Values laptop = g.record();
        const Values server = over_the_wire(*schema, laptop);
        const records::RecordScope on_laptop(*schema, laptop, "2026-12-06");
        const records::RecordScope on_server(*schema, server, "2026-12-06");
        const records::ExprValue a = e->evaluate(on_laptop);
        const records::ExprValue b = e->evaluate(on_server);
        CHECK_MESSAGE(a.as_text() == b.as_text(), text);
        CHECK_MESSAGE(a.as_bool() == b.as_bool(), text);
        true_seen += a.as_bool() ? 1 : 0;
        ++checked;
    }
    CHECK(checked == 4000);
    // The generator exercises both verdicts, so agreement means something.
    CHECK(true_seen > 400);
    CHECK(true_seen < 3600);
}

TEST_CASE("Logic property: the whole-record check agrees on both sides for random rules") {
    Gen g{std::mt19937_64(7)};
    int refused = 0;
    for (int round = 0; round < 1500; ++round) {
        // A form whose rules are random expressions.
        const std::string form =
            std::string(R"({"type": "prop", "version": 1, "title": "P", "fields": [)") +
            R"({"name": "n_int", "kind": "integer", "label": "Int", "constraint": ")" + g.expr(2) + R"("},)" +
            R"({"name": "t_text", "kind": "text", "label": "Text", "relevant": ")" + g.expr(2) + R"(", "required": ")" +
            g.expr(1) + R"("},)" + R"({"name": "n_dec", "kind": "decimal", "label": "Dec"},)" +
            R"({"name": "c_one", "kind": "choice", "label": "One", "choices": ["a", "b", "c"]},)" +
            R"({"name": "c_many", "kind": "multi_choice", "label": "M", "choices": ["a","b","c"]},)" +
            R"({"name": "yn", "kind": "yes_no", "label": "YN"},)" +
            R"({"name": "d_date", "kind": "date", "label": "D"},)" +
            R"({"name": "t_time", "kind": "time", "label": "T"},)" +
            R"({"name": "rep", "kind": "repeat", "label": "R", "fields": [)" +
            R"({"name": "r_num", "kind": "integer", "label": "N"},)" +
            R"({"name": "r_text", "kind": "text", "label": "RT"}]}]})";
        auto schema = records::parse_schema(form, "prop.json");
        REQUIRE_MESSAGE(schema.is_ok(), schema.status().message());
        const Values laptop = g.record();
        const Values server = over_the_wire(*schema, laptop);
        std::vector<std::string> changed;
        for (const auto& [k, v] : laptop) {
            changed.push_back(k);
        }
        const auto a = records::check_logic(*schema, laptop, changed, "2026-12-06");
        const auto b = records::check_logic(*schema, server, changed, "2026-12-06");
        REQUIRE(a.size() == b.size());
        for (std::size_t i = 0; i < a.size(); ++i) {
            CHECK(a[i] == b[i]);
        }
        refused += a.empty() ? 0 : 1;
    }
    CHECK(refused > 100);
    CHECK(refused < 1400);
}

TEST_CASE("Logic property: a damaged expression is refused with a position inside it, never a crash") {
    Gen g{std::mt19937_64(99)};
    int refused = 0;
    for (int round = 0; round < 3000; ++round) {
        std::string text = g.expr(3);
        const std::size_t at = static_cast<std::size_t>(g.pick(static_cast<int>(text.size())));
        static const char junk[] = "()$'{},.!<#";
        if (g.pick(2) == 0) {
            text.erase(at, 1);
        } else {
            text.insert(at, 1, junk[g.pick(11)]);
        }
        auto e = records::Expression::parse(text);
        if (e.is_ok()) {
            continue;
        }
        ++refused;
        const std::string& m = e.status().message();
        REQUIRE(m.rfind("at position ", 0) == 0);
        const std::size_t pos = std::stoul(m.substr(12));
        CHECK(pos >= 1);
        CHECK(pos <= text.size() + 1);
    }
    CHECK(refused > 1000);
}
