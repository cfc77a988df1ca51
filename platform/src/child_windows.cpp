// Windows implementation of outpost/platform/child_process.h.
// clang-format off: <windows.h> first, the other Windows headers need its definitions.
#include <windows.h>
// clang-format on
#include <shellapi.h>

#include "outpost/platform/child_process.h"
#include "outpost/platform/utf8.h"

namespace outpost::os {
namespace {

// The exit code TerminateProcess gives a child ended by kill().
constexpr UINT kKilledCode = 0xDEAD;

std::error_code last_error() {
    return {static_cast<int>(::GetLastError()), std::system_category()};
}

// One argument quoted the way CommandLineToArgvW and the C runtime read it back.
void append_quoted(std::wstring& line, const std::wstring& arg) {
    if (!arg.empty() && arg.find_first_of(L" \t\n\v\"") == std::wstring::npos) {
        line += arg;
        return;
    }
    line += L'"';
    for (auto it = arg.begin();; ++it) {
        std::size_t slashes = 0;
        while (it != arg.end() && *it == L'\\') {
            ++it;
            ++slashes;
        }
        if (it == arg.end()) {
            line.append(slashes * 2, L'\\');
            break;
        }
        if (*it == L'"') {
            line.append(slashes * 2 + 1, L'\\');
        } else {
            line.append(slashes, L'\\');
        }
        line += *it;
    }
    line += L'"';
}

}  // namespace

struct ChildProcess::Impl {
    HANDLE process = nullptr;
    HANDLE output = nullptr;
    bool killed = false;
    bool waited = false;
    Exit exit;
};

ChildProcess::ChildProcess(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {
}

ChildProcess::~ChildProcess() {
    if (!m_impl->waited) {
        kill();
        (void)wait();
    }
    ::CloseHandle(m_impl->output);
    ::CloseHandle(m_impl->process);
}

std::error_code ChildProcess::start(const std::vector<std::string>& argv, const Options& options,
                                    std::unique_ptr<ChildProcess>& out) {
    if (argv.empty()) {
        return std::make_error_code(std::errc::invalid_argument);
    }
    SECURITY_ATTRIBUTES inherit{sizeof(SECURITY_ATTRIBUTES), nullptr, TRUE};
    HANDLE read_end = nullptr;
    HANDLE write_end = nullptr;
    if (!::CreatePipe(&read_end, &write_end, &inherit, 0)) {
        return last_error();
    }
    ::SetHandleInformation(read_end, HANDLE_FLAG_INHERIT, 0);
    HANDLE nul =
        ::CreateFileW(L"NUL", GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE, &inherit, OPEN_EXISTING, 0, nullptr);
    std::wstring line;
    for (std::size_t i = 0; i < argv.size(); ++i) {
        if (i > 0) {
            line += L' ';
        }
        append_quoted(line, widen(argv[i]));
    }
    std::wstring program = widen(argv[0]);
    STARTUPINFOW si{};
    si.cb = sizeof si;
    si.dwFlags = STARTF_USESTDHANDLES;
    si.hStdInput = nul;
    si.hStdOutput = write_end;
    si.hStdError = options.merge_stderr ? write_end : ::GetStdHandle(STD_ERROR_HANDLE);
    PROCESS_INFORMATION pi{};
    const BOOL ok = ::CreateProcessW(options.search_path ? nullptr : program.c_str(), line.data(), nullptr, nullptr,
                                     TRUE, CREATE_NO_WINDOW, nullptr, nullptr, &si, &pi);
    const std::error_code ec = ok ? std::error_code() : last_error();
    ::CloseHandle(write_end);
    if (nul != INVALID_HANDLE_VALUE) {
        ::CloseHandle(nul);
    }
    if (!ok) {
        ::CloseHandle(read_end);
        return ec;
    }
    ::CloseHandle(pi.hThread);
    auto impl = std::make_unique<Impl>();
    impl->process = pi.hProcess;
    impl->output = read_end;
    out.reset(new ChildProcess(std::move(impl)));
    return {};
}

std::size_t ChildProcess::read(void* buffer, std::size_t size) {
    DWORD got = 0;
    const DWORD want = static_cast<DWORD>(size > (1U << 30U) ? (1U << 30U) : size);
    if (!::ReadFile(m_impl->output, buffer, want, &got, nullptr)) {
        return 0;  // ERROR_BROKEN_PIPE: the child ended and everything was read
    }
    return got;
}

void ChildProcess::kill() {
    if (!m_impl->waited && ::TerminateProcess(m_impl->process, kKilledCode)) {
        m_impl->killed = true;
    }
}

ChildProcess::Exit ChildProcess::wait() {
    if (m_impl->waited) {
        return m_impl->exit;
    }
    ::WaitForSingleObject(m_impl->process, INFINITE);
    DWORD code = 0;
    ::GetExitCodeProcess(m_impl->process, &code);
    m_impl->waited = true;
    m_impl->exit = {m_impl->killed && code == kKilledCode, static_cast<int>(code)};
    return m_impl->exit;
}

std::vector<std::string> arguments(int argc, char** argv) {
    int n = 0;
    LPWSTR* wide = ::CommandLineToArgvW(::GetCommandLineW(), &n);
    if (wide == nullptr) {
        return {argv, argv + argc};
    }
    std::vector<std::string> out;
    out.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        out.push_back(narrow(wide[i]));
    }
    ::LocalFree(wide);
    return out;
}

std::error_code write_standard_output(std::span<const std::uint8_t> bytes) {
    HANDLE h = ::GetStdHandle(STD_OUTPUT_HANDLE);
    std::size_t done = 0;
    while (done < bytes.size()) {
        DWORD wrote = 0;
        if (!::WriteFile(h, bytes.data() + done, static_cast<DWORD>(bytes.size() - done), &wrote, nullptr) ||
            wrote == 0) {
            return last_error();
        }
        done += wrote;
    }
    return {};
}

void exit_now(int code) {
    ::TerminateProcess(::GetCurrentProcess(), static_cast<UINT>(code));
    ::ExitProcess(static_cast<UINT>(code));
}

}  // namespace outpost::os
