#include "conn_guard.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
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

void ConnGuard::begin_body(std::uint64_t content_length) {
    if (t_conn == nullptr || t_conn->guard != this) {
        return;
    }
    const std::uint64_t rate = std::max<std::uint64_t>(1, m_limits.min_body_bytes_per_s);
    const auto body = std::chrono::milliseconds(std::min<std::uint64_t>(content_length, 1ULL << 40) * 1000 / rate);
    t_conn->deadline = Clock::now() + m_limits.head_timeout + body;
}

void ConnGuard::end_request() {
    if (t_conn != nullptr && t_conn->guard == this) {
        t_conn->deadline = Clock::now() + m_limits.head_timeout;
    }
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
