// Headless client commands, for IT staff, scripts and tests (no window, no ImGui):
//   outpost enroll --profile P --provision FILE   create a profile and enrol it with the server
//   outpost sync --headless --profile P           sync once, printing progress and a summary
// The passphrase comes from --passphrase-file, else $OUTPOST_PASSPHRASE, else the terminal.
#pragma once

#include <string>

namespace outpost::ui {

struct CliArgs {
    std::string profile;
    std::string provision;
    std::string passphrase_file;
    std::string data_dir;  // overrides the per-OS data directory (profiles live in <data_dir>/profiles)
    std::string device_name;
    bool headless = false;
};

// Process exit codes: 0 done, 1 failed (message on stderr), 2 usage.
[[nodiscard]] int run_enroll(const CliArgs& args);
[[nodiscard]] int run_sync(const CliArgs& args);

}  // namespace outpost::ui
