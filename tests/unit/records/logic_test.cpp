// Form logic (records/logic.h) on a form written as JSON: relevance, required when, constraints,
// calculations, repeat groups, choice filters, and the engine writing records under them.
#include "outpost/core/records/logic.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <string>

#include "fake_clock.h"
#include "outpost/core/error_codes.h"
#include "outpost/core/records/engine.h"
#include "outpost/core/store.h"
#include "store_helpers.h"
#include "temp_dir.h"

namespace {

using namespace outpost;
using records::FieldValue;
using records::Values;

constexpr const char* kForm = R"json({
  "type": "household_check", "version": 3, "title": "Household check",
  "fields": [
    {"name": "visit_date", "kind": "date", "label": "Visit date", "required": true},
    {"name": "any_children", "kind": "yes_no", "label": "Any children"},
    {"name": "children", "kind": "integer", "label": "How many children",
     "relevant": "${any_children} = 'yes'", "required": "${any_children} = 'yes'",
     "constraint": ". > 0 and . < 20", "constraint_message": "Between 1 and 19 children."},
    {"name": "risk", "kind": "choice", "label": "Risk", "choices": ["low", "medium", "high"]},
    {"name": "plan", "kind": "long_text", "label": "Plan", "required": "selected(${risk}, 'high')"
},
    {"name": "region", "kind": "choice", "label": "Region", "choices": ["north", "south"]},
    {"name": "office", "kind": "choice", "label": "Office", "choice_filter": "region = ${region}",
     "choices": [{"name": "rhyl", "label": "Rhyl", "filter": {"region": "north"}},
                 {"name": "bangor", "label": "Bangor", "filter": {"region": "north"}},
                 {"name": "newport", "label": "Newport", "filter": {"region": "south"}}]},
    {"name": "intro", "kind": "note", "label": "Ask about everyone who lives here."},
    {"name": "members", "kind": "repeat", "label": "Household members", "max_items": 10, "fields": [
      {"name": "member_name", "kind": "text", "label": "Name", "required": true},
      {"name": "age", "kind": "integer", "label": "Age", "constraint": ". >= 0 and . <= 120"},
      {"name": "school", "kind": "text", "label": "School", "relevant": "${age} < 18"},
      {"name": "age_band", "kind": "calculate", "calculate": "if(${age} < 18, 'child', 'adult')"}
    ]},
    {"name": "people", "kind": "calculate", "calculate": "count(${members})"},
    {"name": "total_age", "kind": "calculate", "label": "Total age", "calculate": "sum(${age})"},
    {"name": "summary", "kind": "group", "label": "Summary", "relevant": "${people} > 0", "fields": [
      {"name": "worries", "kind": "long_text", "label": "Worries"}
    ]}
  ]
})json";

records::Schema form() {
    auto s = records::parse_schema(kForm, "household_check.json");
    REQUIRE_MESSAGE(s.is_ok(), s.status().message());
    return *s;
}

std::vector<std::string> codes(const std::vector<records::FieldError>& errors) {
    std::vector<std::string> out;
    for (const auto& e : errors) {
        out.push_back(e.field + ":" + e.code);
    }
    std::sort(out.begin(), out.end());
    return out;
}

const std::string kToday = "2026-12-06";

}  // namespace

TEST_CASE("Logic: groups and repeats are flattened, and item keys resolve to the repeat's fields") {
    const records::Schema s = form();
    const records::FieldDef* members = s.def("members");
    REQUIRE(members != nullptr);
    CHECK(members->fields == std::vector<std::string>{"member_name", "age", "school", "age_band"});
    CHECK(s.def("age")->repeat == "members");
    CHECK(s.def("worries")->parent == "summary");
    CHECK(s.def("worries")->repeat.empty());
    CHECK(s.field("age") == nullptr);  // a repeat's field is only stored per item
    CHECK(s.field("members.k3x9ab01.age") == s.def("age"));
    CHECK(s.field("members.k3x9ab01._removed")->kind == records::FieldKind::kYesNo);
    CHECK(s.field("members.K3X9.age") == nullptr);
    CHECK(s.field("worries") == s.def("worries"));
    CHECK(s.def("office")->choice_text("rhyl") == "Rhyl");
    CHECK(s.def("risk")->choice_text("medium") == "Medium");
}

TEST_CASE("Logic: relevance, required when and constraints") {
    const records::Schema s = form();
    Values v{{"visit_date", std::string("2026-12-01")}, {"any_children", true}};
    CHECK(codes(records::check_logic(s, v, {}, kToday)) == std::vector<std::string>{"children:record.field.required"});
    v["children"] = std::int64_t{25};
    auto errors = records::check_logic(s, v, {}, kToday);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].code == errc::kFieldConstraint);
    CHECK(errors[0].message == "Between 1 and 19 children.");
    v["children"] = std::int64_t{2};
    CHECK(records::check_logic(s, v, {}, kToday).empty());
    // Not asked: an answer written now is refused; one already there is not the writer's doing.
    v["any_children"] = false;
    CHECK(codes(records::check_logic(s, v, {"children"}, kToday)) ==
          std::vector<std::string>{"children:record.field.not_relevant"});
    CHECK(records::check_logic(s, v, {"any_children"}, kToday).empty());
    v["risk"] = std::string("high");
    CHECK(codes(records::check_logic(s, v, {}, kToday)) == std::vector<std::string>{"plan:record.field.required"});
}

TEST_CASE("Logic: settle computes calculations, per item too, and clears answers no longer asked") {
    const records::Schema s = form();
    Values v{{"visit_date", std::string("2026-12-01")},
             {"any_children", false},
             {"children", std::int64_t{3}},
             {"members.aaaa0001.member_name", std::string("Ann")},
             {"members.aaaa0001.age", std::int64_t{44}},
             {"members.aaaa0001.school", std::string("none")},
             {"members.aaaa0002.member_name", std::string("Bea")},
             {"members.aaaa0002.age", std::int64_t{9}}};
    Values changes = records::settle(s, v, kToday);
    CHECK(std::holds_alternative<std::monostate>(changes.at("children")));
    CHECK(std::holds_alternative<std::monostate>(changes.at("members.aaaa0001.school")));
    CHECK(changes.at("members.aaaa0001.age_band") == FieldValue{std::string("adult")});
    CHECK(changes.at("members.aaaa0002.age_band") == FieldValue{std::string("child")});
    CHECK(changes.at("people") == FieldValue{std::string("2")});
    CHECK(changes.at("total_age") == FieldValue{std::string("53")});
    // A removed item no longer counts.
    v["members.aaaa0001._removed"] = true;
    changes = records::settle(s, v, kToday);
    CHECK(changes.at("people") == FieldValue{std::string("1")});
    CHECK(records::repeat_items(v, "members") == std::vector<std::string>{"aaaa0002"});
}

TEST_CASE("Logic: each repeat item is checked on its own, and max_items holds") {
    const records::Schema s = form();
    Values v{{"visit_date", std::string("2026-12-01")},
             {"members.aaaa0001.age", std::int64_t{130}},
             {"members.aaaa0002.member_name", std::string("Bea")}};
    CHECK(codes(records::check_logic(s, v, {}, kToday)) ==
          std::vector<std::string>{"members.aaaa0001.age:record.field.constraint",
                                   "members.aaaa0001.member_name:record.field.required"});
    Values many{{"visit_date", std::string("2026-12-01")}};
    for (int i = 0; i < 11; ++i) {
        many["members.item" + std::to_string(10 + i) + ".member_name"] = std::string("P");
    }
    CHECK(codes(records::check_logic(s, many, {}, kToday)) ==
          std::vector<std::string>{"members:record.field.out_of_range"});
}

TEST_CASE("Logic: a choice filter offers the choices whose columns match") {
    const records::Schema s = form();
    const records::FieldDef& office = *s.def("office");
    CHECK(records::offered_choices(s, office, {{"region", std::string("north")}}, kToday) ==
          std::vector<std::string>{"rhyl", "bangor"});
    CHECK(records::offered_choices(s, office, {{"region", std::string("south")}}, kToday) ==
          std::vector<std::string>{"newport"});
    CHECK(records::offered_choices(s, office, {}, kToday).empty());
}

TEST_CASE("Logic: a group's relevance hides its fields") {
    const records::Schema s = form();
    Values v{{"visit_date", std::string("2026-12-01")}, {"people", std::string("0")}};
    CHECK_FALSE(records::is_relevant(s, *s.def("worries"), v, kToday));
    v["people"] = std::string("2");
    CHECK(records::is_relevant(s, *s.def("worries"), v, kToday));
}

TEST_CASE("Logic: today_of and item ids") {
    CHECK(records::today_of(0) == "1970-01-01");
    CHECK(records::today_of(1'796'515'200'000) == "2026-12-06");
    CHECK(records::today_of(951'782'400'000) == "2000-02-29");
    const std::string a = records::new_item_id(1'796'601'600'000, 5);
    const std::string b = records::new_item_id(1'796'601'600'900, 5);
    CHECK(a.size() == 8);
    CHECK(a < b);
    CHECK(records::split_item_key("members." + a + ".age").has_value());
}

TEST_CASE("Schemas: form logic that does not parse or names an unknown field is refused at load") {
    auto bad = records::parse_schema(
        R"({"type": "t", "version": 1, "title": "T", "fields": [
             {"name": "a", "kind": "integer", "label": "A", "constraint": ". > "}]})",
        "t.json");
    REQUIRE_FALSE(bad.is_ok());
    CHECK(bad.status().code() == errc::kFormExpressionInvalid);
    CHECK(bad.status().message() == "t.json: field 'a': 'constraint' at position 5: the expression ends too soon");
    auto unknown = records::parse_schema(
        R"({"type": "t", "version": 1, "title": "T", "fields": [
             {"name": "a", "kind": "integer", "label": "A", "relevant": "${b} > 1"}]})",
        "t.json");
    REQUIRE_FALSE(unknown.is_ok());
    CHECK(unknown.status().message() ==
          "t.json: field 'a': 'relevant' refers to ${b}, which is not a field of this form");
    auto nested = records::parse_schema(
        R"({"type": "t", "version": 1, "title": "T", "fields": [
             {"name": "r", "kind": "repeat", "label": "R", "fields": [
               {"name": "q", "kind": "repeat", "label": "Q", "fields": [{"name": "x", "kind": "text", "label": "X"}]}]}]})",
        "t.json");
    REQUIRE_FALSE(nested.is_ok());
    CHECK(nested.status().message().find("a repeat inside a repeat") != std::string::npos);
    auto future = records::parse_schema(
        R"({"type": "t", "version": 1, "title": "T", "fields": [{"name": "s", "kind": "signature", "label": "S"}]})",
        "t.json");
    CHECK(future.status().code() == errc::kRecordSchemaInvalid);
}

TEST_CASE("Engine: a write fills calculations, drops answers no longer asked and logs the form version") {
    testing::TempDir dir;
    testing::FakeClock clock(1'796'601'600'000);
    auto store = Store::create(dir / "s.db", "correct horse battery staple",
                               testing::options_for(testing::all_store_modes()[2]));
    REQUIRE(store.is_ok());
    auto engine = records::RecordEngine::open(**store, {form()}, clock);
    REQUIRE(engine.is_ok());
    const records::Actor who{"ann", "dev1", "worker", "team-a"};
    std::vector<records::FieldError> errors;
    auto made = (*engine)->create(who, "household_check",
                                  {{"visit_date", std::string("2026-12-01")},
                                   {"members.aaaa0001.member_name", std::string("Ann")},
                                   {"members.aaaa0001.age", std::int64_t{9}},
                                   {"members.aaaa0001.school", std::string("Ysgol Glan")}},
                                  &errors);
    REQUIRE_MESSAGE(made.is_ok(), made.status().message());
    CHECK(made->values.at("people") == FieldValue{std::string("1")});
    CHECK(made->values.at("members.aaaa0001.age_band") == FieldValue{std::string("child")});
    auto log = (*engine)->outbox_after("dev1", 0, 100);
    REQUIRE(log.is_ok());
    REQUIRE_FALSE(log->empty());
    for (const records::Change& c : *log) {
        CHECK(c.form_version == 3);  // each change remembers the form version it was written under
    }
    // A repeat item's answers are searched like any other.
    records::ListQuery q;
    q.search = "glan";
    auto found = (*engine)->list(q);
    REQUIRE(found.is_ok());
    REQUIRE(found->records.size() == 1);
    CHECK(found->records[0].id == made->id);
    // The child grows up: school is no longer asked, so its answer goes.
    auto older = (*engine)->update(who, made->id, {{"members.aaaa0001.age", std::int64_t{19}}}, &errors);
    REQUIRE_MESSAGE(older.is_ok(), older.status().message());
    CHECK(older->values.count("members.aaaa0001.school") == 0);
    CHECK(older->values.at("members.aaaa0001.age_band") == FieldValue{std::string("adult")});
    // A required answer in an item is required.
    auto bad = (*engine)->update(who, made->id, {{"members.bbbb0002.age", std::int64_t{40}}}, &errors);
    CHECK(bad.status().code() == errc::kRecordInvalid);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].field == "members.bbbb0002.member_name");
    CHECK(errors[0].code == errc::kFieldRequired);
}
