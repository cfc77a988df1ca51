// Another program run by this one: started from its arguments (no shell), its standard output (and
// standard error, unless asked not to) on one pipe this process reads, ended at once when asked (SIGKILL on POSIX,
// TerminateProcess on Windows), and waited for. The crash tests kill such children mid-transaction;
// platform::run_program runs tools through it.
//
// Also here: this process's own arguments and standard output, as the child side of that pipe sees
// them (UTF-8 on every OS; on Windows from the wide command line, in binary mode).
//
// Part of outpost_platform_os (below core): failures are std::error_code values. One implementation
// per OS (src/child_posix.cpp, src/child_windows.cpp).
// Threads: one thread uses a ChildProcess at a time. Ownership: the destructor kills a child still
// running and waits for it, so none is ever left behind.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <system_error>
#include <vector>

namespace outpost::os {

class ChildProcess {
public:
    struct Exit {
        bool killed = false;  // ended by kill() (or, on POSIX, by any signal)
        int code = 0;         // its exit status when it ended itself; the signal's number when killed on POSIX
    };

    struct Options {
        bool search_path = false;  // argv[0] is a name looked up on PATH, not a path
        bool merge_stderr = true;  // its standard error on the pipe too (else this process's own)
    };
    // Starts argv[0] with argv[1...], its standard input empty. The arguments are UTF-8.
    [[nodiscard]] static std::error_code start(const std::vector<std::string>& argv, const Options& options,
                                               std::unique_ptr<ChildProcess>& out);
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    // Reads up to `size` bytes of what it wrote, waiting until there is some; 0 once it has closed
    // its output (ended) and everything was read.
    [[nodiscard]] std::size_t read(void* buffer, std::size_t size);
    // Ends it at once, wherever it is. Harmless when it has already ended.
    void kill();
    // Waits for it to end (once; later calls return the same).
    [[nodiscard]] Exit wait();

private:
    struct Impl;
    explicit ChildProcess(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

// This program's path and arguments in UTF-8 (main's argv on POSIX; on Windows the wide command
// line, since main's argv there is in the ANSI code page and loses letters).
[[nodiscard]] std::vector<std::string> arguments(int argc, char** argv);

// Writes `bytes` to standard output at once (unbuffered, binary), for a parent reading a pipe.
[[nodiscard]] std::error_code write_standard_output(std::span<const std::uint8_t> bytes);

// Ends this process at once with `code`, running no destructors or atexit handlers (a simulated
// crash, or a child that must not unwind into its parent's copy of the state).
[[noreturn]] void exit_now(int code);

}  // namespace outpost::os
