// The protocol's one JSON reader (sync/protocol/src/json_reader.h): what a whole message must be, how
// members and values are found, and the streaming reader the bulk messages use.
#include "json_reader.h"

#include <doctest/doctest.h>

#include <string>

#include "outpost/core/error_codes.h"

using namespace outpost;
using namespace outpost::sync;

TEST_CASE("JsonReader: check_document refuses invalid JSON, a key named twice, NUL and trailing bytes") {
    CHECK(check_document(R"({"a":[1,{"b":null}],"c":"\u00e9"})", "the body").is_ok());
    CHECK(check_document(" \"just text\" ", "the body").is_ok());
    auto message = [](std::string_view text) {
        Status s = check_document(text, "the body");
        CHECK(s.code() == errc::kProtocolMalformed);
        return s.message();
    };
    for (const char* bad : {"", "{", "{\"a\":1,}", "[1 2]", "{\"a\":01}", "\"\\q\"", "\"\xc3\x28\"", "{} {}", "{}x",
                            "\"\\ud800\"", "nul", "\xef\xbb"}) {
        CAPTURE(bad);
        CHECK(message(bad) == "the body is not valid JSON");
    }
    CHECK(message(R"({"a":1,"a":2})") == "the body names a key twice");
    CHECK(message(R"({"a":1,"\u0061":2})") == "the body names a key twice");  // the same key, spelt apart
    CHECK(message(R"([{"x":{"k":1,"k":2}}])") == "the body names a key twice");
    CHECK(message(R"({"a":1,"a":2)") == "the body is not valid JSON");  // invalid JSON is named first
    CHECK(message("{\"a\":\"\\u0000\"}").find("NUL") != std::string::npos);
    CHECK(message(std::string("{}\0", 3)).find("NUL") != std::string::npos);
    CHECK(message(std::string(100, '[') + std::string(100, ']')).find("nested deeper") != std::string::npos);
}

TEST_CASE("JsonReader: a whole message may start with a byte-order mark; a number beyond a double is refused") {
    CHECK(check_document("\xef\xbb\xbf{\"a\":1}", "the body").is_ok());
    CHECK(read_object("\xef\xbb\xbf{\"a\":1}", "the body").is_ok());
    for (const char* ok : {"1e308", "-1e308", "1e-400", "0e99999999999999999999", "184467440737095516160",
                           "0.000000000000000000001e-300"}) {
        CAPTURE(ok);
        CHECK(check_document(ok, "the body").is_ok());
    }
    for (const char* bad : {"1e400", "-1e400", "[1e99999999999999999999]", "{\"a\":1.5e309}"}) {
        CAPTURE(bad);
        CHECK(check_document(bad, "the body").message() == "the body is not valid JSON");
        CHECK_FALSE(read_object(std::string("{\"x\":") + bad + "}", "the body").is_ok());
    }
    // The streaming reader keeps such a number as text: a value's kind decides how it is read.
    JsonReader r("1e400");
    std::string_view raw;
    CHECK(r.raw(raw, "the value").is_ok());
    CHECK(raw == "1e400");
}

TEST_CASE("JsonReader: read_object gives the members in order, values as their text, the last of a key") {
    auto members = read_object(R"( {"b" : [1, 2], "a":"x\"y", "b":{"c":true}} )", "the body");
    REQUIRE(members.is_ok());
    REQUIRE(members->size() == 3);
    CHECK(members->at(0).key == "b");
    CHECK(members->at(0).value == "[1, 2]");
    CHECK(members->at(1).value == R"("x\"y")");
    CHECK(find_member(*members, "b")->value == R"({"c":true})");
    CHECK(find_member(*members, "z") == nullptr);
    CHECK(read_object("[1]", "the body").status().message() == "the body must be a JSON object");
    CHECK(read_object("{\"a\":}", "the body").status().message() == "the body is not valid JSON");
    CHECK(read_object("{} x", "the body").status().message() == "the body is not valid JSON");
}

TEST_CASE("JsonReader: values are read by kind; whole numbers as 64-bit signed integers") {
    CHECK(json_kind("{}") == JsonKind::kObject);
    CHECK(json_kind("[]") == JsonKind::kArray);
    CHECK(json_kind("\"\"") == JsonKind::kString);
    CHECK(json_kind("-1") == JsonKind::kNumber);
    CHECK(json_kind("false") == JsonKind::kBoolean);
    CHECK(json_kind("null") == JsonKind::kNull);
    std::string text;
    CHECK(json_string(R"("caf\u00e9 \ud83d\ude00")", text));
    CHECK(text == "caf\xc3\xa9 \xf0\x9f\x98\x80");
    CHECK_FALSE(json_string("12", text));
    std::int64_t n = 7;
    CHECK((json_integer("-0", n) && n == 0));
    CHECK((json_integer("9223372036854775807", n) && n == INT64_MAX));
    CHECK((json_integer("18446744073709551615", n) && n == -1));  // two's complement
    for (const char* not_whole : {"1.0", "1e2", "18446744073709551616", "-9223372036854775809", "\"1\"", "true"}) {
        CAPTURE(not_whole);
        CHECK_FALSE(json_integer(not_whole, n));
    }
}

TEST_CASE("JsonReader: the streaming reader reads members in order and keeps a value's text as sent") {
    JsonReader r(R"({"n":-12,"ok":true,"v":["\u00e9", 1.5e3 ,{"k":1,"k":2}],"s":"a\nb"})");
    std::int64_t n = 0;
    bool ok = false;
    std::string_view v;
    std::string s;
    std::string order;
    Status read = r.object("the test", [&](const std::string& key) -> Status {
        order += key + ",";
        if (key == "n") {
            return r.integer(n, "n");
        }
        if (key == "ok") {
            return r.boolean(ok, "ok");
        }
        if (key == "v") {
            return r.raw(v, "v");  // repeated keys inside a kept value are the caller's to judge
        }
        return r.string(s, "s");
    });
    REQUIRE_MESSAGE(read.is_ok(), read.to_string());
    CHECK(r.at_end());
    CHECK(order == "n,ok,v,s,");
    CHECK(n == -12);
    CHECK(ok);
    CHECK(v == R"(["\u00e9", 1.5e3 ,{"k":1,"k":2}])");
    CHECK(s == "a\nb");
    JsonReader items("[1, 2,3]");
    std::int64_t sum = 0;
    CHECK(items
              .array("the list",
                     [&](std::size_t) {
                         std::int64_t x = 0;
                         Status one = items.integer(x, "an item");
                         sum += x;
                         return one;
                     })
              .is_ok());
    CHECK(sum == 6);
    for (const char* bad : {"[1,]", "{\"a\" 1}", "\"a\x01\"", "\"\\ud800\\u0041\"", "[01]", "1."}) {
        CAPTURE(bad);
        JsonReader b(bad);
        std::string_view ignored;
        Status s2 = b.raw(ignored, "the value");
        CHECK((!s2.is_ok() || !b.at_end()));
        CHECK((s2.is_ok() || s2.code() == errc::kProtocolMalformed));
    }
}
