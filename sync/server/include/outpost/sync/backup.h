// Backup and restore of an embedded-SQLite data directory, and the lock that says a
// server is serving one.
//
// backup: copies server.db with SQLite's online backup API, from one read transaction (a snapshot
// in WAL mode, so the running service goes on writing meanwhile), checks the copy with
// `PRAGMA integrity_check`, then copies the complete attachment files (content-addressed and never
// changed once whole; unfinished uploads are skipped). `out` must not exist yet. backup.json in it
// names the server, the schema version and the counts.
//
// restore: works while the service runs. It refuses a backup that fails its integrity check or is
// newer than this build. It keeps the current database aside (an online copy, as
// server.db.before-restore-<UTC time>), stages the backup beside it and migrates it to this build's
// schema, moves its change sequence 2^32 past both logs' ends (so no laptop's pull position from
// after the backup is ahead of the changes written from now on: they would be skipped otherwise),
// then writes it into the live database with the backup API in one step (a running service waits,
// then reads the restored data; it never sees half of it), and adds the backup's attachment files.
// Changes and enrolments that reached the server after the backup was taken are not on the
// restored server (they stay on the laptops; a laptop enrolled since must be enrolled again).
//
// Threads: each call is self-contained. Failure: Status with a stable code; a failed restore leaves
// the live database as it was (it is only written in the last step, in one go).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "outpost/core/status.h"

namespace outpost::os {
class FileLock;
}

namespace outpost::sync {

struct BackupSummary {
    std::string server_id;
    int schema_version = 0;
    std::int64_t records = 0;
    std::int64_t changes = 0;
    std::int64_t blob_files = 0;
    std::int64_t bytes = 0;  // database and attachment bytes written
};

[[nodiscard]] Result<BackupSummary> backup_sqlite_data_dir(const std::filesystem::path& data,
                                                           const std::filesystem::path& out);
[[nodiscard]] Result<BackupSummary> restore_sqlite_data_dir(const std::filesystem::path& backup,
                                                            const std::filesystem::path& data);

// What a restore into PostgreSQL did (restore_pg_database in outpost/sync/pg_storage.h).
struct PgRestoreSummary {
    std::int64_t live_end = 0;      // the last seq handed out before the restore
    std::int64_t restored_end = 0;  // the last seq in the dump
    std::int64_t next_seq = 0;      // the first seq the restored server gives out
};

// An exclusive advisory lock (flock) on <data>/serve.lock, held by `outpost-server serve` for as
// long as it runs, so that two servers never share one SQLite data directory; released when the
// object is destroyed or the process ends.
class DataDirLock {
public:
    // errc::kServerDataDirInUse when another process holds it.
    [[nodiscard]] static Result<std::unique_ptr<DataDirLock>> acquire(const std::filesystem::path& data);
    ~DataDirLock();
    DataDirLock(const DataDirLock&) = delete;
    DataDirLock& operator=(const DataDirLock&) = delete;

private:
    explicit DataDirLock(std::unique_ptr<os::FileLock> lock);
    std::unique_ptr<os::FileLock> m_lock;
};

}  // namespace outpost::sync
