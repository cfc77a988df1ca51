#include "outpost/platform/connectivity.h"

#include <charconv>

#if defined(_WIN32)
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#endif

namespace outpost::platform {

bool split_url(const std::string& url, std::string& host, int& port) {
    const std::size_t scheme = url.find("://");
    if (scheme == std::string::npos) {
        return false;
    }
    const bool https = url.compare(0, scheme, "https") == 0;
    std::string rest = url.substr(scheme + 3);
    rest = rest.substr(0, rest.find('/'));
    port = https ? 443 : 80;
    if (!rest.empty() && rest.front() == '[') {  // [::1]:8443
        const std::size_t close = rest.find(']');
        if (close == std::string::npos) {
            return false;
        }
        host = rest.substr(1, close - 1);
        rest = rest.substr(close + 1);
        if (!rest.empty() && rest.front() == ':') {
            rest = rest.substr(1);
        } else {
            rest.clear();
        }
    } else {
        const std::size_t colon = rest.rfind(':');
        host = rest.substr(0, colon);
        rest = colon == std::string::npos ? std::string() : rest.substr(colon + 1);
    }
    if (!rest.empty()) {
        int p = 0;
        const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), p);
        if (ec != std::errc() || end != rest.data() + rest.size() || p <= 0 || p > 65535) {
            return false;
        }
        port = p;
    }
    return !host.empty();
}

#if defined(_WIN32)

bool can_connect(const std::string& url, std::chrono::milliseconds timeout) {
    std::string host;
    int port = 0;
    if (!split_url(url, host, port)) {
        return false;
    }
    WSADATA wsa;
    if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0) {
        return false;
    }
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    bool ok = false;
    if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) == 0) {
        for (addrinfo* a = found; a != nullptr && !ok; a = a->ai_next) {
            SOCKET s = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
            if (s == INVALID_SOCKET) {
                continue;
            }
            u_long nonblocking = 1;
            ioctlsocket(s, FIONBIO, &nonblocking);
            connect(s, a->ai_addr, static_cast<int>(a->ai_addrlen));
            fd_set w;
            FD_ZERO(&w);
            FD_SET(s, &w);
            timeval tv{static_cast<long>(timeout.count() / 1000), static_cast<long>((timeout.count() % 1000) * 1000)};
            if (select(0, nullptr, &w, nullptr, &tv) == 1) {
                int err = 0;
                int len = sizeof err;
                getsockopt(s, SOL_SOCKET, SO_ERROR, reinterpret_cast<char*>(&err), &len);
                ok = err == 0;
            }
            closesocket(s);
        }
        freeaddrinfo(found);
    }
    WSACleanup();
    return ok;
}

#else

bool can_connect(const std::string& url, std::chrono::milliseconds timeout) {
    std::string host;
    int port = 0;
    if (!split_url(url, host, port)) {
        return false;
    }
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) {
        return false;
    }
    bool ok = false;
    for (addrinfo* a = found; a != nullptr && !ok; a = a->ai_next) {
        const int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            continue;
        }
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL, 0) | O_NONBLOCK);
        int rc = connect(fd, a->ai_addr, a->ai_addrlen);
        if (rc != 0 && errno == EINPROGRESS) {
            pollfd p{fd, POLLOUT, 0};
            if (poll(&p, 1, static_cast<int>(timeout.count())) == 1) {
                int err = 0;
                socklen_t len = sizeof err;
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
                rc = err;
            }
        }
        ok = rc == 0;
        close(fd);
    }
    freeaddrinfo(found);
    return ok;
}

#endif

}  // namespace outpost::platform
