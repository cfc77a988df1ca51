// ConnGuard: limits on how connections may hold the server's request threads.
//
// cpp-httplib (Debian's 0.11, a shared library) gives each connection a thread from first byte to
// close, and its only timeout is per read: a client that sends one byte every few seconds (a
// slowloris) holds a thread for as long as it likes, and a few hundred of them hold them all. The
// guard enforces, per connection:
//   - a deadline for each request's head (request line and headers): `head_timeout` from the moment
//     the connection is picked up, or from the end of the previous request on a kept-alive one;
//   - at most `max_head_bytes` of head: past it the head is ended where it stands (the request is then
//     answered 431 by the server's routes and the connection closed), so no header flood is held;
//   - a body at `min_body_bytes_per_s` or faster as it goes: after `head_timeout` of grace, the body
//     must keep up with the rate, bytes so far against time so far (a second behind at most), so a
//     trickle is cut in seconds whatever length it declared;
//   - on plain HTTP, reads that stop at the end of each request, so requests sent one after another
//     without waiting (pipelined) are each answered in turn;
//   - at most `max_per_ip` connections from one address at once (0: no limit), loopback peers
//     exempt unless `limit_loopback` (a reverse proxy on the same host is one address).
// A connection past its deadline sees its reads fail, and is answered 408 (server.request.too_slow)
// and closed; one over the per-address limit is closed before anything is read.
//
// How: the guard wraps httplib's thread pool (task_queue), so it knows which thread serves a
// connection, and provides poll() for the process: on a guarded thread, a poll for input on the
// connection's socket waits no longer than the connection's deadline; recv() (plain HTTP) and
// SSL_read() (HTTPS) on that socket count the head's and the body's bytes. Every other call (libpq's,
// SQLite's, any other thread's) is passed to the system unchanged. The route hooks (begin_body,
// end_request) run on the connection's thread.
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
    std::uint64_t max_head_bytes = 32 * 1024;
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
    // The answer being made is the connection's last: whatever the client sent after this request
    // (a smuggled or pipelined one) is read and dropped, never served, and the connection closes.
    void close_after_answer();

    [[nodiscard]] ConnGuardStats stats() const;
    // Whether the connection this thread serves was cut at its deadline (for the error answer).
    [[nodiscard]] bool timed_out() const;
    // Whether the current request's head was ended at max_head_bytes (for the 431 answer).
    [[nodiscard]] bool head_cut() const;

    // The connection a guarded thread is serving (conn_guard.cpp's queue and poll() shim).
    struct Conn {
        ConnGuard* guard = nullptr;  // the guard whose queue runs it
        int fd = -1;                 // its socket, learned at its first poll for input
        std::string ip;              // counted against max_per_ip when not empty
        bool refused = false;
        bool timed_out = false;
        std::chrono::steady_clock::time_point deadline;
        // The current request: its head's bytes so far, or (once the head is in) its body's.
        bool tls = false;  // bytes are counted as SSL_read returns them, not at the socket
        bool in_body = false;
        std::uint64_t head_bytes = 0;
        bool head_cut = false;  // the head was ended at max_head_bytes; reads now see the end
        bool closing = false;   // answered for the last time: reads see the end (after a drain)
        std::uint64_t body_bytes = 0;
        std::uint64_t body_left = 0;  // what the body's declared length leaves to read
        std::string head_tail;        // the head's last bytes read (at most 3), to find its end
        std::chrono::steady_clock::time_point body_start;
    };
    // How much a plain-HTTP read of up to `len` bytes may take: up to the end of the head (found by
    // peeking into the socket), or of the declared body. httplib reads ahead 4 KiB into a buffer it
    // drops after each request, so without this a second request sent before the first's answer
    // (pipelining) was read and lost.
    std::size_t read_size(Conn& c, void* buf, std::size_t len);
    // Counts `n` bytes just read on the connection (into `buf`, `cap` long) and returns what the
    // reader should see. Past max_head_bytes the head is ended there (the reader sees "\r\n\r\n"),
    // after what is left of it has been read and dropped (up to 1 MiB, within the head's deadline,
    // through `read_more`), so the client is still reading when the 431 reaches it.
    using ReadMore = long long (*)(int fd, void* ctx, char* buf, std::size_t cap);
    long long count_read(Conn& c, char* buf, std::size_t cap, long long n, ReadMore read_more, void* ctx);
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
