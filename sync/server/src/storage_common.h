// What the server's storage back ends share (sqlite_*.cpp, pg/src/): SQLite's errors, the
// PostgreSQL lock a restore takes, random ids, outcome names and HLC text, the snapshot's record
// filter (SnapshotPager) and group commit's waiting room (GroupWriter). The account rules are in
// account_rules.h. Internal to outpost_sync_server and outpost_sync_server_pg.
//
// Threads: the free functions keep no state and may be called from any thread (random_hex reads
// libsodium's CSPRNG, which is thread-safe). A SnapshotPager is a value for one page on one thread.
// A GroupWriter is shared by the request threads: it holds a mutex, and each class says how.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "outpost/core/records/heads.h"
#include "outpost/sync/server_storage.h"

struct sqlite3;

namespace outpost::sync::storage {

// The Status for a failed call on a SQLite connection: SQLite's message, under `what`. A full or
// failing disk keeps its own code (core.disk.full, core.io.failed; the server answers 503), every
// other failure is store.sql.failed. For the SQLite back end and backup/restore.
[[nodiscard]] Status sql_error(sqlite3* db, const std::string& what);

// The embedded SQLite database's file name in a data directory (sqlite_storage, backup, restore).
inline constexpr const char* kSqliteDbName = "server.db";

// The PostgreSQL advisory lock every open storage holds shared, and a restore takes exclusively: one
// per schema, so a restore never runs under a live service, and services wait for a restore.
inline constexpr const char* kPgServeLockSql = "hashtextextended('outpost-serve:' || current_schema(), 0)";
// How far a restore moves the change sequence past both logs' ends (backup.cpp, pg_restore.cpp).
inline constexpr std::int64_t kRestoreSeqJump = std::int64_t{1} << 32;

// `bytes` random bytes as lowercase hex (server ids, device ids, tokens).
[[nodiscard]] std::string random_hex(std::size_t bytes);
[[nodiscard]] std::optional<ChangeOutcome> outcome_from(std::string_view name);
[[nodiscard]] std::string hlc_text(std::int64_t packed);
[[nodiscard]] std::int64_t hlc_value(const std::string& text);

// One record of a snapshot page (ServerStorage::snapshot_page's rules): its versions less those
// `exclude_device` wrote. Returns false when the page is full and this record must wait (sets
// `more`); true otherwise (the record was sent, or skipped because the device holds all of it).
struct SnapshotPager {
    std::string exclude_device;
    int limit = 0;
    std::size_t max_bytes = 0;
    int records = 0;
    std::size_t bytes = 0;
    std::vector<records::VersionView> versions;
    [[nodiscard]] Result<bool> add(std::string_view id, std::string_view type, std::string_view created_by,
                                   std::string_view fields, bool& more,
                                   const std::function<void(const ServerStorage::SnapshotRow&)>& on_row);
};

// Group commit's waiting room. Pushes that arrive while a group is being written wait; the first of
// them then writes every push waiting (at most `max_group`) through `write`, which must set each
// one's result. Bodies therefore run on the writing thread while their callers wait.
// Threads: any; submit() blocks until the caller's own push has been written.
class GroupWriter {
public:
    struct Pending {
        const std::function<Status(SyncTxn&)>* body = nullptr;
        Status result = Status::ok();
        bool done = false;  // guarded by the writer's mutex
    };
    using Write = std::function<void(const std::vector<Pending*>&)>;

    explicit GroupWriter(std::size_t max_group) : m_max_group(max_group) {}
    [[nodiscard]] Status submit(const std::function<Status(SyncTxn&)>& body, const Write& write);

private:
    const std::size_t m_max_group;
    std::mutex m_mutex;
    std::condition_variable m_turn;
    std::vector<Pending*> m_waiting;  // guarded by m_mutex
    bool m_writing = false;           // a thread is writing a group; guarded by m_mutex
};

}  // namespace outpost::sync::storage
