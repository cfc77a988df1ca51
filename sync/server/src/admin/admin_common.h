// What several administration commands share: files written new (server.output.exists when one is
// there), text from outside made safe for a terminal, times as printed, and the provisioning file's
// server part. Internal to outpost_sync_server (admin_commands.h has the commands).
//
// Threads: no shared state. Failure: Status with a stable code.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "outpost/core/status.h"
#include "outpost/sync/admin_commands.h"
#include "outpost/sync/provisioning.h"
#include "outpost/sync/server_storage.h"

namespace outpost::sync::admin {

// platform::write_new_file (a new file, 0600, never over a file or through a link), with "already
// there" as the server's own code, server.output.exists.
[[nodiscard]] Status write_new_file(const std::filesystem::path& path, std::string_view text);

// Text from outside for a terminal or a tab-separated listing: control characters and backslashes as
// \xNN, so nothing can fake a row or send escapes to the administrator's terminal.
[[nodiscard]] std::string printable(std::string_view text);

// A time as the commands print it: UTC, to the minute.
[[nodiscard]] std::string utc_text(std::int64_t ms);

// The server URL and the certificate laptops will pin, as provisioning files carry them.
// server.config.invalid when the certificate cannot be read, or an https:// URL has none.
[[nodiscard]] Result<Provisioning> provisioning_base(const AdminArgs& args);

// A provisioning file, signed with the server's key (provisioning.h): new, readable by its owner only.
[[nodiscard]] Status write_provisioning(const std::filesystem::path& path, Provisioning prov, const SigningKey& key);

// The escrow public key in `path` (desk.pub: 64 hex digits, whitespace around them ignored), as
// lowercase hex; store.escrow.key_invalid when the file holds anything else.
[[nodiscard]] Result<std::string> read_escrow_public_key(const std::filesystem::path& path);

// server.config.invalid: a --db command in a program built without the PostgreSQL back end.
[[nodiscard]] Status no_pg_backend();

// A code's lifetime from --ttl-days.
[[nodiscard]] inline std::int64_t ttl_ms(const AdminArgs& args) {
    return static_cast<std::int64_t>(args.ttl_days) * 86'400'000;
}

}  // namespace outpost::sync::admin
