// The change log: every write made on this laptop (the audit trail and the sync outbox), and pulled
// versions once something displaces them. History is the log plus the heads (heads.h).
#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine_impl.h"
#include "outpost/core/error_codes.h"
#include "outpost/core/records/merge.h"

namespace outpost::records {

int log_change(sql::StmtRef& log, const Change& c, std::string_view value, std::int64_t at_ms) {
    log.text(1, c.record).text(2, c.type).text(3, c.team).text(4, c.field).text(5, value);
    log.i64(6, static_cast<std::int64_t>(c.hlc.packed)).text(7, c.device);
    log.i64(8, static_cast<std::int64_t>(c.base.packed)).text(9, c.author).i64(10, at_ms).i64(11, c.form_version);
    const int rc = log.step();
    log.reset();
    return rc;
}

Status RecordEngine::Impl::log_displaced(sql::StmtRef& log, const Record& rec, const std::optional<Head>& old) {
    if (!old || old->logged) {
        return Status::ok();
    }
    const Change c{0,
                   rec.id,
                   rec.type,
                   rec.team,
                   old->field,
                   old->value,
                   old->hlc,
                   old->device,
                   old->base,
                   old->author,
                   static_cast<std::int64_t>(old->hlc.ms())};
    if (int rc = log_change(log, c, c.value, c.at_ms); rc != SQLITE_DONE) {
        return m_store.sql_status(rc, "keeping a field's history");
    }
    return Status::ok();
}

Result<std::vector<Change>> RecordEngine::Impl::read_changes(const char* where, std::string_view record,
                                                             std::int64_t after, int limit) {
    sqlite3* db = m_store.handle();
    if (db == nullptr) {
        return Status::error(errc::kStoreLocked, "the store is locked");
    }
    const std::string sql = std::string(
                                "SELECT seq, record, type, team, field, value, hlc, device, base, author, at_ms, "
                                "form_version "
                                "FROM changes WHERE ") +
                            where + " ORDER BY seq LIMIT ?3";
    Stmt st = prepare(sql);
    st.text(1, record).i64(2, after).i64(3, limit);
    std::vector<Change> out;
    int rc = 0;
    while ((rc = st.step()) == SQLITE_ROW) {
        out.push_back({st.col_i64(0), st.col_text(1), st.col_text(2), st.col_text(3), st.col_text(4), st.col_text(5),
                       Hlc{static_cast<std::uint64_t>(st.col_i64(6))}, st.col_text(7),
                       Hlc{static_cast<std::uint64_t>(st.col_i64(8))}, st.col_text(9), st.col_i64(10),
                       static_cast<int>(st.col_i64(11))});
    }
    if (rc != SQLITE_DONE) {
        return m_store.sql_status(rc, "reading the change log");
    }
    return out;
}

Result<std::vector<Change>> RecordEngine::Impl::history(std::string_view id) {
    Result<std::vector<Change>> logged = read_changes("record = ?1 AND seq > ?2", id, 0, 1'000'000);
    OUTPOST_TRY(logged);
    Result<std::optional<Row>> row = read_row(id, /*with_values=*/false);
    OUTPOST_TRY(row);
    if (!row->has_value()) {
        return logged;
    }
    // Current versions that came by sync live only in the heads (heads.h): they join the log here.
    const Record& rec = (*row)->rec;
    for (const Head& h : (*row)->heads) {
        if (!h.logged) {
            logged->push_back({0, rec.id, rec.type, rec.team, h.field, h.value, h.hlc, h.device, h.base, h.author,
                               static_cast<std::int64_t>(h.hlc.ms())});
        }
    }
    std::stable_sort(logged->begin(), logged->end(), [](const Change& a, const Change& b) {
        return Stamp{a.hlc, a.device} < Stamp{b.hlc, b.device};
    });
    return logged;
}

Result<std::vector<Change>> RecordEngine::Impl::changes_after(std::int64_t after, int limit) {
    return read_changes("(?1 IS NOT NULL) AND seq > ?2", "", after, std::clamp(limit, 1, 10'000));
}

Result<std::vector<Change>> RecordEngine::Impl::outbox_after(std::string_view device, std::int64_t after, int limit) {
    return read_changes("seq > ?2 AND device = ?1", device, after, std::clamp(limit, 1, 10'000));
}

}  // namespace outpost::records
