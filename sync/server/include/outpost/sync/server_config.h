// The server's configuration file, /etc/outpost/server.json by default.
//
//   {"data": "/var/lib/outpost", "listen": "127.0.0.1:8443", "tls_cert": "...", "tls_key": "...",
//    "public_url": "https://outpost.example.org:8443", "max_blob_mib": 25,
//    "db": "postgresql://outpost@db.example.org/outpost", "db_pool": 8, "header_timeout_seconds": 10,
//    "max_connections_per_ip": 32, "device_requests_per_second": 100, "device_request_burst": 1000,
//    "token_days": 90, "enroll_failures_per_minute": 10}
//
// Every key is optional. An unknown key, a wrong type or a value out of range is an error naming
// the file and the key (server.config.invalid): a typo must never fall back to a default silently.
// Command-line options override the file (outpost-server's main merges them).
//
// Threads: pure functions (load reads one file). Failure: Status, never an exception.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "outpost/core/status.h"

namespace outpost::sync {

inline constexpr const char* kDefaultServerConfigPath = "/etc/outpost/server.json";
inline constexpr const char* kDefaultServerDataDir = "/var/lib/outpost";

struct ServerConfig {
    std::filesystem::path data = kDefaultServerDataDir;
    std::string host = "127.0.0.1";
    int port = 8443;
    std::string tls_cert;
    std::string tls_key;
    std::string public_url;  // written into provisioning files; empty: derived from the listen address
    int max_blob_mib = 25;
    std::string db;   // postgresql://… (or a libpq key=value string): PostgreSQL instead of <data>/server.db
    int db_pool = 8;  // connections per process to PostgreSQL (1..256)
    // Slow and greedy clients (ServerOptions has the meaning of each); 0 turns the last three off.
    int header_timeout_seconds = 10;       // 1..300
    int max_connections_per_ip = 32;       // 0..1,000,000
    int device_requests_per_second = 100;  // 0..1,000,000
    int device_request_burst = 1000;       // 1..1,000,000
    int auth_failures_per_second = 2;      // 0..1,000,000 (0: no limit); refused tokens per address
    int auth_failure_burst = 20;           // 1..1,000,000
    int max_head_kib = 32;                 // 1..1,024: a request's line and headers
    int max_headers = 100;                 // 1..1,000
    int token_days = 90;                   // 1..3,650: how long a device token lives (renewed at sync)
    int enroll_failures_per_minute = 10;   // 0..1,000,000 (0: no limit); refused enrolments per address
};

// "HOST:PORT" -> host, port. False when malformed.
[[nodiscard]] bool parse_listen_address(std::string_view value, std::string& host, int& port);

// Parses the file's text; `source` names it in errors.
[[nodiscard]] Result<ServerConfig> parse_server_config(std::string_view json_text, std::string_view source);
[[nodiscard]] Result<ServerConfig> load_server_config(const std::filesystem::path& path);

}  // namespace outpost::sync
