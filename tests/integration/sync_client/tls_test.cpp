// TLS on loopback with a real certificate: the client trusts only the pinned CA certificate.
#include <doctest/doctest.h>

#include <cstdlib>
#include <string>

#include "outpost/sync/server.h"
#include "outpost/sync/server_api.h"
#include "temp_dir.h"

using namespace outpost::sync;
using outpost::testing::TempDir;

namespace {

// A self-signed certificate for 127.0.0.1 made by the openssl CLI (installed by scripts/setup).
bool make_certificate(const TempDir& tmp, const std::string& name) {
    const std::string cmd =
        "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost "
        "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout '" +
        (tmp / (name + ".key")).string() + "' -out '" + (tmp / (name + ".pem")).string() + "' > /dev/null 2>&1";
    return std::system(cmd.c_str()) == 0;
}

}  // namespace

TEST_CASE("TLS: the client reaches an HTTPS server through its pinned certificate, and only then") {
    TempDir tmp;
    REQUIRE(make_certificate(tmp, "server"));
    REQUIRE(make_certificate(tmp, "other"));
    REQUIRE(init_sqlite_data_dir(tmp / "data").is_ok());
    auto storage = open_sqlite_storage(tmp / "data");
    REQUIRE(storage.is_ok());
    ServerOptions o;
    o.tls_cert_path = (tmp / "server.pem").string();
    o.tls_key_path = (tmp / "server.key").string();
    o.log_sink = [](const std::string&) {};
    auto server = Server::start(o, **storage);
    REQUIRE_MESSAGE(server.is_ok(), server.status().to_string());
    CHECK((*server)->is_tls());
    CHECK((*server)->base_url().rfind("https://127.0.0.1:", 0) == 0);

    auto pinned =
        make_http_transport({.base_url = (*server)->base_url(), .ca_cert_path = (tmp / "server.pem").string()});
    REQUIRE(pinned.is_ok());
    ServerApi api(**pinned);
    auto health = api.health();
    REQUIRE_MESSAGE(health.is_ok(), health.status().to_string());
    CHECK(health->service == "outpost-server");

    // A different certificate pinned: the connection is refused, as a network error with a reason.
    auto wrong = make_http_transport({.base_url = (*server)->base_url(), .ca_cert_path = (tmp / "other.pem").string()});
    REQUIRE(wrong.is_ok());
    ServerApi wrong_api(**wrong);
    auto refused = wrong_api.health();
    CHECK(refused.status().code() == "sync.network.unreachable");

    // Plain HTTP to the TLS port gets no usable answer either.
    std::string plain_url = (*server)->base_url();
    plain_url.replace(0, 5, "http");
    auto plain = make_http_transport({.base_url = plain_url});
    REQUIRE(plain.is_ok());
    ServerApi plain_api(**plain);
    CHECK_FALSE(plain_api.health().is_ok());
}

TEST_CASE("TLS: a server refuses to start with a missing or unreadable certificate") {
    TempDir tmp;
    REQUIRE(init_sqlite_data_dir(tmp / "data").is_ok());
    auto storage = open_sqlite_storage(tmp / "data");
    REQUIRE(storage.is_ok());
    ServerOptions o;
    o.tls_cert_path = (tmp / "missing.pem").string();
    o.tls_key_path = (tmp / "missing.key").string();
    auto server = Server::start(o, **storage);
    CHECK(server.status().code() == "server.config.invalid");
}
