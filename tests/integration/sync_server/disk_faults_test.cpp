// The server's SQLite database on a failing disk (issue #11): FaultVfs (tests/support/fault_vfs.h)
// sits under every SQLite connection in this process and fails the server's files only. A push that
// cannot be written is answered 503 with the disk's code; the laptop keeps its changes, says the
// server is unavailable, and sends them again at its next sync; pulls go on meanwhile; once the disk
// recovers the server takes them, each exactly once, without a restart.
// SQLite only: PostgreSQL's disk is PostgreSQL's, and its disk-full state (SQLSTATE 53100) maps to
// the same code in sync/server/pg/src/pg_connection.cpp.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include "fault_vfs.h"
#include "outpost/core/error_codes.h"
#include "store_helpers.h"
#include "sync_harness.h"

using namespace outpost;
using namespace outpost::testing;
using Fault = FaultVfs::Fault;

namespace {

struct Case {
    Fault fault;
    std::string_view code;
    const char* name;
};

// How many times the server answered `route` with `code`, from /v1/metrics.
double answered(sync::Transport& t, const std::string& route, int code) {
    auto res = t.request({.method = "GET", .path = "/v1/metrics"});
    REQUIRE(res.is_ok());
    const std::string key =
        "\noutpost_http_requests_total{route=\"" + route + "\",method=\"POST\",code=\"" + std::to_string(code) + "\"} ";
    const std::string text = "\n" + res->body;
    const auto at = text.find(key);
    return at == std::string::npos ? 0 : std::stod(text.substr(at + key.size()));
}

}  // namespace

TEST_CASE(
    "Server disk faults: a full or failing disk answers 503 with its code; the laptop keeps its work, "
    "pulls go on, and everything arrives once when the disk recovers") {
    FaultVfs& vfs = FaultVfs::install();  // before any connection opens, so every one sits on it
    const Case cases[] = {{Fault::kDiskFull, errc::kDiskFull, "disk full"},
                          {Fault::kWriteError, errc::kIo, "write fails"},
                          {Fault::kSyncError, errc::kIo, "fsync fails"}};
    for (const Case& c : cases) {
        CAPTURE(c.name);
        SyncServerHarness srv;
        REQUIRE(test_pg_conninfo().empty());
        srv.add_team("a");
        srv.add_user("ann", "a", "worker");
        srv.add_user("bob", "a", "worker");
        TempDir dirs;
        Device ann(dirs / "ann", srv.enrol("ann"), srv.transport());
        Device bob(dirs / "bob", srv.enrol("bob"), srv.transport());
        for (int i = 0; i < 3; ++i) {
            ann.create("home_visit", home_visit("family " + std::to_string(i)));
        }
        auto first = ann.sync();
        REQUIRE(first.is_ok());
        const std::int64_t pushed_before = first->pushed;
        REQUIRE(bob.sync().is_ok());
        REQUIRE(bob.all().size() == 3);

        for (int i = 3; i < 5; ++i) {
            ann.create("home_visit", home_visit("family " + std::to_string(i)));
        }
        auto t = srv.transport();
        const double refused_before = answered(*t, "/v1/push", 503);
        vfs.arm(c.fault, srv.tmp / "server");
        auto refused = ann.sync();
        REQUIRE_FALSE(refused.is_ok());
        CHECK(refused.status().code() == errc::kSyncServerUnavailable);
        CHECK(refused.status().message().find(std::string(c.code)) != std::string::npos);
        CHECK(vfs.faults() >= 1);
        CHECK(answered(*t, "/v1/push", 503) >= refused_before + 1);
        CHECK(ann.all().size() == 5);  // the laptop keeps all its work
        // Reading goes on: bob pulls (nothing new has been taken), and the server's other routes answer.
        auto pulled = bob.sync();
        CHECK_MESSAGE(pulled.is_ok(), pulled.status().to_string());
        CHECK(bob.all().size() == 3);

        // The disk recovers: the same server, no restart.
        vfs.disarm();
        auto second = ann.sync();
        REQUIRE_MESSAGE(second.is_ok(), second.status().to_string());
        CHECK(second->pushed > 0);
        REQUIRE(bob.sync().is_ok());
        CHECK(bob.all().size() == 5);
        // Exactly once: the server's log holds every change ann made, none twice.
        const std::int64_t total = pushed_before + second->pushed;
        srv.server->stop();
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open_v2((srv.tmp / "server" / "server.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) ==
                SQLITE_OK);
        CHECK(query_int(db, "SELECT count(*) FROM srv_changes") == total);
        CHECK(query_int(db, "SELECT count(*) FROM (SELECT DISTINCT record, field, hlc FROM srv_changes)") == total);
        CHECK(query_text(db, "PRAGMA integrity_check") == "ok");
        sqlite3_close(db);
    }
}
