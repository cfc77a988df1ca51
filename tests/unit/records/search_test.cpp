// The search internals (core/src/records/search.h): the text of a record's search row and the
// fingerprint that says when the index must be rebuilt.
#include "search.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "schema_helpers.h"

using namespace outpost;
using namespace outpost::records;

namespace {

using testing::field_def;

Schema form() {
    Schema s;
    s.type = "visit";
    s.fields = {field_def("a_text", FieldKind::kText), field_def("b_long", FieldKind::kLongText),
                field_def("c_choice", FieldKind::kChoice), field_def("d_list", FieldKind::kMultiChoice),
                field_def("e_number", FieldKind::kInteger)};
    return s;
}

Head head(std::string field, std::string value) {
    return Head{std::move(field), std::move(value), Hlc{1}, Hlc{}, "laptop-1", "ann", false};
}

}  // namespace

TEST_CASE("Search: a record's search text holds its text, choice and list answers, in field order") {
    const Schema s = form();
    const std::vector<Head> heads{head("_deleted", "false"),
                                  head("a_text", R"("Damp kitchen")"),
                                  head("b_long", R"("two\nlines \"quoted\"")"),
                                  head("c_choice", R"("planned")"),
                                  head("d_list", R"(["child","parent_or_carer"])"),
                                  head("e_number", "7"),
                                  head("later_field", R"("not in this form")")};
    CHECK(fts_body(s, heads) == "Damp kitchen\ntwo\nlines \"quoted\"\nplanned\nchild parent_or_carer \n");
    // An empty answer and one that does not decode add nothing.
    CHECK(fts_body(s, {head("a_text", "null"), head("d_list", R"("not a list")")}).empty());
}

TEST_CASE("Search: the fingerprint follows the searchable fields of the forms, and nothing else") {
    const std::vector<Schema> base{form()};
    const std::string fp = search_fingerprint(base);
    CHECK(search_fingerprint(base) == fp);  // the same forms, the same fingerprint
    CHECK(search_fingerprint({}) != fp);

    std::vector<Schema> more = base;
    more[0].fields.push_back(field_def("f_date", FieldKind::kDate));  // not searchable
    more[0].title = "A new title";
    CHECK(search_fingerprint(more) == fp);

    more[0].fields.push_back(field_def("g_note", FieldKind::kText));
    CHECK(search_fingerprint(more) != fp);

    std::vector<Schema> renamed = base;
    renamed[0].type = "visit2";
    CHECK(search_fingerprint(renamed) != fp);

    std::vector<Schema> rekinded = base;
    rekinded[0].fields[0].kind = FieldKind::kLongText;
    CHECK(search_fingerprint(rekinded) != fp);
}
