// GET /v1/metrics (sync/metrics.h): Prometheus text with the requests, latencies, changes and active
// devices the server really saw, through a real server and a real laptop.
#include "outpost/sync/metrics.h"

#include <doctest/doctest.h>

#include <regex>

#include "sync_harness.h"

using namespace outpost;
using namespace outpost::testing;

namespace {

// The value of the series `name{labels}` (labels written exactly as the server writes them).
double series(const std::string& text, const std::string& name_and_labels) {
    const auto at = text.find("\n" + name_and_labels + " ");
    REQUIRE_MESSAGE(at != std::string::npos, name_and_labels << " missing from:\n" << text);
    const auto start = at + 1 + name_and_labels.size() + 1;
    return std::stod(text.substr(start, text.find('\n', start) - start));
}

}  // namespace

TEST_CASE("Metrics: requests, latencies, changes and active devices as the server saw them") {
    SyncServerHarness srv;
    srv.add_team("a");
    srv.add_user("ann", "a", "worker");
    TempDir dirs;
    Device ann(dirs / "ann", srv.enrol("ann"), srv.transport());
    for (int i = 0; i < 3; ++i) {
        ann.create("home_visit", home_visit("family " + std::to_string(i)));
    }
    auto s = ann.sync();
    REQUIRE(s.is_ok());
    REQUIRE(s->pushed == 12);
    auto t = srv.transport();
    REQUIRE(t->request({.method = "GET", .path = "/v1/nothing-here"}).is_ok());
    REQUIRE(t->request({.method = "HEAD", .path = "/v1/blobs/" + std::string(64, 'a')}).is_ok());

    auto res = t->request({.method = "GET", .path = "/v1/metrics"});
    REQUIRE(res.is_ok());
    CHECK(res->status == 200);
    const std::string text = "\n" + res->body;
    CHECK(series(text, "outpost_changes_applied_total") == 12);
    CHECK(series(text, "outpost_conflicts_total") == 0);
    CHECK(series(text, "outpost_changes_rejected_total") == 0);
    CHECK(series(text, "outpost_active_devices") == 1);
    const double pushes = series(text, R"(outpost_http_requests_total{route="/v1/push",method="POST",code="200"})");
    CHECK(pushes >= 1);
    CHECK(series(text, R"(outpost_http_request_duration_seconds_count{route="/v1/push"})") == pushes);
    CHECK(series(text, R"(outpost_http_request_duration_seconds_bucket{route="/v1/push",le="+Inf"})") == pushes);
    CHECK(series(text, R"(outpost_http_requests_total{route="other",method="GET",code="404"})") == 1);
    // The blob request is counted under the folded route, never under a label per hash.
    CHECK(text.find(R"(outpost_http_requests_total{route="/v1/blobs/{hash}",method="HEAD",code=")") !=
          std::string::npos);
    CHECK(text.find(std::string(64, 'a')) == std::string::npos);
    CHECK(text.find("ann") == std::string::npos);  // no user or device ever appears
    CHECK(text.find(ann.creds.device_id) == std::string::npos);
    // Buckets are cumulative and end at the count.
    std::regex bucket(R"re(outpost_http_request_duration_seconds_bucket\{route="/v1/pull",le="[^"]+"\} (\d+))re");
    std::uint64_t last = 0;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), bucket); it != std::sregex_iterator(); ++it) {
        const std::uint64_t v = std::stoull((*it)[1]);
        CHECK(v >= last);
        last = v;
    }
    CHECK(static_cast<double>(last) ==
          series(text, R"(outpost_http_request_duration_seconds_count{route="/v1/pull"})"));
}

TEST_CASE("Metrics: quiet devices leave the active count after 15 minutes, and routes fold ids") {
    sync::Metrics m;
    m.device_seen("d1", 1'000);
    m.device_seen("d2", 1'000 + sync::Metrics::kActiveWindowMs);
    CHECK(m.prometheus(1'000 + sync::Metrics::kActiveWindowMs).find("outpost_active_devices 2") != std::string::npos);
    CHECK(m.prometheus(2'000 + sync::Metrics::kActiveWindowMs).find("outpost_active_devices 1") != std::string::npos);
    CHECK(sync::metrics_route("/v1/blobs/" + std::string(64, 'f')) == "/v1/blobs/{hash}");
    CHECK(sync::metrics_route("/v1/push") == "/v1/push");
    CHECK(sync::metrics_route("/etc/passwd") == "other");
}

// CI once read /v1/metrics before the HEAD request it had just been answered was counted: the count
// was taken in httplib's logger, which runs after the answer is written.
TEST_CASE("Metrics: regression - a request was counted only after its answer had been sent") {
    SyncServerHarness srv;
    auto t = srv.transport();
    for (int i = 1; i <= 500; ++i) {
        auto r = t->request({.method = "GET", .path = "/v1/nothing-here"});
        REQUIRE(r.is_ok());
        REQUIRE(r->status == 404);
        auto res = t->request({.method = "GET", .path = "/v1/metrics"});
        REQUIRE(res.is_ok());
        const double seen =
            series("\n" + res->body, R"(outpost_http_requests_total{route="other",method="GET",code="404"})");
        REQUIRE(seen == i);
    }
}
