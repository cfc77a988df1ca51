// Disk faults under a real encrypted store and the records engine (issue #11), injected beneath the
// encryption by FaultVfs (tests/support/fault_vfs.h): writes that fail, fsyncs that fail, a full disk,
// and writes torn by a crash. After each: the save is refused with a stable code a worker can act on,
// nothing committed is lost, every saved record can still be read while the fault lasts, the same
// session saves again once the disk recovers, and the store reopens with integrity_check and every
// page's authentication clean.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <set>

#include "child_process.h"
#include "fake_clock.h"
#include "fault_vfs.h"
#include "outpost/core/error_codes.h"
#include "outpost/core/records/engine.h"
#include "outpost/platform/utf8.h"
#include "store_helpers.h"
#include "temp_dir.h"

using namespace outpost;
using namespace outpost::records;
using outpost::testing::FakeClock;
using outpost::testing::FaultVfs;
using outpost::testing::TempDir;
using Fault = FaultVfs::Fault;

namespace {

constexpr const char* kPass = "correct horse battery staple";
const Actor kWorker{"ann", "laptop-1", "worker", "team-a"};

Values visit(const std::string& household) {
    return {{"visit_date", std::string("2026-11-20")},
            {"household", household},
            {"visit_type", std::string("planned")},
            {"concerns_identified", false},
            {"people_seen", std::vector<std::string>{"parent_or_carer", "child"}}};
}

StoreOptions options(JournalMode journal) {
    StoreOptions o;
    o.journal = journal;
    o.kdf = KdfPolicy::kInteractiveFloor;
    return o;
}

// A profile: the store and the engine over it, opened (or created) at `dir`/profile.db.
struct Profile {
    FakeClock clock{1'763'900'000'000};
    std::unique_ptr<Store> store;
    std::unique_ptr<RecordEngine> engine;

    Profile(const std::filesystem::path& dir, JournalMode journal, bool create) {
        auto s = create ? Store::create(dir / "profile.db", kPass, options(journal))
                        : Store::open(dir / "profile.db", kPass, options(journal));
        REQUIRE_MESSAGE(s.is_ok(), s.status().to_string());
        store = std::move(*s);
        auto schemas = load_schemas(OUTPOST_FORMS_DIR);
        REQUIRE(schemas.is_ok());
        auto e = RecordEngine::open(*store, *schemas, clock);
        REQUIRE_MESSAGE(e.is_ok(), e.status().to_string());
        engine = std::move(*e);
    }
    void close() {
        engine.reset();
        store.reset();
    }
    // The households of every record, read through the engine.
    std::set<std::string> households() {
        std::set<std::string> out;
        ListQuery q;
        q.type = "home_visit";
        q.limit = 500;
        for (;;) {
            auto page = engine->list(q);
            REQUIRE_MESSAGE(page.is_ok(), page.status().to_string());
            for (const Record& r : page->records) {
                out.insert(std::get<std::string>(r.values.at("household")));
            }
            if (!page->next) {
                return out;
            }
            q.after = page->next;
        }
    }
};

// Reopens the profile with no fault armed: integrity_check and page authentication must be clean.
std::set<std::string> reopen_clean(const std::filesystem::path& dir, JournalMode journal) {
    Profile p(dir, journal, false);
    CHECK(outpost::testing::query_text(p.store->handle(), "PRAGMA integrity_check") == "ok");
    const Status verified = p.store->verify();
    CHECK_MESSAGE(verified.is_ok(), verified.to_string());
    return p.households();
}

struct Case {
    Fault fault;
    std::string_view code;
    const char* name;
};

}  // namespace

TEST_CASE(
    "Disk faults: a failing write, a failing fsync and a full disk refuse the save with a clear code, "
    "keep what was committed, and keep reads going") {
    FaultVfs& vfs = FaultVfs::install();
    const Case cases[] = {{Fault::kWriteError, errc::kIo, "write fails"},
                          {Fault::kSyncError, errc::kIo, "fsync fails"},
                          {Fault::kDiskFull, errc::kDiskFull, "disk full"}};
    for (const JournalMode journal : {JournalMode::kWal, JournalMode::kDelete}) {
        for (const Case& c : cases) {
            CAPTURE(c.name);
            const std::string mode = journal == JournalMode::kWal ? "WAL" : "DELETE";
            CAPTURE(mode);
            TempDir tmp;
            std::set<std::string> saved;
            {
                Profile p(tmp.path(), journal, true);
                for (int i = 0; i < 20; ++i) {
                    const std::string h = "family " + std::to_string(i);
                    REQUIRE(p.engine->create(kWorker, "home_visit", visit(h)).is_ok());
                    saved.insert(h);
                }
                if (journal == JournalMode::kWal) {
                    // An empty WAL: the next save must grow it, so a full disk cannot take it (a
                    // save that fits in blocks the WAL already has succeeds, as it should).
                    REQUIRE(p.store->exec("PRAGMA wal_checkpoint(TRUNCATE)").is_ok());
                }
                vfs.arm(c.fault, tmp.path());
                // The save is refused, with the code the app shows ("The disk is full ...").
                auto refused = p.engine->create(kWorker, "home_visit", visit("refused while faulty"));
                REQUIRE_FALSE(refused.is_ok());
                CHECK(refused.status().code() == c.code);
                CHECK(vfs.faults() >= 1);
                CHECK(errc::explain(refused.status().code()) != errc::explain("no.such.code"));  // a registered code
                // An edit is refused the same way, and leaves the record as it was.
                auto first = p.engine->list(ListQuery{.type = "home_visit", .limit = 1});
                REQUIRE(first.is_ok());
                REQUIRE(first->records.size() == 1);
                const std::string id = first->records[0].id;
                const Values before = first->records[0].values;
                auto edit = p.engine->update(kWorker, id, {{"household", std::string("edited while faulty")}});
                REQUIRE_FALSE(edit.is_ok());
                CHECK(edit.status().code() == c.code);
                // Reads go on while the fault lasts: every saved record, whole.
                CHECK(p.households() == saved);
                auto again = p.engine->get(id);
                REQUIRE(again.is_ok());
                CHECK(again->values == before);
                // The disk recovers: the same session saves again, without reopening.
                vfs.disarm();
                REQUIRE(p.engine->create(kWorker, "home_visit", visit("after recovery")).is_ok());
                saved.insert("after recovery");
                CHECK(p.households() == saved);
            }
            CHECK(reopen_clean(tmp.path(), journal) == saved);
        }
    }
}

TEST_CASE(
    "Disk faults: the database file cannot grow, so no checkpoint can finish; every save is kept in "
    "the WAL and is there on reopen") {
    FaultVfs& vfs = FaultVfs::install();
    TempDir tmp;
    std::set<std::string> saved;
    {
        Profile p(tmp.path(), JournalMode::kWal, true);
        // From here the database file cannot grow: the automatic checkpoints (every 1,000 WAL pages)
        // and the one at close all fail to write the pages past its end.
        vfs.arm(Fault::kDiskFull, tmp.path(), 0, "profile.db");
        for (int i = 0; i < 600; ++i) {
            const std::string h = "family " + std::to_string(i) + std::string(80, 'x');
            auto made = p.engine->create(kWorker, "home_visit", visit(h));
            CAPTURE(i);
            REQUIRE_MESSAGE(made.is_ok(), made.status().to_string());
            saved.insert(h);
        }
        CHECK(p.households() == saved);
        p.close();
        CHECK(vfs.faults() >= 1);
        vfs.disarm();
    }
    CHECK(std::filesystem::file_size(tmp / "profile.db-wal") > 0);  // the WAL was kept, not thrown away
    CHECK(reopen_clean(tmp.path(), JournalMode::kWal) == saved);
}

// The child of the torn-write case: with FaultVfs armed to tear the k-th write in the profile's
// folder, opens the profile, saves one record, reports whether the save succeeded (1 or 0), and
// closes the profile. args: the profile's folder, "WAL" or "DELETE", and k. It ends with 0, or with
// FaultVfs::kTornExit at the tear.
OUTPOST_CHILD_ROLE(torn_saver) {
    FaultVfs& vfs = FaultVfs::install();
    const std::filesystem::path dir = outpost::path_from_utf8(args.at(0));
    const JournalMode journal = args.at(1) == "WAL" ? JournalMode::kWal : JournalMode::kDelete;
    vfs.arm(Fault::kTear, dir, std::stoi(args.at(2)));
    Profile p(dir, journal, false);
    const char saved_byte = p.engine->create(kWorker, "home_visit", visit("the new one")).is_ok() ? 1 : 0;
    outpost::testing::report_value(saved_byte);
    p.close();
    outpost::os::exit_now(0);
}

// A child process opens the profile, saves one record, and closes it; the `k`th write to a file in
// the profile's folder is torn (half of it reaches the disk) and the child dies there. Every k from
// the first write to past the last is tried, on a fresh copy of the profile each time, so tears land
// in the journal or WAL, in the commit, and in the checkpoint at close. The parent then reopens: the
// records saved before are all there and whole, the new one is there if the child said it was
// saved (and may be there if the tear came after its commit), and the store is clean.
TEST_CASE("Disk faults: a write torn by a crash at every point of a save loses nothing committed") {
    for (const JournalMode journal : {JournalMode::kWal, JournalMode::kDelete}) {
        const std::string mode = journal == JournalMode::kWal ? "WAL" : "DELETE";
        CAPTURE(mode);
        TempDir tmp;
        const auto pristine = tmp / "pristine";
        std::filesystem::create_directories(pristine);
        std::set<std::string> saved;
        {
            Profile p(pristine, journal, true);
            for (int i = 0; i < 30; ++i) {
                const std::string h = "family " + std::to_string(i);
                REQUIRE(p.engine->create(kWorker, "home_visit", visit(h)).is_ok());
                saved.insert(h);
            }
        }
        int torn = 0;
        int k = 0;
        for (;; ++k) {
            CAPTURE(k);
            const auto dir = tmp / ("tear-" + std::to_string(k));
            std::filesystem::copy(pristine, dir);
            outpost::testing::Child child =
                outpost::testing::Child::start("torn_saver", {outpost::path_to_utf8(dir), mode, std::to_string(k)});
            char reported = -1;
            const bool said = child.read_value(reported) && reported == 1;
            const outpost::os::ChildProcess::Exit exit = child.wait();
            REQUIRE_FALSE(exit.killed);
            const int code = exit.code;
            REQUIRE((code == 0 || code == FaultVfs::kTornExit));
            const std::set<std::string> after = reopen_clean(dir, journal);
            std::set<std::string> expected = saved;
            if (said) {
                expected.insert("the new one");
            }
            if (!said && after.count("the new one") == 1) {
                expected.insert("the new one");  // torn after the commit was durable
            }
            CHECK(after == expected);
            std::filesystem::remove_all(dir);
            if (code == 0) {
                CHECK(said);  // the child saved and closed without a tear
                break;        // k is past the last write
            }
            ++torn;
            REQUIRE(k < 200);
        }
        // The save and close wrote at least a journal or WAL page, a database page and a header.
        CHECK(torn >= 3);
        MESSAGE("torn writes tried: " << torn);
    }
}
