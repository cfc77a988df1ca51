// Schemas: parsing (valid and invalid), the shipped forms, and a validation matrix for every field kind.
#include "outpost/core/records/schema.h"

#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <string>

#include "outpost/core/json.h"

using namespace outpost::records;

namespace {

const std::string kForms = OUTPOST_FORMS_DIR;

Schema must_parse(const std::string& fields_json) {
    auto s = parse_schema(R"({"type":"t","version":1,"title":"T","fields":[)" + fields_json + "]}", "t.json");
    REQUIRE_MESSAGE(s.is_ok(), s.status().to_string());
    return *s;
}

std::string schema_error(const std::string& doc) {
    auto s = parse_schema(doc, "bad.json");
    REQUIRE_FALSE(s.is_ok());
    CHECK(s.status().code() == "record.schema.invalid");
    CHECK(s.status().message().rfind("bad.json", 0) == 0);  // names the file first
    return s.status().message();
}

std::vector<std::string> codes_for(const Schema& s, const Values& v, const std::vector<std::string>& changed = {},
                                   std::string_view role = "worker") {
    std::vector<std::string> out;
    for (const FieldError& e : validate(s, v, changed, role)) {
        out.push_back(e.field + ":" + e.code);
    }
    return out;
}

}  // namespace

TEST_CASE("JSON: parses documents through SQLite and refuses bad ones") {
    auto v = outpost::json::parse(R"({"a":[1,2.5,"x",true,null,{"b":"c\"d"}],"n":-7})");
    REQUIRE(v.is_ok());
    const auto* a = v->find("a");
    REQUIRE(a != nullptr);
    REQUIRE(a->items.size() == 6);
    CHECK(a->items[0].integer == 1);
    CHECK(a->items[1].real == 2.5);
    CHECK(a->items[2].text == "x");
    CHECK(a->items[3].boolean);
    CHECK(a->items[5].find("b")->text == "c\"d");
    CHECK(v->find("n")->integer == -7);
    CHECK(outpost::json::parse("{").status().code() == "core.json.invalid");
    CHECK(outpost::json::parse("").status().code() == "core.json.invalid");
    CHECK(outpost::json::parse(std::string(100, '[') + std::string(100, ']')).status().code() == "core.json.invalid");
    std::string q;
    outpost::json::append_quoted(q, "a\"b\\c\nd\x01");
    CHECK(q == "\"a\\\"b\\\\c\\nd\\u0001\"");
}

TEST_CASE("Schemas: the shipped forms load and have what practitioners expect") {
    auto all = load_schemas(kForms);
    REQUIRE_MESSAGE(all.is_ok(), all.status().to_string());
    std::map<std::string, Schema> by_type;
    for (const Schema& s : *all) {
        by_type[s.type] = s;
    }
    for (const char* t : {"home_visit", "safeguarding_concern", "inspection", "suggestion"}) {
        CAPTURE(t);
        REQUIRE(by_type.count(t) == 1);
        CHECK(by_type[t].version >= 1);
    }
    const Schema& sg = by_type["suggestion"];
    for (const char* f : {"title", "problem", "proposed_change", "expected_benefit", "category", "linked_case",
                          "status", "decision_note", "reviewed_by", "reviewed_at", "shared_to_library"}) {
        CAPTURE(f);
        REQUIRE(sg.field(f) != nullptr);
    }
    for (const char* review : {"status", "decision_note", "reviewed_by", "reviewed_at", "shared_to_library"}) {
        CAPTURE(review);
        CHECK(sg.field(review)->editable_by == std::vector<std::string>{"lead"});
    }
    CHECK(sg.field("linked_case")->kind == FieldKind::kRecordLink);
    const Schema& sc = by_type["safeguarding_concern"];
    REQUIRE(sc.field("referral_to") != nullptr);
    REQUIRE(sc.field("referral_to")->visible_if.has_value());
    CHECK(sc.field("referral_to")->visible_if->field == "referral_made");
}

TEST_CASE("Schemas: invalid schemas are refused naming the file, the field and the problem") {
    CHECK(schema_error("[]").find("must be a JSON object") != std::string::npos);
    CHECK(schema_error("{not json").find("not valid JSON") != std::string::npos);
    CHECK(schema_error(R"({"type":"t","version":1,"title":"T","fields":[]})").find("fields") != std::string::npos);
    CHECK(schema_error(R"({"type":"T!","version":1,"title":"T","fields":[{}]})").find("'type'") != std::string::npos);
    CHECK(schema_error(R"({"type":"t","version":0,"title":"T","fields":[{}]})").find("'version'") != std::string::npos);
    const std::string head = R"({"type":"t","version":1,"title":"T","fields":[)";
    CHECK(schema_error(head + R"({"name":"a","kind":"colour","label":"A"}]})").find("field 'a'") != std::string::npos);
    CHECK(schema_error(head + R"({"name":"a","kind":"choice","label":"A"}]})").find("needs 'choices'") !=
          std::string::npos);
    CHECK(schema_error(head + R"({"name":"a","kind":"text","label":"A"},{"name":"a","kind":"text","label":"B"}]})")
              .find("defined twice") != std::string::npos);
    CHECK(
        schema_error(head + R"({"name":"a","kind":"text","label":"A","pattern":"(["}]})").find("regular expression") !=
        std::string::npos);
    CHECK(schema_error(head + R"({"name":"a","kind":"integer","label":"A","min":5,"max":1}]})")
              .find("'min' is greater") != std::string::npos);
    CHECK(schema_error(head + R"({"name":"a","kind":"integer","label":"A","max_length":3}]})").find("text fields") !=
          std::string::npos);
    CHECK(schema_error(head + R"({"name":"a","kind":"text","label":"A","editable_by":["boss"]}]})")
              .find("unknown role 'boss'") != std::string::npos);
    CHECK(schema_error(head + R"({"name":"a","kind":"text","label":"A","colour":"red"}]})").find("unknown property") !=
          std::string::npos);
    CHECK(schema_error(head + R"({"name":"a","kind":"text"}]})").find("needs a 'label'") != std::string::npos);
    CHECK(schema_error(head + R"({"name":"a","kind":"text","label":"A","visible_if":{"field":"zz","in":["x"]}}]})")
              .find("not another field") != std::string::npos);
    CHECK(schema_error(head + R"({"name":"c","kind":"choice","label":"C","choices":["x","y"]},)"
                              R"({"name":"a","kind":"text","label":"A","visible_if":{"field":"c","in":["q"]}}]})")
              .find("'q' is not a choice") != std::string::npos);
}

TEST_CASE("Schemas: a lifecycle must name its own choices and real questions") {
    const std::string head = R"({"type":"t","version":1,"title":"T","fields":[)";
    const std::string note = R"({"name":"note","kind":"long_text","label":"Note"},)";
    CHECK(schema_error(head + R"({"name":"a","kind":"text","label":"A","initial":"x"}]})").find("choice fields") !=
          std::string::npos);
    CHECK(schema_error(head + R"({"name":"s","kind":"choice","label":"S","choices":["x","y"],"initial":"z"}]})")
              .find("'initial' value 'z'") != std::string::npos);
    CHECK(schema_error(head + R"({"name":"s","kind":"choice","label":"S","choices":["x","y"],)"
                              R"("transitions":{"x":["q"]}}]})")
              .find("'x' -> 'q'") != std::string::npos);
    CHECK(schema_error(head + R"({"name":"s","kind":"choice","label":"S","choices":["x","y"],)"
                              R"("transitions":{"x":"y"}}]})")
              .find("must be a list") != std::string::npos);
    CHECK(schema_error(head + note +
                       R"({"name":"s","kind":"choice","label":"S","choices":["x","y"],)"
                       R"("requires":{"y":["nobody"]}}]})")
              .find("'nobody', which is not another field") != std::string::npos);
    const Schema ok = must_parse(note + R"({"name":"s","kind":"choice","label":"S","choices":["x","y"],"initial":"x",)"
                                        R"("transitions":{"x":["y"]},"requires":{"y":["note"]}})");
    const FieldDef& f = *ok.field("s");
    CHECK_FALSE(check_transition(f, "", "y").has_value());  // unanswered counts as the initial x
    CHECK(check_transition(f, "y", "x")->code == "record.field.transition");
    CHECK(check_transition(f, "x", "")->code == "record.field.transition");  // a lifecycle is never undone
    CHECK(check_required_answers(ok, f, "y", {}).size() == 1);
    CHECK(check_required_answers(ok, f, "y", {{"note", std::string("why")}}).empty());
    CHECK(check_required_answers(ok, f, "x", {}).empty());
}

TEST_CASE("Validation: text, long text, length, pattern and required") {
    const Schema s =
        must_parse(R"({"name":"name","kind":"text","label":"Name","required":true,"min_length":2,"max_length":5},)"
                   R"({"name":"notes","kind":"long_text","label":"Notes","max_length":10},)"
                   R"({"name":"ref","kind":"text","label":"Ref","pattern":"[A-Z]{2}[0-9]{3}"})");
    CHECK(codes_for(s, {{"name", std::string("Ann")}}).empty());
    CHECK(codes_for(s, {}) == std::vector<std::string>{"name:record.field.required"});
    CHECK(codes_for(s, {{"name", std::string("   ")}}) == std::vector<std::string>{"name:record.field.required"});
    CHECK(codes_for(s, {{"name", std::string("A")}}) == std::vector<std::string>{"name:record.field.too_short"});
    CHECK(codes_for(s, {{"name", std::string("Annabel")}}) == std::vector<std::string>{"name:record.field.too_long"});
    // Boundaries count characters, not bytes: five accented letters fit.
    CHECK(codes_for(s, {{"name", std::string("\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9")}}).empty());
    CHECK(codes_for(s, {{"name", std::string("ab\ncd")}}) == std::vector<std::string>{"name:record.field.wrong_kind"});
    CHECK(codes_for(s, {{"name", std::string("Ann")}, {"notes", std::string("line\nline")}}).empty());
    CHECK(codes_for(s, {{"name", std::string("Ann")}, {"notes", std::string(11, 'x')}}) ==
          std::vector<std::string>{"notes:record.field.too_long"});
    CHECK(codes_for(s, {{"name", std::string("Ann")}, {"ref", std::string("AB123")}}).empty());
    CHECK(codes_for(s, {{"name", std::string("Ann")}, {"ref", std::string("AB1234")}}) ==
          std::vector<std::string>{"ref:record.field.pattern_mismatch"});
    CHECK(codes_for(s, {{"name", std::int64_t{3}}}) == std::vector<std::string>{"name:record.field.wrong_kind"});
    // Every problem at once.
    CHECK(codes_for(s, {{"notes", std::string(11, 'x')}, {"ref", std::string("zz")}}).size() == 3);
}

TEST_CASE("Validation: integer and decimal ranges, boundaries included") {
    const Schema s = must_parse(R"({"name":"n","kind":"integer","label":"N","min":0,"max":10},)"
                                R"({"name":"d","kind":"decimal","label":"D","min":-1.5,"max":1.5})");
    CHECK(codes_for(s, {{"n", std::int64_t{0}}, {"d", -1.5}}).empty());
    CHECK(codes_for(s, {{"n", std::int64_t{10}}, {"d", 1.5}}).empty());
    CHECK(codes_for(s, {{"n", std::int64_t{11}}}) == std::vector<std::string>{"n:record.field.out_of_range"});
    CHECK(codes_for(s, {{"n", std::int64_t{-1}}}) == std::vector<std::string>{"n:record.field.out_of_range"});
    CHECK(codes_for(s, {{"d", 1.5001}}) == std::vector<std::string>{"d:record.field.out_of_range"});
    CHECK(codes_for(s, {{"d", std::int64_t{1}}}).empty());  // a whole number is a fine decimal
    CHECK(codes_for(s, {{"n", 2.5}}) == std::vector<std::string>{"n:record.field.wrong_kind"});
    CHECK(codes_for(s, {{"d", std::nan("")}}) == std::vector<std::string>{"d:record.field.out_of_range"});
}

TEST_CASE("Validation: dates and datetimes") {
    const Schema s = must_parse(R"({"name":"d","kind":"date","label":"D"},{"name":"t","kind":"datetime","label":"T"})");
    for (const char* ok : {"2026-11-23", "2024-02-29", "2000-02-29"}) {
        CAPTURE(ok);
        CHECK(codes_for(s, {{"d", std::string(ok)}}).empty());
    }
    for (const char* bad : {"2026-13-01", "2025-02-29", "1900-02-29", "2026-11-31", "26-11-23", "2026/11/23",
                            "2026-11-23T10:00Z", "yesterday"}) {
        CAPTURE(bad);
        CHECK(codes_for(s, {{"d", std::string(bad)}}) == std::vector<std::string>{"d:record.field.bad_date"});
    }
    CHECK(codes_for(s, {{"t", std::string("2026-11-23T14:30Z")}}).empty());
    CHECK(codes_for(s, {{"t", std::string("2026-11-23T14:30:59Z")}}).empty());
    for (const char* bad : {"2026-11-23T24:00Z", "2026-11-23T14:60Z", "2026-11-23T14:30", "2026-11-23 14:30Z"}) {
        CAPTURE(bad);
        CHECK(codes_for(s, {{"t", std::string(bad)}}) == std::vector<std::string>{"t:record.field.bad_date"});
    }
}

TEST_CASE("Validation: choices, multi-choice, yes/no, location and record links") {
    const Schema s = must_parse(R"({"name":"c","kind":"choice","label":"C","choices":["low","high"]},)"
                                R"({"name":"m","kind":"multi_choice","label":"M","choices":["a","b","c"]},)"
                                R"({"name":"y","kind":"yes_no","label":"Y"},)"
                                R"({"name":"l","kind":"location","label":"L"},)"
                                R"({"name":"r","kind":"record_link","label":"R"})");
    CHECK(codes_for(s, {{"c", std::string("low")}}).empty());
    CHECK(codes_for(s, {{"c", std::string("LOW")}}) == std::vector<std::string>{"c:record.field.not_a_choice"});
    CHECK(codes_for(s, {{"m", std::vector<std::string>{"a", "c"}}}).empty());
    CHECK(codes_for(s, {{"m", std::vector<std::string>{"a", "z"}}}) ==
          std::vector<std::string>{"m:record.field.not_a_choice"});
    CHECK(codes_for(s, {{"m", std::vector<std::string>{"a", "a"}}}) ==
          std::vector<std::string>{"m:record.field.not_a_choice"});
    CHECK(codes_for(s, {{"y", true}}).empty());
    CHECK(codes_for(s, {{"y", std::string("yes")}}) == std::vector<std::string>{"y:record.field.wrong_kind"});
    CHECK(codes_for(s, {{"l", Location{51.5, -0.12, 8}}}).empty());
    CHECK(codes_for(s, {{"l", Location{90.0, 180.0, 0}}}).empty());
    CHECK(codes_for(s, {{"l", Location{91, 0, 5}}}) == std::vector<std::string>{"l:record.field.bad_location"});
    CHECK(codes_for(s, {{"l", Location{0, -180.1, 5}}}) == std::vector<std::string>{"l:record.field.bad_location"});
    CHECK(codes_for(s, {{"l", Location{0, 0, -1}}}) == std::vector<std::string>{"l:record.field.bad_location"});
    CHECK(codes_for(s, {{"r", std::string("0190f2a4-7b1c-7d3e-8f00-123456789abc")}}).empty());
    CHECK(codes_for(s, {{"r", std::string("not-a-record")}}) == std::vector<std::string>{"r:record.field.bad_link"});
}

TEST_CASE("Validation: visible_if hides a required field; editable_by, retired and unknown fields") {
    const Schema s = must_parse(
        R"({"name":"referral_made","kind":"yes_no","label":"Referral made","required":true},)"
        R"({"name":"referral_to","kind":"text","label":"Referred to","required":true,)"
        R"("visible_if":{"field":"referral_made","in":["yes"]}},)"
        R"({"name":"status","kind":"choice","label":"Status","choices":["submitted","accepted"],"editable_by":["lead"]},)"
        R"({"name":"old","kind":"text","label":"Old question","retired":true})");
    CHECK(codes_for(s, {{"referral_made", false}}).empty());
    CHECK(codes_for(s, {{"referral_made", true}}) == std::vector<std::string>{"referral_to:record.field.required"});
    CHECK(is_visible(s, *s.field("referral_to"), {{"referral_made", true}}));
    CHECK_FALSE(is_visible(s, *s.field("referral_to"), {{"referral_made", false}}));
    const Values with_status{{"referral_made", false}, {"status", std::string("accepted")}};
    CHECK(codes_for(s, with_status, {"status"}, "worker") ==
          std::vector<std::string>{"status:record.field.not_editable"});
    CHECK(codes_for(s, with_status, {"status"}, "lead").empty());
    // A retired field stays readable (no error for an old value) but takes no new value.
    CHECK(codes_for(s, {{"referral_made", false}, {"old", std::string("kept")}}).empty());
    CHECK(codes_for(s, {{"referral_made", false}, {"old", std::string("new")}}, {"old"}) ==
          std::vector<std::string>{"old:record.field.retired"});
    CHECK(codes_for(s, {{"referral_made", false}, {"nope", std::string("x")}}, {"nope"}) ==
          std::vector<std::string>{"nope:record.field.unknown"});
}

TEST_CASE("Schema: validate_field checks one synced write on its own - role, retirement, kind and limits") {
    auto all = load_schemas(kForms);
    REQUIRE(all.is_ok());
    const Schema* suggestion = nullptr;
    for (const Schema& s : *all) {
        if (s.type == "suggestion") {
            suggestion = &s;
        }
    }
    REQUIRE(suggestion != nullptr);
    const FieldDef& status = *suggestion->field("status");
    const FieldDef& title = *suggestion->field("title");
    CHECK(validate_field(status, FieldValue{std::string("accepted")}, "lead").empty());
    auto worker = validate_field(status, FieldValue{std::string("accepted")}, "worker");
    REQUIRE(worker.size() == 1);
    CHECK(worker.front().code == "record.field.not_editable");
    CHECK(validate_field(status, FieldValue{std::string("maybe")}, "lead").front().code == "record.field.not_a_choice");
    CHECK(validate_field(title, FieldValue{std::string("abc")}, "worker").front().code == "record.field.too_short");
    CHECK(validate_field(title, FieldValue{std::int64_t{5}}, "worker").front().code == "record.field.wrong_kind");
    // Clearing a field is a write of its own; whether the record still has its required answers is
    // the form's business, not this one change's.
    CHECK(validate_field(title, FieldValue{}, "worker").empty());
}
