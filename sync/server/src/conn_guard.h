// ConnGuard: limits on how connections may hold the server's request threads (issue #11).
//
// cpp-httplib (Debian's 0.11, a shared library) gives each connection a thread from first byte to
// close, and its only timeout is per read: a client that sends one byte every few seconds (a
// slowloris) holds a thread for as long as it likes, and a few hundred of them hold them all. The
// guard enforces, per connection:
//   - a deadline for each request's head (request line and headers): `head_timeout` from the moment
//     the connection is picked up, or from the end of the previous request on a kept-alive one;
//   - a deadline for the body: `head_timeout` plus Content-Length at `min_body_bytes_per_s`;
//   - at most `max_per_ip` connections from one address at once (0: no limit), loopback peers
//     exempt unless `limit_loopback` (a reverse proxy on the same host is one address).
// A connection past its deadline sees its reads fail, and is answered 408 (server.request.too_slow)
// and closed; one over the per-address limit is closed before anything is read.
//
// How: the guard wraps httplib's thread pool (task_queue), so it knows which thread serves a
// connection, and provides poll() for the process: on a guarded thread, a poll for input on the
// connection's socket waits no longer than the connection's deadline. Every other poll (libpq's,
// any other thread's) is passed to the system unchanged. The route hooks (begin_body, end_request)
// run on the connection's thread.
//
// Threads: any; one guard per server. Failure: none reported; a refused connection is closed.
#pragma once

#include <httplib.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace outpost::sync {

struct ConnLimits {
    std::chrono::milliseconds head_timeout{10000};
    std::uint64_t min_body_bytes_per_s = 16 * 1024;
    int max_per_ip = 32;
    bool limit_loopback = false;
};

struct ConnGuardStats {
    std::uint64_t timed_out = 0;  // connections cut at a deadline
    std::uint64_t refused = 0;    // connections refused by the per-address limit
};

class ConnGuard {
public:
    explicit ConnGuard(ConnLimits limits) : m_limits(limits) {}

    // A task queue for httplib::Server::new_task_queue: `threads` workers, each connection guarded.
    [[nodiscard]] httplib::TaskQueue* make_queue(std::size_t threads);

    // Route hooks, on the connection's thread: the head has arrived (pre-routing), announcing a body
    // of `content_length` bytes; the response has been sent (the logger), so the next head's
    // deadline starts now.
    void begin_body(std::uint64_t content_length);
    void end_request();

    [[nodiscard]] ConnGuardStats stats() const;
    // Whether the connection this thread serves was cut at its deadline (for the error answer).
    [[nodiscard]] bool timed_out() const;

    // The connection a guarded thread is serving (conn_guard.cpp's queue and poll() shim).
    struct Conn {
        ConnGuard* guard = nullptr;  // the guard whose queue runs it
        int fd = -1;                 // its socket, learned at its first poll for input
        std::string ip;              // counted against max_per_ip when not empty
        bool refused = false;
        bool timed_out = false;
        std::chrono::steady_clock::time_point deadline;
    };
    [[nodiscard]] const ConnLimits& limits() const { return m_limits; }
    void bind_fd(Conn& c, int fd);  // learns the socket and its peer; may refuse the connection
    void release(Conn& c);          // the connection has closed
    void count_timeout(Conn& c);

private:
    ConnLimits m_limits;
    mutable std::mutex m_mutex;
    std::map<std::string, int> m_per_ip;  // open connections per peer address; guarded by m_mutex
    ConnGuardStats m_stats;               // guarded by m_mutex
};

}  // namespace outpost::sync
