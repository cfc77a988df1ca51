// Fuzz target: a request's head and a blob's Range as the server sees them (request_limits.h). The
// input is a head as it arrives: a request line, then header lines ("Name: value", CRLF or LF), then
// optionally a blank line and a blob size in decimal. The head is split into headers as httplib does
// (name before the first colon, value with its leading blanks trimmed), then judged as every route
// would judge it; each Range header is parsed against the blob size. Whatever arrives:
//   - a head past the byte or header limits is 431; with Content-Length and Transfer-Encoding both,
//     or Content-Length twice, it is never taken (400); a body allowed is never over its route's size;
//   - one range served lies inside the blob, so no answer is ever larger than the blob; a blob of
//     zero bytes has no range to serve.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz_target.h"
#include "request_limits.h"

namespace {

using namespace outpost::sync;

std::string_view trim_left(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    return s;
}

void check(bool ok) {
    if (!ok) {
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* raw, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(raw), size);
    std::string_view head = input;
    std::uint64_t blob_size = 24000;
    if (const std::size_t blank = input.find("\n\n"); blank != std::string_view::npos) {
        head = input.substr(0, blank);
        std::uint64_t n = 0;
        std::size_t digits = 0;
        for (const char c : input.substr(blank + 2)) {
            if (c < '0' || c > '9' || ++digits > 12) {
                break;
            }
            n = n * 10 + static_cast<std::uint64_t>(c - '0');
        }
        blob_size = n;
    }
    // The request line, then the headers.
    std::vector<std::pair<std::string, std::string>> headers;
    std::string method = "GET";
    std::string path = "/v1/health";
    bool first = true;
    for (std::size_t at = 0; at <= head.size();) {
        std::size_t end = head.find('\n', at);
        if (end == std::string_view::npos) {
            end = head.size();
        }
        std::string_view line = head.substr(at, end - at);
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        at = end + 1;
        if (first) {
            first = false;
            const std::size_t sp = line.find(' ');
            if (sp != std::string_view::npos) {
                method = std::string(line.substr(0, sp));
                const std::string_view rest = line.substr(sp + 1);
                path = std::string(rest.substr(0, rest.find(' ')));
            }
            continue;
        }
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos || colon == 0) {
            continue;  // httplib refuses the request (400) before any route sees it
        }
        headers.emplace_back(std::string(line.substr(0, colon)), std::string(trim_left(line.substr(colon + 1))));
    }

    const HeadLimits limits{.max_head_bytes = 32 * 1024, .max_headers = 100};
    const std::uint64_t push_max = 8U * 1024U * 1024U;
    const std::uint64_t blob_max = 25U * 1024U * 1024U;
    const std::uint64_t route_max = max_body_for(method, path, push_max, blob_max);
    check(route_max <= std::max(push_max, blob_max + 4096));
    // httplib adds four of its own after parsing (REMOTE_ADDR, REMOTE_PORT, LOCAL_ADDR, LOCAL_PORT).
    const std::size_t sent = headers.size();
    for (const char* name : {"REMOTE_ADDR", "REMOTE_PORT", "LOCAL_ADDR", "LOCAL_PORT"}) {
        headers.emplace_back(name, "1");
    }
    const HeadSummary summary = summarise_head(headers);
    check(summary.headers == headers.size());
    for (const bool cut : {false, true}) {
        std::uint64_t length = 0;
        const HeadVerdict verdict = check_head(summary, cut, route_max, limits, length);
        if (cut || sent > limits.max_headers) {
            check(verdict == HeadVerdict::kTooLarge);
        }
        if (verdict == HeadVerdict::kOk) {
            check(!summary.transfer_encoding);
            check(summary.content_lengths <= 1);
            check(length <= route_max);
            check(summary.content_lengths == 1 || length == 0);
        }
        if (summary.transfer_encoding && summary.content_lengths > 0) {
            check(verdict != HeadVerdict::kOk && verdict != HeadVerdict::kChunked);
        }
    }

    // Every Range header, against the blob.
    for (const auto& [name, value] : headers) {
        if (!header_is(name, "Range")) {
            continue;
        }
        ByteRange r;
        const RangeVerdict v = parse_blob_range(value, blob_size, r);
        if (v == RangeVerdict::kOne) {
            check(blob_size > 0);
            check(r.first <= r.last);
            check(r.last < blob_size);
        }
        if (value.find(',') != std::string::npos) {
            check(v != RangeVerdict::kOne);  // one range at most, ever
        }
    }
    ByteRange none;
    check(parse_blob_range("", blob_size, none) == RangeVerdict::kWhole);
    return 0;
}
