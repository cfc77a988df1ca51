// What the server decides from a request's head before it reads a body, and the one Range a blob
// download serves (request_limits.h): pure functions, so every edge is tested without a socket.
#include "request_limits.h"

#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

using namespace outpost::sync;

namespace {

HeadVerdict judge(const std::vector<std::pair<std::string, std::string>>& headers, std::uint64_t route_max,
                  std::uint64_t& length) {
    return check_head(summarise_head(headers), false, route_max, HeadLimits{}, length);
}

}  // namespace

TEST_CASE("Request limits: a body's framing and size are judged from the head alone") {
    std::uint64_t n = 0;
    CHECK(judge({{"Content-Length", "12"}}, 100, n) == HeadVerdict::kOk);
    CHECK(n == 12);
    CHECK(judge({{"content-length", " 7 "}}, 100, n) == HeadVerdict::kOk);
    CHECK(n == 7);
    CHECK(judge({}, 0, n) == HeadVerdict::kOk);
    CHECK(n == 0);
    CHECK(judge({{"Content-Length", "5"}, {"Transfer-Encoding", "chunked"}}, 100, n) == HeadVerdict::kAmbiguousLength);
    CHECK(judge({{"Content-Length", "2"}, {"CONTENT-LENGTH", "2"}}, 100, n) == HeadVerdict::kAmbiguousLength);
    CHECK(judge({{"Transfer-Encoding", "chunked"}}, 100, n) == HeadVerdict::kChunked);
    for (const char* bad : {"", "-1", "1e3", "0x10", "12 13", "99999999999999999999"}) {
        CAPTURE(bad);
        CHECK(judge({{"Content-Length", bad}}, 100, n) == HeadVerdict::kBadLength);
    }
    CHECK(judge({{"Content-Length", "101"}}, 100, n) == HeadVerdict::kBodyTooLarge);
    CHECK(judge({{"Content-Length", "26000000"}}, max_body_for("POST", "/v1/enroll", 8 << 20, 25 << 20), n) ==
          HeadVerdict::kBodyTooLarge);
    CHECK(max_body_for("POST", "/v1/enroll", 8 << 20, 25 << 20) == 16 * 1024);
    CHECK(max_body_for("GET", "/v1/pull", 8 << 20, 25 << 20) == 0);
    CHECK(max_body_for("PUT", "/v1/blobs/ab", 8 << 20, 25 << 20) == (25 << 20) + 4096);
    // 100 headers of the client's (and httplib's four) are taken; one more is not; a cut head never.
    std::vector<std::pair<std::string, std::string>> many(104, {"X", "y"});
    CHECK(judge(many, 0, n) == HeadVerdict::kOk);
    many.emplace_back("X", "y");
    CHECK(judge(many, 0, n) == HeadVerdict::kTooLarge);
    CHECK(check_head(summarise_head(std::vector<std::pair<std::string, std::string>>{}), true, 0, HeadLimits{}, n) ==
          HeadVerdict::kTooLarge);
}

TEST_CASE("Request limits: a blob serves one range inside it, or 416") {
    ByteRange r;
    CHECK(parse_blob_range("", 24000, r) == RangeVerdict::kWhole);
    REQUIRE(parse_blob_range("bytes=10-19", 24000, r) == RangeVerdict::kOne);
    CHECK((r.first == 10 && r.last == 19));
    REQUIRE(parse_blob_range("bytes=-5", 24000, r) == RangeVerdict::kOne);
    CHECK((r.first == 23995 && r.last == 23999));
    REQUIRE(parse_blob_range("bytes=-99999", 24000, r) == RangeVerdict::kOne);
    CHECK((r.first == 0 && r.last == 23999));
    REQUIRE(parse_blob_range("BYTES=23990-", 24000, r) == RangeVerdict::kOne);
    CHECK((r.first == 23990 && r.last == 23999));
    REQUIRE(parse_blob_range("bytes=23990-99999999", 24000, r) == RangeVerdict::kOne);
    CHECK(r.last == 23999);
    for (const char* bad : {"bytes=0-1,2-3", "bytes=24000-24010", "bytes=5-1", "bytes=-0", "lines=1-2", "bytes=abc",
                            "bytes=0-18446744073709551615,5-", "bytes=", "bytes=-", "bytes=1"}) {
        CAPTURE(bad);
        CHECK(parse_blob_range(bad, 24000, r) == RangeVerdict::kUnsatisfiable);
    }
    CHECK(parse_blob_range("bytes=0-0", 0, r) == RangeVerdict::kUnsatisfiable);  // nothing in an empty blob
}
