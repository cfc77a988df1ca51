// FormModel: what a schema-driven form writes, without ImGui.
#include "outpost/client/form_model.h"

#include <doctest/doctest.h>

#include "outpost/core/records/logic.h"
#include "outpost/core/records/schema.h"

using namespace outpost;
using namespace outpost::client;

namespace {

records::Schema visit_form() {
    auto s = records::parse_schema(R"({"type":"visit","version":1,"title":"Visit","fields":[
      {"name":"household","kind":"text","label":"Household","required":true},
      {"name":"people","kind":"integer","label":"People","min":0,"max":40},
      {"name":"cost","kind":"decimal","label":"Cost"},
      {"name":"seen","kind":"multi_choice","label":"Seen","choices":["carer","child","other"]},
      {"name":"concerns_identified","kind":"yes_no","label":"Concerns identified"},
      {"name":"concerns","kind":"long_text","label":"Concerns","visible_if":{"field":"concerns_identified","in":["yes"]}},
      {"name":"where","kind":"location","label":"Where"},
      {"name":"status","kind":"choice","label":"Status","choices":["open","closed"],"editable_by":["lead"]}
    ]})",
                                   "visit.json");
    REQUIRE_MESSAGE(s.is_ok(), s.status().to_string());
    return *s;
}

}  // namespace

TEST_CASE("FormModel: a new form writes each answered question as its kind's value") {
    const records::Schema schema = visit_form();
    FormModel f = FormModel::blank(schema);
    CHECK_FALSE(f.dirty());
    f.text("household") = "  The Patel household ";
    f.text("people") = "3";
    f.text("cost") = "12.5";
    f.set_choice("seen", "child", true);
    f.set_choice("seen", "carer", true);
    f.text("concerns_identified") = "no";
    f.text("where") = "51.5072, -0.1276";
    std::vector<records::FieldError> errors;
    const records::Values v = f.values_to_write("worker", errors);
    REQUIRE(errors.empty());
    CHECK(std::get<std::string>(v.at("household")) == "The Patel household");
    CHECK(std::get<std::int64_t>(v.at("people")) == 3);
    CHECK(std::get<double>(v.at("cost")) == doctest::Approx(12.5));
    CHECK(std::get<std::vector<std::string>>(v.at("seen")) == std::vector<std::string>{"carer", "child"});
    CHECK(std::get<bool>(v.at("concerns_identified")) == false);
    CHECK(std::get<records::Location>(v.at("where")).latitude == doctest::Approx(51.5072));
    CHECK(v.count("concerns") == 0);
}

TEST_CASE("FormModel: answers that do not parse are reported in words and left out") {
    const records::Schema schema = visit_form();
    FormModel f = FormModel::blank(schema);
    f.text("people") = "three";
    f.text("cost") = "12,50";
    f.text("where") = "the car park";
    std::vector<records::FieldError> errors;
    const records::Values v = f.values_to_write("worker", errors);
    CHECK(v.empty());
    REQUIRE(errors.size() == 3);
    f.set_errors(errors);
    REQUIRE(f.error("people") != nullptr);
    CHECK(*f.error("people") == "Enter a whole number, like 3.");
    CHECK(f.error("where")->find("latitude, longitude") != std::string::npos);
    CHECK(f.error("household") == nullptr);
}

TEST_CASE("FormModel: visible_if follows the answers as typed, and hidden answers are not written") {
    const records::Schema schema = visit_form();
    FormModel f = FormModel::blank(schema);
    const records::FieldDef& concerns = *schema.field("concerns");
    CHECK_FALSE(f.visible(concerns));
    f.text("concerns_identified") = "yes";
    CHECK(f.visible(concerns));
    f.text("concerns") = "Damp in the bedroom";
    f.text("concerns_identified") = "no";  // changed their mind
    std::vector<records::FieldError> errors;
    const records::Values v = f.values_to_write("worker", errors);
    CHECK(v.count("concerns") == 0);
}

TEST_CASE("FormModel: editing a record writes only what changed, clears emptied answers, and respects roles") {
    const records::Schema schema = visit_form();
    records::Record r;
    r.id = "rec-1";
    r.type = "visit";
    r.values = {{"household", std::string("Smith")}, {"people", std::int64_t{2}}, {"status", std::string("open")}};
    FormModel f = FormModel::of(schema, r);
    CHECK_FALSE(f.is_new());
    CHECK(f.text("people") == "2");
    CHECK_FALSE(f.dirty());
    f.text("people") = "";
    f.text("status") = "closed";  // a lead's question
    std::vector<records::FieldError> errors;
    records::Values v = f.values_to_write("worker", errors);
    CHECK(errors.empty());
    REQUIRE(v.size() == 1);
    CHECK(std::holds_alternative<std::monostate>(v.at("people")));  // the answer taken back
    v = f.values_to_write("lead", errors);
    CHECK(std::get<std::string>(v.at("status")) == "closed");
    CHECK_FALSE(FormModel::editable(*schema.field("status"), "worker"));
    CHECK(FormModel::editable(*schema.field("status"), "lead"));
}

TEST_CASE("FormModel: a draft's texts restore into a fresh form") {
    const records::Schema schema = visit_form();
    FormModel a = FormModel::blank(schema);
    a.text("household") = "Draft household";
    a.set_choice("seen", "other", true);
    FormModel b = FormModel::blank(schema);
    b.restore(a.texts());
    CHECK(b.text("household") == "Draft household");
    CHECK(b.has_choice("seen", "other"));
    CHECK_FALSE(b.has_choice("seen", "child"));
    b.restore({{"no_such_question", "x"}});
    CHECK(b.texts().count("no_such_question") == 0);
}

namespace {

records::Schema household_form() {
    auto s = records::parse_schema(R"json({"type":"hh","version":2,"title":"Household","fields":[
      {"name":"region","kind":"choice","label":"Region","choices":["north","south"]},
      {"name":"office","kind":"choice","label":"Office","choice_filter":"region = ${region}",
       "choices":[{"name":"rhyl","label":"Rhyl","filter":{"region":"north"}},
                  {"name":"newport","label":"Newport","filter":{"region":"south"}}]},
      {"name":"visits","kind":"integer","label":"Visits","default":1},
      {"name":"members","kind":"repeat","label":"Members","fields":[
        {"name":"member_name","kind":"text","label":"Name","required":true},
        {"name":"age","kind":"integer","label":"Age"},
        {"name":"school","kind":"text","label":"School","relevant":"${age} < 18"}]},
      {"name":"people","kind":"calculate","label":"People","calculate":"count(${members})"}
    ]})json",
                                   "hh.json");
    REQUIRE_MESSAGE(s.is_ok(), s.status().to_string());
    return *s;
}

}  // namespace

TEST_CASE("FormModel: repeat items are added, shown by their own logic, counted, and written by item") {
    const records::Schema schema = household_form();
    FormModel f = FormModel::blank(schema);
    CHECK(f.text("visits") == "1");  // a default fills a new form
    const std::string a = f.add_item("members", 1'796'515'200'000, 7);
    const std::string b = f.add_item("members", 1'796'515'200'000, 7);  // same moment: still a new id
    CHECK(a != b);
    CHECK(f.items("members") == std::vector<std::string>{a, b});
    f.text(records::item_key("members", a, "member_name")) = "Ann";
    f.text(records::item_key("members", a, "age")) = "9";
    f.text(records::item_key("members", b, "member_name")) = "Bea";
    f.text(records::item_key("members", b, "age")) = "40";
    const records::FieldDef& school = *schema.def("school");
    CHECK(f.visible(school, a));
    CHECK_FALSE(f.visible(school, b));
    CHECK(f.calculated(*schema.def("people")) == "2");
    f.text(records::item_key("members", b, "school")) = "typed before the age";
    std::vector<records::FieldError> errors;
    const records::Values v = f.values_to_write("worker", errors);
    CHECK(errors.empty());
    CHECK(v.at(records::item_key("members", a, "age")) == records::FieldValue{std::int64_t{9}});
    CHECK(v.count(records::item_key("members", b, "school")) == 0);  // not asked of an adult
    CHECK(v.count("people") == 0);                                   // the engine works it out
    CHECK(v.at("visits") == records::FieldValue{std::int64_t{1}});
}

TEST_CASE("FormModel: removing an item a record held writes _removed; a new one just goes") {
    const records::Schema schema = household_form();
    records::Record r;
    r.id = "0190f2a4-7b1c-7d3e-8f00-000000000001";
    r.type = "hh";
    r.values = {{"members.aaaa0001.member_name", std::string("Ann")},
                {"members.aaaa0002.member_name", std::string("Bea")}};
    FormModel f = FormModel::of(schema, r);
    CHECK(f.items("members") == std::vector<std::string>{"aaaa0001", "aaaa0002"});
    const std::string c = f.add_item("members", 1'796'515'200'000, 1);
    f.remove_item("members", c);
    CHECK_FALSE(f.dirty());
    f.remove_item("members", "aaaa0001");
    CHECK(f.items("members") == std::vector<std::string>{"aaaa0002"});
    CHECK(f.calculated(*schema.def("people")) == "1");
    std::vector<records::FieldError> errors;
    const records::Values v = f.values_to_write("worker", errors);
    CHECK(v.size() == 1);
    CHECK(v.at("members.aaaa0001._removed") == records::FieldValue{true});
}

TEST_CASE("FormModel: a choice filter offers the choices that match the answers so far") {
    const records::Schema schema = household_form();
    FormModel f = FormModel::blank(schema);
    const records::FieldDef& office = *schema.def("office");
    CHECK(f.offered(office).empty());
    f.text("region") = "south";
    CHECK(f.offered(office) == std::vector<std::string>{"newport"});
    CHECK(office.choice_text("newport") == "Newport");
}
