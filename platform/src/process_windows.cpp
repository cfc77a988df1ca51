// Windows parts of outpost/platform/process.h: no crash dumps, console close and Ctrl+C, CPU time,
// the computer's name.

// clang-format off: <windows.h> first, the other Windows headers need its definitions.
#include <windows.h>
// clang-format on
#include <atomic>
#include <cstring>
#include <string>

#include "outpost/core/error_codes.h"
#include "outpost/platform/process.h"
#include "outpost/platform/utf8.h"

namespace outpost::platform {
namespace {

std::atomic<bool> g_terminate{false};
std::atomic<bool> g_no_dumps{false};

// A crash ends the process at once: Windows Error Reporting (which would write a dump of the
// decrypted records when LocalDumps is configured) is never reached.
LONG WINAPI end_without_dump(EXCEPTION_POINTERS* /*info*/) {
    ::TerminateProcess(::GetCurrentProcess(), 0xC0000409);
    return EXCEPTION_EXECUTE_HANDLER;
}

BOOL WINAPI on_console_event(DWORD event) {
    switch (event) {
        case CTRL_C_EVENT:
        case CTRL_BREAK_EVENT:
        case CTRL_CLOSE_EVENT:
        case CTRL_LOGOFF_EVENT:
        case CTRL_SHUTDOWN_EVENT:
            g_terminate.store(true);
            return TRUE;
        default:
            return FALSE;
    }
}

}  // namespace

Status disable_core_dumps() {
    ::SetErrorMode(SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX | SEM_NOOPENFILEERRORBOX);
    ::SetUnhandledExceptionFilter(end_without_dump);
    // Also leave this program out of Windows Error Reporting for the user, in case a crash in a
    // system library bypasses the filter. Best effort: some editions refuse it.
    using ExcludeFn = HRESULT(WINAPI*)(PCWSTR, BOOL);
    if (HMODULE wer = ::LoadLibraryW(L"wer.dll")) {
        if (FARPROC found = ::GetProcAddress(wer, "WerAddExcludedApplication")) {
            ExcludeFn exclude = nullptr;
            static_assert(sizeof exclude == sizeof found);
            std::memcpy(&exclude, &found, sizeof exclude);
            wchar_t exe[MAX_PATH] = {};
            if (::GetModuleFileNameW(nullptr, exe, MAX_PATH) > 0) {
                (void)exclude(exe, FALSE);
            }
        }
    }
    g_no_dumps.store(true);
    return Status::ok();
}

bool core_dumps_disabled() {
    return g_no_dumps.load();
}

void handle_termination_signals() {
    ::SetConsoleCtrlHandler(on_console_event, TRUE);
}

bool termination_requested() {
    return g_terminate.load();
}

double process_cpu_ms() {
    FILETIME created{};
    FILETIME ended{};
    FILETIME kernel{};
    FILETIME user{};
    if (!::GetProcessTimes(::GetCurrentProcess(), &created, &ended, &kernel, &user)) {
        return 0.0;
    }
    auto ticks = [](const FILETIME& f) {
        return static_cast<double>((static_cast<std::uint64_t>(f.dwHighDateTime) << 32U) | f.dwLowDateTime);
    };
    return (ticks(kernel) + ticks(user)) / 1e4;  // 100 ns ticks
}

std::string computer_name() {
    wchar_t name[MAX_COMPUTERNAME_LENGTH + 1] = {};
    DWORD size = MAX_COMPUTERNAME_LENGTH + 1;
    if (!::GetComputerNameW(name, &size) || size == 0) {
        return "laptop";
    }
    return os::narrow(std::wstring_view(name, size));
}

}  // namespace outpost::platform
