#include "outpost/core/store/schema_steps.h"

#include <sqlite3.h>

#include <string>

#include "outpost/core/error_codes.h"
#include "outpost/core/store.h"
#include "outpost/core/store/transaction.h"

namespace outpost {

namespace {

std::string key_of(std::string_view component) {
    return "schema." + std::string(component);
}

}  // namespace

Result<int> schema_version(Store& store, std::string_view component) {
    OUTPOST_TRY(
        store.exec("CREATE TABLE IF NOT EXISTS outpost_store_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) "
                   "WITHOUT ROWID"));
    sqlite3_stmt* st = nullptr;
    int rc =
        sqlite3_prepare_v2(store.handle(), "SELECT value FROM outpost_store_meta WHERE key = ?1", -1, &st, nullptr);
    if (rc != SQLITE_OK) {
        return store.sql_status(rc, "reading the schema version");
    }
    const std::string key = key_of(component);
    sqlite3_bind_text(st, 1, key.data(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
    int version = 0;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char* text = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
        const std::string value = text ? text : "";
        if (value.empty() || value.size() > 6 || value.find_first_not_of("0123456789") != std::string::npos) {
            sqlite3_finalize(st);
            return Status::error(errc::kStoreRecordCorrupt,
                                 "the " + std::string(component) + " schema version is not a number: '" + value + "'");
        }
        version = std::stoi(value);
    } else if (rc != SQLITE_DONE) {
        sqlite3_finalize(st);
        return store.sql_status(rc, "reading the schema version");
    }
    sqlite3_finalize(st);
    return version;
}

Status migrate_schema(Store& store, std::string_view component, const std::vector<SchemaStep>& steps) {
    for (std::size_t i = 0; i < steps.size(); ++i) {
        if (steps[i].version != static_cast<int>(i) + 1) {
            return Status::error(errc::kInternal, "schema steps of " + std::string(component) + " are out of order");
        }
    }
    auto current = schema_version(store, component);
    OUTPOST_TRY(current);
    const int latest = static_cast<int>(steps.size());
    if (*current > latest) {
        return Status::error(errc::kStoreSchemaTooNew, "this profile's " + std::string(component) +
                                                           " data is at schema version " + std::to_string(*current) +
                                                           ", newer than this build's " + std::to_string(latest));
    }
    for (int v = *current + 1; v <= latest; ++v) {
        Result<Transaction> txn = Transaction::begin(store);
        OUTPOST_TRY(txn);
        Status s = steps[static_cast<std::size_t>(v - 1)].apply(store);
        if (s.is_ok()) {
            s = store.exec("INSERT OR REPLACE INTO outpost_store_meta(key, value) VALUES('" + key_of(component) +
                           "', '" + std::to_string(v) + "')");
        }
        OUTPOST_TRY(txn->finish(std::move(s)));
    }
    return Status::ok();
}

}  // namespace outpost
