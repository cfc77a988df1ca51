// Hostile requests from outside (issue #22's probe), against a real server on loopback through raw
// sockets: a flood of headers, a body that trickles, a greedy Range, smuggled lengths, and the other
// ways a request can contradict docs/PROTOCOL.md. Each regression failed on the server before it.
#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <string>

#include "outpost/core/blob_store.h"
#include "outpost/core/error_codes.h"
#include "outpost/core/records/attachments.h"
#include "raw_conn.h"
#include "sync_harness.h"

using namespace outpost;
using namespace outpost::testing;
using namespace std::chrono_literals;

namespace {

using Steady = std::chrono::steady_clock;

std::string status_line(const std::string& answer) {
    return answer.substr(0, answer.find("\r\n"));
}

std::string header_value(const std::string& answer, const std::string& name) {
    const std::size_t at = answer.find("\r\n" + name + ": ");
    if (at == std::string::npos) {
        return "";
    }
    const std::size_t from = at + name.size() + 4;
    return answer.substr(from, answer.find("\r\n", from) - from);
}

std::string body_of(const std::string& answer) {
    const std::size_t at = answer.find("\r\n\r\n");
    return at == std::string::npos ? "" : answer.substr(at + 4);
}

// Resident memory of this process, in MiB (the server runs in it).
double rss_mib() {
    std::ifstream statm("/proc/self/statm");
    long pages = 0;
    long resident = 0;
    statm >> pages >> resident;
    return static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

// A home visit on `d` with `bytes` attached, synced: the server then holds the blob whole.
std::string attach_and_sync(Device& d, const std::string& bytes) {
    std::string hash;
    {
        std::lock_guard lock(d.mutex);
        auto blobs = BlobStore::open(*d.store);
        REQUIRE(blobs.is_ok());
        auto a = (*blobs)->add_bytes(bytes, "note.txt", "text/plain", 1 << 20);
        REQUIRE(a.is_ok());
        REQUIRE((*blobs)->queue_upload(a->hash).is_ok());
        auto r = d.records->create(d.actor(), "home_visit",
                                   {{"household", std::string("Flat 3")},
                                    {"visit_date", std::string("2026-11-30")},
                                    {"visit_type", std::string("planned")},
                                    {"concerns_identified", false},
                                    {"photos", records::encode_attachments({*a})}});
        REQUIRE(r.is_ok());
        hash = a->hash;
    }
    auto s = d.sync();
    REQUIRE_MESSAGE(s.is_ok(), s.status().to_string());
    REQUIRE(s->files_uploaded == 1);
    return hash;
}

std::string round_trip(int port, const std::string& request, std::chrono::milliseconds wait = 5000ms) {
    RawConn c(port, "127.0.0.1");
    c.send(request);
    c.read_to_close(wait);
    return c.answer();
}

}  // namespace

TEST_CASE("Hostile: regression F1 - 250 MB of request headers were read and kept; now 431 at the head limit") {
    GuardedServer s([](sync::ServerOptions&) {});
    const double before = rss_mib();
    RawConn c(s.server->port(), "127.0.0.1");
    REQUIRE(c.send("GET /v1/health HTTP/1.1\r\nHost: outpost\r\n"));
    const std::string line = "X-Flood: " + std::string(3990, 'a') + "\r\n";
    std::size_t sent = 0;
    const auto t0 = Steady::now();
    while (sent < 250U * 1024 * 1024 && Steady::now() - t0 < 20s && c.send(line)) {
        sent += line.size();
    }
    c.read_to_close(5s);
    // Cut long before the flood ended: the server read its head limit and a megabyte more at most.
    CHECK(sent < 8U * 1024 * 1024);
    CHECK(rss_mib() - before < 64.0);  // the 250 MB were never held
    // And the server still answers.
    const std::string ok = round_trip(s.server->port(), "GET /v1/health HTTP/1.1\r\nHost: outpost\r\n\r\n");
    CHECK(status_line(ok) == "HTTP/1.1 200 OK");
}

TEST_CASE("Hostile: regression F1 - 5,000 small headers were accepted; now 431 and the connection closes") {
    GuardedServer s([](sync::ServerOptions&) {});
    std::string many = "GET /v1/health HTTP/1.1\r\nHost: outpost\r\n";
    for (int i = 0; i < 5000; ++i) {
        many += "X-" + std::to_string(i) + ": y\r\n";
    }
    const std::string answer = round_trip(s.server->port(), many + "\r\n");
    CHECK(status_line(answer) == "HTTP/1.1 431 Request Header Fields Too Large");
    CHECK(body_of(answer).find(errc::kServerHeadTooLarge) != std::string::npos);
    CHECK(header_value(answer, "Connection") == "close");
    // 150 headers, well under the byte limit: too many all the same.
    std::string some = "GET /v1/health HTTP/1.1\r\nHost: outpost\r\n";
    for (int i = 0; i < 150; ++i) {
        some += "X-" + std::to_string(i) + ": y\r\n";
    }
    CHECK(status_line(round_trip(s.server->port(), some + "\r\n")) == "HTTP/1.1 431 Request Header Fields Too Large");
    // 60 are fine.
    std::string fine = "GET /v1/health HTTP/1.1\r\nHost: outpost\r\n";
    for (int i = 0; i < 60; ++i) {
        fine += "X-" + std::to_string(i) + ": y\r\n";
    }
    CHECK(status_line(round_trip(s.server->port(), fine + "\r\n")) == "HTTP/1.1 200 OK");
}

TEST_CASE("Hostile: regression F2 - a declared 26 MB body at one byte every 4 s held a thread for minutes") {
    GuardedServer s([](sync::ServerOptions& o) {
        o.header_timeout_ms = 1000;  // the grace before a body must keep up with its rate
        o.min_body_bytes_per_second = 16 * 1024;
    });
    SUBCASE("an enrolment body is refused unread when it declares more than an enrolment can be") {
        const std::string answer = round_trip(
            s.server->port(), "POST /v1/enroll HTTP/1.1\r\nHost: outpost\r\nContent-Length: 26000000\r\n\r\n");
        CHECK(status_line(answer) == "HTTP/1.1 413 Payload Too Large");
        CHECK(header_value(answer, "Connection") == "close");
    }
    SUBCASE("a push body that trickles is cut within the grace and its allowance, not at its total") {
        RawConn c(s.server->port(), "127.0.0.1");
        REQUIRE(c.send("POST /v1/push HTTP/1.1\r\nHost: outpost\r\nContent-Length: 2600000\r\n\r\n"));
        const auto t0 = Steady::now();
        while (Steady::now() - t0 < 30s) {
            if (c.closed_or_answered(500ms) || !c.send("x")) {
                break;
            }
        }
        const auto lived = Steady::now() - t0;
        // 1 s of grace + a second behind the rate = 2 s; at the old total rate it had 160 s.
        CHECK(lived < 6s);
        c.read_to_close(2s);
        CHECK(c.answer().find(errc::kServerRequestTooSlow) != std::string::npos);
    }
}

TEST_CASE(
    "Hostile: regression F13 - Content-Length with Transfer-Encoding was taken as chunked and the connection kept") {
    GuardedServer s([](sync::ServerOptions&) {});
    const std::string both = round_trip(s.server->port(),
                                        "POST /v1/enroll HTTP/1.1\r\nHost: outpost\r\nContent-Length: 5\r\n"
                                        "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /v1/health HTTP/1.1\r\n\r\n");
    CHECK(status_line(both) == "HTTP/1.1 400 Bad Request");
    CHECK(header_value(both, "Connection") == "close");
    CHECK(both.find("HTTP/1.1 200") == std::string::npos);  // the smuggled second request never ran
    const std::string chunked =
        round_trip(s.server->port(),
                   "POST /v1/enroll HTTP/1.1\r\nHost: outpost\r\nTransfer-Encoding: chunked\r\n\r\n"
                   "2\r\n{}\r\n0\r\n\r\n");
    CHECK(status_line(chunked) == "HTTP/1.1 411 Length Required");
    const std::string twice = round_trip(s.server->port(),
                                         "POST /v1/enroll HTTP/1.1\r\nHost: outpost\r\nContent-Length: 2\r\n"
                                         "Content-Length: 40\r\n\r\n{}");
    CHECK(status_line(twice) == "HTTP/1.1 400 Bad Request");
    const std::string body_on_get =
        round_trip(s.server->port(), "GET /v1/health HTTP/1.1\r\nHost: outpost\r\nContent-Length: 100000\r\n\r\n");
    CHECK(status_line(body_on_get) == "HTTP/1.1 413 Payload Too Large");
}

TEST_CASE("Hostile: regression F3 - 700 ranges of a blob answered 700 copies; ranges past the end, malformed 206s") {
    SyncServerHarness h;
    h.add_team("north");
    h.add_user("ann", "north", "worker");
    Device ann(h.tmp / "ann.db", h.enrol("ann"), h.transport());
    const std::string blob(24000, 'b');
    const std::string hash = attach_and_sync(ann, blob);
    const std::string auth = "Authorization: Bearer " + ann.creds.token + "\r\n";
    const int port = h.server->port();
    auto fetch = [&](const std::string& range) {
        return round_trip(port, "GET /v1/blobs/" + hash + " HTTP/1.1\r\nHost: outpost\r\n" + auth +
                                    (range.empty() ? "" : "Range: " + range + "\r\n") + "Connection: close\r\n\r\n");
    };
    const std::string whole = fetch("");
    CHECK(status_line(whole) == "HTTP/1.1 200 OK");
    CHECK(body_of(whole) == blob);
    const std::string part = fetch("bytes=10-19");
    CHECK(status_line(part) == "HTTP/1.1 206 Partial Content");
    CHECK(header_value(part, "Content-Range") == "bytes 10-19/24000");
    CHECK(body_of(part) == blob.substr(10, 10));
    CHECK(header_value(fetch("bytes=-5"), "Content-Range") == "bytes 23995-23999/24000");
    CHECK(header_value(fetch("bytes=23990-"), "Content-Range") == "bytes 23990-23999/24000");
    CHECK(header_value(fetch("bytes=23990-99999999"), "Content-Range") == "bytes 23990-23999/24000");
    std::string greedy = "bytes=0-23999";
    for (int i = 0; i < 700; ++i) {
        greedy += ",0-23999";
    }
    for (const std::string& bad :
         {greedy, std::string("bytes=24000-24010"), std::string("bytes=0-18446744073709551615,5-"),
          std::string("bytes=5-1"), std::string("lines=1-2"), std::string("bytes=abc")}) {
        const std::string answer = fetch(bad);
        CAPTURE(bad.substr(0, 40));
        CHECK(status_line(answer) == "HTTP/1.1 416 Range Not Satisfiable");
        CHECK(body_of(answer).find(errc::kServerRangeUnsatisfiable) != std::string::npos);
        CHECK(answer.size() < 1024);
        if (bad.rfind("bytes=24000", 0) == 0 || bad.size() > 100) {
            CHECK(header_value(answer, "Content-Range") == "bytes */24000");  // (the others never parse)
        }
    }
    // A Range on any other answer is not applied at all.
    const std::string pull = round_trip(port, "GET /v1/pull HTTP/1.1\r\nHost: outpost\r\n" + auth +
                                                  "Range: bytes=0-5,0-5,0-5\r\nConnection: close\r\n\r\n");
    CHECK(status_line(pull) == "HTTP/1.1 200 OK");
}

TEST_CASE("Hostile: regression F13 - a PUT on a blob the server already held whole answered 201; now 200") {
    SyncServerHarness h;
    h.add_team("north");
    h.add_user("ann", "north", "worker");
    Device ann(h.tmp / "ann.db", h.enrol("ann"), h.transport());
    const std::string blob(5000, 'q');
    const std::string hash = attach_and_sync(ann, blob);
    const std::string answer =
        round_trip(h.server->port(), "PUT /v1/blobs/" + hash + " HTTP/1.1\r\nHost: outpost\r\nAuthorization: Bearer " +
                                         ann.creds.token + "\r\nContent-Length: " + std::to_string(blob.size()) +
                                         "\r\nConnection: close\r\n\r\n" + blob);
    CHECK(status_line(answer) == "HTTP/1.1 200 OK");
    CHECK(header_value(answer, "Outpost-Size") == "5000");
    CHECK(body_of(answer) == R"({"complete":true,"size":5000})");
}

TEST_CASE("Hostile: regression F13 - 10 pipelined requests got one answer; now each is answered in turn") {
    GuardedServer s([](sync::ServerOptions&) {});
    auto count_answers = [](const std::string& answer) {
        std::size_t n = 0;
        for (std::size_t at = answer.find("HTTP/1.1 "); at != std::string::npos;
             at = answer.find("HTTP/1.1 ", at + 1)) {
            ++n;
        }
        return n;
    };
    // Three in one write, a body among them: three answers, in order.
    const std::string three = round_trip(s.server->port(),
                                         "GET /v1/health HTTP/1.1\r\nHost: outpost\r\n\r\n"
                                         "POST /v1/enroll HTTP/1.1\r\nHost: outpost\r\nContent-Length: 2\r\n\r\n{}"
                                         "GET /v1/health HTTP/1.1\r\nHost: outpost\r\nConnection: close\r\n\r\n");
    CHECK(count_answers(three) == 3);
    const std::size_t second = three.find("HTTP/1.1 ", 1);
    CHECK(three.compare(second, 24, "HTTP/1.1 400 Bad Request") == 0);  // {} is not an enrolment
    CHECK(three.rfind("HTTP/1.1 200 OK") > second);
    // Ten: as many as a connection may carry (five), then it closes; the client sends the rest again.
    std::string ten;
    for (int i = 0; i < 10; ++i) {
        ten += "GET /v1/health HTTP/1.1\r\nHost: outpost\r\n\r\n";
    }
    const std::string answer = round_trip(s.server->port(), ten);
    CHECK(count_answers(answer) == 5);
    CHECK(answer.find("Connection: close") != std::string::npos);
}
