// StorageFactory: how the administration commands (admin_commands.h) reach the storage back ends.
// The embedded SQLite back end is part of outpost_sync_server and always there. PostgreSQL is in its
// own library, outpost_sync_server_pg (the only one that links libpq), and reaches the commands only
// through the entries below, which an executable that links it fills in (pg_storage_factory(),
// outpost/sync/pg_storage.h). Without them a --db command fails with server.config.invalid.
//
// Threads: a value; its entries are as thread-safe as the functions they hold. Failure: Status.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "outpost/core/status.h"
#include "outpost/sync/backup.h"
#include "outpost/sync/server_storage.h"

namespace outpost::sync {

struct StorageFactory {
    std::function<Status(const std::string& conninfo)> init_pg;
    std::function<Result<std::unique_ptr<ServerStorage>>(const std::string& conninfo, int pool_size)> open_pg;
    std::function<Result<PgRestoreSummary>(const std::string& conninfo, const std::filesystem::path& dump)> restore_pg;

    [[nodiscard]] bool has_pg() const { return init_pg && open_pg && restore_pg; }
};

}  // namespace outpost::sync
