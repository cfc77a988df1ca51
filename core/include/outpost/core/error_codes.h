// The single list of stable error codes. A code, once shipped, is never renamed or reused: clients,
// tests and the server's JSON errors depend on it. Format: <module>.<area>.<problem>, lower case,
// segments of [a-z0-9_]. Each code has a plain-language explanation a frontline worker can act on.
//
// Thread-safe: everything here is immutable.
#pragma once

#include <span>
#include <string_view>

namespace outpost::errc {

// core
inline constexpr std::string_view kInternal = "core.internal.error";
inline constexpr std::string_view kInvalidArgument = "core.argument.invalid";
inline constexpr std::string_view kIo = "core.io.failed";
// store
inline constexpr std::string_view kStorePassphraseWrong = "store.passphrase.wrong";
inline constexpr std::string_view kStorePassphraseWeak = "store.passphrase.too_short";
inline constexpr std::string_view kStoreKeyfileMissing = "store.keyfile.missing";
inline constexpr std::string_view kStoreKeyfileCorrupt = "store.keyfile.corrupt";
inline constexpr std::string_view kStoreKeyfileMismatch = "store.keyfile.mismatch";
inline constexpr std::string_view kStorePageTampered = "store.page.tampered";
inline constexpr std::string_view kStoreFileTruncated = "store.file.truncated";
inline constexpr std::string_view kStoreFileNotOutpost = "store.file.not_outpost";
inline constexpr std::string_view kStoreFileExists = "store.file.exists";
inline constexpr std::string_view kStoreFileMissing = "store.file.missing";
inline constexpr std::string_view kStoreLocked = "store.state.locked";
inline constexpr std::string_view kStoreSql = "store.sql.failed";
inline constexpr std::string_view kStoreRecoveryWrong = "store.recovery_code.wrong";
// records
inline constexpr std::string_view kRecordClockAhead = "record.clock.ahead";
inline constexpr std::string_view kRecordClockInvalid = "record.clock.invalid";
// platform
inline constexpr std::string_view kPlatformNoHome = "platform.dirs.no_home";
// sync / protocol
inline constexpr std::string_view kProtocolMalformed = "sync.protocol.malformed";
inline constexpr std::string_view kSyncNetworkUnreachable = "sync.network.unreachable";
inline constexpr std::string_view kSyncServerError = "sync.server.error";
inline constexpr std::string_view kSyncNotFound = "sync.route.not_found";
// server
inline constexpr std::string_view kServerConfigInvalid = "server.config.invalid";
inline constexpr std::string_view kServerPlainHttpRefused = "server.tls.required";
inline constexpr std::string_view kServerBindFailed = "server.listen.failed";
inline constexpr std::string_view kServerDataDirInvalid = "server.data_dir.invalid";

struct CodeInfo {
    std::string_view code;
    // What happened and what to do, in words a worker understands. No jargon, no codes.
    std::string_view explanation;
};

// Every code above, in declaration order.
[[nodiscard]] std::span<const CodeInfo> all_codes();

// The plain-language explanation for `code`, or a generic sentence for an unknown code.
[[nodiscard]] std::string_view explain(std::string_view code);

// True when `code` has the <module>.<area>.<problem> shape.
[[nodiscard]] bool is_well_formed(std::string_view code);

}  // namespace outpost::errc
