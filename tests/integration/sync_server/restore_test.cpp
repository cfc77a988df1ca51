// A restore on either back end (CTest sync_server/restore on SQLite, pg/sync_server/restore on
// PostgreSQL), as an IT team does it: a backup (outpost-server backup, or pg_dump), more work, a
// restore (outpost-server restore, or restore --db), then new work. Two laptops, one that had pulled
// past the backup and one that had not, both end with every record the server holds.
#include <doctest/doctest.h>

#include <fstream>
#include <set>
#include <string>

#include "outpost/core/error_codes.h"
#include "outpost/core/records/review.h"
#include "outpost/platform/process.h"
#include "outpost/sync/backup.h"
#include "outpost/sync/pg_storage.h"
#include "sync_harness.h"

using namespace outpost;
using namespace outpost::testing;
namespace fs = std::filesystem;

namespace {

std::set<std::string> households(Device& d) {
    std::set<std::string> out;
    for (const auto& [id, rec] : d.all()) {
        out.insert(records::text_of(rec, "household"));
    }
    return out;
}

// The server again on the same port (the laptops' transports name it), over `storage`.
void serve_again(ServerOver& srv, const fs::path& blobs, int port) {
    sync::ServerOptions o;
    o.log_sink = [](const std::string&) {};
    o.blob_dir = blobs;
    o.port = port;
    auto s = sync::Server::start(o, *srv.storage);
    REQUIRE_MESSAGE(s.is_ok(), s.status().to_string());
    srv.server = std::move(*s);
}

}  // namespace

TEST_CASE(
    "Restore: regression - after a restore new changes reused numbers a laptop had pulled past, and it "
    "never got them") {
    HarnessDir dir;
    std::string pg;
    ServerOver srv;
    srv.storage = make_test_storage(dir.tmp / "server", &pg);
    srv.start(dir.tmp / "server" / "blobs");
    const int port = srv.server->port();
    srv.add_team("a");
    srv.add_user("ann", "a", "worker");
    srv.add_user("bob", "a", "worker");
    srv.add_user("dan", "a", "worker");
    Device ann(dir.tmp / "ann.db", srv.enrol("ann"), srv.transport());
    Device dan(dir.tmp / "dan.db", srv.enrol("dan"), srv.transport());
    {
        Device bob(dir.tmp / "bob.db", srv.enrol("bob"), srv.transport());
        for (int i = 0; i < 5; ++i) {
            bob.create("home_visit", home_visit("before " + std::to_string(i)));
        }
        REQUIRE(bob.sync().is_ok());
        REQUIRE(dan.sync().is_ok());  // dan stops here: behind what follows
        // The backup.
        if (pg.empty()) {
            REQUIRE(sync::backup_sqlite_data_dir(dir.tmp / "server", dir.tmp / "bk").is_ok());
        } else {
            const std::string schema =
                pg.substr(pg.find("search_path=") + 12, pg.rfind('\'') - pg.find("search_path=") - 12);
            auto dumped = platform::run_program(
                {"pg_dump", "--format=custom", "-n", schema, "-f", (dir.tmp / "outpost.dump").string(), "-d", pg});
            REQUIRE(dumped.is_ok());
            REQUIRE_MESSAGE(dumped->exit_code == 0, dumped->output);
        }
        // After it: bob writes more and ann pulls it all, so her position is past the backup.
        for (int i = 0; i < 7; ++i) {
            bob.create("home_visit", home_visit("lost " + std::to_string(i)));
        }
        REQUIRE(bob.sync().is_ok());
        REQUIRE(ann.sync().is_ok());
        CHECK(ann.all().size() == 12);
    }
    // The restore.
    if (pg.empty()) {
        auto r = sync::restore_sqlite_data_dir(dir.tmp / "bk", dir.tmp / "server");  // under the running server
        REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
    } else {
        // Not under a running service: refused while one holds the database, with what to do.
        auto busy = sync::restore_pg_database(pg, dir.tmp / "outpost.dump");
        REQUIRE_FALSE(busy.is_ok());
        CHECK(busy.status().code() == errc::kServerRestoreBusy);
        CHECK(busy.status().message().find("stop every") != std::string::npos);
        srv.server.reset();
        srv.storage.reset();
        auto r = sync::restore_pg_database(pg, dir.tmp / "outpost.dump");
        REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
        CHECK(r->live_end >= r->restored_end + 7);
        CHECK(r->next_seq > r->live_end);
        // A bad dump changes nothing and says so.
        std::ofstream(dir.tmp / "bad.dump") << "not a dump";
        auto bad = sync::restore_pg_database(pg, dir.tmp / "bad.dump");
        REQUIRE_FALSE(bad.is_ok());
        CHECK(bad.status().code() == errc::kServerRestoreFailed);
        auto reopened = sync::open_pg_storage(pg, 4);
        REQUIRE_MESSAGE(reopened.is_ok(), reopened.status().to_string());
        srv.storage = std::move(*reopened);
        serve_again(srv, dir.tmp / "server" / "blobs", port);
    }
    // Bob's replacement laptop writes three cases on the restored server.
    Device carl(dir.tmp / "carl.db", srv.enrol("bob"), srv.transport());
    for (int i = 0; i < 3; ++i) {
        carl.create("home_visit", home_visit("after " + std::to_string(i)));
    }
    REQUIRE(carl.sync().is_ok());
    // Both laptops sync: each holds every record the server holds.
    auto a = ann.sync();
    REQUIRE_MESSAGE(a.is_ok(), a.status().to_string());
    auto d = dan.sync();
    REQUIRE_MESSAGE(d.is_ok(), d.status().to_string());
    const std::set<std::string> on_server = households(carl);
    CHECK(on_server.size() == 8);  // 5 before the backup, 3 after the restore
    for (Device* laptop : {&ann, &dan}) {
        const std::set<std::string> held = households(*laptop);
        for (const std::string& h : on_server) {
            CAPTURE(h);
            CHECK(held.count(h) == 1);  // without the sequence moved on, ann never got "after 0..2"
        }
    }
    CHECK(households(dan) == on_server);
    CHECK(households(ann).size() == 15);  // and she keeps the 7 the server lost
}
