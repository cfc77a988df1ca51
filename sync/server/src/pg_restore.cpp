// `outpost-server restore --db URL --from DUMP`: a pg_dump custom-format file put back into the
// PostgreSQL database, with the change sequence moved on (backup.h).
#include <libpq-fe.h>

#include <memory>
#include <string>
#include <vector>

#include "outpost/core/error_codes.h"
#include "outpost/platform/process.h"
#include "outpost/sync/backup.h"
#include "storage_common.h"

namespace outpost::sync {
namespace {

struct PgConn {
    PGconn* c = nullptr;
    ~PgConn() { PQfinish(c); }
};
struct PgRes {
    PGresult* r = nullptr;
    ~PgRes() { PQclear(r); }
};

std::string chomp(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
        s.pop_back();
    }
    return s;
}

// One statement; its first cell (empty when it has none), or the error under `what`.
Result<std::string> one_value(PGconn* c, const std::string& sql, const std::string& what) {
    PgRes res{PQexec(c, sql.c_str())};
    const ExecStatusType st = PQresultStatus(res.r);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
        return Status::error(errc::kServerRestoreFailed, "PostgreSQL, " + what + ": " + chomp(PQerrorMessage(c)));
    }
    if (st == PGRES_TUPLES_OK && PQntuples(res.r) > 0 && !PQgetisnull(res.r, 0, 0)) {
        return std::string(PQgetvalue(res.r, 0, 0));
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
    PgConn db{PQconnectdbParams(keys, values, 1)};
    if (db.c == nullptr || PQstatus(db.c) != CONNECTION_OK) {
        return Status::error(errc::kServerDataDirInvalid,
                             "cannot connect to PostgreSQL: " + chomp(db.c ? PQerrorMessage(db.c) : "out of memory"));
    }
    (void)one_value(db.c, "SET client_min_messages = warning", "quiet");
    // 1. No service may be using the database: each holds the serve lock shared while it runs, and
    //    waits on it while this connection holds it, until the restore is done.
    //    A process that has just stopped may hold it for a moment after it closes its connections (the
    //    server ends a session asynchronously), so the restore waits up to 5 s before it refuses.
    (void)one_value(db.c, "SET lock_timeout = '5s'", "setting the lock wait");
    PgRes taken{PQexec(db.c, (std::string("SELECT pg_advisory_lock(") + storage::kPgServeLockSql + ")").c_str())};
    const char* state = PQresultErrorField(taken.r, PG_DIAG_SQLSTATE);
    if (PQresultStatus(taken.r) != PGRES_TUPLES_OK && (state == nullptr || std::string(state) != "55P03")) {
        return Status::error(errc::kServerRestoreFailed,
                             "PostgreSQL, taking the serve lock: " + chomp(PQerrorMessage(db.c)));
    }
    (void)one_value(db.c, "SET lock_timeout = 0", "setting the lock wait");
    if (PQresultStatus(taken.r) != PGRES_TUPLES_OK) {
        return Status::error(errc::kServerRestoreBusy,
                             "an outpost-server process is using this database; stop every `outpost-server serve` "
                             "(and admin command) that uses it, then run the restore again");
    }
    // 2. Where the live log ends: every seq handed out so far, from the sequence or the log.
    std::int64_t live_end = 0;
    auto has_log =
        one_value(db.c, "SELECT to_regclass('srv_changes') IS NOT NULL AND to_regclass('srv_seq') IS NOT NULL",
                  "reading the live log");
    OUTPOST_TRY(has_log);
    if (*has_log == "t") {
        auto end = one_value(db.c,
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
    auto ends = one_value(db.c, "SELECT COALESCE(max(seq), 0) FROM srv_changes", "reading the restored log");
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
        "BEGIN;"
        "SELECT setval('srv_seq', " +
        std::to_string(from) +
        ");"
        "INSERT INTO srv_changes(seq, record, type, team, field, value, hlc, device, base, author, at_ms) "
        "VALUES(nextval('srv_seq'), '', '', '#restored', '', 'null', 0, '', 0, 'outpost-server restore', 0);"
        "COMMIT;";
    PgRes res{PQexec(db.c, fix.c_str())};
    if (PQresultStatus(res.r) != PGRES_COMMAND_OK) {
        const std::string why = chomp(PQerrorMessage(db.c));
        PgRes rollback{PQexec(db.c, "ROLLBACK")};
        return Status::error(errc::kServerRestoreFailed,
                             "the data is restored, but moving the change sequence failed (" + why +
                                 "); run the restore again before serving");
    }
    out.next_seq = from + 2;
    return out;
}

}  // namespace outpost::sync
