// Text helpers for messages built from user input (core/json.h).
#include "outpost/core/json.h"

#include <doctest/doctest.h>

#include <string>

using namespace outpost;

TEST_CASE("Json: utf8_prefix never cuts a character in half") {
    const std::string e = "\xC3\xA9";              // é, 2 bytes
    const std::string euro = "\xE2\x82\xAC";       // €, 3 bytes
    const std::string smile = "\xF0\x9F\x98\x80";  // 4 bytes
    const std::string text = "a" + e + euro + smile + "z";
    CHECK(json::utf8_prefix(text, 100) == text);
    CHECK(json::utf8_prefix(text, 1) == "a");
    CHECK(json::utf8_prefix(text, 2) == "a");  // inside é
    CHECK(json::utf8_prefix(text, 3) == "a" + e);
    CHECK(json::utf8_prefix(text, 5) == "a" + e);  // inside €
    CHECK(json::utf8_prefix(text, 6) == "a" + e + euro);
    CHECK(json::utf8_prefix(text, 9) == "a" + e + euro);  // inside the 4-byte character
    CHECK(json::utf8_prefix(text, 10) == "a" + e + euro + smile);
    CHECK(json::utf8_prefix(text, 0).empty());
    for (std::size_t n = 0; n <= text.size(); ++n) {
        const std::string cut(json::utf8_prefix(text, n));
        CHECK(json::valid_utf8(cut) == cut);
    }
}

TEST_CASE("Json: valid_utf8 keeps well-formed text and replaces every malformed byte") {
    const std::string fine = "plain, \xC3\xA9t\xC3\xA9, \xE2\x82\xAC 5, \xF0\x9F\x98\x80";
    CHECK(json::valid_utf8(fine) == fine);
    const std::string bad_char = "\xEF\xBF\xBD";
    CHECK(json::valid_utf8("a\xC3") == "a" + bad_char);                                        // cut short
    CHECK(json::valid_utf8("\x80x") == bad_char + "x");                                        // a lone continuation
    CHECK(json::valid_utf8("\xC0\xAF") == bad_char + bad_char);                                // overlong
    CHECK(json::valid_utf8("\xED\xA0\x80") == bad_char + bad_char + bad_char);                 // a surrogate
    CHECK(json::valid_utf8("\xF4\x90\x80\x80") == bad_char + bad_char + bad_char + bad_char);  // > U+10FFFF
    CHECK(json::valid_utf8("\xFF") == bad_char);
    CHECK(json::valid_utf8("").empty());
}
