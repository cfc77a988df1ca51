// Taking records off this laptop: one record whole (drop_record), or a team's (forget_team, for a
// person who moved team).

#include <sqlite3.h>

#include "engine_impl.h"
#include "outpost/core/records/engine.h"
#include "outpost/core/store/transaction.h"

namespace outpost::records {

Status RecordEngine::Impl::drop_record(Row& row, const Schema* schema) {
    remember_search(row, schema);
    row.rec.deleted = true;  // saving a deleted record takes its search row out
    OUTPOST_TRY(save_row(row, schema, /*exists=*/true));
    Stmt rm = prepare("DELETE FROM records WHERE rid = ?");
    rm.i64(1, row.rid);
    if (const int rc = rm.step(); rc != SQLITE_DONE) {
        return m_store.sql_status(rc, "taking a record off this laptop");
    }
    Stmt rm_log = prepare("DELETE FROM changes WHERE record = ?");
    rm_log.text(1, row.rec.id);
    if (const int rc = rm_log.step(); rc != SQLITE_DONE) {
        return m_store.sql_status(rc, "taking a record off this laptop");
    }
    return Status::ok();
}

Result<std::int64_t> RecordEngine::Impl::forget_team(std::string_view team, const std::set<std::string>& keep) {
    std::vector<std::string> ids;
    {
        Stmt q = prepare("SELECT id FROM records WHERE team = ?");
        q.text(1, team);
        int rc = 0;
        while ((rc = q.step()) == SQLITE_ROW) {
            std::string id = q.col_text(0);
            if (keep.count(id) == 0) {
                ids.push_back(std::move(id));
            }
        }
        if (rc != SQLITE_DONE) {
            return m_store.sql_status(rc, "reading the records to let go");
        }
    }
    Result<Transaction> sp = Transaction::savepoint(m_store, "forget_team");  // rolled back unless committed
    OUTPOST_TRY(sp);
    for (const std::string& id : ids) {
        Result<std::optional<Row>> row = read_row(id, /*with_values=*/false);
        OUTPOST_TRY(row);
        if (row->has_value()) {
            OUTPOST_TRY(drop_record(**row, schema((*row)->rec.type)));
        }
    }
    OUTPOST_TRY(sp->commit());
    return static_cast<std::int64_t>(ids.size());
}

Result<std::int64_t> RecordEngine::forget_team(std::string_view team, const std::set<std::string>& keep) {
    return m_impl->forget_team(team, keep);
}

}  // namespace outpost::records
