// Slow and greedy clients (issue #11): a slowloris client on loopback holding every request thread,
// a request head or body that trickles in, and a device sending more requests than its rate. Real
// server, real sockets on 127.0.0.1 (the attacker binds 127.0.0.2, another address on loopback).
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "outpost/core/error_codes.h"
#include "raw_conn.h"
#include "sync_harness.h"

using namespace outpost;
using namespace outpost::testing;
using namespace std::chrono_literals;

namespace {

using Steady = std::chrono::steady_clock;

// Trickles a request head, one byte per `every`, until the server closes the connection or `give_up`.
// Returns how long the server let it live.
std::chrono::milliseconds trickle_head(RawConn& c, std::chrono::milliseconds every, std::chrono::milliseconds give_up) {
    const auto t0 = Steady::now();
    const std::string head = "POST /v1/push HTTP/1.1\r\nHost: outpost\r\nX-Slow: ";
    REQUIRE(c.send(head));
    while (Steady::now() - t0 < give_up) {
        if (c.closed_or_answered(every) || !c.send("a")) {
            break;
        }
    }
    return std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - t0);
}

// A counter's value in Prometheus text ("name value" on a line of its own); -1 when absent.
std::int64_t counter(const std::string& metrics, const std::string& name) {
    const std::size_t at = metrics.find("\n" + name + " ");
    return at == std::string::npos ? -1 : std::stoll(metrics.substr(at + name.size() + 2));
}

std::string metrics_of(ServerOver& s) {
    auto t = s.transport();
    auto r = t->request({.method = "GET", .path = "/v1/metrics"});
    REQUIRE(r.is_ok());
    return r->body;
}

}  // namespace

TEST_CASE("Server: a slowloris client holding every request thread does not starve other devices") {
    GuardedServer s([](sync::ServerOptions& o) {
        o.threads = 4;
        o.header_timeout_ms = 1500;
        o.max_connections_per_ip = 2;
        o.limit_loopback_connections = true;  // the attacker is 127.0.0.2, the devices 127.0.0.1
    });
    s.add_team("a");
    s.add_user("ann", "a", "worker");
    Device ann(s.tmp / "ann.db", s.enrol("ann"), s.transport());
    ann.create("home_visit", home_visit("Smith"));

    // Eight slow connections, more than the server has threads, each trickling its head forever.
    std::vector<std::unique_ptr<RawConn>> slow;
    for (int i = 0; i < 8; ++i) {
        slow.push_back(std::make_unique<RawConn>(s.server->port(), "127.0.0.2"));
    }
    std::atomic<bool> attacking{true};
    std::atomic<int> cut{0};
    std::vector<std::thread> attackers;
    for (auto& c : slow) {
        attackers.emplace_back([&, conn = c.get()] {
            const auto lived = trickle_head(*conn, 200ms, 20000ms);
            cut += lived < 20000ms ? 1 : 0;
            while (attacking) {
                std::this_thread::sleep_for(20ms);
            }
        });
    }
    std::this_thread::sleep_for(300ms);  // the slow connections hold what they can

    // A device syncs in the meantime, well within one head deadline's worth of waiting.
    const auto t0 = Steady::now();
    auto synced = ann.sync();
    const auto took = Steady::now() - t0;
    REQUIRE_MESSAGE(synced.is_ok(), synced.status().to_string());
    CHECK(synced->pushed == 4);
    CHECK(took < 3s);
    MESSAGE("sync during the attack took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                                           << " ms");
    attacking = false;
    for (auto& t : attackers) {
        t.join();
    }
    CHECK(cut == 8);  // every slow connection was closed
    // The first two were admitted and cut at their deadline; the rest were refused, or admitted as
    // slots came free and cut in turn: all eight are accounted for, and some of each.
    const std::string m = metrics_of(s);
    const std::int64_t refused = counter(m, "outpost_connections_refused_total");
    const std::int64_t timed_out = counter(m, "outpost_connections_timed_out_total");
    CHECK(refused + timed_out == 8);
    CHECK(refused >= 1);
    CHECK(timed_out >= 2);
}

TEST_CASE("Server: a request head that trickles in is cut at its deadline, and a slow body below its rate") {
    GuardedServer s([](sync::ServerOptions& o) {
        o.threads = 2;
        o.header_timeout_ms = 1000;
        o.min_body_bytes_per_second = 1000;
        o.max_connections_per_ip = 0;
    });
    {
        RawConn head(s.server->port(), "127.0.0.1");
        const auto lived = trickle_head(head, 100ms, 10000ms);
        CHECK(lived >= 900ms);
        CHECK(lived < 2500ms);
        head.read_to_close(3000ms);
        CHECK(head.answer().rfind("HTTP/1.1 408", 0) == 0);  // answered "too slow", and closed
        CHECK(head.answer().find(std::string(errc::kServerRequestTooSlow)) != std::string::npos);
    }
    // A body of 3,000 bytes is due within 1 s + 3 s. At 2,000 bytes/s it arrives and is answered
    // (401: no token); at 300 bytes/s it is cut before it is done.
    auto send_body = [&](int bytes_per_s) {
        RawConn c(s.server->port(), "127.0.0.1");
        REQUIRE(
            c.send("POST /v1/push HTTP/1.1\r\nHost: outpost\r\nContent-Type: application/json\r\n"
                   "Content-Length: 3000\r\n\r\n"));
        const auto t0 = Steady::now();
        int sent = 0;
        while (sent < 3000) {
            if (c.closed_or_answered(0ms)) {
                break;
            }
            const int chunk = std::max(1, bytes_per_s / 10);
            if (!c.send(std::string(static_cast<std::size_t>(std::min(chunk, 3000 - sent)), ' '))) {
                break;
            }
            sent += chunk;
            std::this_thread::sleep_for(100ms);
        }
        c.closed_or_answered(3000ms);
        return std::make_pair(c.answer(), Steady::now() - t0);
    };
    const auto [fast, fast_took] = send_body(2000);
    CHECK(fast.rfind("HTTP/1.1 401", 0) == 0);  // answered (no device token), not cut
    const auto [slow, slow_took] = send_body(300);
    CHECK(slow.rfind("HTTP/1.1 408", 0) == 0);
    CHECK(slow_took < 5500ms);  // cut at its deadline, 1 s + 3 s after the head
    CHECK(counter(metrics_of(s), "outpost_connections_timed_out_total") == 2);
}

TEST_CASE("Server: a device over its request rate gets 429 with server.rate.limited, and others do not") {
    GuardedServer s([](sync::ServerOptions& o) {
        o.device_requests_per_second = 4;
        o.device_request_burst = 5;
    });
    s.add_team("a");
    s.add_user("ann", "a", "worker");
    s.add_user("bob", "a", "worker");
    const sync::Credentials ann = s.enrol("ann");
    const sync::Credentials bob = s.enrol("bob");
    auto t = s.transport();
    auto whoami = [&](const sync::Credentials& c) {
        auto r = t->request({.method = "GET", .path = "/v1/whoami", .bearer_token = c.token});
        REQUIRE(r.is_ok());
        return *r;
    };
    for (int i = 0; i < 5; ++i) {
        CHECK(whoami(ann).status == 200);
    }
    const auto refused = whoami(ann);
    CHECK(refused.status == 429);
    CHECK(refused.body.find(std::string(errc::kServerRateLimited)) != std::string::npos);
    CHECK(whoami(bob).status == 200);    // another device has its own allowance
    std::this_thread::sleep_for(400ms);  // 4 per second: one more request's worth
    CHECK(whoami(ann).status == 200);
    CHECK(counter(metrics_of(s), "outpost_requests_rate_limited_total") == 1);
}
