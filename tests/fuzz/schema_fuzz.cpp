// Fuzz target: the form-schema parser (records/schema.h), which reads the forms a server serves and a
// laptop caches. Any input must be refused with a stable error code, or accepted as a schema with a
// type and fields that a second parse of the same text gives again (parsing is deterministic).
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fuzz_target.h"
#include "outpost/core/records/schema.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* raw, std::size_t size) {
    using namespace outpost::records;
    const std::string_view text(reinterpret_cast<const char*>(raw), size);
    auto s = parse_schema(text, "fuzz.json");
    if (!s.is_ok()) {
        const std::string& code = s.status().code();
        if (code.empty() || code.find('.') == std::string::npos) {
            std::abort();
        }
        return 0;
    }
    if (s->type.empty()) {
        std::abort();  // an accepted form has a type
    }
    auto again = parse_schema(text, "fuzz.json");
    if (!again.is_ok() || again->type != s->type || again->fields.size() != s->fields.size()) {
        std::abort();
    }
    return 0;
}
