// Headless client commands, for IT staff, scripts and tests (no window, no ImGui):
//   outpost enroll --profile P --provision FILE   create a profile and enrol it with the server
//   outpost sync --headless --profile P           sync once, printing progress and a summary
//   outpost sync --headless --provision FILE      the same, enrolling a profile from FILE first if it
//                                                 has none yet (named after the file's user by default)
//   outpost status --profile P [--list]           what the profile holds and what waits to be sent
// Both honour the site policy (site_policy.h): the server it locks, its minimum passphrase length.
// The passphrase comes from --passphrase-file, else $OUTPOST_PASSPHRASE, else the terminal.
#pragma once

#include <string>

#include "outpost/client/site_policy.h"

namespace outpost::client {

struct CliArgs {
    std::string profile;
    std::string provision;
    std::string passphrase_file;
    std::string data_dir;  // overrides the per-OS data directory (profiles live in <data_dir>/profiles)
    std::string device_name;
    std::string display_name;  // enroll --name: the person's name as shown (else the profile's)
    bool headless = false;
    bool list = false;  // status --list: each case's form and title
    SitePolicy policy;
};

// Process exit codes: 0 done, 1 failed (message on stderr), 2 usage.
[[nodiscard]] int run_enroll(const CliArgs& args);
[[nodiscard]] int run_sync(const CliArgs& args);
// What a profile holds, without a server: cases by form, ideas, unsaved forms (drafts), changes
// waiting to send; with --list, one line per case (form, a tab, its title).
[[nodiscard]] int run_status(const CliArgs& args);

}  // namespace outpost::client
