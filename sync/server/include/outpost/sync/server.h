// Server: the central service's HTTP front end (cpp-httplib). Serves /v1 on its own threads.
//
// Ownership: borrows the ServerStorage, which must outlive the Server.
// Threads: start() returns once the socket is bound and listening; requests run on httplib's pool.
// stop() may be called from any thread and is idempotent; the destructor stops.
// Failure: start() refuses plain HTTP on a non-loopback address (errc::kServerPlainHttpRefused),
// reports bind failures (errc::kServerBindFailed) and invalid forms (record.schema.invalid). No secret (token,
// passphrase, body) is logged.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "outpost/core/clock.h"
#include "outpost/core/status.h"
#include "outpost/sync/provisioning.h"  // is_loopback_host
#include "outpost/sync/server_storage.h"

namespace outpost::sync {

struct ServerOptions {
    std::string host = "127.0.0.1";
    int port = 0;               // 0 picks a free port; read it back with Server::port()
    std::string tls_cert_path;  // both set: HTTPS; both empty: HTTP (loopback only)
    std::string tls_key_path;
    std::size_t max_body_bytes = 8U * 1024U * 1024U;
    // The forms an empty forms library is seeded with (form_library.h). Empty: the forms this build
    // ships with. /v1/schemas serves, and pushes are checked against, the library's forms.
    std::filesystem::path forms_dir;
    // Attachments: where their bytes live, and the largest file taken (sent to laptops in
    // the Outpost-Max-Blob-Bytes header of /v1/schemas). An empty folder: no attachments (404).
    std::filesystem::path blob_dir;
    std::int64_t max_blob_bytes = 25LL * 1024 * 1024;
    // Request threads, and how long an idle keep-alive connection may hold one. httplib gives each
    // open connection a thread while it lives, so a small pool with long keep-alives lets a few idle
    // laptops stall everyone else (server_load found 1 s stalls with 12 devices on 8 threads).
    int threads = 64;
    int keep_alive_seconds = 2;
    // Slow and greedy clients (conn_guard.h): a request's head must arrive within
    // header_timeout_ms, its body at min_body_bytes_per_second or faster; at most
    // max_connections_per_ip connections per address (0: no limit; loopback exempt unless
    // limit_loopback_connections, since a reverse proxy on the host is one address).
    int header_timeout_ms = 10000;
    // A request's head (request line and headers) may be at most max_head_bytes and max_headers
    // lines; past either it is answered 431 (server.request.head_too_large) and the connection closed.
    std::uint64_t max_head_bytes = 32 * 1024;
    std::size_t max_headers = 100;
    std::uint64_t min_body_bytes_per_second = 16 * 1024;
    int max_connections_per_ip = 32;
    bool limit_loopback_connections = false;
    // Requests per device: a token bucket refilled at device_requests_per_second, holding up to
    // device_request_burst (0 requests per second: no limit). Past it: 429, server.rate.limited.
    double device_requests_per_second = 100;
    int device_request_burst = 1000;
    // Refused device tokens per address (loopback exempt as above): past them, 429 without a lookup.
    // One audit row a minute per address and code records the refusals; /v1/metrics counts them all.
    double auth_failures_per_second = 2;
    int auth_failure_burst = 20;
    // How long a device token lives (at enrolment and at each renewal); /v1/whoami says "renew"
    // once less than a third of that remains.
    int token_days = kDefaultTokenDays;
    // Refused enrolments per address (loopback exempt as above) within a minute: past them, 429
    // server.rate.limited before the code is looked up (0: no limit). A code guessed at is refused.
    int enroll_failures_per_minute = 10;
    // Receives one JSON line per event (request served, start, stop). Default: stderr.
    std::function<void(const std::string&)> log_sink;
};

class Server {
public:
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    [[nodiscard]] static Result<std::unique_ptr<Server>> start(const ServerOptions& options, ServerStorage& storage,
                                                               const Clock& clock = SystemClock::instance());

    [[nodiscard]] int port() const;
    [[nodiscard]] bool is_tls() const;
    // "http://127.0.0.1:PORT" or "https://…"
    [[nodiscard]] std::string base_url() const;
    void stop();

    struct Impl;

private:
    explicit Server(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

}  // namespace outpost::sync
