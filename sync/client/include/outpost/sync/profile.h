// Profiles: one per person on a laptop, each a folder under the app's data directory:
//   <root>/<name>/outpost.db (+ .key)  the encrypted store (records, outbox, enrolment token)
//   <root>/<name>/profile.json         non-secret facts: server URL, user, team, device id, pin
//   <root>/<name>/server.pem           the server certificate the profile trusts (pinned), if https
// Several profiles can share one laptop. Enrolment creates a profile from a provisioning file.
//
// Threads: functions run on the caller's thread (the unlock/sync worker in the client).
// Failure: Result/Status with stable codes: store.* (passphrase, files), sync.enroll.* from the server,
// sync.tls.pin_mismatch, sync.profile.not_enrolled, core.argument.invalid for a bad profile name.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "outpost/core/records/schema.h"
#include "outpost/core/store.h"
#include "outpost/sync/provisioning.h"
#include "outpost/sync/transport.h"

namespace outpost::sync {

struct ProfileInfo {
    std::string name;          // the folder: [a-z0-9_.-], derived from what the person typed
    std::string display_name;  // as the person typed it ("Lee Jones", "Siân", "محمد"); empty: `name`
    std::string server_url;
    std::string user;
    std::string team;
    std::string role;
    std::string device_id;
    std::string ca_sha256;
};

// <root>/<name>, after checking the name ([a-z0-9_.-], 1..64 characters).
[[nodiscard]] Result<std::filesystem::path> profile_dir(const std::filesystem::path& root, const std::string& name);

// Creates the profile, enrols it with the server named in `provisioning` (trusting only its pinned
// certificate) and keeps the device token inside the encrypted store. On failure nothing is left
// behind, so the worker can simply try again.
[[nodiscard]] Result<ProfileInfo> enrol_profile(const std::filesystem::path& root, const std::string& name,
                                                std::string_view passphrase, const Provisioning& provisioning,
                                                const std::string& device_name, const StoreOptions& options = {},
                                                const std::string& display_name = {});

// Enrols an existing profile again with a new provisioning file (after a server restore, a revoked
// token, a new server certificate): the passphrase must open its store, and the file must be for the
// same person and team (sync.enroll.mismatch otherwise). The store keeps every record, the outbox and
// the pull position; only the device token, the server URL and the pinned certificate change, so the
// changes waiting to be sent go at the next sync. On failure the profile is as it was.
[[nodiscard]] Result<ProfileInfo> reenrol_profile(const std::filesystem::path& root, const std::string& name,
                                                  std::string_view passphrase, const Provisioning& provisioning,
                                                  const std::string& device_name, const StoreOptions& options = {});

// The name a laptop gives itself at enrolment, as IT sees it in `outpost-server device list`: the
// computer's name and the person's ("vm (Ann Okafor)"), so that laptops of one image are told
// apart. Control characters become spaces (the server refuses them); at most 200 bytes.
[[nodiscard]] std::string device_name_for(std::string_view computer, std::string_view person);

[[nodiscard]] Result<ProfileInfo> read_profile_info(const std::filesystem::path& dir);
// The name to show for a profile: as typed at creation, else its folder name.
[[nodiscard]] inline const std::string& shown_name(const ProfileInfo& info) {
    return info.display_name.empty() ? info.name : info.display_name;
}
// A folder name for a profile from what a person typed: lower-case letters and digits of the Latin
// alphabet kept (accents dropped: "Siân Llŷr" -> "sian-llyr"), other runs become one '-'. Empty when
// nothing usable is left (a name written only in another script): the caller picks one.
[[nodiscard]] std::string profile_folder_name(std::string_view typed);
[[nodiscard]] Result<std::unique_ptr<Store>> open_profile_store(const std::filesystem::path& dir,
                                                                std::string_view passphrase,
                                                                const StoreOptions& options = {});
// The server a profile was enrolled with is kept inside its encrypted store as well as in
// profile.json and server.pem, which sit outside it where anyone who can write the disk could point
// them elsewhere. bind_profile keeps the copies (at enrolment, in the caller's transaction);
// check_profile_binding compares them with `info` after unlock (profile_transport checks server.pem
// against info's pin): sync.profile.tampered on a mismatch. A store from before the copies takes
// the files' values as they are now, and is covered from then on.
[[nodiscard]] Status bind_profile(Store& store, const std::string& server_url, const std::string& ca_sha256);
[[nodiscard]] Status check_profile_binding(Store& store, const ProfileInfo& info);

// The notice a wiped profile's folder keeps (wipe_profile); enrol_profile takes it away.
inline constexpr const char* kWipeNoticeFile = "wiped.json";

// A profile removed because IT asked for it (`outpost-server device revoke ID --wipe`): what the
// unlock screen says about it.
struct WipeNotice {
    std::int64_t at_ms = 0;
};
// Destroys a profile: first wiped.json (the notice), then the key file (both keyslots) overwritten
// with random bytes, flushed and deleted, so the store can never be opened again even if the rest
// stays; then every other file of the folder (store, journal, WAL, certificate, recovery.sealed)
// but profile.json, which holds no secret and no record and keeps the profile listed. Files still open elsewhere may
// stay on Windows: call it again once the store is closed. Idempotent. Failure: io.* when the key file cannot be
// overwritten.
[[nodiscard]] Status wipe_profile(const std::filesystem::path& dir, std::int64_t now_ms);
// The notice of a wiped profile; none for any other folder.
[[nodiscard]] std::optional<WipeNotice> read_wipe_notice(const std::filesystem::path& dir);
// sync.profile.wiped (with the date) for a wiped profile; ok for any other.
[[nodiscard]] Status check_not_wiped(const std::filesystem::path& dir);

// What an unlocked profile's sync may use: the transport to its server (profile_transport), or,
// when profile.json or server.pem disagree with the copies in the store or with the pin
// (check_profile_binding), a transport that refuses every request and the reason as `blocked`
// (sync.profile.tampered), for SyncOptions::blocked: the profile still opens for offline work.
struct ProfileLink {
    std::unique_ptr<Transport> transport;
    Status blocked = Status::ok();
};
[[nodiscard]] Result<ProfileLink> open_profile_link(const std::filesystem::path& dir, const ProfileInfo& info,
                                                    Store& store);

// A transport to the profile's server that trusts only the pinned certificate.
[[nodiscard]] Result<std::unique_ptr<Transport>> profile_transport(const std::filesystem::path& dir,
                                                                   const ProfileInfo& info);
// The forms this laptop uses: the readable set kept at the last sync (form_rollout.h: per type the
// newest version this build reads), or the bundled forms before the first sync. Never fails for a
// form this build cannot read; profile_forms() also gives the notices about such forms.
[[nodiscard]] Result<std::vector<records::Schema>> profile_schemas(Store& store);

}  // namespace outpost::sync
