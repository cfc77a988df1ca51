// The terminal (platform/terminal.h), without one: standard input is a pipe here, as it is for a
// script that hands the client its passphrase.
#include "outpost/platform/terminal.h"

#include <doctest/doctest.h>

#include <string>

#if defined(_WIN32)
#include <fcntl.h>
#include <io.h>
#else
#include <unistd.h>
#endif

namespace {

// The C runtime's file descriptors, the same calls on both OSes. On Windows, _dup2 onto descriptor 0
// also makes the new pipe the process's standard-input handle, which the terminal code asks about.
#if defined(_WIN32)
int open_pipe(int fds[2]) {
    return ::_pipe(fds, 65536, _O_BINARY);
}
long write_fd(int fd, const std::string& text) {
    return ::_write(fd, text.data(), static_cast<unsigned>(text.size()));
}
int dup_fd(int fd) {
    return ::_dup(fd);
}
int dup2_fd(int from, int to) {
    return ::_dup2(from, to) == 0 ? to : -1;
}
int close_fd(int fd) {
    return ::_close(fd);
}
constexpr int kStdin = 0;
#else
int open_pipe(int fds[2]) {
    return ::pipe(fds);
}
long write_fd(int fd, const std::string& text) {
    return static_cast<long>(::write(fd, text.data(), text.size()));
}
int dup_fd(int fd) {
    return ::dup(fd);
}
int dup2_fd(int from, int to) {
    return ::dup2(from, to);
}
int close_fd(int fd) {
    return ::close(fd);
}
constexpr int kStdin = STDIN_FILENO;
#endif

// Standard input reads from a pipe holding `text` while this lives; put back afterwards.
class PipedStdin {
public:
    explicit PipedStdin(const std::string& text) {
        int fds[2] = {-1, -1};
        REQUIRE(open_pipe(fds) == 0);
        REQUIRE(write_fd(fds[1], text) == static_cast<long>(text.size()));
        close_fd(fds[1]);
        m_saved = dup_fd(kStdin);
        REQUIRE(m_saved >= 0);
        REQUIRE(dup2_fd(fds[0], kStdin) == kStdin);
        close_fd(fds[0]);
    }
    ~PipedStdin() {
        dup2_fd(m_saved, kStdin);
        close_fd(m_saved);
    }
    PipedStdin(const PipedStdin&) = delete;
    PipedStdin& operator=(const PipedStdin&) = delete;

private:
    int m_saved = -1;
};

}  // namespace

TEST_CASE("Terminal: a secret read from a pipe comes back line by line, without the end of line") {
    PipedStdin in("correct horse battery staple\nthe same again\n");
    CHECK_FALSE(outpost::platform::stdin_is_terminal());
    outpost::Result<std::string> first = outpost::platform::read_secret_line("Passphrase: ");
    REQUIRE(first.is_ok());
    CHECK(*first == "correct horse battery staple");
    outpost::Result<std::string> second = outpost::platform::read_secret_line("The same passphrase again: ");
    REQUIRE(second.is_ok());
    CHECK(*second == "the same again");
    // The end of the input is not a failure: the line is what came before it, here nothing.
    outpost::Result<std::string> after = outpost::platform::read_secret_line("Passphrase: ");
    REQUIRE(after.is_ok());
    CHECK(after->empty());
}
