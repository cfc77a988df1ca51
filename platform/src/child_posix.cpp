// POSIX implementation of outpost/platform/child_process.h.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "outpost/platform/child_process.h"

extern char** environ;

namespace outpost::os {

struct ChildProcess::Impl {
    pid_t pid = -1;
    int output = -1;
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
    if (m_impl->output >= 0) {
        ::close(m_impl->output);
    }
}

std::error_code ChildProcess::start(const std::vector<std::string>& argv, const Options& options,
                                    std::unique_ptr<ChildProcess>& out) {
    if (argv.empty()) {
        return std::make_error_code(std::errc::invalid_argument);
    }
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
        return {errno, std::generic_category()};
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    if (options.merge_stderr) {
        posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
    }
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    std::vector<char*> args;
    args.reserve(argv.size() + 1);
    for (const std::string& a : argv) {
        args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    pid_t pid = -1;
    const int rc = options.search_path ? ::posix_spawnp(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ)
                                       : ::posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    if (rc != 0) {
        ::close(fds[0]);
        return {rc, std::generic_category()};
    }
    auto impl = std::make_unique<Impl>();
    impl->pid = pid;
    impl->output = fds[0];
    out.reset(new ChildProcess(std::move(impl)));
    return {};
}

std::size_t ChildProcess::read(void* buffer, std::size_t size) {
    for (;;) {
        const ssize_t n = ::read(m_impl->output, buffer, size);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        return n > 0 ? static_cast<std::size_t>(n) : 0;
    }
}

void ChildProcess::kill() {
    if (!m_impl->waited) {
        ::kill(m_impl->pid, SIGKILL);
    }
}

ChildProcess::Exit ChildProcess::wait() {
    if (m_impl->waited) {
        return m_impl->exit;
    }
    int status = 0;
    while (::waitpid(m_impl->pid, &status, 0) < 0 && errno == EINTR) {
    }
    m_impl->waited = true;
    if (WIFSIGNALED(status)) {
        m_impl->exit = {true, WTERMSIG(status)};
    } else {
        m_impl->exit = {false, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
    }
    return m_impl->exit;
}

std::vector<std::string> arguments(int argc, char** argv) {
    return {argv, argv + argc};
}

std::error_code write_standard_output(std::span<const std::uint8_t> bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(STDOUT_FILENO, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return {errno, std::generic_category()};
        }
        done += static_cast<std::size_t>(n);
    }
    return {};
}

void exit_now(int code) {
    ::_exit(code);
}

}  // namespace outpost::os
