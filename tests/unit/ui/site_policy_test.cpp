// The site policy file (client/site_policy.h): every setting is read, and every malformed file is a
// clear error naming the key, never a silent default.
#include "outpost/client/site_policy.h"

#include <doctest/doctest.h>

#include <fstream>

#include "outpost/core/error_codes.h"
#include "temp_dir.h"

using namespace outpost;
using namespace outpost::client;

TEST_CASE("Site policy: every setting is read") {
    const std::string pin(64, 'a');
    auto p = parse_site_policy(R"({"server_url": "https://outpost.example.org:8443", "server_cert_sha256": ")" +
                                   std::string(64, 'A') +
                                   R"(", "max_auto_lock_minutes": 5, "export_allowed": false,
                                   "min_passphrase_length": 14})",
                               "client.json");
    REQUIRE_MESSAGE(p.is_ok(), p.status().to_string());
    CHECK(p->source == "client.json");
    CHECK(p->server_url == "https://outpost.example.org:8443");
    CHECK(p->server_cert_sha256 == pin);  // upper case, as browsers show it, is accepted
    CHECK(p->max_auto_lock_minutes == 5);
    CHECK_FALSE(p->export_allowed);
    CHECK(p->min_passphrase_length == 14);
    CHECK(p->auto_lock_minutes(10) == 5);
    CHECK(p->auto_lock_minutes(3) == 3);

    auto empty = parse_site_policy("{}", "client.json");
    REQUIRE(empty.is_ok());
    CHECK(empty->export_allowed);
    CHECK(empty->min_passphrase_length == kMinPassphrase);
    CHECK(empty->auto_lock_minutes(90) == 90);

    // A colon-separated fingerprint (openssl x509 -fingerprint -sha256) is the same pin.
    std::string colons;
    for (int i = 0; i < 32; ++i) {
        colons += std::string(i == 0 ? "" : ":") + "AB";
    }
    auto c = parse_site_policy(R"({"server_cert_sha256": ")" + colons + "\"}", "x");
    REQUIRE(c.is_ok());
    std::string ab;
    for (int i = 0; i < 32; ++i) {
        ab += "ab";
    }
    CHECK(c->server_cert_sha256 == ab);
}

TEST_CASE("Site policy: a malformed file is an error naming the problem, never a default") {
    const std::pair<const char*, const char*> cases[] = {
        {"", "not valid JSON"},
        {"{\"export_allowed\": false", "not valid JSON"},
        {"[]", "JSON object"},
        {R"({"max_lock": 5})", "unknown setting \"max_lock\""},
        {R"({"export_allowed": "no"})", "export_allowed"},
        {R"({"export_allowed": 0})", "export_allowed"},
        {R"({"max_auto_lock_minutes": 0})", "max_auto_lock_minutes"},
        {R"({"max_auto_lock_minutes": 121})", "max_auto_lock_minutes"},
        {R"({"max_auto_lock_minutes": 5.5})", "max_auto_lock_minutes"},
        {R"({"max_auto_lock_minutes": "10"})", "max_auto_lock_minutes"},
        {R"({"min_passphrase_length": 4})", "min_passphrase_length"},
        {R"({"min_passphrase_length": 1000})", "min_passphrase_length"},
        {R"({"server_url": "outpost.example.org"})", "server_url"},
        {R"({"server_url": 8443})", "server_url"},
        {R"({"server_cert_sha256": "abc"})", "server_cert_sha256"},
        {R"({"server_cert_sha256": "zz"})", "server_cert_sha256"},
    };
    for (const auto& [text, expect] : cases) {
        auto p = parse_site_policy(text, "/etc/outpost/client.json");
        REQUIRE_FALSE_MESSAGE(p.is_ok(), text);
        CHECK_MESSAGE(p.status().code() == errc::kPolicyInvalid, text);
        CHECK_MESSAGE(p.status().message().find(expect) != std::string::npos, p.status().message());
        CHECK_MESSAGE(p.status().message().find("/etc/outpost/client.json") != std::string::npos, text);
    }
}

TEST_CASE("Site policy: a missing file is the default policy; an unreadable one is an error") {
    outpost::testing::TempDir tmp;
    auto none = load_site_policy(tmp / "client.json");
    REQUIRE(none.is_ok());
    CHECK(none->source.empty());
    CHECK(none->export_allowed);
    std::ofstream(tmp / "client.json") << R"({"export_allowed": false})";
    auto some = load_site_policy(tmp / "client.json");
    REQUIRE(some.is_ok());
    CHECK_FALSE(some->export_allowed);
    std::filesystem::create_directories(tmp / "dir.json");
    CHECK(load_site_policy(tmp / "dir.json").status().code() == errc::kPolicyInvalid);
}

TEST_CASE("Site policy: enrolment is refused for another server or another certificate") {
    auto p = parse_site_policy(
        R"({"server_url": "https://Outpost.Example.org:8443/", "server_cert_sha256": ")" + std::string(64, 'b') + "\"}",
        "x");
    REQUIRE(p.is_ok());
    sync::Provisioning prov;
    prov.server_url = "https://outpost.example.org:8443";
    prov.ca_sha256 = std::string(64, 'b');
    CHECK(check_provisioning(*p, prov).code() == errc::kProvisioningUnsigned);  // never from outpost-server
    prov.signature = std::string(128, 'a');       // checked at enrolment, against the server's key
    CHECK(check_provisioning(*p, prov).is_ok());  // case and a trailing slash do not matter
    prov.server_url = "https://evil.example.org:8443";
    CHECK(check_provisioning(*p, prov).code() == errc::kPolicyServerLocked);
    prov.server_url = "https://outpost.example.org:8443";
    prov.ca_sha256 = std::string(64, 'c');
    CHECK(check_provisioning(*p, prov).code() == errc::kPolicyServerLocked);
    CHECK(check_provisioning(SitePolicy{}, prov).is_ok());
}
