// FormModel: what a schema-driven form writes, without ImGui.
#include "outpost/client/form_model.h"

#include <doctest/doctest.h>

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
