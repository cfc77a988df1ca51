#include "outpost/sync/messages.h"

#include <doctest/doctest.h>

#include <string>

using namespace outpost::sync;

TEST_CASE("Messages: health round-trips") {
    HealthInfo h{.service = "outpost-server",
                 .version = "0.1.0",
                 .git_hash = "abc",
                 .protocols = {"v1"},
                 .server_time_ms = 1'700'000'000'123};
    auto back = decode_health(encode_health(h));
    REQUIRE(back.is_ok());
    CHECK(*back == h);
}

TEST_CASE("Messages: malformed health bodies are refused with a code, never thrown") {
    for (const char* body : {"", "{", "[]", "null", R"({"service":1})",
                             R"({"service":"s","version":"v","git_hash":"g","protocols":"v1","server_time_ms":1})",
                             R"({"service":"s","version":"v","git_hash":"g","protocols":[1],"server_time_ms":1})",
                             R"({"service":"s","version":"v","git_hash":"g","protocols":[],"server_time_ms":"1"})"}) {
        INFO(body);
        auto r = decode_health(body);
        CHECK_FALSE(r.is_ok());
        CHECK(r.status().code() == "sync.protocol.malformed");
    }
}

TEST_CASE("Messages: nesting 10,000 deep is refused before parsing") {
    std::string deep(10'000, '[');
    deep += std::string(10'000, ']');
    CHECK_FALSE(json_depth_within(deep));
    auto r = decode_health(deep);
    CHECK(r.status().code() == "sync.protocol.malformed");
    CHECK(r.status().message().find("nested") != std::string::npos);
    // Brackets inside strings do not count.
    CHECK(
        json_depth_within(R"({"a":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["})"));
    CHECK(json_depth_within(R"({"a":"\"[[["})", 1));
}

TEST_CASE("Messages: error envelope round-trips with its stable code") {
    auto s = decode_error(encode_error(outpost::Status::error("sync.push.unauthorized", "bad token")));
    CHECK(s.code() == "sync.push.unauthorized");
    CHECK(s.message() == "bad token");
    CHECK(decode_error("").code() == "sync.server.error");
    CHECK(decode_error("<html>").code() == "sync.protocol.malformed");
    CHECK(decode_error(R"({"error":{"code":"Bad Code","message":"x"}})").code() == "sync.protocol.malformed");
}

TEST_CASE("Messages: a body is checked whole: a key twice, trailing bytes and NUL are refused; a BOM is not") {
    const std::string health = encode_health(HealthInfo{"outpost-server", "0.1.0", "abc", {"v1"}, 1});
    CHECK(decode_health("\xef\xbb\xbf" + health).is_ok());
    CHECK(decode_health(health + " ").is_ok());
    std::string twice = health;
    twice.insert(1, R"("version":"9",)");
    CHECK(decode_health(twice).status().message() == "the body names a key twice");
    CHECK(decode_health(health + "{}").status().message() == "the body is not valid JSON");
    CHECK(decode_error(R"({"error":{"code":"a.b.c","message":"m\u0000"}})").message().find("NUL") != std::string::npos);
    // A whole number above INT64_MAX is read as its two's complement.
    std::string wide = health;
    wide.replace(wide.find("\"server_time_ms\":1"), 18, "\"server_time_ms\":18446744073709551615");
    auto h = decode_health(wide);
    REQUIRE(h.is_ok());
    CHECK(h->server_time_ms == -1);
}
