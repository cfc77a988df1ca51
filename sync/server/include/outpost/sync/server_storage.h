// ServerStorage: the one interface behind which the central service keeps its data. The first back
// end is embedded SQLite in the data directory; a PostgreSQL back end implements the same interface.
//
// Threads: implementations are safe to call from the server's request threads concurrently.
// Failure: every call returns a Status with a stable code; nothing throws.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "outpost/core/status.h"

namespace outpost::sync {

struct ServerIdentity {
    std::string server_id;  // random, fixed at init
    int schema_version = 0;
    std::int64_t created_ms = 0;
};

class ServerStorage {
public:
    virtual ~ServerStorage() = default;
    [[nodiscard]] virtual Result<ServerIdentity> identity() = 0;
};

// Current version of the server's storage schema.
inline constexpr int kServerSchemaVersion = 1;

// Creates a new data directory with an empty SQLite database. Fails with errc::kStoreFileExists if
// one is already there (init never overwrites data).
[[nodiscard]] Status init_sqlite_data_dir(const std::filesystem::path& dir);

// Opens the SQLite storage in an initialised data directory (errc::kServerDataDirInvalid if not).
[[nodiscard]] Result<std::unique_ptr<ServerStorage>> open_sqlite_storage(const std::filesystem::path& dir);

}  // namespace outpost::sync
