// Fuzz target: the sync protocol's message decoders (sync_messages.h, messages.h), which read every
// request body a device sends and every answer a laptop receives. Any input must be refused with a
// stable error code (three dot-separated parts) or, if accepted, survive encode -> decode unchanged.
// The first byte picks the message; the rest is the body.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fuzz_target.h"
#include "outpost/sync/messages.h"
#include "outpost/sync/sync_messages.h"

namespace {

void check_code(const outpost::Status& s) {
    const std::string& code = s.code();
    int dots = 0;
    for (char c : code) {
        dots += c == '.' ? 1 : 0;
    }
    if (s.is_ok() || dots != 2 || code.front() == '.' || code.back() == '.') {
        std::abort();  // a refusal must carry a stable code
    }
}

template <typename Decode>
void round_trip(std::string_view body, Decode decode) {
    auto first = decode(body);
    if (!first.is_ok()) {
        check_code(first.status());
        return;
    }
    auto again = decode(outpost::sync::encode(*first));
    if (!again.is_ok() || !(*again == *first)) {
        std::abort();  // what was accepted must encode to the same message
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* raw, std::size_t size) {
    using namespace outpost::sync;
    if (size == 0) {
        return 0;
    }
    const std::string_view body(reinterpret_cast<const char*>(raw) + 1, size - 1);
    switch (raw[0] % 7) {
        case 0:
            round_trip(body, [](std::string_view b) { return decode_push_request(b); });
            break;
        case 1:
            round_trip(body, [](std::string_view b) { return decode_push_response(b); });
            break;
        case 2:
            round_trip(body, [](std::string_view b) { return decode_pull_response(b); });
            break;
        case 3:
            round_trip(body, [](std::string_view b) { return decode_enroll_request(b); });
            break;
        case 4:
            round_trip(body, [](std::string_view b) { return decode_enroll_response(b); });
            break;
        case 5:
            round_trip(body, [](std::string_view b) { return decode_snapshot_response(b); });
            break;
        default: {
            auto h = decode_health(body);
            if (!h.is_ok()) {
                check_code(h.status());
            }
        }
    }
    return 0;
}
