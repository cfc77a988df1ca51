// POSIX only: forked children for the sync crash tests (tests/integration/sync_client), whose child
// runs the parent's own lambdas (a server connection, a profile). Every other crash test starts a
// fresh child in a role instead (child_process.h), which runs on Windows too; these remain until the
// sync crash tests move over.
#pragma once

#include <doctest/doctest.h>
#include <unistd.h>

#include <functional>

namespace outpost::testing {

// A forked child and the read end of the pipe it reports on (the parent closes it).
struct ForkedChild {
    pid_t pid = -1;
    int reports = -1;
};

// Forks. The child runs body(write end of the pipe) and must end with _exit; the parent gets the
// child's pid and the pipe's read end.
inline ForkedChild fork_child(const std::function<void(int)>& body) {
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        try {
            body(fds[1]);
        } catch (...) {
            // A failed REQUIRE in the child throws: it must not unwind into doctest (which would go on
            // running tests in the child, and whose temporary folders' destructors would delete the
            // parent's files). The parent sees exit code 98.
            _exit(98);
        }
        _exit(99);  // body must not return
    }
    close(fds[1]);
    return {pid, fds[0]};
}

// Forks a child running body(ready), which writes one byte on `ready` when the part worth killing
// begins; returns the child's pid once that byte has arrived.
inline pid_t fork_until_ready(const std::function<void(int)>& body) {
    const ForkedChild c = fork_child(body);
    char byte = 0;
    const ssize_t n = read(c.reports, &byte, 1);
    close(c.reports);
    REQUIRE(n == 1);
    return c.pid;
}

}  // namespace outpost::testing
