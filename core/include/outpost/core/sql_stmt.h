// StmtRef: a small guard over a prepared SQLite statement, for the modules that keep a statement
// cache (records engine, server storage) or prepare one-off queries (sync client): bind, step, read
// columns; on destruction the statement is reset and unbound, and, when owned, finalized.
//
// Ownership: borrows the statement unless made with StmtRef::owned(). Threads: one thread at a time,
// like the connection it belongs to. Failure: step() returns SQLite's code; a null statement (failed
// prepare) steps to SQLITE_MISUSE and binds nothing.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace outpost::sql {

class StmtRef {
public:
    explicit StmtRef(sqlite3_stmt* st, bool owned = false) : m_st(st), m_owned(owned) {}
    // Prepares `sql` on `db` for one use; finalized on destruction.
    static StmtRef owned(sqlite3* db, const char* sql) {
        sqlite3_stmt* st = nullptr;
        if (db == nullptr || sqlite3_prepare_v2(db, sql, -1, &st, nullptr) != SQLITE_OK) {
            sqlite3_finalize(st);
            st = nullptr;
        }
        return StmtRef(st, true);
    }
    ~StmtRef() {
        if (m_st == nullptr) {
            return;
        }
        if (m_owned) {
            sqlite3_finalize(m_st);
        } else {
            sqlite3_reset(m_st);
            sqlite3_clear_bindings(m_st);
        }
    }
    StmtRef(StmtRef&& o) noexcept : m_st(o.m_st), m_owned(o.m_owned) { o.m_st = nullptr; }
    StmtRef(const StmtRef&) = delete;
    StmtRef& operator=(const StmtRef&) = delete;
    StmtRef& operator=(StmtRef&&) = delete;

    [[nodiscard]] bool ok() const { return m_st != nullptr; }
    [[nodiscard]] sqlite3_stmt* get() { return m_st; }
    StmtRef& text(int i, std::string_view v) {
        sqlite3_bind_text(m_st, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
        return *this;
    }
    // Binds bytes as a BLOB (copied).
    StmtRef& blob(int i, std::string_view v) {
        sqlite3_bind_blob(m_st, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
        return *this;
    }
    // Bind without a copy: the bytes must stay unchanged until the statement is reset (reset() or
    // this guard's destruction). For large values bound once per row in bulk writes.
    StmtRef& text_ref(int i, std::string_view v) {
        sqlite3_bind_text(m_st, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
        return *this;
    }
    StmtRef& blob_ref(int i, std::string_view v) {
        sqlite3_bind_blob(m_st, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
        return *this;
    }
    StmtRef& i64(int i, std::int64_t v) {
        sqlite3_bind_int64(m_st, i, v);
        return *this;
    }
    int step() { return m_st != nullptr ? sqlite3_step(m_st) : SQLITE_MISUSE; }
    // Resets and unbinds, for a statement stepped again in a loop.
    void reset() {
        sqlite3_reset(m_st);
        sqlite3_clear_bindings(m_st);
    }
    [[nodiscard]] std::string col_text(int i) {
        const auto* t = sqlite3_column_text(m_st, i);
        return t != nullptr ? std::string(reinterpret_cast<const char*>(t),
                                          static_cast<std::size_t>(sqlite3_column_bytes(m_st, i)))
                            : std::string();
    }
    [[nodiscard]] std::int64_t col_i64(int i) { return sqlite3_column_int64(m_st, i); }
    [[nodiscard]] bool col_null(int i) { return sqlite3_column_type(m_st, i) == SQLITE_NULL; }
    // A column's bytes, valid until the next step, reset or column call on this statement.
    [[nodiscard]] std::string_view col_blob(int i) {
        const void* b = sqlite3_column_blob(m_st, i);
        return b != nullptr ? std::string_view(static_cast<const char*>(b),
                                               static_cast<std::size_t>(sqlite3_column_bytes(m_st, i)))
                            : std::string_view();
    }

private:
    sqlite3_stmt* m_st;
    bool m_owned;
};

}  // namespace outpost::sql
