// Heads: the per-record blob of current field versions (heads.h), and the outpost_sort SQL function.
#include "outpost/core/records/heads.h"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <algorithm>
#include <random>

#include "outpost/core/error_codes.h"

using namespace outpost;
using namespace outpost::records;

namespace {

std::vector<Head> sample() {
    std::vector<Head> heads;
    (void)put_head(heads, {"visit_date", "\"2026-11-20\"", Hlc{1000}, Hlc{}, "dev-a", "ann", false});
    (void)put_head(heads, {"household", "\"Household \\\"7\\\"\"", Hlc{1001}, Hlc{900}, "dev-b", "lee", true});
    (void)put_head(heads, {"score", "42", Hlc{1002}, Hlc{}, "dev-a", "ann", false});
    (void)put_head(heads, {"ratio", "0.25", Hlc{1003}, Hlc{}, "dev-a", "ann", false});
    (void)put_head(heads, {"seen_alone", "true", Hlc{1004}, Hlc{}, "dev-a", "ann", false});
    (void)put_head(heads, {"people", "[\"child\"]", Hlc{1005}, Hlc{}, "dev-a", "ann", false});
    (void)put_head(heads, {"empty", "null", Hlc{1006}, Hlc{}, "dev-a", "ann", false});
    return heads;
}

}  // namespace

TEST_CASE("Heads: encode and decode round-trip, in name order, with writers shared") {
    const std::vector<Head> heads = sample();
    REQUIRE(heads.size() == 7);
    CHECK(std::is_sorted(heads.begin(), heads.end(), [](const Head& a, const Head& b) { return a.field < b.field; }));
    const std::string blob = encode_heads(heads);
    auto back = decode_heads(blob);
    REQUIRE(back.is_ok());
    CHECK(*back == heads);
    // Two writers for seven fields: each (device, author) pair is stored once.
    CHECK(blob.find("dev-a") == blob.rfind("dev-a"));

    std::vector<Head> copy = heads;
    auto old = put_head(copy, {"score", "43", Hlc{2000}, Hlc{1002}, "dev-c", "kim", true});
    REQUIRE(old.has_value());
    CHECK(old->value == "42");
    CHECK(find_head(copy, "score")->value == "43");
    CHECK(find_head(copy, "nothing") == nullptr);
    CHECK(decode_heads(encode_heads({}))->empty());
}

TEST_CASE("Heads: every truncation and random damage is refused with a stable code, never a crash") {
    const std::string blob = encode_heads(sample());
    for (std::size_t n = 0; n < blob.size(); ++n) {
        auto r = decode_heads(std::string_view(blob).substr(0, n));
        REQUIRE_FALSE(r.is_ok());
        CHECK(r.status().code() == errc::kStoreRecordCorrupt);
    }
    CHECK(decode_heads(blob + "x").status().code() == errc::kStoreRecordCorrupt);
    std::mt19937 rng(11);
    int refused = 0;
    for (int i = 0; i < 5000; ++i) {
        std::string bad = blob;
        bad[rng() % bad.size()] = static_cast<char>(rng());
        auto r = decode_heads(bad);
        if (!r.is_ok()) {
            CHECK(r.status().code() == errc::kStoreRecordCorrupt);
            ++refused;
        }
    }
    CHECK(refused > 0);
    // Names out of order would break put_head's search: refused.
    std::vector<Head> unordered = sample();
    std::swap(unordered[0], unordered[1]);
    CHECK(decode_heads(encode_heads(unordered)).status().code() == errc::kStoreRecordCorrupt);
}

TEST_CASE("Heads: outpost_sort gives SQLite's sort value of one field") {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(":memory:", &db) == SQLITE_OK);
    REQUIRE(register_heads_functions(db) == SQLITE_OK);
    const std::string blob = encode_heads(sample());
    auto eval = [&](const char* field) {
        sqlite3_stmt* st = nullptr;
        REQUIRE(sqlite3_prepare_v2(db, "SELECT outpost_sort(?1, ?2), typeof(outpost_sort(?1, ?2))", -1, &st, nullptr) ==
                SQLITE_OK);
        sqlite3_bind_blob(st, 1, blob.data(), static_cast<int>(blob.size()), SQLITE_STATIC);
        sqlite3_bind_text(st, 2, field, -1, SQLITE_STATIC);
        REQUIRE(sqlite3_step(st) == SQLITE_ROW);
        std::string out = std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 1))) + ":";
        if (const unsigned char* t = sqlite3_column_text(st, 0)) {
            out += reinterpret_cast<const char*>(t);
        }
        sqlite3_finalize(st);
        return out;
    };
    CHECK(eval("visit_date") == "text:2026-11-20");
    CHECK(eval("household") == "text:Household \"7\"");
    CHECK(eval("score") == "integer:42");
    CHECK(eval("ratio") == "real:0.25");
    CHECK(eval("seen_alone") == "integer:1");
    CHECK(eval("people") == "text:[\"child\"]");
    CHECK(eval("empty") == "null:");
    CHECK(eval("missing") == "null:");
    sqlite3_close(db);
}

TEST_CASE("Heads: a server frontiers blob keeps every version of a field, losers included") {
    const FieldVersion a{"\"blue\"", Stamp{Hlc{5000}, "dev-a"}, Hlc{}, "ann"};
    const FieldVersion b{"\"green\"", Stamp{Hlc{5001}, "dev-b"}, Hlc{}, "lee"};
    const FieldVersion c{"3", Stamp{Hlc{4000}, "dev-a"}, Hlc{3000}, "ann"};
    const std::vector<FieldFrontier> fields = {{"colour", FieldState{{a, b}}}, {"count", FieldState{{c}}}};
    const std::string blob = encode_frontiers(fields);
    auto back = decode_frontiers(blob);
    REQUIRE(back.is_ok());
    CHECK(*back == fields);
    std::vector<std::string> seen;
    REQUIRE(scan_frontiers(blob, [&](const VersionView& v) {
                seen.push_back(std::string(v.field) + "=" + std::string(v.value) + "@" + std::string(v.device));
            }).is_ok());
    CHECK(seen == std::vector<std::string>{"colour=\"blue\"@dev-a", "colour=\"green\"@dev-b", "count=3@dev-a"});
    CHECK(decode_frontiers(encode_frontiers({}))->empty());

    // The two blob kinds are never mistaken for each other.
    CHECK(decode_heads(blob).status().code() == errc::kStoreRecordCorrupt);
    CHECK(decode_frontiers(encode_heads(sample())).status().code() == errc::kStoreRecordCorrupt);
    // Versions out of (field, stamp) order, or the same stamp twice, are refused.
    CHECK(decode_frontiers(encode_frontiers({{"colour", FieldState{{b, a}}}})).status().code() ==
          errc::kStoreRecordCorrupt);
    CHECK(
        decode_frontiers(encode_frontiers({{"count", FieldState{{c}}}, {"colour", FieldState{{a}}}})).status().code() ==
        errc::kStoreRecordCorrupt);
    CHECK(decode_frontiers(encode_frontiers({{"colour", FieldState{{a, a}}}})).status().code() ==
          errc::kStoreRecordCorrupt);
    for (std::size_t n = 0; n < blob.size(); ++n) {
        CHECK(decode_frontiers(std::string_view(blob).substr(0, n)).status().code() == errc::kStoreRecordCorrupt);
    }
    // No flag is defined for frontiers: a set flag byte (the last byte of the last version) is refused.
    std::string flagged = blob;
    flagged.back() = 1;
    CHECK(decode_frontiers(flagged).status().code() == errc::kStoreRecordCorrupt);
}
