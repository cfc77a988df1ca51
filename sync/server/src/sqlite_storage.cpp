#include <sodium.h>
#include <sqlite3.h>

#include <chrono>
#include <mutex>

#include "outpost/core/error_codes.h"
#include "outpost/sync/server_storage.h"

namespace outpost::sync {
namespace fs = std::filesystem;
namespace {

constexpr const char* kDbName = "server.db";

Status sql_error(sqlite3* db, const std::string& what) {
    return Status::error(errc::kStoreSql, what + ": " + (db != nullptr ? sqlite3_errmsg(db) : "out of memory"));
}

std::string random_id() {
    if (sodium_init() < 0) {
        return "unknown";
    }
    unsigned char raw[16];
    randombytes_buf(raw, sizeof raw);
    char hex[sizeof raw * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
    return hex;
}

class SqliteStorage final : public ServerStorage {
public:
    explicit SqliteStorage(sqlite3* db) : m_db(db) {}
    ~SqliteStorage() override { sqlite3_close_v2(m_db); }
    SqliteStorage(const SqliteStorage&) = delete;
    SqliteStorage& operator=(const SqliteStorage&) = delete;

    Result<ServerIdentity> identity() override {
        std::lock_guard lock(m_mutex);
        sqlite3_stmt* stmt = nullptr;
        const char* sql = "SELECT server_id, schema_version, created_ms FROM meta LIMIT 1";
        if (sqlite3_prepare_v2(m_db, sql, -1, &stmt, nullptr) != SQLITE_OK) {
            return sql_error(m_db, "reading server identity");
        }
        ServerIdentity id;
        int rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW) {
            id.server_id = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
            id.schema_version = sqlite3_column_int(stmt, 1);
            id.created_ms = sqlite3_column_int64(stmt, 2);
        }
        sqlite3_finalize(stmt);
        if (rc != SQLITE_ROW) {
            return Status::error(errc::kServerDataDirInvalid, "server database has no identity row");
        }
        return id;
    }

private:
    std::mutex m_mutex;
    sqlite3* m_db;
};

}  // namespace

Status init_sqlite_data_dir(const fs::path& dir) {
    std::error_code ec;
    if (fs::exists(dir / kDbName, ec)) {
        return Status::error(errc::kStoreFileExists, "a server database already exists in " + dir.string());
    }
    fs::create_directories(dir, ec);
    if (ec) {
        return Status::error(errc::kIo, "cannot create " + dir.string() + ": " + ec.message());
    }
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
    sqlite3* db = nullptr;
    const std::string path = (dir / kDbName).string();
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
        Status s = sql_error(db, "creating " + path);
        sqlite3_close_v2(db);
        return s;
    }
    const std::int64_t now =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    const std::string sql =
        "PRAGMA journal_mode=WAL;"
        "BEGIN;"
        "CREATE TABLE meta(server_id TEXT NOT NULL, schema_version INTEGER NOT NULL,"
        " created_ms INTEGER NOT NULL);"
        "INSERT INTO meta VALUES('" +
        random_id() + "', " + std::to_string(kServerSchemaVersion) + ", " + std::to_string(now) +
        ");"
        "COMMIT;";
    char* err = nullptr;
    int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    Status s = Status::ok();
    if (rc != SQLITE_OK) {
        s = Status::error(errc::kStoreSql, std::string("initialising server database: ") + (err ? err : "?"));
    }
    sqlite3_free(err);
    sqlite3_close_v2(db);
    return s;
}

Result<std::unique_ptr<ServerStorage>> open_sqlite_storage(const fs::path& dir) {
    const std::string path = (dir / kDbName).string();
    std::error_code ec;
    if (!fs::exists(path, ec)) {
        return Status::error(errc::kServerDataDirInvalid,
                             "no server database in " + dir.string() + " (run 'outpost-server init --data DIR')");
    }
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr) != SQLITE_OK) {
        Status s = sql_error(db, "opening " + path);
        sqlite3_close_v2(db);
        return s;
    }
    sqlite3_busy_timeout(db, 5000);
    auto storage = std::make_unique<SqliteStorage>(db);
    Result<ServerIdentity> id = storage->identity();
    if (!id.is_ok()) {
        return id.status();
    }
    if (id->schema_version > kServerSchemaVersion) {
        return Status::error(
            errc::kServerDataDirInvalid,
            "server database schema " + std::to_string(id->schema_version) + " is newer than this build understands");
    }
    return std::unique_ptr<ServerStorage>(std::move(storage));
}

}  // namespace outpost::sync
