// Request limits the server applies to what arrives from outside, before and while it is read: the
// head (bytes and header count), how a body is framed and how large each route's may be, and the one
// Range a blob download may ask for. Pure functions, so the fuzz target and the unit tests reach them
// without a server (tests/fuzz/http_head_fuzz.cpp, tests/unit/sync_server/request_limits_test.cpp).
//
// Threads: pure, any thread. Failure: each answer says what the server does with the request.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace outpost::sync {

struct HeadLimits {
    std::uint64_t max_head_bytes = 32 * 1024;  // request line and headers together
    std::size_t max_headers = 100;
};

// What the head of a request (as httplib parsed it) means for it, before any body is read.
enum class HeadVerdict {
    kOk,
    kTooLarge,         // 431: more header bytes or lines than the server takes
    kAmbiguousLength,  // 400: both Content-Length and Transfer-Encoding (request smuggling)
    kChunked,          // 411: a chunked body; every Outpost client sends Content-Length
    kBadLength,        // 400: a Content-Length that is not a number
    kBodyTooLarge,     // 413: more than this route takes, refused before reading it
};

// What a head says about its body, gathered from its headers (names in any case).
struct HeadSummary {
    std::size_t headers = 0;
    int content_lengths = 0;
    bool transfer_encoding = false;
    std::string content_length;
};
[[nodiscard]] bool header_is(std::string_view name, std::string_view wanted);
template <typename Headers>
[[nodiscard]] HeadSummary summarise_head(const Headers& headers) {
    HeadSummary h;
    for (const auto& [name, value] : headers) {
        ++h.headers;
        if (header_is(name, "Content-Length")) {
            ++h.content_lengths;
            h.content_length = value;
        } else if (header_is(name, "Transfer-Encoding")) {
            h.transfer_encoding = true;
        }
    }
    return h;
}

// `head_cut`: the guard stopped reading the head at max_head_bytes. `route_max`: the most this
// route's body may be (max_body_for). Sets `content_length` when the answer is kOk.
[[nodiscard]] HeadVerdict check_head(const HeadSummary& head, bool head_cut, std::uint64_t route_max,
                                     const HeadLimits& limits, std::uint64_t& content_length);

// The largest body each route takes: an enrolment is a code and a name, a push is a batch, a blob
// PUT is a file or a chunk of one, a token renewal is "{}"; nothing else has a body.
[[nodiscard]] std::uint64_t max_body_for(std::string_view method, std::string_view path, std::uint64_t max_push_bytes,
                                         std::uint64_t max_blob_bytes);

struct ByteRange {
    std::uint64_t first = 0;
    std::uint64_t last = 0;  // inclusive
};

enum class RangeVerdict {
    kWhole,          // no Range header: 200 and the whole blob
    kOne,            // one satisfiable range: 206 with it
    kUnsatisfiable,  // 416, Content-Range: bytes */SIZE
};

// A blob's Range header ("bytes=A-B", "bytes=A-", "bytes=-N") for a blob of `size` bytes. Exactly
// one range is served; several, a malformed header, or one that starts past the end are
// unsatisfiable (416), so an answer is never larger than the blob.
[[nodiscard]] RangeVerdict parse_blob_range(std::string_view header, std::uint64_t size, ByteRange& out);

}  // namespace outpost::sync
