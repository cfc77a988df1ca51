// The service's own measurements, served at GET /v1/metrics in Prometheus' text format (0.0.4):
// requests by route, method and status; request latency histograms by route; changes applied,
// superseded and rejected, and conflicts; devices active in the last 15 minutes; the build.
// Counts only: no user, record, device id or value ever appears in a label.
//
// Threads: every method is safe to call from any request thread (one mutex).
// Failure: none (counting cannot fail).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace outpost::sync {

class Metrics {
public:
    // `path` is the request's path; routes with ids (/v1/blobs/<hash>) are folded into one label,
    // and unknown paths into "other", so the number of series stays bounded.
    void request(std::string_view method, std::string_view path, int status, double seconds);
    void push(std::int64_t applied, std::int64_t superseded, std::int64_t conflicts, std::int64_t rejected);
    void device_seen(const std::string& device_id, std::int64_t now_ms);
    void rate_limited();
    // The connection guard's totals (conn_guard.h), read when the metrics are served.
    void connection_guard(std::uint64_t timed_out, std::uint64_t refused);
    [[nodiscard]] std::string prometheus(std::int64_t now_ms) const;

    static constexpr std::int64_t kActiveWindowMs = 15 * 60'000;

private:
    struct Histogram {
        std::uint64_t buckets[11] = {};  // cumulative counts are computed when written out
        std::uint64_t count = 0;
        double sum = 0;
    };
    mutable std::mutex m_mutex;
    std::map<std::string, std::uint64_t> m_requests;  // "route|method|code"
    std::map<std::string, Histogram> m_latency;       // by route
    std::int64_t m_applied = 0;
    std::int64_t m_superseded = 0;
    std::int64_t m_conflicts = 0;
    std::int64_t m_rejected = 0;
    std::int64_t m_rate_limited = 0;
    std::int64_t m_conn_timed_out = 0;
    std::int64_t m_conn_refused = 0;
    mutable std::unordered_map<std::string, std::int64_t> m_seen;  // device -> last request
};

[[nodiscard]] std::string metrics_route(std::string_view path);

}  // namespace outpost::sync
