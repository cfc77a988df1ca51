// `outpost-server restore --db URL --from DUMP`: a pg_dump custom-format file put back into the
// PostgreSQL database, with the change sequence moved on (backup.h).
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "outpost/core/error_codes.h"
#include "outpost/platform/process.h"
#include "outpost/sync/pg_storage.h"
#include "pg_connection.h"
#include "storage_common.h"

namespace outpost::sync {
namespace {

using pg::chomp;
using pg::Conn;
using pg::Res;

// One statement; its first cell (empty when it has none), or the error under `what`.
Result<std::string> one_value(Conn& c, const std::string& sql, const std::string& what) {
    Res res = c.exec(sql.c_str());
    if (!res.ok()) {
        return Status::error(errc::kServerRestoreFailed, "PostgreSQL, " + what + ": " + c.error_message());
    }
    if (res.rows() > 0 && !res.null(0, 0)) {
        return res.str(0, 0);
    }
    return std::string();
}

// The last lines of a program's output, for an error message.
std::string tail_lines(const std::string& text, int lines) {
    std::size_t at = text.size();
    for (int i = 0; i <= lines && at != std::string::npos && at > 0; ++i) {
        at = text.rfind('\n', at - 1);
    }
    return chomp(at == std::string::npos ? text : text.substr(at + 1));
}

}  // namespace

Result<PgRestoreSummary> restore_pg_database(const std::string& conninfo, const std::filesystem::path& dump) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(dump, ec)) {
        return Status::error(errc::kServerBackupInvalid,
                             dump.string() + " is not a file (a pg_dump --format=custom dump)");
    }
    const char* keys[] = {"dbname", "application_name", nullptr};
    const char* values[] = {conninfo.c_str(), "outpost-server restore", nullptr};
    PGconn* raw = PQconnectdbParams(keys, values, 1);
    if (raw == nullptr || PQstatus(raw) != CONNECTION_OK) {
        const std::string message = chomp(raw ? PQerrorMessage(raw) : "out of memory");
        PQfinish(raw);
        return Status::error(errc::kServerDataDirInvalid, "cannot connect to PostgreSQL: " + message);
    }
    Conn db(raw);
    (void)one_value(db, "SET client_min_messages = warning", "quiet");
    // 1. No service may be using the database: each holds the serve lock shared while it runs, and
    //    waits on it while this connection holds it, until the restore is done.
    //    A process that has just stopped may hold it for a moment after it closes its connections (the
    //    server ends a session asynchronously), so the restore waits up to 5 s before it refuses.
    (void)one_value(db, "SET lock_timeout = '5s'", "setting the lock wait");
    Res taken = db.exec((std::string("SELECT pg_advisory_lock(") + storage::kPgServeLockSql + ")").c_str());
    if (!taken.ok() && taken.state != "55P03") {
        return Status::error(errc::kServerRestoreFailed, "PostgreSQL, taking the serve lock: " + db.error_message());
    }
    (void)one_value(db, "SET lock_timeout = 0", "setting the lock wait");
    if (!taken.ok()) {
        return Status::error(errc::kServerRestoreBusy,
                             "an outpost-server process is using this database; stop every `outpost-server serve` "
                             "(and admin command) that uses it, then run the restore again");
    }
    // 2. Where the live log ends: every seq handed out so far, from the sequence or the log.
    std::int64_t live_end = 0;
    auto has_log = one_value(db, "SELECT to_regclass('srv_changes') IS NOT NULL AND to_regclass('srv_seq') IS NOT NULL",
                             "reading the live log");
    OUTPOST_TRY(has_log);
    if (*has_log == "t") {
        auto end = one_value(db,
                             "SELECT greatest(COALESCE((SELECT max(seq) FROM srv_changes), 0), "
                             "(SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM srv_seq))",
                             "reading the live log's end");
        OUTPOST_TRY(end);
        live_end = end->empty() ? 0 : std::stoll(*end);
    }
    // 3. pg_restore, all or nothing.
    auto ran = platform::run_program({"pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
                                      "--single-transaction", "--exit-on-error", "-d", conninfo, dump.string()});
    if (!ran.is_ok()) {
        return Status::error(errc::kServerRestoreFailed,
                             ran.status().message() + " (install the PostgreSQL client: postgresql-client)");
    }
    if (ran->exit_code != 0) {
        return Status::error(errc::kServerRestoreFailed,
                             "pg_restore failed, and the database is as it was: " + tail_lines(ran->output, 4));
    }
    // 4. The change sequence past both ends, and a marker at the new end, in one transaction: no seq
    //    a laptop may hold is ever given out again.
    auto ends = one_value(db, "SELECT COALESCE(max(seq), 0) FROM srv_changes", "reading the restored log");
    if (!ends.is_ok()) {
        return Status::error(errc::kServerRestoreFailed, ends.status().message() +
                                                             " (is the dump an Outpost database? The data is restored; "
                                                             "the change sequence was not moved)");
    }
    PgRestoreSummary out;
    out.restored_end = ends->empty() ? 0 : std::stoll(*ends);
    out.live_end = live_end;
    const std::int64_t from = std::max(live_end, out.restored_end) + storage::kRestoreSeqJump;
    const std::string fix =
        "SELECT setval('srv_seq', " + std::to_string(from) +
        ");"
        "INSERT INTO srv_changes(seq, record, type, team, field, value, hlc, device, base, author, at_ms) "
        "VALUES(nextval('srv_seq'), '', '', '#restored', '', 'null', 0, '', 0, 'outpost-server restore', 0)";
    // libpq's message is read as each step fails, before the transaction is rolled back.
    auto txn = pg::PgTransaction::begin(db);
    const bool moved = txn.is_ok() && db.exec(fix.c_str()).ok() && txn->commit().is_ok();
    if (!moved) {
        const std::string why = db.error_message();
        return Status::error(errc::kServerRestoreFailed,
                             "the data is restored, but moving the change sequence failed (" + why +
                                 "); run the restore again before serving");
    }
    out.next_seq = from + 2;
    return out;
}

}  // namespace outpost::sync
