// Queries: list with filters, sorts, search and keyset paging. The SQL is assembled from fixed pieces
// (a field's name is checked to be a plain identifier before it joins a sort key); every value the
// caller gives is bound, and typed search text passes through fts_query first.
#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine_impl.h"
#include "outpost/core/error_codes.h"

namespace outpost::records {
namespace {

// The filters every list shares: ?2 type, ?3 team.
std::string filter_sql(const ListQuery& q) {
    std::string sql;
    if (!q.include_deleted) {
        sql += " AND r.deleted = 0";
    }
    if (!q.type.empty()) {
        sql += " AND r.type = ?2";
    }
    if (!q.team.empty()) {
        sql += " AND r.team = ?3";
    }
    return sql;
}

}  // namespace

void RecordEngine::Impl::bind_filters(Stmt& st, const ListQuery& q) {
    if (!q.type.empty()) {
        st.text(2, q.type);
    }
    if (!q.team.empty()) {
        st.text(3, q.team);
    }
}

Result<Page> RecordEngine::Impl::page_of(std::vector<Cursor> rows, int limit) {
    // `rows` holds up to limit + 1 matches: the extra one only says that another page follows.
    Page page;
    if (static_cast<int>(rows.size()) > limit) {
        rows.pop_back();
        page.next = rows.back();
    }
    for (const Cursor& row : rows) {
        Result<Record> r = load(row.id);
        OUTPOST_TRY(r);
        page.records.push_back(std::move(*r));
    }
    return page;
}

Result<Page> RecordEngine::Impl::search_recent(const ListQuery& q, const std::string& match, int limit) {
    // FTS5 yields matches in descending rowid (= last-write) order and the LIMIT stops it early, so
    // even a query of very common words reads only about one page of hits.
    std::string sql =
        "SELECT r.id, f.rowid FROM records_fts f JOIN records r ON r.fts_rowid = f.rowid "
        "WHERE records_fts MATCH ?1" +
        filter_sql(q);
    if (q.after) {
        sql += " AND f.rowid < ?4";
    }
    sql += " ORDER BY f.rowid DESC LIMIT " + std::to_string(limit + 1);
    Stmt st = prepare(sql);
    if (!st.ok()) {
        return m_store.sql_status(sqlite3_errcode(m_store.handle()), "searching");
    }
    st.text(1, match);
    bind_filters(st, q);
    if (q.after) {
        std::int64_t after = 0;
        const std::string& k = q.after->key;
        const auto [end, ec] =
            std::from_chars(k.data() + std::min<std::size_t>(2, k.size()), k.data() + k.size(), after);
        if (ec != std::errc() || end != k.data() + k.size() || k.rfind("s:", 0) != 0) {
            return Status::error(errc::kInvalidArgument, "this page cursor belongs to a different list");
        }
        st.i64(4, after);
    }
    std::vector<Cursor> rows;
    int rc = 0;
    while ((rc = st.step()) == SQLITE_ROW) {
        Cursor c;
        c.id = st.col_text(0);
        c.key = "s:" + std::to_string(st.col_i64(1));
        rows.push_back(std::move(c));
    }
    if (rc != SQLITE_DONE) {
        return m_store.sql_status(rc, "searching");
    }
    return page_of(std::move(rows), limit);
}

Result<Page> RecordEngine::Impl::list(const ListQuery& q) {
    sqlite3* db = m_store.handle();
    if (db == nullptr) {
        return Status::error(errc::kStoreLocked, "the store is locked");
    }
    const int limit = std::clamp(q.limit, 1, 500);
    std::string key;  // the sort expression
    std::string from = "records r";
    if (q.sort == SortBy::kUpdated) {
        key = "r.updated_ms";
    } else if (q.sort == SortBy::kCreated) {
        // Built on first use, like a field's sort index: a first sync need not maintain it.
        if (m_sort_indexes.count("") == 0) {
            OUTPOST_TRY(m_store.exec("CREATE INDEX IF NOT EXISTS records_created ON records(created_ms, id)"));
            m_sort_indexes.insert("");
        }
        key = "r.created_ms";
    } else {
        Result<std::string> k = field_sort_key(q.sort_field);
        OUTPOST_TRY(k);
        key = std::move(*k);
    }
    // NULL sort values (a field with no value) come first ascending and last descending; `nn` keeps the
    // keyset comparison well defined for them.
    const std::string nn = "(" + key + " IS NOT NULL)";
    std::string where = "1" + filter_sql(q);
    const std::string match = fts_query(q.search);
    if (!match.empty() && q.sort == SortBy::kUpdated && q.descending) {
        return search_recent(q, match, limit);
    }
    if (!match.empty()) {
        // Few matches: drive the query from FTS5 and sort them (bounded by kSparse lookups). Many
        // matches: walk the sort index and probe the match set, where a page of hits turns up early.
        // (A per-row "MATCH ... AND rowid = r.rid" probe was tried: FTS5 re-evaluates the whole
        // query per row, which is far slower.)
        constexpr int kSparse = 5000;
        Stmt count = prepare("SELECT count(*) FROM (SELECT 1 FROM records_fts WHERE records_fts MATCH ?1 LIMIT " +
                             std::to_string(kSparse) + ")");
        count.text(1, match);
        const int rc = count.step();
        if (rc != SQLITE_ROW) {
            return m_store.sql_status(rc, "searching");
        }
        if (count.col_i64(0) < kSparse) {
            from = "(SELECT rowid AS hit FROM records_fts WHERE records_fts MATCH ?4) AS hits CROSS JOIN " + from;
            where += " AND r.fts_rowid = hits.hit";
        } else {
            where += " AND r.fts_rowid IN (SELECT rowid FROM records_fts WHERE records_fts MATCH ?4)";
        }
    }
    const char* cmp = q.descending ? "<" : ">";
    if (q.after && q.sort != SortBy::kField) {
        where += std::string(" AND (") + key + ", r.id) " + cmp + " (?5, ?6)";
    } else if (q.after) {
        if (q.after->key_null) {
            where += q.descending ? " AND (" + nn + " = 0 AND r.id < ?6)" : " AND (" + nn + " = 1 OR r.id > ?6)";
        } else {
            const std::string kv = "(" + key + ", r.id) " + cmp + " (?5, ?6)";
            where += q.descending ? " AND ((" + nn + " = 1 AND " + kv + ") OR " + nn + " = 0)"
                                  : " AND (" + nn + " = 1 AND " + kv + ")";
        }
    }
    const char* dir = q.descending ? " DESC" : " ASC";
    // SQLite sorts NULL lowest, so this order is "no value first" ascending and last descending, and
    // it can walk the field's sort index.
    const std::string order = key + dir + ", r.id" + dir;
    const std::string sql = "SELECT r.id, " + key + " FROM " + from + " WHERE " + where + " ORDER BY " + order +
                            " LIMIT " + std::to_string(limit + 1);
    Stmt st = prepare(sql);
    if (!st.ok()) {
        return m_store.sql_status(sqlite3_errcode(db), "listing records");
    }
    bind_filters(st, q);
    if (!match.empty()) {
        st.text(4, match);
    }
    if (q.after) {
        if (!q.after->key_null) {
            // The cursor's key keeps SQLite's type: "i:", "r:" or "t:" prefix.
            const std::string& k = q.after->key;
            const char* num = k.data() + std::min<std::size_t>(2, k.size());
            const char* end = k.data() + k.size();
            if (k.rfind("i:", 0) == 0) {
                std::int64_t n = 0;
                if (auto [p, ec] = std::from_chars(num, end, n); ec != std::errc() || p != end) {
                    return Status::error(errc::kInvalidArgument, "this page cursor belongs to a different list");
                }
                st.i64(5, n);
            } else if (k.rfind("r:", 0) == 0) {
                double d = 0;
                if (auto [p, ec] = std::from_chars(num, end, d); ec != std::errc() || p != end) {
                    return Status::error(errc::kInvalidArgument, "this page cursor belongs to a different list");
                }
                sqlite3_bind_double(st.get(), 5, d);
            } else {
                st.text(5, k.size() >= 2 ? std::string_view(k).substr(2) : std::string_view());
            }
        }
        st.text(6, q.after->id);
    }
    std::vector<Cursor> rows;
    int rc = 0;
    while ((rc = st.step()) == SQLITE_ROW) {
        Cursor c;
        c.id = st.col_text(0);
        switch (sqlite3_column_type(st.get(), 1)) {
            case SQLITE_NULL:
                c.key_null = true;
                break;
            case SQLITE_INTEGER:
                c.key = "i:" + std::to_string(st.col_i64(1));
                break;
            case SQLITE_FLOAT: {
                char buf[40];
                std::snprintf(buf, sizeof buf, "r:%.17g", sqlite3_column_double(st.get(), 1));
                c.key = buf;
                break;
            }
            default:
                c.key = "t:" + st.col_text(1);
        }
        rows.push_back(std::move(c));
    }
    if (rc != SQLITE_DONE) {
        return m_store.sql_status(rc, "listing records");
    }
    return page_of(std::move(rows), limit);
}

Result<std::string> RecordEngine::Impl::field_sort_key(const std::string& field) {
    if (field.empty() || field.size() > 64 || !std::all_of(field.begin(), field.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        })) {
        return Status::error(errc::kInvalidArgument, "records cannot be sorted by '" + field + "'");
    }
    // Each sort index is kept up to date by every write from then on: only fields of a form get one.
    if (std::none_of(m_schemas.begin(), m_schemas.end(),
                     [&](const Schema& sch) { return sch.field(field) != nullptr; })) {
        return Status::error(errc::kInvalidArgument, "no form has a field called '" + field + "'");
    }
    // The field's name is a literal (checked above), so the query's expression is the index's own.
    std::string key = "outpost_sort(r.heads, '" + field + "')";
    if (m_sort_indexes.count(field) == 0) {
        const std::string ddl = "CREATE INDEX IF NOT EXISTS records_sort_" + field +
                                " ON records(outpost_sort(heads, '" + field + "'), id)";
        OUTPOST_TRY(m_store.exec(ddl));
        m_sort_indexes.insert(field);
    }
    return key;
}

}  // namespace outpost::records
