// Fuzz target: the heads and frontiers blob decoders (records/heads.h) and the outpost_sort SQL function over it.
// Any input must be refused with store.record.corrupt or, if accepted, survive encode -> decode
// unchanged; outpost_sort must never read outside the blob, whatever the blob.
#include <sqlite3.h>

#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fuzz_target.h"
#include "outpost/core/records/heads.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* raw, std::size_t size) {
    using namespace outpost::records;
    const std::string_view blob(reinterpret_cast<const char*>(raw), size);
    auto heads = decode_heads(blob);
    if (heads.is_ok()) {
        auto again = decode_heads(encode_heads(*heads));
        if (!again.is_ok() || *again != *heads) {
            std::abort();  // an accepted blob must round-trip to the same heads
        }
    } else if (heads.status().code() != "store.record.corrupt") {
        std::abort();
    }
    // The server's frontiers blob shares the codec: the same promise.
    auto frontiers = decode_frontiers(blob);
    if (frontiers.is_ok()) {
        auto again = decode_frontiers(encode_frontiers(*frontiers));
        if (!again.is_ok() || *again != *frontiers) {
            std::abort();
        }
    } else if (frontiers.status().code() != "store.record.corrupt") {
        std::abort();
    }
    static sqlite3* db = [] {
        sqlite3* d = nullptr;
        if (sqlite3_open(":memory:", &d) != SQLITE_OK || register_heads_functions(d) != SQLITE_OK) {
            std::abort();
        }
        return d;
    }();
    static sqlite3_stmt* st = [] {
        sqlite3_stmt* s = nullptr;
        if (sqlite3_prepare_v2(db, "SELECT outpost_sort(?1, 'household'), outpost_sort(?1, 'a')", -1, &s, nullptr) !=
            SQLITE_OK) {
            std::abort();
        }
        return s;
    }();
    sqlite3_bind_blob(st, 1, raw, static_cast<int>(size), SQLITE_STATIC);
    (void)sqlite3_step(st);
    sqlite3_reset(st);
    return 0;
}
