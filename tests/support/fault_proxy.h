// FaultProxy: a small TCP proxy on 127.0.0.1 that sits between a client and a server and injects
// network faults on request: a reset in the middle of a request body, a delay, a truncated response,
// a stall. A test-only fault injector; everything else in the path is real.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

namespace outpost::testing {

class FaultProxy {
public:
    enum class Mode {
        kPass,           // forward everything
        kResetMidBody,   // forward part of the request, then reset the connection
        kDelay,          // hold every chunk for a while before forwarding it
        kTruncateReply,  // forward part of the response, then close
        kStall,          // forward the request, never answer
    };

    explicit FaultProxy(int target_port) : m_target(target_port) {
        m_listen = socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        setsockopt(m_listen, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = 0;
        bind(m_listen, reinterpret_cast<sockaddr*>(&a), sizeof a);
        listen(m_listen, 64);
        socklen_t len = sizeof a;
        getsockname(m_listen, reinterpret_cast<sockaddr*>(&a), &len);
        m_port = ntohs(a.sin_port);
        m_acceptor = std::thread([this] { accept_loop(); });
    }
    ~FaultProxy() {
        m_stop = true;
        shutdown(m_listen, SHUT_RDWR);
        close(m_listen);
        m_acceptor.join();
        std::lock_guard lock(m_mutex);
        for (auto& t : m_conns) {
            t.join();
        }
    }
    FaultProxy(const FaultProxy&) = delete;
    FaultProxy& operator=(const FaultProxy&) = delete;

    [[nodiscard]] int port() const { return m_port; }
    void set(Mode m) { m_mode = m; }
    // Once: resets the connection that carries the byte `bytes` bytes from now, counting what clients
    // send (or, with `downstream`, what the server sends back); then passes everything again.
    void cut_after(std::size_t bytes, bool downstream = false) {
        m_cut_downstream = downstream;
        m_cut_left = static_cast<std::int64_t>(bytes);
        m_cut_armed = true;
    }
    [[nodiscard]] bool cut_pending() const { return m_cut_armed; }
    [[nodiscard]] int faults() const { return m_faults; }

private:
    void accept_loop() {
        for (;;) {
            pollfd p{m_listen, POLLIN, 0};
            if (poll(&p, 1, 50) <= 0) {
                if (m_stop) {
                    return;
                }
                continue;
            }
            const int c = accept(m_listen, nullptr, nullptr);
            if (c < 0) {
                if (m_stop) {
                    return;
                }
                continue;
            }
            std::lock_guard lock(m_mutex);
            m_conns.emplace_back([this, c] { serve(c); });
        }
    }

    void serve(int client) {
        const Mode mode = m_mode;
        const int upstream = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = htons(static_cast<std::uint16_t>(m_target));
        if (connect(upstream, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            close(upstream);
            close(client);
            return;
        }
        std::size_t up_bytes = 0;
        std::size_t down_bytes = 0;
        char buf[16384];
        bool done = false;
        while (!done && !m_stop) {
            pollfd fds[2] = {{client, POLLIN, 0}, {upstream, POLLIN, 0}};
            if (poll(fds, 2, 50) <= 0) {
                continue;
            }
            for (int i = 0; i < 2 && !done; ++i) {
                if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) {
                    continue;
                }
                const int from = i == 0 ? client : upstream;
                const int to = i == 0 ? upstream : client;
                const ssize_t n = recv(from, buf, sizeof buf, 0);
                if (n <= 0) {
                    done = true;
                    break;
                }
                auto len = static_cast<std::size_t>(n);
                if (mode == Mode::kDelay) {
                    std::this_thread::sleep_for(std::chrono::milliseconds(30));
                }
                if (m_cut_armed && (i == 1) == m_cut_downstream.load()) {
                    if (m_cut_left.fetch_sub(static_cast<std::int64_t>(len)) <= static_cast<std::int64_t>(len)) {
                        // Forward part of this piece, then reset: the cut lands inside a request/answer.
                        const std::size_t part = len / 2;
                        if (part > 0) {
                            (void)send(to, buf, part, MSG_NOSIGNAL);
                        }
                        m_cut_armed = false;
                        linger l{1, 0};
                        setsockopt(client, SOL_SOCKET, SO_LINGER, &l, sizeof l);
                        setsockopt(upstream, SOL_SOCKET, SO_LINGER, &l, sizeof l);
                        ++m_faults;
                        done = true;
                        break;
                    }
                }
                if (i == 0 && mode == Mode::kResetMidBody && up_bytes + len > 300) {
                    linger l{1, 0};  // close with RST
                    setsockopt(client, SOL_SOCKET, SO_LINGER, &l, sizeof l);
                    ++m_faults;
                    done = true;
                    break;
                }
                if (i == 1 && mode == Mode::kStall) {
                    ++m_faults;
                    while (!m_stop && m_mode == Mode::kStall) {
                        std::this_thread::sleep_for(std::chrono::milliseconds(20));
                    }
                    done = true;
                    break;
                }
                if (i == 1 && mode == Mode::kTruncateReply) {
                    len = std::min<std::size_t>(len, 40);
                    ++m_faults;
                    done = true;
                }
                (i == 0 ? up_bytes : down_bytes) += len;
                if (send(to, buf, len, MSG_NOSIGNAL) < 0) {
                    done = true;
                }
            }
        }
        close(upstream);
        close(client);
    }

    int m_target;
    int m_listen = -1;
    int m_port = 0;
    std::atomic<Mode> m_mode{Mode::kPass};
    std::atomic<bool> m_stop{false};
    std::atomic<int> m_faults{0};
    std::atomic<bool> m_cut_armed{false};
    std::atomic<bool> m_cut_downstream{false};
    std::atomic<std::int64_t> m_cut_left{0};
    std::thread m_acceptor;
    std::mutex m_mutex;
    std::vector<std::thread> m_conns;
};

}  // namespace outpost::testing
