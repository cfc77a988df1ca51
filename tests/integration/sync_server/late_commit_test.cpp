// Late commits with PostgreSQL (issue #10): two real `outpost-server serve --db` processes on one
// database, 50 laptops pushing through them at once, and two readers pulling all the while. A change
// that takes a lower seq but commits after a higher one has been pulled would be skipped by every
// cursor past it; the test proves none is: every laptop ends with every record, and every laptop
// received every other laptop's changes exactly once (its pulled count equals them, no more).
//
// The other cases pin the technique down one step at a time: seqs held by an uncommitted push, pushes
// of different teams at once, and the migration to it.
//
// Needs the throwaway cluster (CTest fixture "pg": OUTPOST_TEST_PG); fails, saying so, without it.
#include <doctest/doctest.h>
#include <libpq-fe.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "outpost/sync/pg_storage.h"
#include "server_process.h"
#include "sync_harness.h"

using namespace outpost;
using namespace outpost::testing;

namespace {

constexpr int kDevices = 50;
constexpr int kRounds = 4;
constexpr int kRecordsPerRound = 2;
constexpr int kFieldsPerRecord = 4;  // home_visit() answers

std::unique_ptr<sync::Transport> transport_to(const ServerProcess& server) {
    auto t = sync::make_http_transport({.base_url = server.url, .read_timeout = std::chrono::milliseconds(30000)});
    REQUIRE(t.is_ok());
    return std::move(*t);
}

}  // namespace

TEST_CASE("Late commits: two server processes, 50 laptops pushing, readers pulling: every change arrives once") {
    const std::string pg = test_pg_conninfo();
    REQUIRE_MESSAGE(!pg.empty(), "this test needs PostgreSQL: run it through ctest (fixture pg)");
    TempDir tmp;
    // A schema of its own, made and initialised through the test storage, then served by two processes.
    std::string conninfo;
    auto storage = make_test_storage(tmp / "unused", &conninfo);
    REQUIRE(storage->add_team("a", 1).is_ok());
    for (int i = 0; i < kDevices; ++i) {
        REQUIRE(storage->add_user("w" + std::to_string(i), "a", "worker", 1).is_ok());
    }
    REQUIRE(storage->add_user("reader1", "a", "lead", 1).is_ok());
    REQUIRE(storage->add_user("reader2", "a", "lead", 1).is_ok());

    ServerProcess one(OUTPOST_SERVER_BIN, {"--db", conninfo, "--db-pool", "4", "--data", (tmp / "shared").string()},
                      tmp / "one.log");
    ServerProcess two(OUTPOST_SERVER_BIN, {"--db", conninfo, "--db-pool", "4", "--data", (tmp / "shared").string()},
                      tmp / "two.log");
    REQUIRE_MESSAGE(one.ok(), one.error);
    REQUIRE_MESSAGE(two.ok(), two.error);
    auto enrol = [&](const std::string& user, const ServerProcess& via) {
        return enrol_over(*transport_to(via), *storage, user, user);
    };
    std::vector<std::unique_ptr<Device>> laptops;
    for (int i = 0; i < kDevices; ++i) {
        const ServerProcess& via = i % 2 == 0 ? one : two;
        laptops.push_back(std::make_unique<Device>(tmp / ("w" + std::to_string(i)), enrol("w" + std::to_string(i), via),
                                                   transport_to(via)));
    }
    Device reader1(tmp / "reader1", enrol("reader1", one), transport_to(one));
    Device reader2(tmp / "reader2", enrol("reader2", two), transport_to(two));
    // Everyone's first sync before any writes: from here on, everything flows through the pull log.
    std::vector<std::int64_t> pulled(kDevices + 2, 0);
    for (auto& d : laptops) {
        REQUIRE(d->sync().is_ok());
    }
    REQUIRE(reader1.sync().is_ok());
    REQUIRE(reader2.sync().is_ok());

    std::atomic<int> writing{kDevices};
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < kDevices; ++i) {
        threads.emplace_back([&, i] {
            Device& d = *laptops[static_cast<std::size_t>(i)];
            for (int r = 0; r < kRounds; ++r) {
                {
                    std::lock_guard lock(d.mutex);
                    for (int k = 0; k < kRecordsPerRound; ++k) {
                        auto rec = d.records->create(d.actor(), "home_visit",
                                                     home_visit(d.creds.user + " " + std::to_string(r * 10 + k)));
                        failures += rec.is_ok() ? 0 : 1;
                    }
                }
                auto s = d.sync();
                failures += s.is_ok() ? 0 : 1;
                pulled[static_cast<std::size_t>(i)] += s.is_ok() ? s->pulled : 0;
            }
            --writing;
        });
    }
    std::int64_t reader_syncs = 0;
    auto read_all_the_while = [&](Device& reader, std::size_t slot) {
        while (writing > 0) {
            auto s = reader.sync();
            failures += s.is_ok() ? 0 : 1;
            pulled[slot] += s.is_ok() ? s->pulled : 0;
            ++reader_syncs;
        }
    };
    std::thread r1([&] { read_all_the_while(reader1, kDevices); });
    std::thread r2([&] { read_all_the_while(reader2, kDevices + 1); });
    for (auto& t : threads) {
        t.join();
    }
    r1.join();
    r2.join();
    REQUIRE(failures == 0);
    MESSAGE(reader_syncs << " reader syncs ran during the writes");
    CHECK(reader_syncs > 4);

    // Everyone catches up; then every laptop holds exactly what the readers hold.
    for (std::size_t i = 0; i < laptops.size(); ++i) {
        auto s = laptops[i]->sync();
        REQUIRE(s.is_ok());
        pulled[i] += s->pulled;
    }
    for (std::size_t slot : {static_cast<std::size_t>(kDevices), static_cast<std::size_t>(kDevices + 1)}) {
        Device& reader = slot == kDevices ? reader1 : reader2;
        auto s = reader.sync();
        REQUIRE(s.is_ok());
        pulled[slot] += s->pulled;
    }
    const std::int64_t per_device = kRounds * kRecordsPerRound * kFieldsPerRecord;
    const std::int64_t total = per_device * kDevices;
    std::int64_t logged = 0;
    for (auto& d : laptops) {
        auto n = storage->logged_changes(d->creds.device_id);
        REQUIRE(n.is_ok());
        logged += *n;
    }
    CHECK(logged == total);
    const auto expected = reader1.heads_map();
    CHECK(static_cast<std::int64_t>(expected.size()) == total);
    CHECK(reader2.heads_map() == expected);
    CHECK(pulled[kDevices] == total);  // each reader received every change once
    CHECK(pulled[kDevices + 1] == total);
    for (std::size_t i = 0; i < laptops.size(); ++i) {
        CAPTURE(i);
        CHECK(laptops[i]->heads_map() == expected);
        CHECK(pulled[i] == total - per_device);  // every other laptop's changes, once each
    }
}

namespace {

// A raw connection to the test's schema, for what the server's code never does on purpose: hold a
// push's seqs open, or roll the schema back to an older version.
class RawPg {
public:
    explicit RawPg(const std::string& conninfo) : m_c(PQconnectdb(conninfo.c_str())) {
        REQUIRE_MESSAGE(PQstatus(m_c) == CONNECTION_OK, PQerrorMessage(m_c));
    }
    ~RawPg() { close(); }
    RawPg(const RawPg&) = delete;
    RawPg& operator=(const RawPg&) = delete;
    // Runs `sql`; returns the first column of the first row ("" when none).
    std::string exec(const std::string& sql) {
        PGresult* r = PQexec(m_c, sql.c_str());
        const ExecStatusType st = PQresultStatus(r);
        const std::string error = PQresultErrorMessage(r);
        std::string out = st == PGRES_TUPLES_OK && PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "";
        PQclear(r);
        REQUIRE_MESSAGE((st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK), sql << ": " << error);
        return out;
    }
    void close() {
        if (m_c != nullptr) {
            PQfinish(m_c);
            m_c = nullptr;
        }
    }

private:
    PGconn* m_c;
};

sync::WireChange change_of(const std::string& team, const std::string& record, const std::string& device, int n) {
    sync::WireChange c;
    c.record = record;
    c.type = "home_visit";
    c.team = team;
    c.field = "household";
    c.value = "\"v" + std::to_string(n) + "\"";
    c.hlc = records::Hlc{(std::uint64_t{1'800'000'000'000} << 16) + static_cast<std::uint64_t>(n)}.to_string();
    c.base = records::Hlc{0}.to_string();
    c.device = device;
    return c;
}

// Logs `n` changes for team `team` through the storage, as a push does (records aside).
void log_changes(sync::ServerStorage& storage, const std::string& team, int n, int from = 0) {
    REQUIRE(storage
                .with_sync_txn(team,
                               [&](sync::SyncTxn& txn) -> Status {
                                   for (int i = 0; i < n; ++i) {
                                       OUTPOST_TRY(txn.append_change(
                                           change_of(team, "r" + std::to_string(from + i), "dev-w", from + i), 1));
                                   }
                                   return Status::ok();
                               })
                .is_ok());
}

// Pulls team `team` from `after` as device "dev-r": the seqs returned, and the cursor handed out.
std::vector<std::int64_t> pull(sync::ServerStorage& storage, const std::string& team, std::int64_t after,
                               std::int64_t& cursor) {
    auto page = storage.changes_after(team, "dev-r", after, 1000, cursor);
    REQUIRE(page.is_ok());
    std::vector<std::int64_t> seqs;
    for (const sync::WireChange& c : *page) {
        seqs.push_back(c.seq);
    }
    return seqs;
}

}  // namespace

TEST_CASE("Late commits: a push holding seqs it has not committed keeps every cursor below them (PostgreSQL)") {
    REQUIRE_MESSAGE(!test_pg_conninfo().empty(), "this test needs PostgreSQL: run it through ctest (fixture pg)");
    TempDir tmp;
    std::string conninfo;
    auto storage = make_test_storage(tmp / "unused", &conninfo);
    log_changes(*storage, "a", 1);  // seq 1, committed

    // A push from another server process has taken seqs 2..4 and not committed yet.
    RawPg late(conninfo);
    late.exec("BEGIN");
    REQUIRE(late.exec("SELECT outpost_take_seqs(3)") == "2");
    for (int seq = 2; seq <= 4; ++seq) {
        late.exec(
            "INSERT INTO srv_changes(seq, record, type, team, field, value, hlc, device, base, author, at_ms) "
            "VALUES(" +
            std::to_string(seq) + ", 'late" + std::to_string(seq) +
            "', 'home_visit', 'a', 'household', '\"x\"', 1, 'dev-late', 0, '', 1)");
    }
    log_changes(*storage, "a", 1, 10);  // seq 5, committed after 2..4 were taken

    std::int64_t cursor = 0;
    CHECK(pull(*storage, "a", 0, cursor) == std::vector<std::int64_t>{1});
    CHECK(cursor == 1);  // not 5: 2..4 may still commit
    std::int64_t log_end = -1;
    bool more = false;
    REQUIRE(storage->snapshot_page("a", "dev-r", "", 100, 1 << 20, log_end, more, [](const auto&) {}).is_ok());
    CHECK(log_end == 1);

    late.exec("COMMIT");
    std::int64_t next = 0;
    CHECK(pull(*storage, "a", cursor, next) == std::vector<std::int64_t>{2, 3, 4, 5});
    CHECK(next == 5);

    // Seqs taken by a push that rolls back, or whose connection dies, hold nothing back for long.
    late.exec("BEGIN");
    REQUIRE(late.exec("SELECT outpost_take_seqs(2)") == "6");
    RawPg lost(conninfo);
    lost.exec("BEGIN");
    REQUIRE(lost.exec("SELECT outpost_take_seqs(1)") == "8");
    log_changes(*storage, "a", 1, 20);  // seq 9
    std::int64_t held = 0;
    CHECK(pull(*storage, "a", next, held).empty());
    CHECK(held == 5);
    late.exec("ROLLBACK");
    lost.close();  // the process died: PostgreSQL ends its transaction and frees its seqs
    std::vector<std::int64_t> after_loss;
    std::int64_t final_cursor = 0;
    for (int tries = 0; tries < 100; ++tries) {  // the backend ends a moment after the socket closes
        after_loss = pull(*storage, "a", next, final_cursor);
        if (!after_loss.empty()) {
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    CHECK(after_loss == std::vector<std::int64_t>{9});
    CHECK(final_cursor == 9);
}

TEST_CASE("Late commits: pushes of different teams run at once, one team's pushes one at a time (PostgreSQL)") {
    REQUIRE_MESSAGE(!test_pg_conninfo().empty(), "this test needs PostgreSQL: run it through ctest (fixture pg)");
    TempDir tmp;
    auto storage = make_test_storage(tmp / "unused");
    // A push of team a waits inside its transaction until a push of team b has committed: were the
    // teams serialised, b would wait for a, and a would wait forever (bounded here by a timeout).
    std::mutex m;
    std::condition_variable cv;
    bool b_done = false;
    bool a_saw_b = false;
    std::thread a([&] {
        REQUIRE(storage
                    ->with_sync_txn("a",
                                    [&](sync::SyncTxn& txn) -> Status {
                                        std::unique_lock lock(m);
                                        a_saw_b = cv.wait_for(lock, std::chrono::seconds(10), [&] { return b_done; });
                                        return txn.append_change(change_of("a", "ra", "dev-w", 1), 1);
                                    })
                    .is_ok());
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // a is inside its transaction
    log_changes(*storage, "b", 1, 5);
    {
        std::lock_guard lock(m);
        b_done = true;
    }
    cv.notify_all();
    a.join();
    CHECK(a_saw_b);

    // Two pushes of one team: the second starts only once the first has committed, so it reads what
    // the first wrote (here: the log's rows it can count).
    std::atomic<int> inside{0};
    std::atomic<int> most_inside{0};
    std::vector<std::thread> same;
    for (int i = 0; i < 4; ++i) {
        same.emplace_back([&, i] {
            REQUIRE(storage
                        ->with_sync_txn("c",
                                        [&](sync::SyncTxn& txn) -> Status {
                                            most_inside = std::max(most_inside.load(), ++inside);
                                            std::this_thread::sleep_for(std::chrono::milliseconds(50));
                                            --inside;
                                            return txn.append_change(change_of("c", "rc", "dev-w", 100 + i), 1);
                                        })
                        .is_ok());
        });
    }
    for (auto& t : same) {
        t.join();
    }
    CHECK(most_inside == 1);
    std::int64_t cursor = 0;
    CHECK(pull(*storage, "c", 0, cursor).size() == 4);
}

TEST_CASE(
    "Late commits: a version 1 PostgreSQL database migrates to the latest, and its seqs go on from its log's end") {
    REQUIRE_MESSAGE(!test_pg_conninfo().empty(), "this test needs PostgreSQL: run it through ctest (fixture pg)");
    TempDir tmp;
    std::string conninfo;
    {
        auto storage = make_test_storage(tmp / "unused", &conninfo);
        log_changes(*storage, "a", 3);
    }
    {
        // Back to version 1's shape: no sequence, no functions, the index by device, the key on seq and
        // the team in the database's collation; the log ends at seq 41.
        RawPg raw(conninfo);
        raw.exec(
            "DROP FUNCTION outpost_take_seqs(bigint); DROP FUNCTION outpost_safe_seq(); DROP SEQUENCE srv_seq; "
            "CREATE INDEX srv_changes_device ON srv_changes(device); ALTER TABLE srv_changes ADD PRIMARY KEY (seq); "
            "ALTER TABLE srv_changes ALTER COLUMN team TYPE text COLLATE \"default\"; "
            "ALTER TABLE devices DROP COLUMN last_seen_ms, DROP COLUMN client_version");
        raw.exec("UPDATE srv_changes SET seq = seq + 38 WHERE seq = 3");
        raw.exec("UPDATE outpost_meta SET schema_version = 1");
    }
    auto reopened = sync::open_pg_storage(conninfo, 2);
    REQUIRE_MESSAGE(reopened.is_ok(), reopened.status().to_string());
    log_changes(**reopened, "a", 1, 50);
    std::int64_t cursor = 0;
    CHECK(pull(**reopened, "a", 0, cursor) == std::vector<std::int64_t>{1, 2, 41, 42});
    CHECK(cursor == 42);
    RawPg raw(conninfo);
    CHECK(raw.exec("SELECT schema_version FROM outpost_meta") == std::to_string(sync::kPgServerSchemaVersion));
    CHECK(raw.exec("SELECT to_regclass('srv_changes_device') IS NULL") == "t");
    CHECK(raw.exec("SELECT to_regclass('srv_changes_pkey') IS NULL") == "t");  // version 3
    CHECK(raw.exec("SELECT to_regclass('srv_changes_team') IS NULL") == "f");
    CHECK(raw.exec("SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema() AND "
                   "table_name = 'devices' AND column_name IN ('last_seen_ms', 'client_version')") == "2");  // 4
    CHECK(raw.exec("SELECT collation_name FROM information_schema.columns WHERE table_schema = current_schema() "
                   "AND table_name = 'srv_changes' AND column_name = 'team'") == "C");
}
