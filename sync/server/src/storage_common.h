// Helpers shared by the server's storage back ends (sqlite_storage.cpp, pg_storage.cpp): secrets,
// codes, names, HLC text, and the snapshot's record filter. Internal to outpost_sync_server.
// Threads: pure functions (random_hex and new_enrolment_code read libsodium's CSPRNG, thread-safe).
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

// The PostgreSQL advisory lock every open storage holds shared, and a restore takes exclusively: one
// per schema, so a restore never runs under a live service, and services wait for a restore.
inline constexpr const char* kPgServeLockSql = "hashtextextended('outpost-serve:' || current_schema(), 0)";
// How far a restore moves the change sequence past both logs' ends (backup.cpp, pg_restore.cpp).
inline constexpr std::int64_t kRestoreSeqJump = std::int64_t{1} << 32;

[[nodiscard]] std::string random_hex(std::size_t bytes);
// BLAKE2b-256 of a secret (token or code): all the server ever stores of it.
[[nodiscard]] std::string secret_hash(std::string_view secret);
// Codes are read off paper or a screen: case and dashes do not matter, and I/L/O read as 1/1/0.
[[nodiscard]] std::string normalise_code(std::string_view code);
// 80 random bits as 16 Crockford base32 characters, in four dash-separated groups of four.
[[nodiscard]] std::string new_enrolment_code();
// The one rule for team and user names: a-z, 0-9, '_', '-' and '.', 1 to 64 of them, starting with a
// letter or digit (so never ".", ".." or an option such as "-rf": they name folders and files).
[[nodiscard]] bool valid_name(const std::string& s);
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
