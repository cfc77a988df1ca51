// Helpers for store tests: options for each mode, raw file access, small query helpers.
#pragma once

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "outpost/core/store.h"

namespace outpost::testing {

struct StoreMode {
    bool encrypted;
    JournalMode journal;
    const char* name;
};

inline const std::vector<StoreMode>& all_store_modes() {
    static const std::vector<StoreMode> modes = {{true, JournalMode::kWal, "encrypted WAL"},
                                                 {true, JournalMode::kDelete, "encrypted DELETE"},
                                                 {false, JournalMode::kWal, "plain WAL"},
                                                 {false, JournalMode::kDelete, "plain DELETE"}};
    return modes;
}

inline StoreOptions options_for(const StoreMode& m) {
    StoreOptions o;
    o.encrypted = m.encrypted;
    o.journal = m.journal;
    o.kdf = KdfPolicy::kInteractiveFloor;  // tests: libsodium's INTERACTIVE floor, never lower
    return o;
}

inline std::vector<std::uint8_t> read_bytes(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_bytes(const std::filesystem::path& p, const std::vector<std::uint8_t>& bytes) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// Every regular file in `dir`, name -> bytes.
inline std::map<std::string, std::vector<std::uint8_t>> snapshot_dir(const std::filesystem::path& dir) {
    std::map<std::string, std::vector<std::uint8_t>> out;
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        if (e.is_regular_file()) {
            out[e.path().filename().string()] = read_bytes(e.path());
        }
    }
    return out;
}

inline bool contains(const std::vector<std::uint8_t>& hay, const std::string& needle) {
    return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}

inline std::int64_t query_int(sqlite3* db, const char* sql) {
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(st) == SQLITE_ROW);
    const std::int64_t v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

inline std::string query_text(sqlite3* db, const char* sql) {
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(st) == SQLITE_ROW);
    const auto* t = sqlite3_column_text(st, 0);
    std::string v = t != nullptr ? reinterpret_cast<const char*>(t) : "";
    sqlite3_finalize(st);
    return v;
}

// A deterministic document for row `i`, 200..1200 bytes.
inline std::string doc_for(int i) {
    std::mt19937 rng(static_cast<unsigned>(i) * 2654435761U);
    std::string s = "{\"row\":" + std::to_string(i) + ",\"text\":\"";
    const int len = 200 + static_cast<int>(rng() % 1000);
    for (int k = 0; k < len; ++k) {
        s.push_back(static_cast<char>('a' + rng() % 26));
    }
    return s + "\"}";
}

// Inserts rows [from, to) into table t(id INTEGER PRIMARY KEY, doc TEXT) in transactions of `batch`.
inline void insert_rows(Store& store, int from, int to, int batch = 1000) {
    sqlite3* db = store.handle();
    REQUIRE(db != nullptr);
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, "INSERT INTO t(id, doc) VALUES(?, ?)", -1, &st, nullptr) == SQLITE_OK);
    for (int i = from; i < to; ++i) {
        if ((i - from) % batch == 0) {
            REQUIRE(store.exec("BEGIN").is_ok());
        }
        const std::string d = doc_for(i);
        sqlite3_bind_int(st, 1, i);
        sqlite3_bind_text(st, 2, d.c_str(), static_cast<int>(d.size()), SQLITE_TRANSIENT);
        REQUIRE(sqlite3_step(st) == SQLITE_DONE);
        sqlite3_reset(st);
        if ((i - from) % batch == batch - 1 || i == to - 1) {
            REQUIRE(store.exec("COMMIT").is_ok());
        }
    }
    sqlite3_finalize(st);
}

}  // namespace outpost::testing
