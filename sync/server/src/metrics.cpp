#include "outpost/sync/metrics.h"

#include <cstdio>
#include <sstream>

#include "outpost/core/version.h"

namespace outpost::sync {

namespace {
constexpr double kBounds[11] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5};
constexpr std::string_view kRoutes[] = {"/v1/health", "/v1/enroll",   "/v1/whoami",  "/v1/push",
                                        "/v1/pull",   "/v1/snapshot", "/v1/schemas", "/v1/metrics"};
}  // namespace

std::string metrics_route(std::string_view path) {
    for (std::string_view r : kRoutes) {
        if (path == r) {
            return std::string(r);
        }
    }
    if (path.rfind("/v1/blobs/", 0) == 0) {
        return "/v1/blobs/{hash}";
    }
    return "other";
}

void Metrics::request(std::string_view method, std::string_view path, int status, double seconds) {
    const std::string route = metrics_route(path);
    const std::string m = method == "GET" || method == "POST" || method == "PUT" || method == "HEAD"
                              ? std::string(method)
                              : std::string("other");
    std::lock_guard lock(m_mutex);
    ++m_requests[route + "|" + m + "|" + std::to_string(status)];
    Histogram& h = m_latency[route];
    for (std::size_t i = 0; i < std::size(kBounds); ++i) {
        if (seconds <= kBounds[i]) {
            ++h.buckets[i];
            break;
        }
    }
    ++h.count;
    h.sum += seconds;
}

void Metrics::push(std::int64_t applied, std::int64_t superseded, std::int64_t conflicts, std::int64_t rejected) {
    std::lock_guard lock(m_mutex);
    m_applied += applied;
    m_superseded += superseded;
    m_conflicts += conflicts;
    m_rejected += rejected;
}

void Metrics::device_seen(const std::string& device_id, std::int64_t now_ms) {
    std::lock_guard lock(m_mutex);
    m_seen[device_id] = now_ms;
}

void Metrics::rate_limited() {
    std::lock_guard lock(m_mutex);
    ++m_rate_limited;
}

void Metrics::connection_guard(std::uint64_t timed_out, std::uint64_t refused) {
    std::lock_guard lock(m_mutex);
    m_conn_timed_out = static_cast<std::int64_t>(timed_out);
    m_conn_refused = static_cast<std::int64_t>(refused);
}

std::string Metrics::prometheus(std::int64_t now_ms) const {
    std::lock_guard lock(m_mutex);
    std::ostringstream out;
    out << "# HELP outpost_build_info The running build.\n# TYPE outpost_build_info gauge\n"
        << "outpost_build_info{version=\"" << version() << "\",git_hash=\"" << git_hash() << "\"} 1\n";
    out << "# HELP outpost_http_requests_total Requests answered, by route, method and status.\n"
        << "# TYPE outpost_http_requests_total counter\n";
    for (const auto& [key, n] : m_requests) {
        const auto a = key.find('|');
        const auto b = key.find('|', a + 1);
        out << "outpost_http_requests_total{route=\"" << key.substr(0, a) << "\",method=\""
            << key.substr(a + 1, b - a - 1) << "\",code=\"" << key.substr(b + 1) << "\"} " << n << "\n";
    }
    out << "# HELP outpost_http_request_duration_seconds Time from a request's headers to its answer.\n"
        << "# TYPE outpost_http_request_duration_seconds histogram\n";
    for (const auto& [route, h] : m_latency) {
        std::uint64_t cumulative = 0;
        for (std::size_t i = 0; i < std::size(kBounds); ++i) {
            cumulative += h.buckets[i];
            char le[32];
            std::snprintf(le, sizeof le, "%g", kBounds[i]);
            out << "outpost_http_request_duration_seconds_bucket{route=\"" << route << "\",le=\"" << le << "\"} "
                << cumulative << "\n";
        }
        out << "outpost_http_request_duration_seconds_bucket{route=\"" << route << "\",le=\"+Inf\"} " << h.count
            << "\n";
        out << "outpost_http_request_duration_seconds_sum{route=\"" << route << "\"} " << h.sum << "\n";
        out << "outpost_http_request_duration_seconds_count{route=\"" << route << "\"} " << h.count << "\n";
    }
    auto counter = [&](const char* name, const char* help, std::int64_t v) {
        out << "# HELP " << name << " " << help << "\n# TYPE " << name << " counter\n" << name << " " << v << "\n";
    };
    counter("outpost_changes_applied_total", "Pushed changes applied.", m_applied);
    counter("outpost_changes_superseded_total", "Pushed changes already outdated when they arrived.", m_superseded);
    counter("outpost_changes_rejected_total", "Pushed changes refused (scope, role, validation).", m_rejected);
    counter("outpost_conflicts_total", "Pushed changes that made a conflict record.", m_conflicts);
    counter("outpost_requests_rate_limited_total", "Requests refused with 429: a device over its request rate.",
            m_rate_limited);
    counter("outpost_connections_timed_out_total",
            "Connections closed because a request's head or body did not arrive in time (slow clients).",
            m_conn_timed_out);
    counter("outpost_connections_refused_total", "Connections refused: too many open from one address.",
            m_conn_refused);
    std::int64_t active = 0;
    for (auto it = m_seen.begin(); it != m_seen.end();) {
        if (now_ms - it->second > kActiveWindowMs) {
            it = m_seen.erase(it);  // forgotten once quiet, so the map stays small
        } else {
            ++active;
            ++it;
        }
    }
    out << "# HELP outpost_active_devices Devices that made a request in the last 15 minutes (this process).\n"
        << "# TYPE outpost_active_devices gauge\noutpost_active_devices " << active << "\n";
    return out.str();
}

}  // namespace outpost::sync
