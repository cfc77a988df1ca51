// The terminal: a secret (a passphrase) typed at it is read without being shown.
//
// Threads: standard input is one per process; read it from one thread at a time.
// Failure: core.io.failed when standard input cannot be read. Its end is not a failure: the line read
// is then what came before it (possibly nothing).
#pragma once

#include <string>
#include <string_view>

#include "outpost/core/status.h"

namespace outpost::platform {

// Whether standard input is a terminal a person types at (not a pipe or a file).
[[nodiscard]] bool stdin_is_terminal();

// Writes `prompt` to standard error and reads one line from standard input, without its end of line.
// At a terminal the typing is not shown (its echo is off until the line ends, then put back as it
// was) and a new line is written to standard error after it, since the Enter pressed was not shown
// either. From a pipe or a file the line is read as it is. The caller wipes the secret once used.
[[nodiscard]] Result<std::string> read_secret_line(std::string_view prompt);

}  // namespace outpost::platform
