// Store: round trips, no plaintext on disk, passphrases, recovery codes. Every case runs in each mode
// (encrypted and plain, WAL and DELETE) unless it is about encryption itself.
#include "outpost/core/store.h"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <cstdio>
#include <set>

#include "store_helpers.h"
#include "temp_dir.h"

using namespace outpost;
using namespace outpost::testing;

namespace {

constexpr const char* kPass = "correct horse battery staple";

std::unique_ptr<Store> create_with_table(const std::filesystem::path& path, const StoreOptions& o) {
    auto s = Store::create(path, kPass, o);
    REQUIRE_MESSAGE(s.is_ok(), s.status().to_string());
    REQUIRE((*s)->exec("CREATE TABLE t(id INTEGER PRIMARY KEY, doc TEXT NOT NULL)").is_ok());
    return std::move(*s);
}

// The recovery-code cases: a store at tmp/case.db in the first store mode.
struct RecoveryCase {
    TempDir tmp;
    const std::filesystem::path path = tmp / "case.db";
    const StoreOptions o = options_for(all_store_modes()[0]);

    // Creates the store with a table of 20 rows.
    [[nodiscard]] std::unique_ptr<Store> create() const {
        auto s = create_with_table(path, o);
        insert_rows(*s, 0, 20);
        return s;
    }
    // Adds a recovery code to `s` and returns it.
    static std::string add_code(Store& s) {
        auto c = s.add_recovery_code();
        REQUIRE(c.is_ok());
        return *c;
    }
};

}  // namespace

TEST_CASE("Store: 10k rows round-trip through close and reopen in every mode") {
    for (const StoreMode& mode : all_store_modes()) {
        CAPTURE(mode.name);
        TempDir tmp;
        const auto path = tmp / "case.db";
        {
            auto s = create_with_table(path, options_for(mode));
            insert_rows(*s, 0, 10'000);
        }
        auto s = Store::open(path, kPass, options_for(mode));
        REQUIRE_MESSAGE(s.is_ok(), s.status().to_string());
        sqlite3* db = (*s)->handle();
        CHECK(query_text(db, "PRAGMA integrity_check") == "ok");
        CHECK(query_int(db, "SELECT count(*) FROM t") == 10'000);
        sqlite3_stmt* st = nullptr;
        REQUIRE(sqlite3_prepare_v2(db, "SELECT id, doc FROM t ORDER BY id", -1, &st, nullptr) == SQLITE_OK);
        int expected = 0;
        int mismatches = 0;
        while (sqlite3_step(st) == SQLITE_ROW) {
            const std::string doc = reinterpret_cast<const char*>(sqlite3_column_text(st, 1));
            mismatches += (sqlite3_column_int(st, 0) != expected || doc != doc_for(expected)) ? 1 : 0;
            ++expected;
        }
        sqlite3_finalize(st);
        CHECK(expected == 10'000);
        CHECK(mismatches == 0);
        CHECK((*s)->verify().is_ok());
        if (mode.encrypted) {
            // Header byte 20 (reserved bytes per page) is in clear and must be 48.
            CHECK(read_bytes(path)[20] == 48);
            CHECK((*s)->unlock_time().count() > 0);
        }
    }
}

TEST_CASE("Store: no plaintext reaches the database, WAL or journal files") {
    const std::string marker = "MARKER-7f3a9c-SAFEGUARDING";
    for (const StoreMode& mode : all_store_modes()) {
        CAPTURE(mode.name);
        TempDir tmp;
        const auto path = tmp / "case.db";
        auto s = create_with_table(path, options_for(mode));
        REQUIRE(s->exec("CREATE INDEX t_doc ON t(doc)").is_ok());
        for (int i = 0; i < 300; ++i) {
            REQUIRE(s->exec("INSERT INTO t(doc) VALUES('" + marker + std::to_string(i) + "')").is_ok());
        }
        // Hold a write transaction open so the journal (DELETE) holds old pages and the WAL holds new
        // frames, then scan every file in the directory.
        REQUIRE(s->exec("BEGIN IMMEDIATE").is_ok());
        REQUIRE(s->exec("UPDATE t SET doc = doc || '" + marker + "'").is_ok());
        const auto files = snapshot_dir(tmp.path());
        const std::string side = mode.journal == JournalMode::kWal ? "case.db-wal" : "case.db-journal";
        REQUIRE_MESSAGE(files.count(side) == 1, "expected " << side << " to exist mid-transaction");
        bool found = false;
        for (const auto& [name, bytes] : files) {
            found = found || contains(bytes, marker);
        }
        // The plain store proves the scan can see markers; the encrypted one must show none.
        CHECK(found == !mode.encrypted);
        REQUIRE(s->exec("COMMIT").is_ok());
    }
}

TEST_CASE("Store: the plain sqlite3 shell refuses an encrypted database") {
    TempDir tmp;
    const auto path = tmp / "case.db";
    {
        auto s = create_with_table(path, options_for(all_store_modes()[1]));
        insert_rows(*s, 0, 50);
    }
#if defined(_WIN32)
    // No sqlite3 shell on a Windows laptop: the same library, opened without Outpost's VFS.
    sqlite3* db = nullptr;
    const std::u8string name = path.u8string();
    REQUIRE(sqlite3_open_v2(std::string(name.begin(), name.end()).c_str(), &db, SQLITE_OPEN_READONLY, nullptr) ==
            SQLITE_OK);
    const int rc = sqlite3_exec(db, "SELECT count(*) FROM t;", nullptr, nullptr, nullptr);
    const std::string out = sqlite3_errmsg(db);
    sqlite3_close(db);
#else
    const std::string cmd = "sqlite3 '" + path.string() + "' 'SELECT count(*) FROM t;' 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    REQUIRE(p != nullptr);
    std::string out;
    char buf[256];
    while (fgets(buf, sizeof buf, p) != nullptr) {
        out += buf;
    }
    const int rc = pclose(p);
#endif
    CHECK(rc != 0);
    CHECK(out.find("not a database") != std::string::npos);
}

TEST_CASE("Store: a wrong passphrase is refused and changes no byte of any file") {
    for (const StoreMode& mode : all_store_modes()) {
        if (!mode.encrypted) {
            continue;
        }
        CAPTURE(mode.name);
        TempDir tmp;
        const auto path = tmp / "case.db";
        {
            auto s = create_with_table(path, options_for(mode));
            insert_rows(*s, 0, 500);
        }
        const auto before = snapshot_dir(tmp.path());
        auto bad = Store::open(path, "correct horse battery stapler", options_for(mode));
        CHECK(bad.status().code() == "store.passphrase.wrong");
        auto empty = Store::open(path, "", options_for(mode));
        CHECK(empty.status().code() == "store.passphrase.wrong");
        CHECK(snapshot_dir(tmp.path()) == before);
    }
}

TEST_CASE("Store: changing the passphrase rewrites only the key file") {
    TempDir tmp;
    const auto path = tmp / "case.db";
    const StoreOptions o = options_for(all_store_modes()[0]);
    std::vector<std::uint8_t> db_before;
    std::vector<std::uint8_t> key_before;
    {
        auto s = create_with_table(path, o);
        insert_rows(*s, 0, 200);
        s->lock();
        db_before = read_bytes(path);
        key_before = read_bytes(Store::key_path_for(path));
    }
    {
        auto s = Store::open(path, kPass, o);
        REQUIRE(s.is_ok());
        CHECK((*s)->change_passphrase("not the passphrase", "a brand new passphrase").code() ==
              "store.passphrase.wrong");
        CHECK((*s)->change_passphrase(kPass, "short").code() == "store.passphrase.too_short");
        REQUIRE((*s)->change_passphrase(kPass, "a brand new passphrase").is_ok());
        (*s)->lock();
    }
    CHECK(read_bytes(path) == db_before);
    CHECK(read_bytes(Store::key_path_for(path)) != key_before);
    CHECK(Store::open(path, kPass, o).status().code() == "store.passphrase.wrong");
    auto s = Store::open(path, "a brand new passphrase", o);
    REQUIRE(s.is_ok());
    CHECK(query_int((*s)->handle(), "SELECT count(*) FROM t") == 200);

    SUBCASE("a second change uses the other A/B slot and still locks out the previous passphrase") {
        REQUIRE((*s)->change_passphrase("a brand new passphrase", "third passphrase here").is_ok());
        (*s)->lock();
        CHECK(Store::open(path, "a brand new passphrase", o).status().code() == "store.passphrase.wrong");
        CHECK(Store::open(path, "third passphrase here", o).is_ok());
    }
}

TEST_CASE("Store: check_passphrase tells the passphrase of the moment from any other, and writes nothing") {
    TempDir tmp;
    const auto path = tmp / "case.db";
    const StoreOptions o = options_for(all_store_modes()[0]);
    auto s = create_with_table(path, o);
    const std::vector<std::uint8_t> key_before = read_bytes(Store::key_path_for(path));
    CHECK(s->check_passphrase(kPass).is_ok());
    CHECK(s->check_passphrase("not the passphrase").code() == "store.passphrase.wrong");
    CHECK(s->check_passphrase("").code() == "store.passphrase.wrong");
    CHECK(read_bytes(Store::key_path_for(path)) == key_before);
    REQUIRE(s->change_passphrase(kPass, "a brand new passphrase").is_ok());
    CHECK(s->check_passphrase(kPass).code() == "store.passphrase.wrong");
    CHECK(s->check_passphrase("a brand new passphrase").is_ok());
    s->lock();
    CHECK(s->check_passphrase("a brand new passphrase").code() == "store.state.locked");
}

TEST_CASE_FIXTURE(RecoveryCase, "Store: a recovery code unlocks; a wrong one is refused") {
    std::string code;
    {
        auto s = create();
        CHECK(Store::open_with_recovery_code(path, "0000-0000-0000-0000-0000-0000-00", o).status().code() ==
              "store.recovery_code.wrong");
        code = add_code(*s);
    }
    CHECK(code.size() == 32);  // 26 characters + 6 dashes
    auto s = Store::open_with_recovery_code(path, code, o);
    REQUIRE_MESSAGE(s.is_ok(), s.status().to_string());
    CHECK(query_int((*s)->handle(), "SELECT count(*) FROM t") == 20);
    (*s)->lock();
    // Lower case and spaces are forgiven; one wrong character is not.
    std::string relaxed;
    for (char c : code) {
        relaxed.push_back(c == '-' ? ' ' : static_cast<char>(std::tolower(c)));
    }
    CHECK(Store::open_with_recovery_code(path, relaxed, o).is_ok());
    std::string wrong = code;
    wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
    CHECK(Store::open_with_recovery_code(path, wrong, o).status().code() == "store.recovery_code.wrong");
    // The passphrase still works alongside it.
    CHECK(Store::open(path, kPass, o).is_ok());
}

TEST_CASE("Store: lock wipes access; create refuses to overwrite; short passphrases are refused") {
    TempDir tmp;
    const auto path = tmp / "case.db";
    const StoreOptions o = options_for(all_store_modes()[0]);
    auto s = create_with_table(path, o);
    s->lock();
    CHECK(s->is_locked());
    CHECK(s->handle() == nullptr);
    CHECK(s->exec("SELECT 1").code() == "store.state.locked");
    CHECK(s->verify().code() == "store.state.locked");
    CHECK(Store::create(path, kPass, o).status().code() == "store.file.exists");
    CHECK(Store::create(tmp / "other.db", "short", o).status().code() == "store.passphrase.too_short");
    CHECK(Store::open(tmp / "missing.db", kPass, o).status().code() == "store.file.missing");
}

TEST_CASE("Store: rewriting the same page 1000 times never repeats a nonce") {
    TempDir tmp;
    const auto path = tmp / "case.db";
    StoreOptions o = options_for(all_store_modes()[1]);  // DELETE: every commit writes the page in place
    auto s = create_with_table(path, o);
    REQUIRE(s->exec("INSERT INTO t(id, doc) VALUES(1, 'x')").is_ok());
    const auto root = query_int(s->handle(), "SELECT rootpage FROM sqlite_master WHERE name = 't'");
    std::set<std::vector<std::uint8_t>> nonces;
    std::set<std::vector<std::uint8_t>> page1_nonces;
    const auto nonce_at = [](const std::vector<std::uint8_t>& file, std::int64_t pgno) {
        const auto off = static_cast<std::size_t>((pgno - 1) * 4096 + 4096 - 40);
        return std::vector<std::uint8_t>(file.begin() + static_cast<std::ptrdiff_t>(off),
                                         file.begin() + static_cast<std::ptrdiff_t>(off + 24));
    };
    for (int i = 0; i < 1000; ++i) {
        // A different value each time: SQLite skips writing a page whose bytes would not change.
        REQUIRE(s->exec("UPDATE t SET doc = 'v" + std::to_string(i) + "' WHERE id = 1").is_ok());
        const auto file = read_bytes(path);
        nonces.insert(nonce_at(file, root));
        page1_nonces.insert(nonce_at(file, 1));
    }
    CHECK(nonces.size() == 1000);
    CHECK(page1_nonces.size() == 1000);
}

TEST_CASE("Store: the shim refuses temporary files, page-size changes and memory mapping") {
    TempDir tmp;
    const auto path = tmp / "case.db";
    auto s = create_with_table(path, options_for(all_store_modes()[0]));
    insert_rows(*s, 0, 3000);
    sqlite3* db = s->handle();
    // With temp files allowed, a big sort would spill plaintext to disk: the shim refuses to open one.
    REQUIRE(s->exec("PRAGMA temp_store=FILE; PRAGMA cache_size=10").is_ok());
    const int rc =
        sqlite3_exec(db, "SELECT doc FROM t ORDER BY substr(doc, 20) LIMIT 1 OFFSET 2999", nullptr, nullptr, nullptr);
    CHECK(rc == SQLITE_CANTOPEN);
    // In memory (the production setting) the same sort works.
    REQUIRE(s->exec("PRAGMA temp_store=MEMORY; PRAGMA cache_size=-32768").is_ok());
    CHECK(s->exec("SELECT doc FROM t ORDER BY substr(doc, 20) LIMIT 1 OFFSET 2999").is_ok());
    CHECK(s->exec("VACUUM").is_ok());
    CHECK(s->exec("PRAGMA page_size=8192").code() == "store.sql.failed");
    CHECK(query_int(db, "PRAGMA page_size") == 4096);
    REQUIRE(s->exec("PRAGMA mmap_size=268435456").is_ok());
    CHECK(query_int(db, "PRAGMA mmap_size") == 0);
    CHECK(s->verify().is_ok());
    CHECK(query_int(db, "SELECT count(*) FROM t") == 3000);
}

TEST_CASE("Store: regression - lock() leaves statements it does not own alone") {
    // lock() used to finalize every statement on the connection, including FTS5's internal ones,
    // which FTS5 then finalized again while closing: an abort in glibc's mutex code.
    for (const StoreMode& mode : all_store_modes()) {
        CAPTURE(mode.name);
        TempDir tmp;
        auto s = create_with_table(tmp / "case.db", options_for(mode));
        REQUIRE(s->exec("CREATE VIRTUAL TABLE f USING fts5(body); INSERT INTO f VALUES('damp kitchen');"
                        "SELECT * FROM f WHERE f MATCH 'damp'")
                    .is_ok());
        s->lock();
        CHECK(s->is_locked());
        // A statement the caller leaked: the connection closes lazily once it is finalized, without a
        // crash, and the store opens again afterwards.
        auto again = Store::open(tmp / "case.db", kPass, options_for(mode));
        REQUIRE(again.is_ok());
        sqlite3_stmt* leaked = nullptr;
        REQUIRE(sqlite3_prepare_v2((*again)->handle(), "SELECT count(*) FROM t", -1, &leaked, nullptr) == SQLITE_OK);
        (*again)->lock();
        CHECK((*again)->is_locked());
        CHECK(sqlite3_finalize(leaked) == SQLITE_OK);
        auto third = Store::open(tmp / "case.db", kPass, options_for(mode));
        REQUIRE(third.is_ok());
        CHECK(query_int((*third)->handle(), "SELECT count(*) FROM f") == 1);
    }
}

TEST_CASE("Store: regression - a commit through a statement leaked past lock() fails and leaves nothing readable") {
    // With the keys wiped, the shim wrote the WAL frame's scratch buffer anyway (an older page), so
    // the commit reported success and the row vanished at the next open. And the WAL's sealing worker
    // kept its own copy of the key pointers: wiping the keys while it sealed was a use after free.
    for (const StoreMode& mode : all_store_modes()) {
        if (!mode.encrypted) {
            continue;
        }
        CAPTURE(mode.name);
        TempDir tmp;
        auto s = create_with_table(tmp / "case.db", options_for(mode));
        insert_rows(*s, 0, 2000, 2000);  // one commit of many frames: the sealing worker is busy at lock()
        // A transaction whose pages are dirty in SQLite's cache (lock() cannot release those), and
        // the COMMIT a caller leaked: stepped after lock(), it must write through the wiped keys.
        REQUIRE(s->exec("BEGIN; INSERT INTO t(id, doc) VALUES(5000, 'written after the lock')").is_ok());
        sqlite3_stmt* leaked = nullptr;
        REQUIRE(sqlite3_prepare_v2(s->handle(), "COMMIT", -1, &leaked, nullptr) == SQLITE_OK);
        s->lock();  // the connection lingers for the leaked statement, its keys wiped
        CHECK(sqlite3_step(leaked) == SQLITE_IOERR_WRITE);
        (void)sqlite3_finalize(leaked);
        for (const auto& [name, bytes] : snapshot_dir(tmp.path())) {
            CAPTURE(name);
            CHECK_FALSE(contains(bytes, "written after the lock"));
        }
        auto again = Store::open(tmp / "case.db", kPass, options_for(mode));
        REQUIRE(again.is_ok());
        CHECK(query_int((*again)->handle(), "SELECT count(*) FROM t") == 2000);
        CHECK(query_text((*again)->handle(), "PRAGMA integrity_check") == "ok");
    }
}

TEST_CASE("Store: bulk mode writes through a rollback journal at full durability, and off returns to WAL") {
    outpost::testing::TempDir tmp;
    using outpost::testing::query_int;
    using outpost::testing::query_text;
    const auto path = tmp / "wal.db";
    auto wal = Store::create(path, "correct horse battery staple",
                             outpost::testing::options_for(outpost::testing::all_store_modes()[0]));
    REQUIRE(wal.is_ok());
    sqlite3* db = (*wal)->handle();
    auto journal = [&] { return query_text(db, "PRAGMA journal_mode"); };
    REQUIRE(journal() == "wal");
    CHECK(query_int(db, "PRAGMA synchronous") == 2);
    REQUIRE((*wal)->exec("CREATE TABLE t(x TEXT)").is_ok());

    REQUIRE((*wal)->set_bulk_mode(true).is_ok());
    CHECK(journal() == "truncate");
    CHECK(query_int(db, "PRAGMA synchronous") == 2);  // FULL: a rollback journal needs it
    CHECK_FALSE(std::filesystem::exists(tmp / "wal.db-wal"));
    REQUIRE((*wal)->exec("BEGIN IMMEDIATE").is_ok());
    for (int i = 0; i < 2000; ++i) {
        REQUIRE((*wal)->exec("INSERT INTO t VALUES('a row written in bulk mode, long enough to fill pages')").is_ok());
    }
    REQUIRE((*wal)->exec("COMMIT").is_ok());
    // Returning to WAL cannot happen inside a transaction: a clear error, and still in bulk mode.
    REQUIRE((*wal)->exec("BEGIN IMMEDIATE").is_ok());
    CHECK((*wal)->set_bulk_mode(false).code() == "store.sql.failed");
    REQUIRE((*wal)->exec("COMMIT").is_ok());
    CHECK(journal() == "truncate");

    REQUIRE((*wal)->set_bulk_mode(false).is_ok());
    CHECK(journal() == "wal");
    CHECK(query_int(db, "PRAGMA synchronous") == 2);
    CHECK(query_int(db, "PRAGMA wal_autocheckpoint") == 256);
    CHECK_FALSE(std::filesystem::exists(tmp / "wal.db-journal"));  // the empty journal is removed
    CHECK((*wal)->verify().is_ok());
    (*wal)->lock();
    CHECK((*wal)->set_bulk_mode(true).code() == "store.state.locked");
    auto again = Store::open(path, "correct horse battery staple",
                             outpost::testing::options_for(outpost::testing::all_store_modes()[0]));
    REQUIRE(again.is_ok());
    CHECK(query_int((*again)->handle(), "SELECT count(*) FROM t") == 2000);
    CHECK(query_text((*again)->handle(), "PRAGMA journal_mode") == "wal");

    // Locked in bulk mode (auto-lock during a first sync): the next open is back in WAL and leaves no
    // journal behind, which would switch off its page-1 and length checks for good.
    REQUIRE((*again)->set_bulk_mode(true).is_ok());
    REQUIRE((*again)->exec("INSERT INTO t VALUES('written in bulk mode, then locked')").is_ok());
    (*again)->lock();
    REQUIRE(std::filesystem::exists(tmp / "wal.db-journal"));
    auto third = Store::open(path, "correct horse battery staple",
                             outpost::testing::options_for(outpost::testing::all_store_modes()[0]));
    REQUIRE(third.is_ok());
    CHECK(query_text((*third)->handle(), "PRAGMA journal_mode") == "wal");
    CHECK(query_int((*third)->handle(), "SELECT count(*) FROM t") == 2001);
    CHECK_FALSE(std::filesystem::exists(tmp / "wal.db-journal"));
}

TEST_CASE("Store: bulk mode is refused while a transaction is open, and a rollback-journal store ignores it") {
    outpost::testing::TempDir tmp;
    using outpost::testing::query_int;
    auto wal = Store::create(tmp / "wal.db", "correct horse battery staple",
                             outpost::testing::options_for(outpost::testing::all_store_modes()[0]));
    REQUIRE(wal.is_ok());
    sqlite3* db = (*wal)->handle();
    REQUIRE((*wal)->exec("CREATE TABLE t(x); BEGIN; INSERT INTO t VALUES(1)").is_ok());
    CHECK((*wal)->set_bulk_mode(true).code() == "store.sql.failed");
    CHECK(outpost::testing::query_text(db, "PRAGMA journal_mode") == "wal");
    CHECK(query_int(db, "PRAGMA synchronous") == 2);
    REQUIRE((*wal)->exec("COMMIT").is_ok());  // the transaction was left alone
    CHECK(query_int(db, "SELECT count(*) FROM t") == 1);
    REQUIRE((*wal)->set_bulk_mode(true).is_ok());
    REQUIRE((*wal)->set_bulk_mode(false).is_ok());
    CHECK(query_int(db, "PRAGMA wal_autocheckpoint") == 256);

    auto del = Store::create(tmp / "del.db", "correct horse battery staple",
                             outpost::testing::options_for(outpost::testing::all_store_modes()[1]));
    REQUIRE(del.is_ok());
    REQUIRE((*del)->set_bulk_mode(true).is_ok());
    CHECK(query_int((*del)->handle(), "PRAGMA synchronous") == 2);  // a rollback-journal store is left alone
    CHECK(outpost::testing::query_text((*del)->handle(), "PRAGMA journal_mode") == "delete");
    (*del)->lock();
}

TEST_CASE_FIXTURE(RecoveryCase,
                  "Store: a forgotten passphrase is replaced through the recovery code, and only through it") {
    std::string code;
    {
        auto s = create();
        CHECK_FALSE(s->has_recovery_code());
        // Opened with the passphrase, the store does not take a new one without the old.
        CHECK(s->set_passphrase_after_recovery("a brand new passphrase").code() == "core.argument.invalid");
        code = add_code(*s);
        CHECK(s->has_recovery_code());
    }
    {
        auto s = Store::open_with_recovery_code(path, code, o);
        REQUIRE_MESSAGE(s.is_ok(), s.status().to_string());
        CHECK((*s)->set_passphrase_after_recovery("short").code() == "store.passphrase.too_short");
    }
    CHECK(Store::open(path, kPass, o).is_ok());  // a refused one changed nothing
    {
        auto s = Store::open_with_recovery_code(path, code, o);
        REQUIRE_MESSAGE(s.is_ok(), s.status().to_string());
        REQUIRE((*s)->set_passphrase_after_recovery("a brand new passphrase").is_ok());
        CHECK(query_int((*s)->handle(), "SELECT count(*) FROM t") == 20);
    }
    CHECK(Store::open(path, kPass, o).status().code() == "store.passphrase.wrong");
    CHECK(Store::open_with_recovery_code(path, code, o).is_ok());  // the code still works until replaced
    {
        auto s = Store::open(path, "a brand new passphrase", o);
        REQUIRE(s.is_ok());
        CHECK(query_int((*s)->handle(), "SELECT count(*) FROM t") == 20);
        CHECK((*s)->has_recovery_code());
        // Removing the slot: the code stops working, the passphrase does not.
        REQUIRE((*s)->remove_recovery_code().is_ok());
        CHECK_FALSE((*s)->has_recovery_code());
        CHECK((*s)->remove_recovery_code().is_ok());
    }
    CHECK(Store::open_with_recovery_code(path, code, o).status().code() == "store.recovery_code.wrong");
    CHECK(Store::open(path, "a brand new passphrase", o).is_ok());
}
