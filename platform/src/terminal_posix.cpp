#include <sodium.h>
#include <termios.h>
#include <unistd.h>

#include <iostream>

#include "outpost/core/error_codes.h"
#include "outpost/platform/terminal.h"

namespace outpost::platform {
namespace {

// Standard input's terminal settings, when it is a terminal.
bool terminal_settings(termios& out) {
    return isatty(STDIN_FILENO) != 0 && tcgetattr(STDIN_FILENO, &out) == 0;
}

}  // namespace

bool stdin_is_terminal() {
    termios settings{};
    return terminal_settings(settings);
}

Result<std::string> read_secret_line(std::string_view prompt) {
    std::cerr << prompt;
    termios old{};
    const bool tty = terminal_settings(old);
    if (tty) {
        termios quiet = old;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    std::string line;
    std::getline(std::cin, line);
    const bool failed = std::cin.bad();
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSANOW, &old);
        std::cerr << "\n";
    }
    if (failed) {
        sodium_memzero(line.data(), line.size());
        return Status::error(errc::kIo, "cannot read standard input");
    }
    return line;
}

}  // namespace outpost::platform
