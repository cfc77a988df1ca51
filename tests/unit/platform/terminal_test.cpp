// The terminal (platform/terminal.h), without one: standard input is a pipe here, as it is for a
// script that hands the client its passphrase.
#include "outpost/platform/terminal.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <string>

namespace {

// Standard input reads from a pipe holding `text` while this lives; put back afterwards.
class PipedStdin {
public:
    explicit PipedStdin(const std::string& text) {
        int fds[2] = {-1, -1};
        REQUIRE(pipe(fds) == 0);
        REQUIRE(write(fds[1], text.data(), text.size()) == static_cast<ssize_t>(text.size()));
        close(fds[1]);
        m_saved = dup(STDIN_FILENO);
        REQUIRE(m_saved >= 0);
        REQUIRE(dup2(fds[0], STDIN_FILENO) == STDIN_FILENO);
        close(fds[0]);
    }
    ~PipedStdin() {
        dup2(m_saved, STDIN_FILENO);
        close(m_saved);
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
