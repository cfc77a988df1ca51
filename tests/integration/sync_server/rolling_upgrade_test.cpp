// Upgrading the service (docs/OPERATIONS.md, "Upgrades"), on either back end (CTest
// sync_server/rolling_upgrade on SQLite, pg/sync_server/rolling_upgrade on PostgreSQL):
//   - a process of the older build keeps serving while a newer one migrates the database under it:
//     migrations only add (tables, columns with defaults, indexes), so the older build's statements
//     still run; proved with the shape of a migration applied under a running server;
//   - an older build never starts on a database a newer one has migrated: it refuses, saying why
//     and what to do, and changes nothing.
#include <doctest/doctest.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "outpost/core/error_codes.h"
#include "outpost/sync/pg_storage.h"
#include "outpost/sync/server_storage.h"
#include "sync_harness.h"

using namespace outpost;
using namespace outpost::testing;

namespace {

// Runs `sql` on the server's database from a separate connection, as another process would.
void run_beside(const std::string& pg, const std::filesystem::path& sqlite_dir, const std::string& sql) {
    if (!pg.empty()) {
        PGconn* c = PQconnectdb(pg.c_str());
        REQUIRE_MESSAGE(PQstatus(c) == CONNECTION_OK, PQerrorMessage(c));
        PGresult* r = PQexec(c, sql.c_str());
        const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
        const std::string why = PQerrorMessage(c);
        PQclear(r);
        PQfinish(c);
        REQUIRE_MESSAGE(ok, why);
        return;
    }
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2((sqlite_dir / "server.db").c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
    sqlite3_busy_timeout(db, 10'000);
    char* err = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    const std::string why = err != nullptr ? err : "";
    sqlite3_free(err);
    sqlite3_close_v2(db);
    REQUIRE_MESSAGE(rc == SQLITE_OK, why);
}

}  // namespace

TEST_CASE(
    "Upgrade: an older process serves on while a newer one migrates; an older build refuses a newer "
    "database") {
    HarnessDir dir;
    std::string pg;
    ServerOver srv;
    srv.storage = make_test_storage(dir.tmp / "server", &pg);
    srv.start(dir.tmp / "server" / "blobs");
    srv.add_team("a");
    srv.add_user("ann", "a", "worker");
    srv.add_user("bob", "a", "worker");
    Device ann(dir.tmp / "ann.db", srv.enrol("ann"), srv.transport());
    Device bob(dir.tmp / "bob.db", srv.enrol("bob"), srv.transport());
    ann.create("home_visit", home_visit("before the upgrade"));
    REQUIRE(ann.sync().is_ok());

    // A newer build migrates: a new table, a new column with a default, a new index, the version.
    const int next = (pg.empty() ? sync::kServerSchemaVersion : sync::kPgServerSchemaVersion) + 1;
    const std::string meta = pg.empty() ? "meta" : "outpost_meta";
    run_beside(pg, dir.tmp / "server",
               "CREATE TABLE upgrade_probe(id integer PRIMARY KEY);"
               "ALTER TABLE devices ADD COLUMN upgrade_probe_note text NOT NULL DEFAULT '';"
               "CREATE INDEX upgrade_probe_devices ON devices(upgrade_probe_note);"
               "UPDATE " +
                   meta + " SET schema_version = " + std::to_string(next) + ";");

    // The older process (this one, already running) goes on: pushes, pulls, enrolments.
    ann.create("home_visit", home_visit("during the upgrade"));
    auto pushed = ann.sync();
    REQUIRE_MESSAGE(pushed.is_ok(), pushed.status().to_string());
    auto pulled = bob.sync();
    REQUIRE_MESSAGE(pulled.is_ok(), pulled.status().to_string());
    CHECK(bob.all().size() == 2);
    srv.add_user("cat", "a", "worker");
    Device cat(dir.tmp / "cat.db", srv.enrol("cat"), srv.transport());
    REQUIRE(cat.sync().is_ok());
    CHECK(cat.all().size() == 2);

    // An older build starting now refuses, clearly, and leaves the database alone.
    auto older = pg.empty() ? sync::open_sqlite_storage(dir.tmp / "server") : sync::open_pg_storage(pg, 2);
    REQUIRE_FALSE(older.is_ok());
    CHECK(older.status().code() == errc::kServerDataDirInvalid);
    CHECK(older.status().message().find("newer than this build") != std::string::npos);
    CHECK(older.status().message().find(std::to_string(next)) != std::string::npos);
    CHECK(older.status().message().find("upgrade") != std::string::npos);
}
