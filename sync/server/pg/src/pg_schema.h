// The PostgreSQL back end's schema: versioned migrations, applied under an advisory lock (so several
// processes may start at once), and the advisory lock keys the back end uses.
//
// Internal to outpost_sync_server_pg. Threads: the caller's connection. Failure: the failed
// statement's Status; server.database.exists / server.data_dir.invalid as migrate() says.
#pragma once

#include <cstdint>

#include "outpost/core/status.h"
#include "pg_connection.h"

namespace outpost::sync::pg {

// Advisory lock keys: Outpost's own numbers. 0x7f07 is the seq allocator's lock, and
// (1 << 62) | schema tag << 40 | seq an in-flight push: both are written in migration 2's functions.
inline constexpr std::int64_t kMigrateLock = 0x7f05;
inline constexpr std::int64_t kTeamLockClass = 0x7f08;  // pg_advisory_xact_lock(class, hashtext(team))
inline constexpr std::int64_t kFormsLock = 0x7f09;      // publishing forms (pg_forms.cpp)

// Brings the schema to kPgServerSchemaVersion in one transaction. `create` makes the schema's
// identity row in a database that has none (server.database.exists when it has one); otherwise the
// row must be there (server.data_dir.invalid), at a version this build understands.
[[nodiscard]] Status migrate(Conn& c, bool create);

}  // namespace outpost::sync::pg
