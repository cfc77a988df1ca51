#include "conn_guard.h"

#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

namespace outpost::sync {
namespace {

using Clock = std::chrono::steady_clock;

// The connection this thread serves, while a guarded queue runs it; null on every other thread.
thread_local ConnGuard::Conn* t_conn = nullptr;

// httplib's ThreadPool, with each connection run inside a guard.
class GuardedQueue final : public httplib::TaskQueue {
public:
    GuardedQueue(ConnGuard& guard, std::size_t threads) : m_guard(guard), m_pool(threads) {}
    void enqueue(std::function<void()> fn) override {
        m_pool.enqueue([this, fn = std::move(fn)] {
            ConnGuard::Conn c;
            c.deadline = Clock::now() + m_guard.limits().head_timeout;
            c.guard = &m_guard;
            t_conn = &c;
            fn();  // reads, answers and closes the connection
            t_conn = nullptr;
            m_guard.release(c);
        });
    }
    void shutdown() override { m_pool.shutdown(); }
    void on_idle() override { m_pool.on_idle(); }

private:
    ConnGuard& m_guard;
    httplib::ThreadPool m_pool;
};

bool loopback(const sockaddr_storage& a) {
    if (a.ss_family == AF_INET) {
        const auto* v4 = reinterpret_cast<const sockaddr_in*>(&a);
        return (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
    }
    if (a.ss_family == AF_INET6) {
        const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&a);
        if (IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr)) {
            return true;
        }
        return IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr) && v6->sin6_addr.s6_addr[12] == 127;
    }
    return false;
}

std::string address_text(const sockaddr_storage& a) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (a.ss_family == AF_INET) {
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&a)->sin_addr, buf, sizeof buf);
    } else if (a.ss_family == AF_INET6) {
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&a)->sin6_addr, buf, sizeof buf);
    }
    return buf;
}

int system_poll(pollfd* fds, nfds_t n, int timeout_ms) {
    if (timeout_ms < 0) {
        return ::ppoll(fds, n, nullptr, nullptr);
    }
    timespec ts{timeout_ms / 1000, static_cast<long>(timeout_ms % 1000) * 1'000'000L};
    return ::ppoll(fds, n, &ts, nullptr);
}

}  // namespace

httplib::TaskQueue* ConnGuard::make_queue(std::size_t threads) {
    return new GuardedQueue(*this, threads);
}

namespace {

// The body's deadline: the grace, then the rate for what has come plus one second's worth (a body may
// fall that far behind its rate).
Clock::time_point body_deadline(const ConnGuard::Conn& c, const ConnLimits& l) {
    const std::uint64_t rate = std::max<std::uint64_t>(1, l.min_body_bytes_per_s);
    const std::uint64_t due = std::min<std::uint64_t>(c.body_bytes + rate, 1ULL << 40);
    return c.body_start + l.head_timeout + std::chrono::milliseconds(due * 1000 / rate);
}

}  // namespace

void ConnGuard::begin_body(std::uint64_t content_length) {
    if (t_conn == nullptr || t_conn->guard != this) {
        return;
    }
    Conn& c = *t_conn;
    c.in_body = true;
    c.body_bytes = 0;
    c.body_left = content_length;
    c.body_start = Clock::now();
    c.deadline = body_deadline(c, m_limits);
}

void ConnGuard::end_request() {
    if (t_conn != nullptr && t_conn->guard == this) {
        Conn& c = *t_conn;
        c.deadline = Clock::now() + m_limits.head_timeout;
        c.in_body = false;
        c.head_bytes = 0;
        c.body_bytes = 0;
        c.body_left = 0;
        c.head_tail.clear();
    }
}

std::size_t ConnGuard::read_size(Conn& c, void* buf, std::size_t len) {
    if (c.head_cut || len == 0) {
        return len;
    }
    if (c.in_body) {
        return c.body_left > 0 ? static_cast<std::size_t>(std::min<std::uint64_t>(len, c.body_left)) : len;
    }
    const ssize_t seen = ::recvfrom(c.fd, buf, len, MSG_PEEK | MSG_DONTWAIT, nullptr, nullptr);
    if (seen <= 0) {
        return len;
    }
    const std::string window = c.head_tail + std::string(static_cast<const char*>(buf), static_cast<std::size_t>(seen));
    const std::size_t end = window.find("\r\n\r\n");
    if (end == std::string::npos) {
        return len;
    }
    return std::max<std::size_t>(1, end + 4 - c.head_tail.size());
}

void ConnGuard::close_after_answer() {
    if (t_conn != nullptr && t_conn->guard == this) {
        t_conn->closing = true;
    }
}

bool ConnGuard::head_cut() const {
    return t_conn != nullptr && t_conn->guard == this && t_conn->head_cut;
}

long long ConnGuard::count_read(Conn& c, char* buf, std::size_t cap, long long n, ReadMore read_more, void* ctx) {
    if (c.head_cut || c.closing) {
        return 0;  // the head was ended: nothing more is read from this connection
    }
    if (n <= 0) {
        return n;
    }
    if (c.in_body) {
        c.body_bytes += static_cast<std::uint64_t>(n);
        c.body_left -= std::min<std::uint64_t>(c.body_left, static_cast<std::uint64_t>(n));
        c.deadline = body_deadline(c, m_limits);
        return n;
    }
    c.head_bytes += static_cast<std::uint64_t>(n);
    c.head_tail.append(buf, static_cast<std::size_t>(n));
    if (c.head_tail.size() > 3) {
        c.head_tail.erase(0, c.head_tail.size() - 3);
    }
    // httplib reads 4 KiB at a time, so a small request's read may carry part of its body too.
    if (c.head_bytes <= m_limits.max_head_bytes + 4096 || cap < 4) {
        return n;
    }
    c.head_cut = true;
    // Read on to the head's end (a blank line) and drop it, so the answer is not lost to a reset
    // when the socket closes with unread bytes in it; a flood is cut at 1 MiB.
    std::string tail(buf, buf + n);
    for (std::uint64_t dropped = 0; tail.find("\r\n\r\n") == std::string::npos && dropped < (1U << 20U);) {
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(c.deadline - Clock::now()).count();
        pollfd p{c.fd, POLLIN, 0};
        if (left <= 0 || system_poll(&p, 1, static_cast<int>(std::min<std::int64_t>(left, 1000))) <= 0) {
            break;
        }
        const long long got = read_more(c.fd, ctx, buf, cap);
        if (got <= 0) {
            break;
        }
        dropped += static_cast<std::uint64_t>(got);
        tail = tail.substr(tail.size() > 3 ? tail.size() - 3 : 0) + std::string(buf, buf + got);
    }
    std::memcpy(buf, "\r\n\r\n", 4);  // ends the header being read, then the head
    return 4;
}

bool ConnGuard::timed_out() const {
    return t_conn != nullptr && t_conn->guard == this && t_conn->timed_out;
}

ConnGuardStats ConnGuard::stats() const {
    std::lock_guard lock(m_mutex);
    return m_stats;
}

void ConnGuard::bind_fd(Conn& c, int fd) {
    c.fd = fd;
    if (m_limits.max_per_ip <= 0) {
        return;
    }
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0 ||
        (loopback(peer) && !m_limits.limit_loopback)) {
        return;
    }
    const std::string ip = address_text(peer);
    std::lock_guard lock(m_mutex);
    int& open = m_per_ip[ip];
    if (open >= m_limits.max_per_ip) {
        c.refused = true;
        ++m_stats.refused;
        if (open == 0) {
            m_per_ip.erase(ip);
        }
        return;
    }
    ++open;
    c.ip = ip;
}

void ConnGuard::release(Conn& c) {
    if (c.ip.empty()) {
        return;
    }
    std::lock_guard lock(m_mutex);
    if (auto it = m_per_ip.find(c.ip); it != m_per_ip.end() && --it->second <= 0) {
        m_per_ip.erase(it);
    }
}

void ConnGuard::count_timeout(Conn& c) {
    if (!c.timed_out) {
        c.timed_out = true;
        std::lock_guard lock(m_mutex);
        ++m_stats.timed_out;
    }
}

}  // namespace outpost::sync

// The process's poll(): on a thread serving a guarded connection, a wait for input on that
// connection's socket ends at the connection's deadline (returning "nothing arrived", so httplib
// closes it). Everything else goes to the system unchanged, through ppoll().
// (GCC 12 warns that the caller's pollfd may be uninitialised: it is the caller's, as for any poll().)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
extern "C" int poll(struct pollfd* fds, nfds_t nfds, int timeout) {
    using outpost::sync::system_poll;
    using outpost::sync::t_conn;
    outpost::sync::ConnGuard::Conn* c = t_conn;
    if (c == nullptr || nfds != 1 || (fds[0].events & POLLIN) == 0) {
        return system_poll(fds, nfds, timeout);
    }
    if (c->fd < 0) {
        c->guard->bind_fd(*c, fds[0].fd);
    }
    if (fds[0].fd != c->fd) {
        return system_poll(fds, nfds, timeout);
    }
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(c->deadline - std::chrono::steady_clock::now());
    if (c->refused || left.count() <= 0) {
        // An error, not "nothing yet": httplib would keep polling an idle keep-alive socket until
        // its own timeout, holding the thread; an error ends the connection at once.
        if (!c->refused) {
            c->guard->count_timeout(*c);
        }
        fds[0].revents = 0;
        errno = ETIMEDOUT;
        return -1;
    }
    const bool until_deadline = timeout < 0 || left.count() <= timeout;
    const int wait = static_cast<int>(until_deadline ? std::min<std::int64_t>(left.count(), 1 << 30) : timeout);
    const int rc = system_poll(fds, nfds, wait);
    if (rc == 0 && until_deadline) {
        c->guard->count_timeout(*c);  // the deadline, not the caller's timeout, ended the wait
        errno = ETIMEDOUT;
        return -1;
    }
    return rc;
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

// The process's recv(): on a thread serving a guarded plain-HTTP connection, the bytes read from
// that connection are counted (ConnGuard::count_read). Everything else is recvfrom() unchanged.
extern "C" ssize_t recv(int fd, void* buf, size_t len, int flags) {
    outpost::sync::ConnGuard::Conn* c = outpost::sync::t_conn;
    if (c == nullptr || fd != c->fd || c->tls || (flags & MSG_PEEK) != 0) {
        return ::recvfrom(fd, buf, len, flags, nullptr, nullptr);
    }
    if (c->closing) {
        // Drop what is already here (up to 1 MiB), so the close is a FIN the answer arrives before,
        // not a reset that can discard it at the client.
        for (std::size_t dropped = 0; dropped < (1U << 20U);) {
            const ssize_t got = ::recvfrom(fd, buf, len, MSG_DONTWAIT, nullptr, nullptr);
            if (got <= 0) {
                break;
            }
            dropped += static_cast<std::size_t>(got);
        }
        return 0;
    }
    const ssize_t n = ::recvfrom(fd, buf, c->guard->read_size(*c, buf, len), flags, nullptr, nullptr);
    const auto more = [](int sock, void*, char* b, std::size_t cap) -> long long {
        return ::recvfrom(sock, b, cap, 0, nullptr, nullptr);
    };
    return static_cast<ssize_t>(c->guard->count_read(*c, static_cast<char*>(buf), len, n, more, nullptr));
}

// The process's SSL_read(): the same count, of the plaintext, for an HTTPS connection (its bytes at
// the socket are TLS records, which recv() is not asked for).
extern "C" int SSL_read(SSL* ssl, void* buf, int num) {
    using Fn = int (*)(SSL*, void*, int);
    static const Fn real = reinterpret_cast<Fn>(dlsym(RTLD_NEXT, "SSL_read"));
    if (real == nullptr) {
        return -1;
    }
    outpost::sync::ConnGuard::Conn* c = outpost::sync::t_conn;
    if (c == nullptr || SSL_get_fd(ssl) != c->fd || c->fd < 0) {
        return real(ssl, buf, num);
    }
    if (!c->tls) {
        c->tls = true;  // the handshake's bytes are not the head's
        c->head_bytes = 0;
    }
    if (c->head_cut || c->closing) {
        return 0;
    }
    const int n = real(ssl, buf, num);
    const auto more = [](int, void* s, char* b, std::size_t cap) -> long long {
        return real(static_cast<SSL*>(s), b, static_cast<int>(std::min<std::size_t>(cap, 1U << 30U)));
    };
    return static_cast<int>(
        c->guard->count_read(*c, static_cast<char*>(buf), static_cast<std::size_t>(num), n, more, ssl));
}
