#include "request_limits.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace outpost::sync {
namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

// A decimal number of at most 19 digits, nothing else.
bool number(std::string_view s, std::uint64_t& out) {
    if (s.empty() || s.size() > 19) {
        return false;
    }
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

bool header_is(std::string_view name, std::string_view wanted) {
    return iequals(name, wanted);
}

HeadVerdict check_head(const HeadSummary& head, bool head_cut, std::uint64_t route_max, const HeadLimits& limits,
                       std::uint64_t& content_length) {
    content_length = 0;
    // httplib adds four of its own (REMOTE_ADDR and the like) after parsing.
    if (head_cut || head.headers > limits.max_headers + 4) {
        return HeadVerdict::kTooLarge;
    }
    const int lengths = head.content_lengths;
    const bool encoded = head.transfer_encoding;
    const std::string_view length = head.content_length;
    if (encoded && lengths > 0) {
        return HeadVerdict::kAmbiguousLength;
    }
    if (encoded) {
        return HeadVerdict::kChunked;
    }
    if (lengths > 1) {
        return HeadVerdict::kAmbiguousLength;
    }
    if (lengths == 1 && !number(trim(length), content_length)) {
        return HeadVerdict::kBadLength;
    }
    return content_length > route_max ? HeadVerdict::kBodyTooLarge : HeadVerdict::kOk;
}

std::uint64_t max_body_for(std::string_view method, std::string_view path, std::uint64_t max_push_bytes,
                           std::uint64_t max_blob_bytes) {
    if (method == "POST" && path == "/v1/enroll") {
        return 16 * 1024;
    }
    if (method == "POST" && path == "/v1/token/renew") {
        return 1024;  // "{}"
    }
    if (method == "POST" && path == "/v1/push") {
        return max_push_bytes;
    }
    if (method == "PUT" && path.rfind("/v1/blobs/", 0) == 0) {
        return max_blob_bytes + 4096;
    }
    return 0;
}

RangeVerdict parse_blob_range(std::string_view header, std::uint64_t size, ByteRange& out) {
    header = trim(header);
    if (header.empty()) {
        return RangeVerdict::kWhole;
    }
    constexpr std::string_view kUnit = "bytes=";
    if (header.size() < kUnit.size() || !iequals(header.substr(0, kUnit.size()), kUnit)) {
        return RangeVerdict::kUnsatisfiable;
    }
    const std::string_view spec = trim(header.substr(kUnit.size()));
    if (spec.find(',') != std::string_view::npos || size == 0) {
        return RangeVerdict::kUnsatisfiable;  // one range only, and nothing in an empty blob
    }
    const std::size_t dash = spec.find('-');
    if (dash == std::string_view::npos) {
        return RangeVerdict::kUnsatisfiable;
    }
    const std::string_view a = trim(spec.substr(0, dash));
    const std::string_view b = trim(spec.substr(dash + 1));
    std::uint64_t first = 0;
    std::uint64_t last = 0;
    if (a.empty()) {
        // The last N bytes.
        std::uint64_t n = 0;
        if (!number(b, n) || n == 0) {
            return RangeVerdict::kUnsatisfiable;
        }
        first = n >= size ? 0 : size - n;
        last = size - 1;
    } else {
        if (!number(a, first) || first >= size) {
            return RangeVerdict::kUnsatisfiable;
        }
        if (b.empty()) {
            last = size - 1;
        } else if (!number(b, last) || last < first) {
            return RangeVerdict::kUnsatisfiable;
        }
        last = std::min(last, size - 1);
    }
    out = {first, last};
    return RangeVerdict::kOne;
}

}  // namespace outpost::sync
