// Process hardening for the client, which holds decrypted records in memory.
// Call once at start-up from the main thread.
#pragma once

#include <cstdint>
#include <ctime>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "outpost/core/status.h"

namespace outpost::platform {

// Disables core dumps (Linux/macOS: RLIMIT_CORE = 0 and, on Linux, PR_SET_DUMPABLE = 0), so a crash
// never writes decrypted memory to disk. On Windows: a crash ends the process before Windows Error
// Reporting runs (an unhandled-exception filter), with no fault dialog, and the program is excluded
// from WER for the user where Windows allows it.
[[nodiscard]] Status disable_core_dumps();

// From now on, SIGTERM, SIGINT and SIGHUP (a logout, a shutdown, Ctrl+C) only set a flag that
// termination_requested() reads, so the client can save its drafts, lock its store and close its
// window itself. On Windows: the console's close and Ctrl+C events.
void handle_termination_signals();
[[nodiscard]] bool termination_requested();

// CPU time this process has used so far (every thread, user and system), in milliseconds.
[[nodiscard]] double process_cpu_ms();

// The calendar time of `ms` (since the Unix epoch) in the computer's time zone.
[[nodiscard]] std::tm local_time(std::int64_t ms);

// This process's id (for names of files only this process writes).
[[nodiscard]] long process_id();

// Creates `path` readable by its owner alone (0600) and writes `text` to it, flushed to the disk.
// Never writes over a file or through a symbolic link: platform.file.exists when anything is there;
// core.io.failed for any other failure.
[[nodiscard]] Status write_new_file(const std::filesystem::path& path, std::string_view text);

// This computer's name as the system knows it (the host name; on Windows, GetComputerNameW), or
// "laptop" when it has none.
[[nodiscard]] std::string computer_name();

// Runs a program found on PATH with `argv` (argv[0] is its name), without a shell, and waits for it.
// Its standard output and standard error together are returned (up to 1 MiB; the rest is dropped),
// with its exit status (128 + the signal when a signal ended it). Failure: platform.process.failed
// when it could not be started at all (not installed, not executable).
struct ProgramResult {
    int exit_code = 0;
    std::string output;
};
[[nodiscard]] Result<ProgramResult> run_program(const std::vector<std::string>& argv);

// True when core dumps are currently disabled for this process (RLIMIT_CORE soft limit is 0; on
// Windows, once disable_core_dumps has run).
[[nodiscard]] bool core_dumps_disabled();

}  // namespace outpost::platform
