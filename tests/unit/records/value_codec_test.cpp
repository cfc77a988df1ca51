// The value codec's internals (core/src/records/value_codec.h): the canonical spelling a pulled value
// is stored in, and the values a worker sees from a record's heads.
#include "value_codec.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "outpost/core/records/engine.h"
#include "schema_helpers.h"

using namespace outpost;
using namespace outpost::records;

namespace {

using testing::field_def;

Schema form() {
    Schema s;
    s.type = "visit";
    s.fields = {field_def("n", FieldKind::kInteger),     field_def("d", FieldKind::kDecimal),
                field_def("t", FieldKind::kText),        field_def("y", FieldKind::kYesNo),
                field_def("m", FieldKind::kMultiChoice), field_def("p", FieldKind::kLocation),
                field_def("c", FieldKind::kChoice)};
    return s;
}

Head head(std::string field, std::string value) {
    return Head{std::move(field), std::move(value), Hlc{1}, Hlc{}, "laptop-1", "ann", false};
}

}  // namespace

TEST_CASE("ValueCodec: encode_value's own spellings are recognised as canonical, and no other") {
    CHECK(canonical_as_is(FieldKind::kInteger, "null"));
    CHECK(canonical_as_is(FieldKind::kInteger, "-42"));
    CHECK_FALSE(canonical_as_is(FieldKind::kInteger, "042"));
    CHECK_FALSE(canonical_as_is(FieldKind::kInteger, "+42"));
    CHECK_FALSE(canonical_as_is(FieldKind::kDecimal, "1.5"));  // respelled through the reader, as pulled
    CHECK(canonical_as_is(FieldKind::kYesNo, "true"));
    CHECK_FALSE(canonical_as_is(FieldKind::kYesNo, "1"));
    CHECK(canonical_as_is(FieldKind::kText, R"("plain words")"));
    CHECK_FALSE(canonical_as_is(FieldKind::kText, R"("an \"escape\"")"));
    CHECK(canonical_as_is(FieldKind::kMultiChoice, R"(["a","b"])"));
    CHECK_FALSE(canonical_as_is(FieldKind::kMultiChoice, R"([ "a", "b" ])"));
    CHECK_FALSE(canonical_as_is(FieldKind::kLocation, R"({"lat":1,"lon":2,"acc":3})"));
    CHECK(plain_quoted(R"("")"));
    CHECK_FALSE(plain_quoted(R"(")"));
    CHECK_FALSE(plain_quoted("\"tab\there\""));
}

TEST_CASE("ValueCodec: a pulled value is stored in its field's canonical spelling, or as sent") {
    const Schema s = form();
    CHECK(canonical(&s, "n", "042") == "42");
    CHECK(canonical(&s, "n", "42") == "42");
    CHECK(canonical(&s, "d", "1.50") == "1.5");
    CHECK(canonical(&s, "y", "true") == "true");
    CHECK(canonical(&s, "m", R"([ "a" , "b" ])") == R"(["a","b"])");
    CHECK(canonical(&s, "p", R"({"acc":3,"lon":2,"lat":1})") == R"({"lat":1,"lon":2,"acc":3})");
    CHECK(canonical(&s, "t", R"("caf\u00e9")") == encode_value(FieldValue{std::string("caf\xc3\xa9")}));
    // Kept as sent: a value that does not fit its field, a field the form does not know, no form.
    CHECK(canonical(&s, "n", R"("seven")") == R"("seven")");
    CHECK(canonical(&s, "later_field", "042") == "042");
    CHECK(canonical(nullptr, "n", "042") == "042");
}

TEST_CASE("ValueCodec: a worker sees the form's answers, without _deleted, unknown fields or empty values") {
    const Schema s = form();
    const std::vector<Head> heads{
        head("_deleted", "false"), head("c", R"("planned")"),      head("later_field", "\"x\""),
        head("m", R"(["a"])"),     head("n", R"("not a number")"), head("t", "null"),
        head("y", "false")};
    const Values v = values_of(&s, heads);
    CHECK(v == Values{{"c", std::string("planned")}, {"m", std::vector<std::string>{"a"}}, {"y", false}});
    CHECK(values_of(nullptr, heads).empty());
}
