#include "outpost/core/error_codes.h"

#include <array>

namespace outpost::errc {
namespace {

constexpr std::array kCodes = {
    CodeInfo{kInternal, "Something went wrong inside Outpost. Your saved work is safe; please report this."},
    CodeInfo{kInvalidArgument, "Outpost was asked to do something it cannot do with these details."},
    CodeInfo{kIo, "The laptop could not read or write a file. Check that the disk is not full."},
    CodeInfo{kDiskFull,
             "The disk is full, so this was not saved. Everything saved before is safe. Free some space, "
             "then try again."},
    CodeInfo{kJsonInvalid, "A settings or form file is not written correctly. Ask IT to check it."},
    CodeInfo{kBlobTooLarge,
             "This file is too big to attach. Make it smaller (a photo at a lower size, a PDF "
             "without images) or ask IT about the limit."},
    CodeInfo{kBlobMissing, "This attachment is not on this laptop yet. It downloads at the next sync."},
    CodeInfo{kBlobHashMismatch, "An attachment arrived damaged and was thrown away. It will be fetched again."},
    CodeInfo{kBlobChunkMismatch, "Part of an attachment was damaged on the way. That part is sent again."},
    CodeInfo{kBlobOutOfOrder, "Part of an attachment arrived out of order. The transfer starts again from there."},
    CodeInfo{kXlsformBadZip,
             "That file is not a readable Excel workbook (.xlsx): it is damaged, cut short or another kind of "
             "file. Save the form again from the spreadsheet program as .xlsx and import that."},
    CodeInfo{kXlsformBadXml,
             "Part of that workbook is damaged, so it cannot be read. Open it in the spreadsheet program, save it "
             "again as .xlsx and import that."},
    CodeInfo{kXlsformMissingSheet,
             "The workbook has no sheet named \"survey\". An XLSForm keeps its questions on a sheet with that "
             "name; rename the sheet and import again."},
    CodeInfo{kXlsformTooLarge,
             "That workbook is larger than a form can be (too many rows, or a cell with too much text). The "
             "message says which; make it smaller and import again."},
    CodeInfo{kXlsformUnsupported,
             "The form uses something Outpost cannot do yet, or has a mistake. The message names every cell "
             "(sheet, column and row) and what is wrong there; fix them all and import again. Nothing was "
             "imported."},
    CodeInfo{kStorePassphraseWrong, "That passphrase is not right. Check Caps Lock and try again."},
    CodeInfo{
        kStorePassphraseWeak,
        "Choose a longer passphrase: at least 8 characters, or more if IT has set it; a short sentence works well."},
    CodeInfo{kStoreKeyfileMissing,
             "The key file that unlocks this profile is missing. Restore it from backup or ask IT for help."},
    CodeInfo{kStoreKeyfileCorrupt,
             "The key file for this profile is damaged. Restore it from backup or ask IT for help."},
    CodeInfo{kStoreKeyfileMismatch,
             "The key file belongs to a different profile. Put the right key file next to the database."},
    CodeInfo{kStorePageTampered,
             "Part of the local database has been changed outside Outpost or damaged. Ask IT for help before "
             "doing anything else."},
    CodeInfo{kStoreFileTruncated, "The local database is shorter than it should be; part of it is missing. Ask IT."},
    CodeInfo{kStoreFileNotOutpost, "This file is not an Outpost database."},
    CodeInfo{kStoreFileExists, "A profile already exists here."},
    CodeInfo{kStoreFileMissing, "There is no profile at this location."},
    CodeInfo{kStoreLocked, "Outpost is locked. Unlock it with your passphrase to continue."},
    CodeInfo{kStoreSql, "The local database could not complete the request. Your saved work is safe."},
    CodeInfo{kStoreRecoveryWrong, "That recovery code is not right. Check it against the printed sheet."},
    CodeInfo{kStoreRecordCorrupt,
             "A saved record could not be read back. Your other records are safe; please report this to IT."},
    CodeInfo{kStoreSchemaTooNew,
             "This profile was saved by a newer version of Outpost. Ask IT to install that version on this "
             "laptop; nothing was changed."},
    CodeInfo{kRecordClockAhead,
             "A change came from a device whose clock is more than a day ahead. Ask its owner to fix the date "
             "and time, then sync again."},
    CodeInfo{kRecordClockInvalid, "A change carried a timestamp Outpost cannot read."},
    CodeInfo{kRecordSchemaInvalid, "A form definition is not valid, so it cannot be used. Ask IT to check the form."},
    CodeInfo{kRecordInvalid, "Some answers need attention before this can be saved. Nothing was saved yet."},
    CodeInfo{kRecordNotFound, "That record could not be found. It may have been deleted."},
    CodeInfo{kRecordTypeUnknown, "This laptop does not have that form yet. Sync to get the latest forms."},
    CodeInfo{kFieldRequired, "This question must be answered."},
    CodeInfo{kFieldTooLong, "This answer is too long."},
    CodeInfo{kFieldTooShort, "This answer is too short."},
    CodeInfo{kFieldOutOfRange, "This number is outside the allowed range."},
    CodeInfo{kFieldNotAChoice, "Pick one of the listed options."},
    CodeInfo{kFieldPattern, "This answer is not in the expected format."},
    CodeInfo{kFieldWrongKind, "This answer is the wrong kind of value for the question."},
    CodeInfo{kFieldNotEditable, "Your role cannot change this answer."},
    CodeInfo{kFieldUnknown, "This form has no such question. Sync to get the latest forms."},
    CodeInfo{kFieldRetired, "This question is no longer used and cannot be changed."},
    CodeInfo{kFieldBadDate, "Enter a real date (and time), for example 2026-11-23."},
    CodeInfo{kFieldBadLocation, "This location is not valid."},
    CodeInfo{kFieldBadLink, "This must point to another record."},
    CodeInfo{kFieldTransition,
             "That step is not allowed from where this stands now (for example, a suggestion is "
             "reviewed before it is accepted). Sync to see its latest state, then try again."},
    CodeInfo{kFormExpressionInvalid,
             "A form's rule (shown when, required when, a check or a calculation) is not written correctly. Ask IT to "
             "check the form."},
    CodeInfo{kFieldConstraint, "This answer does not pass the form's check."},
    CodeInfo{kFieldNotRelevant, "This question is not asked for this record, so it must be left empty."},
    CodeInfo{kPlatformNoHome, "Outpost cannot find your home folder to keep its data in."},
    CodeInfo{kProtocolMalformed, "The server and this laptop did not understand each other. Try again later."},
    CodeInfo{kSyncNetworkUnreachable,
             "Cannot reach the server. Your work is kept and will be sent when you are online."},
    CodeInfo{kSyncServerError, "The server had a problem. Your work is kept and will be sent later."},
    CodeInfo{kSyncServerUnavailable,
             "The server cannot save changes just now. Your work is kept on this laptop and is sent at the next "
             "sync; if this lasts, tell IT."},
    CodeInfo{kSyncNotFound, "The server does not offer this. It may need an update."},
    CodeInfo{kEnrolCodeInvalid, "That enrolment code is not right. Check it, or ask IT for a new provisioning file."},
    CodeInfo{kEnrolCodeExpired,
             "That enrolment code has expired, or IT has issued a newer one for this person. Use the newest "
             "provisioning file, or ask IT for a new one."},
    CodeInfo{kEnrolCodeUsed, "That enrolment code was already used. Each code works once; ask IT for a new one."},
    CodeInfo{kAuthMissing, "This laptop is not signed in to the server. Enrol it with a provisioning file."},
    CodeInfo{kAuthInvalid, "The server does not recognise this laptop. Enrol it again with a new provisioning file."},
    CodeInfo{kAuthRevoked,
             "This laptop has been signed out by IT (for example, reported lost). Your local work is kept; ask IT."},
    CodeInfo{kAuthExpired,
             "This laptop's sign-in to the server has expired (it had not synced for a long time). Your local "
             "work is kept; ask IT for a new provisioning file and enrol again."},
    CodeInfo{kAuthDisabled,
             "Your account has been disabled by IT. Your local work is kept on this laptop; speak to IT or your "
             "team lead."},
    CodeInfo{kAuthWiped, "IT has asked for this laptop's data to be removed (for example, it was reported lost)."},
    CodeInfo{kProfileTampered,
             "This profile's server settings were changed outside Outpost, so sync is stopped. Ask IT to check "
             "this laptop."},
    CodeInfo{kProfileWiped,
             "This profile was removed because IT asked for it (for example, the laptop was reported lost)."},
    CodeInfo{kProfileOfflineTooLong,
             "This laptop has not synced for too long. Connect to the network and unlock again to sync first."},
    CodeInfo{kProvisioningUnsigned,
             "This provisioning file is not signed by the server. Ask IT for a new one from outpost-server."},
    CodeInfo{kProvisioningSignature,
             "This provisioning file was not signed by this server, or was changed after it was made. Ask IT "
             "for a new one."},
    CodeInfo{kRecoveryRequired, "Your organisation requires a recovery code for every profile."},
    CodeInfo{kEscrowKeyInvalid, "That service desk key file is not valid."},
    CodeInfo{kEscrowOpenFailed, "That service desk key does not open this laptop's sealed recovery code."},
    CodeInfo{kAccountDisabled, "That user is disabled."},
    CodeInfo{kAccountInvalid, "That team, user or role name is not valid."},
    CodeInfo{kAccountExists, "That team or user already exists."},
    CodeInfo{kAccountMissing, "That team, user or device does not exist."},
    CodeInfo{kSyncBatchTooLarge, "Too many changes were sent at once. Outpost will send them in smaller batches."},
    CodeInfo{kSyncValueTooLarge,
             "One answer is too large to send. Shorten it, or attach it as a file instead; everything else still "
             "syncs."},
    CodeInfo{kSyncBodyTooLarge, "Too much was sent at once. Outpost will send it in smaller parts."},
    CodeInfo{kSyncScopeForbidden,
             "You cannot change this record or answer: it belongs to another team, or only a team lead may "
             "change it. Your copy is kept and marked."},
    CodeInfo{kSyncDeviceMismatch,
             "This laptop's sign-in does not match the changes it sent. Ask IT to enrol it again."},
    CodeInfo{kSyncRecordMismatch,
             "This change does not match the record on the server (a different form or team). It is kept and "
             "marked."},
    CodeInfo{kSyncSchemasInvalid,
             "The server sent forms this Outpost cannot read, so the forms this laptop had are kept. Your cases "
             "still sync. Tell IT: a newer Outpost may be needed, or the server's forms need fixing."},
    CodeInfo{kSyncAnswerTooLarge,
             "The server's answer was far larger than any Outpost server sends, so it was not read. Your work is "
             "kept on this laptop. Tell IT: the server or something between it and this laptop is not right."},
    CodeInfo{kSyncPullValueTooLarge,
             "A change from the server was larger than Outpost accepts, so that change was not taken. Tell IT."},
    CodeInfo{kSyncCursorInvalid, "The server did not recognise where this laptop left off. Outpost will start again."},
    CodeInfo{kSyncNotEnrolled, "This profile is not connected to a server yet. Enrol it with a provisioning file."},
    CodeInfo{kSyncPinMismatch,
             "The server's certificate is not the one this laptop was set up to trust. Do not continue; ask IT."},
    CodeInfo{kServerConfigInvalid, "The server settings are not valid."},
    CodeInfo{kServerPlainHttpRefused,
             "The server refuses to listen without encryption on a network address. Give it a certificate, or "
             "listen on 127.0.0.1."},
    CodeInfo{kServerBindFailed, "The server could not listen on that address or port."},
    CodeInfo{kServerDataDirInvalid, "The server's data folder is missing or not set up. Run 'outpost-server init'."},
    CodeInfo{kServerDataDirInUse,
             "A running outpost-server is using that data folder. Stop it first (systemctl stop outpost-server)."},
    CodeInfo{kServerOutputExists,
             "That file or folder already exists, and Outpost never overwrites it. Choose a new one."},
    CodeInfo{kServerDatabaseExists,
             "That database already holds an Outpost server, and init never overwrites one. Use it as it is, or "
             "choose an empty database."},
    CodeInfo{kServerRateLimited,
             "This laptop sent the server more requests than it accepts in a short time. Outpost will try again in "
             "a moment."},
    CodeInfo{kServerRequestTooSlow,
             "The connection to the server was too slow to send this in time. Outpost will try again; if it keeps "
             "happening, try from a better connection."},
    CodeInfo{kServerHeadTooLarge,
             "The request's headers were larger than the server accepts. This is not something Outpost sends; "
             "check any proxy between the laptop and the server."},
    CodeInfo{kServerLengthRequired,
             "The request's body must be sent with its length (Content-Length), once, and not in chunks."},
    CodeInfo{kServerRangeUnsatisfiable,
             "The part of the file asked for is not in it, or more than one part was asked for at once."},
    CodeInfo{kPolicyInvalid,
             "This laptop's Outpost settings from IT (the site policy) are not valid, so Outpost will not start. "
             "Ask IT to fix the file named above."},
    CodeInfo{kPolicyServerLocked,
             "This laptop may only be enrolled with your organisation's own server. Ask IT for the right file."},
    CodeInfo{kPolicyExportForbidden, "Your organisation does not allow saving files out of Outpost on this laptop."},
    CodeInfo{kServerBackupInvalid,
             "That backup cannot be restored: it is incomplete, damaged or from a newer version. Nothing was "
             "changed."},
    CodeInfo{kServerListInvalid,
             "The list of people could not be used. The message names the line and what is wrong there; fix it "
             "in the spreadsheet and run provision again. Nothing was added or written."},
    CodeInfo{kServerDatabaseUnavailable,
             "The server cannot reach its database right now. Your changes are kept on this laptop and sent "
             "when it can; if this lasts, tell IT."},
    CodeInfo{kEnrolMismatch,
             "That provisioning file is for another person or team than this profile. Use the file IT made for "
             "this profile's person, or create a new profile with it."},
    CodeInfo{kDeviceAlreadyRevoked, "That device was already revoked; nothing changed."},
    CodeInfo{kServerRestoreBusy,
             "The database is in use by a running Outpost service. Stop every outpost-server serve process "
             "that uses it, then restore again."},
    CodeInfo{kServerRestoreFailed, "The restore did not finish; the database was left as it was before it."},
    CodeInfo{kFormPublishIncompatible,
             "This form would make records already collected unreadable: it drops a question, or changes the kind "
             "of answer a question takes. Keep every question, and mark the ones no longer asked \"retired\": true."},
    CodeInfo{kFormNotFound, "The server has no form of that name. 'outpost-server forms list' shows the forms it has."},
    CodeInfo{kPlatformFileExists, "A file is already there, and Outpost never writes over one. Choose a new name."},
    CodeInfo{kPlatformProcessFailed, "A program Outpost needs could not be started. Check that it is installed."},
};

}  // namespace

std::span<const CodeInfo> all_codes() {
    return kCodes;
}

std::string_view explain(std::string_view code) {
    for (const CodeInfo& info : kCodes) {
        if (info.code == code) {
            return info.explanation;
        }
    }
    return "Something unexpected happened. Your saved work is safe.";
}

bool is_well_formed(std::string_view code) {
    int segments = 1;
    bool segment_empty = true;
    for (char c : code) {
        if (c == '.') {
            if (segment_empty) {
                return false;
            }
            ++segments;
            segment_empty = true;
        } else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_') {
            segment_empty = false;
        } else {
            return false;
        }
    }
    return !segment_empty && segments >= 3;
}

}  // namespace outpost::errc
