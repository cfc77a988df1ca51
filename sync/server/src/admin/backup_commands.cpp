// backup and restore (backup.h; PostgreSQL's restore through StorageFactory).
#include "admin_common.h"
#include "outpost/sync/admin_commands.h"
#include "outpost/sync/backup.h"
#include "storage_common.h"

namespace outpost::sync {

CommandResult run_backup(const AdminArgs& args, AdminEnv& env) {
    if (!args.effective.db.empty()) {
        return CommandResult::usage_error(
            "backup copies the embedded SQLite database; for PostgreSQL use pg_dump (docs/OPERATIONS.md)");
    }
    if (args.out.empty()) {
        return CommandResult::usage_error("backup needs --out BACKUP_DIR");
    }
    if (args.effective.data.empty()) {
        return CommandResult::usage_error("backup needs --data DIR or --config FILE");
    }
    auto b = backup_sqlite_data_dir(args.effective.data, args.out);
    OUTPOST_TRY(b);
    env.out << "Backed up " << args.effective.data.string() << " to " << args.out.string() << ": " << b->records
            << " records, " << b->changes << " changes, " << b->blob_files << " attachment files, integrity ok\n";
    return CommandResult::ok();
}

CommandResult run_restore(const AdminArgs& args, AdminEnv& env) {
    if (args.from.empty()) {
        return CommandResult::usage_error(args.effective.db.empty()
                                              ? "restore needs --from BACKUP_DIR"
                                              : "restore needs --from DUMP (made by pg_dump --format=custom)");
    }
    if (!args.effective.db.empty()) {
        if (!env.storage.has_pg()) {
            return admin::no_pg_backend();
        }
        auto r = env.storage.restore_pg(args.effective.db, args.from);
        OUTPOST_TRY(r);
        env.out << "Restored " << args.from.string() << ". The log ended at change " << r->live_end
                << " before the restore and at " << r->restored_end << " in the dump; new changes start at "
                << r->next_seq << ", so every laptop receives them.\n"
                << "Start the service again. Laptops keep what they have; changes they sent after the dump was "
                   "taken are not on the server.\n";
        return CommandResult::ok();
    }
    if (args.effective.data.empty()) {
        return CommandResult::usage_error("restore needs --data DIR or --config FILE");
    }
    std::error_code ec;
    const bool had_database = std::filesystem::exists(args.effective.data / storage::kSqliteDbName, ec);
    auto r = restore_sqlite_data_dir(args.from, args.effective.data);
    OUTPOST_TRY(r);
    env.out << "Restored " << args.from.string() << " into " << args.effective.data.string() << ": " << r->records
            << " records, " << r->changes << " changes, " << r->blob_files << " attachment files."
            << (had_database ? " The previous database is kept beside it as server.db.before-restore-*." : "")
            << "\nLaptops keep what they have; changes they sent after the backup was taken are not on the "
               "server, and laptops enrolled since must be enrolled again.\n";
    return CommandResult::ok();
}

}  // namespace outpost::sync
