// Fuzz target: the key-envelope parser and the recovery-code parser. Any input must be either refused
// with store.keyfile.corrupt / store.recovery_code.wrong or, if accepted, round-trip exactly.
// Random bytes almost never carry a valid BLAKE2b trailer, so for inputs of envelope size whose first
// byte is odd the target first recomputes the trailer: the fuzzer then explores every check behind it.
#include <sodium.h>

#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "fuzz_target.h"
#include "outpost/core/store/envelope.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* raw, std::size_t size) {
    using namespace outpost::store;
    std::vector<std::uint8_t> input(raw, raw + size);
    if (size == kEnvelopeSize && (raw[0] & 1U) != 0) {
        if (sodium_init() < 0) {
            std::abort();
        }
        crypto_generichash(input.data() + kEnvelopeSize - 32, 32, input.data(), kEnvelopeSize - 32, nullptr, 0);
    }
    const std::uint8_t* data = input.data();
    auto env = parse_envelope({data, size});
    if (env.is_ok()) {
        const std::vector<std::uint8_t> again = serialize_envelope(*env);
        if (again.size() != size || !std::equal(again.begin(), again.end(), data)) {
            std::abort();  // an accepted envelope must serialise back to the same bytes
        }
        if (live_passphrase_slot(*env) < 0) {
            std::abort();
        }
    } else if (env.status().code() != "store.keyfile.corrupt") {
        std::abort();
    }
    auto code = parse_recovery_code(std::string_view(reinterpret_cast<const char*>(data), size));
    if (!code.is_ok() && code.status().code() != "store.recovery_code.wrong") {
        std::abort();
    }
    return 0;
}
