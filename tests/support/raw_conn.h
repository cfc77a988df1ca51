// Raw connections to a real server on loopback, for tests that play a hostile or broken client (slow
// heads and bodies, floods of headers, smuggled lengths, greedy ranges): RawConn sends exactly the bytes
// given and reads whatever comes back. GuardedServer is a SQLite server with options to tweak.
#pragma once

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "sync_harness.h"

namespace outpost::testing {

// A server on SQLite with the given limits.
struct GuardedServer : HarnessDir, ServerOver {
    explicit GuardedServer(const std::function<void(sync::ServerOptions&)>& tweak) {
        storage = make_test_storage(tmp / "server");
        sync::ServerOptions o;
        o.log_sink = [](const std::string&) {};
        tweak(o);
        auto srv = sync::Server::start(o, *storage);
        REQUIRE(srv.is_ok());
        server = std::move(*srv);
    }
};

// A raw TCP connection from `source` (an address on loopback) to the server.
class RawConn {
public:
    RawConn(int port, const char* source) : m_fd(::socket(AF_INET, SOCK_STREAM, 0)) {
        REQUIRE(m_fd >= 0);
        sockaddr_in from{};
        from.sin_family = AF_INET;
        ::inet_pton(AF_INET, source, &from.sin_addr);
        REQUIRE(::bind(m_fd, reinterpret_cast<sockaddr*>(&from), sizeof from) == 0);
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(static_cast<std::uint16_t>(port));
        ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
        REQUIRE(::connect(m_fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0);
    }
    ~RawConn() { ::close(m_fd); }
    RawConn(const RawConn&) = delete;
    RawConn& operator=(const RawConn&) = delete;
    // Sends `text`; false once the server has closed the connection.
    bool send(std::string_view text) {
        return ::send(m_fd, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size());
    }
    // True when the server has closed the connection (EOF or reset) or answered, within `wait`.
    bool closed_or_answered(std::chrono::milliseconds wait) {
        pollfd p{m_fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0) {
            return false;
        }
        char buf[4096];
        const ssize_t n = ::recv(m_fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0) {
            m_answer.append(buf, static_cast<std::size_t>(n));
        }
        return true;
    }
    // Reads the rest of the answer until the server closes the connection, for up to `wait`. (The
    // answer's head and body can arrive in separate segments: one recv once saw only the head, and
    // the check for the code in the body failed under ASan in CI.)
    void read_to_close(std::chrono::milliseconds wait) {
        const auto end = std::chrono::steady_clock::now() + wait;
        while (std::chrono::steady_clock::now() < end) {
            pollfd p{m_fd, POLLIN, 0};
            if (::poll(&p, 1, 50) <= 0) {
                continue;
            }
            char buf[4096];
            const ssize_t n = ::recv(m_fd, buf, sizeof buf, MSG_DONTWAIT);
            if (n <= 0) {
                return;  // closed (or reset)
            }
            m_answer.append(buf, static_cast<std::size_t>(n));
        }
    }
    [[nodiscard]] const std::string& answer() const { return m_answer; }

private:
    int m_fd;
    std::string m_answer;
};

}  // namespace outpost::testing
