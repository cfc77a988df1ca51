// Backup and restore of the embedded-SQLite data directory (sync/backup.h), and the server's
// configuration file (sync/server_config.h). Real servers on 127.0.0.1, real encrypted laptops.
#include "outpost/sync/backup.h"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "outpost/core/error_codes.h"
#include "outpost/core/records/review.h"
#include "outpost/sync/server_config.h"
#include "sync_harness.h"

using namespace outpost;
using namespace outpost::testing;
namespace fs = std::filesystem;

namespace {

std::int64_t scalar(const fs::path& db, const std::string& sql) {
    sqlite3* h = nullptr;
    REQUIRE(sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    REQUIRE_MESSAGE(sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) == SQLITE_OK, sqlite3_errmsg(h));
    std::int64_t v = -1;
    if (sqlite3_step(st) == SQLITE_ROW) {
        v = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    sqlite3_close_v2(h);
    return v;
}

}  // namespace

TEST_CASE("Backup: taken while laptops push, every backup restores to a consistent database that serves") {
    SyncServerHarness srv;
    srv.add_team("a");
    TempDir dirs;
    std::vector<std::unique_ptr<Device>> laptops;
    for (const char* user : {"ann", "bob", "cat"}) {
        srv.add_user(user, "a", "worker");
        laptops.push_back(std::make_unique<Device>(dirs / user, srv.enrol(user), srv.transport()));
    }
    constexpr int kRounds = 12;
    constexpr int kPerRound = 4;
    std::atomic<int> failures{0};
    std::atomic<int> running{static_cast<int>(laptops.size())};
    std::vector<std::thread> writers;
    for (auto& laptop : laptops) {
        writers.emplace_back([&, d = laptop.get()] {
            for (int r = 0; r < kRounds; ++r) {
                {
                    std::lock_guard lock(d->mutex);
                    for (int i = 0; i < kPerRound; ++i) {
                        auto rec = d->records->create(d->actor(), "home_visit",
                                                      home_visit(d->creds.user + " " + std::to_string(r * 10 + i)));
                        failures += rec.is_ok() ? 0 : 1;
                    }
                }
                failures += d->sync().is_ok() ? 0 : 1;
            }
            --running;
        });
    }
    // Backups while the writes go on, then one after.
    std::vector<fs::path> backups;
    while (running > 0 && backups.size() < 8) {
        const fs::path out = dirs / ("backup" + std::to_string(backups.size()));
        auto b = sync::backup_sqlite_data_dir(srv.tmp / "server", out);
        REQUIRE_MESSAGE(b.is_ok(), b.status().to_string());
        backups.push_back(out);
        std::this_thread::sleep_for(std::chrono::milliseconds(40));
    }
    for (auto& t : writers) {
        t.join();
    }
    REQUIRE(failures == 0);
    {
        const fs::path out = dirs / "backup-final";
        auto b = sync::backup_sqlite_data_dir(srv.tmp / "server", out);
        REQUIRE(b.is_ok());
        CHECK(b->records == static_cast<std::int64_t>(laptops.size()) * kRounds * kPerRound);
        backups.push_back(out);
    }
    MESSAGE(backups.size() << " backups, " << backups.size() - 1 << " of them during writes");
    CHECK(backups.size() >= 3);

    std::int64_t last_records = 0;
    for (std::size_t i = 0; i < backups.size(); ++i) {
        CAPTURE(i);
        const fs::path data = dirs / ("restored" + std::to_string(i));
        fs::create_directories(data);  // a new machine: an empty data directory
        auto r = sync::restore_sqlite_data_dir(backups[i], data);
        REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
        const fs::path db = data / "server.db";
        // Whole transactions only: every logged change has its record, every record its changes,
        // and each record's four answers arrived together.
        CHECK(scalar(db,
                     "SELECT count(*) FROM srv_changes c WHERE c.team = 'a' AND NOT EXISTS "
                     "(SELECT 1 FROM srv_records r WHERE r.id = c.record)") == 0);
        CHECK(scalar(db,
                     "SELECT count(*) FROM srv_records r WHERE NOT EXISTS "
                     "(SELECT 1 FROM srv_changes c WHERE c.record = r.id)") == 0);
        CHECK(scalar(db,
                     "SELECT count(*) FROM (SELECT record FROM srv_changes WHERE team = 'a' "
                     "GROUP BY record HAVING count(*) != 4)") == 0);
        const std::int64_t records = scalar(db, "SELECT count(*) FROM srv_records");
        CHECK(records >= last_records);   // backups only ever grow
        CHECK(records % kPerRound == 0);  // whole pushes only
        last_records = records;
        // And it serves: a new laptop pulls exactly what the backup holds.
        SqliteServerOn restored(data);
        REQUIRE(restored.storage->add_user("dan" + std::to_string(i), "a", "worker", 1).is_ok());
        Device dan(dirs / ("dan" + std::to_string(i)), restored.enrol("dan" + std::to_string(i)), restored.transport());
        auto s = dan.sync();
        REQUIRE_MESSAGE(s.is_ok(), s.status().to_string());
        CHECK(static_cast<std::int64_t>(dan.all().size()) == records);
    }
    CHECK(last_records == static_cast<std::int64_t>(laptops.size()) * kRounds * kPerRound);
}

TEST_CASE("Restore: works while the server runs, and keeps the old database aside; a damaged backup changes nothing") {
    TempDir tmp;
    REQUIRE(sync::init_sqlite_data_dir(tmp / "data").is_ok());
    SqliteServerOn srv(tmp / "data");
    REQUIRE(srv.storage->add_team("before", 1).is_ok());
    auto b = sync::backup_sqlite_data_dir(tmp / "data", tmp / "bk");
    REQUIRE(b.is_ok());
    CHECK(sync::backup_sqlite_data_dir(tmp / "data", tmp / "bk").status().code() == errc::kServerOutputExists);
    REQUIRE(srv.storage->add_team("after", 1).is_ok());
    // Two servers never share a data directory.
    {
        auto serving = sync::DataDirLock::acquire(tmp / "data");  // as `outpost-server serve` holds it
        REQUIRE(serving.is_ok());
        CHECK(sync::DataDirLock::acquire(tmp / "data").status().code() == errc::kServerDataDirInUse);
    }
    // Not a backup, and a damaged one: refused, nothing changed.
    CHECK(sync::restore_sqlite_data_dir(tmp / "nothing", tmp / "data").status().code() == errc::kServerBackupInvalid);
    fs::copy(tmp / "bk", tmp / "damaged", fs::copy_options::recursive);
    {
        std::fstream f(tmp / "damaged" / "server.db", std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(0);
        f << "this is not a database header";
    }
    CHECK(sync::restore_sqlite_data_dir(tmp / "damaged", tmp / "data").status().code() == errc::kServerBackupInvalid);
    auto teams = srv.storage->teams();
    REQUIRE(teams.is_ok());
    CHECK(*teams == std::vector<std::string>{"after", "before"});

    // The real one, under the running server: it serves the backup's data at once.
    auto r = sync::restore_sqlite_data_dir(tmp / "bk", tmp / "data");
    REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
    teams = srv.storage->teams();
    REQUIRE(teams.is_ok());
    CHECK(*teams == std::vector<std::string>{"before"});
    REQUIRE(srv.storage->add_team("later", 1).is_ok());  // and it goes on writing
    std::vector<fs::path> aside;
    for (const auto& e : fs::directory_iterator(tmp / "data")) {
        if (e.path().filename().string().rfind("server.db.before-restore-", 0) == 0) {
            aside.push_back(e.path());
        }
    }
    REQUIRE(aside.size() == 1);
    CHECK(scalar(aside[0], "SELECT count(*) FROM teams WHERE name = 'after'") == 1);
    CHECK_FALSE(fs::exists(tmp / "data" / "restoring"));
}

TEST_CASE("Restore: a laptop that pulled after the backup still gets every change written after the restore") {
    TempDir tmp;
    REQUIRE(sync::init_sqlite_data_dir(tmp / "data").is_ok());
    SqliteServerOn srv(tmp / "data");
    REQUIRE(srv.storage->add_team("a", 1).is_ok());
    REQUIRE(srv.storage->add_user("ann", "a", "worker", 1).is_ok());
    REQUIRE(srv.storage->add_user("bob", "a", "worker", 1).is_ok());
    Device ann(tmp / "ann", srv.enrol("ann"), srv.transport());
    {
        Device bob(tmp / "bob", srv.enrol("bob"), srv.transport());
        for (int i = 0; i < 5; ++i) {
            bob.create("home_visit", home_visit("before " + std::to_string(i)));
        }
        REQUIRE(bob.sync().is_ok());
        REQUIRE(sync::backup_sqlite_data_dir(tmp / "data", tmp / "bk").is_ok());
        // After the backup: bob writes more, and ann pulls it all, so her position is past the backup.
        for (int i = 0; i < 20; ++i) {
            bob.create("home_visit", home_visit("lost " + std::to_string(i)));
        }
        REQUIRE(bob.sync().is_ok());
        REQUIRE(ann.sync().is_ok());
        CHECK(ann.all().size() == 25);
    }
    // Restored under the running server; bob's replacement laptop writes three new cases.
    auto r = sync::restore_sqlite_data_dir(tmp / "bk", tmp / "data");
    REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
    Device carl(tmp / "carl", srv.enrol("bob"), srv.transport());
    for (int i = 0; i < 3; ++i) {
        carl.create("home_visit", home_visit("after the restore " + std::to_string(i)));
    }
    REQUIRE(carl.sync().is_ok());
    // Ann's laptop, with its cursor from before the restore, syncs with the restored server.
    REQUIRE(ann.sync().is_ok());
    int after = 0;
    for (const auto& [id, rec] : ann.all()) {
        after += records::text_of(rec, "household").rfind("after the restore", 0) == 0 ? 1 : 0;
    }
    CHECK(after == 3);  // without the sequence jump these took seqs below her cursor, and were skipped
}

TEST_CASE("Server config: every key is read, and a malformed file is a clear error") {
    auto c = sync::parse_server_config(R"({"data": "/srv/outpost", "listen": "0.0.0.0:9443", "tls_cert": "c.pem",
        "tls_key": "k.pem", "public_url": "https://outpost.example.org:9443", "max_blob_mib": 50,
        "header_timeout_seconds": 20, "max_connections_per_ip": 0, "device_requests_per_second": 5,
        "device_request_burst": 50})",
                                       "server.json");
    REQUIRE_MESSAGE(c.is_ok(), c.status().to_string());
    CHECK(c->data == "/srv/outpost");
    CHECK(c->host == "0.0.0.0");
    CHECK(c->port == 9443);
    CHECK(c->tls_cert == "c.pem");
    CHECK(c->tls_key == "k.pem");
    CHECK(c->public_url == "https://outpost.example.org:9443");
    CHECK(c->max_blob_mib == 50);
    CHECK(c->header_timeout_seconds == 20);
    CHECK(c->max_connections_per_ip == 0);
    CHECK(c->device_requests_per_second == 5);
    CHECK(c->device_request_burst == 50);
    auto d = sync::parse_server_config("{}", "server.json");
    REQUIRE(d.is_ok());
    CHECK(d->data == sync::kDefaultServerDataDir);
    CHECK(d->port == 8443);
    CHECK(d->header_timeout_seconds == 10);
    CHECK(d->max_connections_per_ip == 32);
    CHECK(d->device_requests_per_second == 100);
    CHECK(d->device_request_burst == 1000);
    for (const char* bad : {"", "[1]", R"({"datadir": "/x"})", R"({"listen": "8443"})", R"({"listen": "h:99999"})",
                            R"({"max_blob_mib": 0})", R"({"max_blob_mib": "25"})", R"({"data": ""})",
                            R"({"tls_cert": "c.pem"})", R"({"public_url": "outpost.example.org"})",
                            R"({"header_timeout_seconds": 0})", R"({"device_request_burst": 0})",
                            R"({"max_connections_per_ip": -1})", R"({"device_requests_per_second": 1.5})"}) {
        auto r = sync::parse_server_config(bad, "/etc/outpost/server.json");
        REQUIRE_FALSE_MESSAGE(r.is_ok(), bad);
        CHECK(r.status().code() == errc::kServerConfigInvalid);
        CHECK(r.status().message().find("/etc/outpost/server.json") == 0);
    }
}
