// `outpost-server serve` in a child process, for tests and benchmarks that need real separate
// server processes (late commits, server_load). Its URL is read from the line it prints when
// listening; its request log goes to `log`. SIGTERM and a wait on destruction.
// Failure: `ok()` is false (with `error`) when the process did not start listening.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

namespace outpost::testing {

class ServerProcess {
public:
    // `args` follow "serve", e.g. {"--db", conninfo, "--data", dir}; "--listen 127.0.0.1:0" is added.
    ServerProcess(const std::string& binary, std::vector<std::string> args, const std::filesystem::path& log) {
        int fds[2];
        if (pipe(fds) != 0) {
            error = "pipe failed";
            return;
        }
        args.insert(args.begin(), "serve");
        args.insert(args.begin(), binary);
        args.emplace_back("--listen");
        args.emplace_back("127.0.0.1:0");
        std::vector<char*> argv;
        for (std::string& a : args) {
            argv.push_back(a.data());
        }
        argv.push_back(nullptr);
        m_pid = fork();
        if (m_pid == 0) {
            dup2(fds[1], STDOUT_FILENO);
            close(fds[0]);
            const int err = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
            if (err >= 0) {
                dup2(err, STDERR_FILENO);
            }
            execv(binary.c_str(), argv.data());
            _exit(127);
        }
        close(fds[1]);
        std::string out;
        char ch = 0;
        while (m_pid > 0 && read(fds[0], &ch, 1) == 1 && ch != '\n') {
            out.push_back(ch);
        }
        close(fds[0]);
        const auto at = out.find("http://");
        if (at == std::string::npos) {
            error = "the server did not start: " + out;
            return;
        }
        url = out.substr(at, out.find(',', at) - at);
    }
    ~ServerProcess() {
        if (m_pid > 0) {
            kill(m_pid, SIGTERM);
            int status = 0;
            waitpid(m_pid, &status, 0);
        }
    }
    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;
    [[nodiscard]] bool ok() const { return !url.empty(); }

    std::string url;
    std::string error;

private:
    pid_t m_pid = -1;
};

}  // namespace outpost::testing
