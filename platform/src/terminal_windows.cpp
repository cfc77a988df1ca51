// Windows implementation of outpost/platform/terminal.h: the console's echo is switched off with
// SetConsoleMode, and the line is read as UTF-16 (ReadConsoleW) so any letter typed arrives whole.
// clang-format off: <windows.h> first, the other Windows headers need its definitions.
#include <windows.h>
// clang-format on
#include <sodium.h>

#include <iostream>

#include "outpost/core/error_codes.h"
#include "outpost/platform/terminal.h"
#include "outpost/platform/utf8.h"

namespace outpost::platform {
namespace {

bool console_mode(HANDLE in, DWORD& mode) {
    return in != INVALID_HANDLE_VALUE && ::GetFileType(in) == FILE_TYPE_CHAR && ::GetConsoleMode(in, &mode) != 0;
}

}  // namespace

bool stdin_is_terminal() {
    DWORD mode = 0;
    return console_mode(::GetStdHandle(STD_INPUT_HANDLE), mode);
}

Result<std::string> read_secret_line(std::string_view prompt) {
    std::cerr << prompt << std::flush;
    HANDLE in = ::GetStdHandle(STD_INPUT_HANDLE);
    DWORD old = 0;
    if (!console_mode(in, old)) {
        std::string line;  // a pipe or a file: read as it is
        std::getline(std::cin, line);
        if (std::cin.bad()) {
            sodium_memzero(line.data(), line.size());
            return Status::error(errc::kIo, "cannot read standard input");
        }
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        return line;
    }
    ::SetConsoleMode(in, (old | ENABLE_LINE_INPUT | ENABLE_PROCESSED_INPUT) & ~static_cast<DWORD>(ENABLE_ECHO_INPUT));
    std::wstring wide;
    bool failed = false;
    for (;;) {
        wchar_t c = 0;
        DWORD got = 0;
        if (!::ReadConsoleW(in, &c, 1, &got, nullptr)) {
            failed = true;
            break;
        }
        if (got == 0 || c == L'\n') {
            break;
        }
        if (c != L'\r') {
            wide += c;
        }
    }
    ::SetConsoleMode(in, old);
    std::cerr << "\n";
    std::string line = os::narrow(wide);
    sodium_memzero(wide.data(), wide.size() * sizeof(wchar_t));
    if (failed) {
        sodium_memzero(line.data(), line.size());
        return Status::error(errc::kIo, "cannot read the console");
    }
    return line;
}

}  // namespace outpost::platform
