// The site policy: settings IT fixes for every profile on a laptop, in client.json in the machine's
// configuration folder (/etc/outpost on Linux, %ProgramData%\Outpost on Windows).
// Every key is optional:
//
//   {"server_url": "https://outpost.example.org:8443",  // enrolment only with this server
//    "server_cert_sha256": "<64 hex>",                   // ... and only with this certificate pinned
//    "max_auto_lock_minutes": 10,                        // Settings cannot choose longer (1..120)
//    "export_allowed": false,                            // no saving attachments out of the store
//    "min_passphrase_length": 12,                        // raises the built-in 8 (8..256)
//    "require_recovery_code": true}                      // a recovery code for every profile, no skip
//
// A file that is not valid JSON, has an unknown key, a wrong type or a value out of range is an
// error naming the file and the key (policy.file.invalid): the client refuses to run rather than
// fall back to defaults. A missing file is the default policy (nothing fixed).
//
// Threads: pure functions and a value type. Failure: Status, never an exception.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "outpost/client/words.h"
#include "outpost/core/status.h"
#include "outpost/sync/provisioning.h"

namespace outpost::client {

// Where the site policy is read from when no --policy names another file.
[[nodiscard]] std::filesystem::path default_policy_path();

struct SitePolicy {
    std::string source;              // the file it was read from; empty when there is none
    std::string server_url;          // empty: any server a provisioning file names
    std::string server_cert_sha256;  // lowercase hex; empty: any pinned certificate
    int max_auto_lock_minutes = 0;   // 0: no limit beyond the built-in 120
    bool export_allowed = true;
    std::size_t min_passphrase_length = kMinPassphrase;
    int max_days_offline = 0;            // 0: off; else a profile not synced for longer syncs before it opens
    bool require_recovery_code = false;  // every profile keeps a recovery code: no "Skip" (recovery.h)

    // The auto-lock minutes to use when the worker chose `chosen`.
    [[nodiscard]] int auto_lock_minutes(int chosen) const;
};

[[nodiscard]] Result<SitePolicy> parse_site_policy(std::string_view json_text, std::string_view source);
// The default policy when `path` does not exist.
[[nodiscard]] Result<SitePolicy> load_site_policy(const std::filesystem::path& path);

// Whether a provisioning file read from disk may be used: sync.provisioning.unsigned when it carries
// no server signature (every file `outpost-server provision` writes is signed; the signature itself
// is checked at enrolment against the key the server gives over the pinned connection, profile.h);
// policy.server.locked when it names another server or another certificate than the policy.
[[nodiscard]] Status check_provisioning(const SitePolicy& policy, const sync::Provisioning& prov);

}  // namespace outpost::client
