// Fuzz target: search-text sanitising (records::fts_query). Whatever a worker types, the query it
// becomes must be valid FTS5 syntax for the records' search table (same tokenizer): SQLite must run
// it without an error, and an empty result means "no searchable tokens", never an unsafe query.
#include <sqlite3.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "fuzz_target.h"
#include "outpost/core/records/engine.h"

namespace {

sqlite3* search_table() {
    static sqlite3* db = [] {
        sqlite3* d = nullptr;
        if (sqlite3_open(":memory:", &d) != SQLITE_OK ||
            sqlite3_exec(d,
                         "CREATE VIRTUAL TABLE records_fts USING fts5(body, content='', "
                         "tokenize='unicode61 remove_diacritics 2');"
                         "INSERT INTO records_fts(rowid, body) VALUES(1, 'Smith household damp kitchen caf\xc3\xa9');",
                         nullptr, nullptr, nullptr) != SQLITE_OK) {
            std::abort();
        }
        return d;
    }();
    return db;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* raw, std::size_t size) {
    const std::string_view typed(reinterpret_cast<const char*>(raw), size);
    const std::string q = outpost::records::fts_query(typed);
    if (q.empty()) {
        return 0;
    }
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(search_table(), "SELECT rowid FROM records_fts WHERE records_fts MATCH ?", -1, &st,
                           nullptr) != SQLITE_OK) {
        std::abort();
    }
    sqlite3_bind_text(st, 1, q.data(), static_cast<int>(q.size()), SQLITE_TRANSIENT);
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        std::abort();  // the sanitised query was not valid FTS5
    }
    return 0;
}
