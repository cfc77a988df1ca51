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
inline constexpr std::string_view kDiskFull = "core.disk.full";
inline constexpr std::string_view kJsonInvalid = "core.json.invalid";
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
inline constexpr std::string_view kStoreRecordCorrupt = "store.record.corrupt";
inline constexpr std::string_view kStoreSchemaTooNew = "store.schema.too_new";
// records
inline constexpr std::string_view kRecordClockAhead = "record.clock.ahead";
inline constexpr std::string_view kRecordClockInvalid = "record.clock.invalid";
inline constexpr std::string_view kRecordSchemaInvalid = "record.schema.invalid";
inline constexpr std::string_view kRecordInvalid = "record.validation.failed";
inline constexpr std::string_view kRecordNotFound = "record.lookup.not_found";
inline constexpr std::string_view kRecordReadOnly = "record.read_only";  // another team's (the practice library)
inline constexpr std::string_view kRecordTypeUnknown = "record.type.unknown";
inline constexpr std::string_view kFieldRequired = "record.field.required";
inline constexpr std::string_view kFieldTooLong = "record.field.too_long";
inline constexpr std::string_view kFieldTooShort = "record.field.too_short";
inline constexpr std::string_view kFieldOutOfRange = "record.field.out_of_range";
inline constexpr std::string_view kFieldNotAChoice = "record.field.not_a_choice";
inline constexpr std::string_view kFieldPattern = "record.field.pattern_mismatch";
inline constexpr std::string_view kFieldWrongKind = "record.field.wrong_kind";
inline constexpr std::string_view kFieldNotEditable = "record.field.not_editable";
inline constexpr std::string_view kFieldUnknown = "record.field.unknown";
inline constexpr std::string_view kFieldRetired = "record.field.retired";
inline constexpr std::string_view kFieldBadDate = "record.field.bad_date";
inline constexpr std::string_view kFieldBadLocation = "record.field.bad_location";
inline constexpr std::string_view kFieldBadLink = "record.field.bad_link";
inline constexpr std::string_view kFieldTransition = "record.field.transition";
// form logic (records/expr.h, records/logic.h)
inline constexpr std::string_view kFormExpressionInvalid = "form.expression.invalid";
inline constexpr std::string_view kFieldConstraint = "record.field.constraint";
inline constexpr std::string_view kFieldNotRelevant = "record.field.not_relevant";
// attachments (blob_store.h, the server's blob store)
inline constexpr std::string_view kBlobTooLarge = "blob.file.too_large";
inline constexpr std::string_view kBlobMissing = "blob.lookup.missing";
inline constexpr std::string_view kBlobHashMismatch = "blob.verify.hash_mismatch";
inline constexpr std::string_view kBlobChunkMismatch = "blob.verify.chunk_mismatch";
inline constexpr std::string_view kBlobOutOfOrder = "blob.upload.out_of_order";
// form import: XLSForm workbooks (sync/server, outpost/sync/xlsform.h)
inline constexpr std::string_view kXlsformBadZip = "form.xlsform.bad_zip";
inline constexpr std::string_view kXlsformBadXml = "form.xlsform.bad_xml";
inline constexpr std::string_view kXlsformMissingSheet = "form.xlsform.missing_sheet";
inline constexpr std::string_view kXlsformTooLarge = "form.xlsform.too_large";
inline constexpr std::string_view kXlsformUnsupported = "form.xlsform.unsupported";
// platform
inline constexpr std::string_view kPlatformNoHome = "platform.dirs.no_home";
// sync / protocol
inline constexpr std::string_view kProtocolMalformed = "sync.protocol.malformed";
inline constexpr std::string_view kSyncNetworkUnreachable = "sync.network.unreachable";
inline constexpr std::string_view kSyncServerError = "sync.server.error";
// The server answered 503: its disk is full or failing (it keeps the server's own code in the message).
inline constexpr std::string_view kSyncServerUnavailable = "sync.server.unavailable";
inline constexpr std::string_view kSyncNotFound = "sync.route.not_found";
inline constexpr std::string_view kEnrolCodeInvalid = "sync.enroll.code_invalid";
inline constexpr std::string_view kEnrolCodeExpired = "sync.enroll.code_expired";
inline constexpr std::string_view kEnrolCodeUsed = "sync.enroll.code_used";
inline constexpr std::string_view kAuthMissing = "sync.auth.missing";
inline constexpr std::string_view kAuthInvalid = "sync.auth.invalid";
inline constexpr std::string_view kAuthRevoked = "sync.auth.revoked";
inline constexpr std::string_view kAuthExpired = "sync.auth.expired";
inline constexpr std::string_view kAuthDisabled = "sync.auth.disabled";
inline constexpr std::string_view kAuthWiped = "sync.auth.wiped";
inline constexpr std::string_view kProfileTampered = "sync.profile.tampered";
inline constexpr std::string_view kProfileWiped = "sync.profile.wiped";
inline constexpr std::string_view kProfileOfflineTooLong = "sync.profile.offline_too_long";
inline constexpr std::string_view kProvisioningUnsigned = "sync.provisioning.unsigned";
inline constexpr std::string_view kProvisioningSignature = "sync.provisioning.signature_invalid";
inline constexpr std::string_view kRecoveryRequired = "policy.recovery_code.required";
inline constexpr std::string_view kEscrowKeyInvalid = "store.escrow.key_invalid";
inline constexpr std::string_view kEscrowOpenFailed = "store.escrow.open_failed";
inline constexpr std::string_view kAccountDisabled = "server.account.disabled";
inline constexpr std::string_view kAccountInvalid = "server.account.invalid";
inline constexpr std::string_view kAccountExists = "server.account.exists";
inline constexpr std::string_view kAccountMissing = "server.account.not_found";
inline constexpr std::string_view kSyncBatchTooLarge = "sync.push.batch_too_large";
inline constexpr std::string_view kSyncValueTooLarge = "sync.push.value_too_large";
inline constexpr std::string_view kSyncBodyTooLarge = "sync.request.too_large";
inline constexpr std::string_view kSyncScopeForbidden = "sync.scope.forbidden";
inline constexpr std::string_view kSyncDeviceMismatch = "sync.auth.device_mismatch";
inline constexpr std::string_view kSyncRecordMismatch = "sync.record.mismatch";
inline constexpr std::string_view kSyncCursorInvalid = "sync.pull.cursor_invalid";
inline constexpr std::string_view kSyncSchemasInvalid = "sync.schemas.invalid";
inline constexpr std::string_view kSyncAnswerTooLarge = "sync.answer.too_large";
inline constexpr std::string_view kSyncPullValueTooLarge = "sync.pull.value_too_large";
inline constexpr std::string_view kSyncNotEnrolled = "sync.profile.not_enrolled";
inline constexpr std::string_view kSyncPinMismatch = "sync.tls.pin_mismatch";
// server
inline constexpr std::string_view kServerConfigInvalid = "server.config.invalid";
inline constexpr std::string_view kServerPlainHttpRefused = "server.tls.required";
inline constexpr std::string_view kServerBindFailed = "server.listen.failed";
inline constexpr std::string_view kServerDataDirInvalid = "server.data_dir.invalid";
inline constexpr std::string_view kServerDataDirInUse = "server.data_dir.in_use";
inline constexpr std::string_view kServerOutputExists = "server.output.exists";
inline constexpr std::string_view kServerDatabaseExists = "server.database.exists";
inline constexpr std::string_view kServerRateLimited = "server.rate.limited";
inline constexpr std::string_view kServerRequestTooSlow = "server.request.too_slow";
inline constexpr std::string_view kServerHeadTooLarge = "server.request.head_too_large";
inline constexpr std::string_view kServerLengthRequired = "server.request.length_required";
inline constexpr std::string_view kServerRangeUnsatisfiable = "server.request.range";
inline constexpr std::string_view kPolicyInvalid = "policy.file.invalid";
inline constexpr std::string_view kPolicyServerLocked = "policy.server.locked";
inline constexpr std::string_view kPolicyExportForbidden = "policy.export.forbidden";
inline constexpr std::string_view kServerBackupInvalid = "server.backup.invalid";
inline constexpr std::string_view kServerListInvalid = "server.list.invalid";
inline constexpr std::string_view kServerDatabaseUnavailable = "server.database.unavailable";
inline constexpr std::string_view kEnrolMismatch = "sync.enroll.mismatch";
inline constexpr std::string_view kDeviceAlreadyRevoked = "server.device.already_revoked";
inline constexpr std::string_view kServerRestoreBusy = "server.restore.busy";
inline constexpr std::string_view kServerRestoreFailed = "server.restore.failed";
// forms library: publishing forms on the server (outpost/sync/form_library.h)
inline constexpr std::string_view kFormPublishIncompatible = "form.publish.incompatible";
inline constexpr std::string_view kFormNotFound = "form.lookup.not_found";
inline constexpr std::string_view kPlatformFileExists = "platform.file.exists";
inline constexpr std::string_view kPlatformProcessFailed = "platform.process.failed";

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
