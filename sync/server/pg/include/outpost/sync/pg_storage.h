// The PostgreSQL back end of ServerStorage, in its own library (outpost_sync_server_pg, the only one
// that links libpq): link outpost::sync_server_pg to use it.
//
// `conninfo` is a libpq connection string or postgresql:// URL. init creates the schema in a
// database that has none (server.database.exists if it has one); open migrates an initialised one
// forward (under an advisory lock, so several processes may start at once) and keeps a pool of
// `pool_size` connections, each with its own prepared statements. Several processes may open one
// database: pushes are serialised across them by a transaction-level advisory lock, inside which
// change seqs are taken, so the log only ever grows at its end in commit order and a pull never
// skips a late commit (docs/PROTOCOL.md, "Late commits").
//
// restore_pg_database puts a `pg_dump --format=custom` file back into the database, with
// `pg_restore --clean --if-exists --single-transaction` (so a failed restore leaves the database as
// it was), then moves the change sequence 2^32 past both the live log's end (read before the
// restore) and the restored one's, with a marker row at the new end, as the SQLite restore does: no
// seq a laptop may already hold is given out again. The service must be stopped: every open storage
// holds a lock that the restore takes (server.restore.busy otherwise); a service started meanwhile
// waits for the restore to end. Needs pg_restore on PATH (postgresql-client).
//
// Threads: the storage is safe to call from any thread (ServerStorage); init and restore are
// self-contained. Failure: Status with a stable code; server.data_dir.invalid when the database
// cannot be reached or holds no Outpost schema.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "outpost/core/status.h"
#include "outpost/sync/backup.h"
#include "outpost/sync/server_storage.h"
#include "outpost/sync/storage_factory.h"

namespace outpost::sync {

// Current version of the PostgreSQL schema (its version 1 holds SQLite's 6).
inline constexpr int kPgServerSchemaVersion = 6;

[[nodiscard]] Status init_pg_database(const std::string& conninfo);
[[nodiscard]] Result<std::unique_ptr<ServerStorage>> open_pg_storage(const std::string& conninfo, int pool_size = 8);
[[nodiscard]] Result<PgRestoreSummary> restore_pg_database(const std::string& conninfo,
                                                           const std::filesystem::path& dump);

// The three above as a StorageFactory, for an executable to hand the administration commands.
[[nodiscard]] StorageFactory pg_storage_factory();

}  // namespace outpost::sync
