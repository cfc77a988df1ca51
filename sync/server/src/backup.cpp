#include "outpost/sync/backup.h"

#include <sqlite3.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "outpost/core/clock.h"
#include "outpost/core/error_codes.h"
#include "outpost/core/store.h"
#include "outpost/core/time_format.h"
#include "outpost/platform/os.h"
#include "outpost/sync/server_storage.h"
#include "storage_common.h"

namespace outpost::sync {
namespace fs = std::filesystem;
namespace {

constexpr const char* kDbName = storage::kSqliteDbName;
using storage::kRestoreSeqJump;

// An open connection, closed on scope exit.
struct Db {
    sqlite3* h = nullptr;
    ~Db() { sqlite3_close_v2(h); }
};

Status open_db(const fs::path& path, int flags, Db& db, const std::string& what) {
    if (sqlite3_open_v2(path.c_str(), &db.h, flags, nullptr) != SQLITE_OK) {
        return storage::sql_error(db.h, "opening " + what + " " + path.string());
    }
    sqlite3_busy_timeout(db.h, 10'000);
    return Status::ok();
}

Result<std::int64_t> count(sqlite3* db, const char* sql) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &st, nullptr) != SQLITE_OK) {
        return storage::sql_error(db, sql);
    }
    std::int64_t n = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        n = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return n;
}

// Copies every page of `from`'s main database into `to`'s, in one step (one read snapshot).
Status copy_pages(sqlite3* from, sqlite3* to, const std::string& what) {
    sqlite3_backup* b = sqlite3_backup_init(to, "main", from, "main");
    if (b == nullptr) {
        return storage::sql_error(to, what);
    }
    int rc = SQLITE_OK;
    do {
        rc = sqlite3_backup_step(b, -1);
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
            sqlite3_sleep(20);
        }
    } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
    sqlite3_backup_finish(b);
    return rc == SQLITE_DONE ? Status::ok() : storage::sql_error(to, what);
}

// integrity_check, identity and counts of a database.
Result<BackupSummary> inspect(sqlite3* db, const std::string& what) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, nullptr) != SQLITE_OK) {
        return Status::error(errc::kServerBackupInvalid, what + " cannot be read: " + sqlite3_errmsg(db));
    }
    std::string verdict;
    if (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char* t = sqlite3_column_text(st, 0);
        verdict = t ? reinterpret_cast<const char*>(t) : "";
    }
    sqlite3_finalize(st);
    if (verdict != "ok") {
        return Status::error(errc::kServerBackupInvalid, what + " fails its integrity check: " + verdict);
    }
    BackupSummary s;
    if (sqlite3_prepare_v2(db, "SELECT server_id, schema_version FROM meta LIMIT 1", -1, &st, nullptr) != SQLITE_OK) {
        return Status::error(errc::kServerBackupInvalid, what + " is not an Outpost server database");
    }
    if (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char* t = sqlite3_column_text(st, 0);
        s.server_id = t ? reinterpret_cast<const char*>(t) : "";
        s.schema_version = sqlite3_column_int(st, 1);
    }
    sqlite3_finalize(st);
    if (s.server_id.empty()) {
        return Status::error(errc::kServerBackupInvalid, what + " has no server identity");
    }
    if (s.schema_version >= 3) {
        auto records = count(db, "SELECT count(*) FROM srv_records");
        auto changes = count(db, "SELECT count(*) FROM srv_changes");
        if (!records.is_ok() || !changes.is_ok()) {
            return Status::error(errc::kServerBackupInvalid, what + " is missing its record tables");
        }
        s.records = *records;
        s.changes = *changes;
    }
    return s;
}

// Copies complete attachment files (<blobs>/<team>/<64 hex>) that `to` lacks; skips partial/.
Result<std::int64_t> copy_blobs(const fs::path& from, const fs::path& to, std::int64_t& bytes) {
    std::int64_t files = 0;
    std::error_code ec;
    if (!fs::is_directory(from, ec)) {
        return files;
    }
    for (const auto& team : fs::directory_iterator(from, ec)) {
        if (!team.is_directory() || team.path().filename() == "partial") {
            continue;
        }
        for (const auto& f : fs::directory_iterator(team.path(), ec)) {
            const std::string name = f.path().filename().string();
            if (!f.is_regular_file() || name.size() != 64 ||
                name.find_first_not_of("0123456789abcdef") != std::string::npos) {
                continue;
            }
            const fs::path dest = to / team.path().filename() / name;
            fs::create_directories(dest.parent_path(), ec);
            if (!fs::exists(dest)) {
                const fs::path tmp = dest.string() + ".copying";
                if (!fs::copy_file(f.path(), tmp, fs::copy_options::overwrite_existing, ec) ||
                    (fs::rename(tmp, dest, ec), ec)) {
                    return Status::error(errc::kIo, "copying " + f.path().string() + ": " + ec.message());
                }
            }
            bytes += static_cast<std::int64_t>(fs::file_size(dest, ec));
            ++files;
        }
    }
    if (ec) {
        return Status::error(errc::kIo, "reading " + from.string() + ": " + ec.message());
    }
    return files;
}

std::string utc_stamp() {
    return outpost::utc_stamp(SystemClock::instance().now_ms());
}

}  // namespace

Result<std::unique_ptr<DataDirLock>> DataDirLock::acquire(const fs::path& data) {
    const fs::path path = data / "serve.lock";
    std::unique_ptr<os::FileLock> lock;
    const std::error_code ec = os::FileLock::try_acquire(path, lock);
    if (ec == std::errc::resource_unavailable_try_again) {
        return Status::error(errc::kServerDataDirInUse, "an outpost-server is serving " + data.string());
    }
    if (ec) {
        return Status::error(errc::kIo, "cannot open " + path.string() + ": " + ec.message());
    }
    return std::unique_ptr<DataDirLock>(new DataDirLock(std::move(lock)));
}

DataDirLock::DataDirLock(std::unique_ptr<os::FileLock> lock) : m_lock(std::move(lock)) {
}

DataDirLock::~DataDirLock() = default;

Result<BackupSummary> backup_sqlite_data_dir(const fs::path& data, const fs::path& out) {
    std::error_code ec;
    if (!fs::exists(data / kDbName, ec)) {
        return Status::error(errc::kServerDataDirInvalid, "no server database in " + data.string());
    }
    if (fs::exists(out, ec)) {
        return Status::error(errc::kServerOutputExists, out.string() + " already exists; a backup never overwrites");
    }
    if (!fs::create_directories(out, ec)) {
        return Status::error(errc::kIo, "cannot create " + out.string() + ": " + ec.message());
    }
    fs::permissions(out, fs::perms::owner_all, fs::perm_options::replace, ec);
    Db src;
    Db dst;
    OUTPOST_TRY(open_db(data / kDbName, SQLITE_OPEN_READONLY, src, "the server database"));
    OUTPOST_TRY(open_db(out / kDbName, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, dst, "the backup"));
    OUTPOST_TRY(copy_pages(src.h, dst.h, "backing up " + (data / kDbName).string()));
    auto summary = inspect(dst.h, "the backup copy");
    OUTPOST_TRY(summary);
    // One file, no WAL beside it: a backup is copied around as a folder.
    sqlite3_exec(dst.h, "PRAGMA journal_mode=DELETE", nullptr, nullptr, nullptr);
    summary->bytes = static_cast<std::int64_t>(fs::file_size(out / kDbName, ec));
    auto files = copy_blobs(data / "blobs", out / "blobs", summary->bytes);
    OUTPOST_TRY(files);
    summary->blob_files = *files;
    const nlohmann::json manifest = {{"format", "outpost-server-backup"},
                                     {"server_id", summary->server_id},
                                     {"schema_version", summary->schema_version},
                                     {"records", summary->records},
                                     {"changes", summary->changes},
                                     {"blob_files", summary->blob_files},
                                     {"taken_utc", utc_stamp()}};
    std::ofstream(out / "backup.json") << manifest.dump(1) << "\n";
    return summary;
}

Result<BackupSummary> restore_sqlite_data_dir(const fs::path& backup, const fs::path& data) {
    std::error_code ec;
    if (!fs::exists(backup / kDbName, ec) || !fs::exists(backup / "backup.json", ec)) {
        return Status::error(errc::kServerBackupInvalid,
                             backup.string() + " is not an Outpost backup (no server.db and backup.json)");
    }
    if (!fs::is_directory(data, ec)) {
        return Status::error(errc::kServerDataDirInvalid, data.string() + " is not a directory");
    }
    BackupSummary summary;
    {
        Db check;
        OUTPOST_TRY(open_db(backup / kDbName, SQLITE_OPEN_READONLY, check, "the backup"));
        auto s = inspect(check.h, "the backup " + backup.string());
        OUTPOST_TRY(s);
        if (s->schema_version > kServerSchemaVersion) {
            return Status::error(errc::kServerBackupInvalid,
                                 "the backup is at schema " + std::to_string(s->schema_version) +
                                     ", newer than this build's " + std::to_string(kServerSchemaVersion));
        }
        summary = *s;
    }
    const fs::path live = data / kDbName;
    const bool has_live = fs::exists(live, ec);
    // 1. The current database is kept aside, never deleted: an online copy, consistent even while
    //    the service writes. Its log end is the furthest cursor any laptop can hold.
    std::int64_t live_end = 0;
    if (has_live) {
        const fs::path aside = live.string() + ".before-restore-" + utc_stamp();
        Db src;
        Db dst;
        OUTPOST_TRY(open_db(live, SQLITE_OPEN_READONLY, src, "the server database"));
        OUTPOST_TRY(open_db(aside, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, dst, "the copy kept aside"));
        OUTPOST_TRY(copy_pages(src.h, dst.h, "keeping the current database aside"));
        sqlite3_exec(dst.h, "PRAGMA journal_mode=DELETE", nullptr, nullptr, nullptr);
        auto end = count(dst.h, "SELECT COALESCE(max(seq), 0) FROM srv_changes");
        live_end = end.is_ok() ? *end : 0;
    }
    // 2. The backup is staged beside it, migrated to this build's schema, and given a placeholder
    //    change (in no team, so no device pulls it) far past both logs' ends, so that every change
    //    written from now on takes a seq beyond any cursor a laptop holds.
    const fs::path staging = data / "restoring";
    fs::remove_all(staging, ec);
    fs::create_directories(staging, ec);
    {
        Db src;
        Db dst;
        OUTPOST_TRY(open_db(backup / kDbName, SQLITE_OPEN_READONLY, src, "the backup"));
        OUTPOST_TRY(open_db(staging / kDbName, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, dst, "the staged copy"));
        OUTPOST_TRY(copy_pages(src.h, dst.h, "staging " + backup.string()));
        sqlite3_exec(dst.h, "PRAGMA journal_mode=DELETE", nullptr, nullptr, nullptr);
    }
    {
        auto migrated = open_sqlite_storage(staging);  // migrates forward, as serve would
        OUTPOST_TRY(migrated);
    }
    {
        Db dst;
        OUTPOST_TRY(open_db(staging / kDbName, SQLITE_OPEN_READWRITE, dst, "the staged copy"));
        const std::string sql =
            "PRAGMA journal_mode=DELETE;"
            "INSERT INTO srv_changes(seq, record, type, team, field, value, hlc, device, base, author, at_ms) "
            "SELECT max(COALESCE(max(seq), 0), " +
            std::to_string(live_end) + ") + " + std::to_string(kRestoreSeqJump) +
            ", '', '', '#restored', '', 'null', 0, '', 0, 'outpost-server restore', 0 FROM srv_changes";
        if (sqlite3_exec(dst.h, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
            return storage::sql_error(dst.h, "moving the change sequence on after the restore");
        }
    }
    // 3. One online copy into the live database: a running service waits for it (its busy timeout)
    //    and then reads the restored data; it never sees half of it.
    {
        Db src;
        Db dst;
        OUTPOST_TRY(open_db(staging / kDbName, SQLITE_OPEN_READONLY, src, "the staged copy"));
        OUTPOST_TRY(open_db(live, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, dst, "the server database"));
        OUTPOST_TRY(copy_pages(src.h, dst.h, "restoring " + backup.string()));
        if (!has_live) {
            sqlite3_exec(dst.h, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr);
        }
    }
    fs::remove_all(staging, ec);
    auto files = copy_blobs(backup / "blobs", data / "blobs", summary.bytes);
    OUTPOST_TRY(files);
    summary.blob_files = *files;
    return summary;
}

}  // namespace outpost::sync
