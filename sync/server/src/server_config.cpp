#include "outpost/sync/server_config.h"

#include <charconv>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "outpost/core/error_codes.h"

namespace outpost::sync {

bool parse_listen_address(std::string_view value, std::string& host, int& port) {
    const auto colon = value.rfind(':');
    if (colon == std::string_view::npos || colon == 0 || colon + 1 >= value.size()) {
        return false;
    }
    int p = -1;
    const std::string_view digits = value.substr(colon + 1);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), p);
    if (ec != std::errc() || end != digits.data() + digits.size() || p < 0 || p > 65535) {
        return false;
    }
    host = std::string(value.substr(0, colon));
    port = p;
    return true;
}

Result<ServerConfig> parse_server_config(std::string_view json_text, std::string_view source) {
    auto invalid = [&](const std::string& why) {
        return Status::error(errc::kServerConfigInvalid, std::string(source) + ": " + why);
    };
    nlohmann::json j = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
        return invalid("not valid JSON");
    }
    if (!j.is_object()) {
        return invalid("must be a JSON object");
    }
    ServerConfig c;
    for (const auto& item : j.items()) {
        const std::string& key = item.key();  // named, not bound: clang 14 cannot capture bindings
        const nlohmann::json& value = item.value();
        auto need_string = [&]() -> Result<std::string> {
            if (!value.is_string() || value.get<std::string>().empty()) {
                return invalid("\"" + key + "\" must be a non-empty string");
            }
            return value.get<std::string>();
        };
        if (key == "data" || key == "tls_cert" || key == "tls_key" || key == "public_url" || key == "listen") {
            auto s = need_string();
            OUTPOST_TRY(s);
            if (key == "data") {
                c.data = *s;
            } else if (key == "tls_cert") {
                c.tls_cert = *s;
            } else if (key == "tls_key") {
                c.tls_key = *s;
            } else if (key == "public_url") {
                if (s->rfind("http://", 0) != 0 && s->rfind("https://", 0) != 0) {
                    return invalid("\"public_url\" must start with http:// or https://");
                }
                c.public_url = *s;
            } else if (!parse_listen_address(*s, c.host, c.port)) {
                return invalid("\"listen\" must be HOST:PORT, got \"" + *s + "\"");
            }
        } else if (key == "db") {
            if (!value.is_string() || value.get<std::string>().empty()) {
                return invalid("\"db\" must be a PostgreSQL connection string");
            }
            c.db = value.get<std::string>();
        } else if (key == "db_pool") {
            if (!value.is_number_integer() || value.get<std::int64_t>() < 1 || value.get<std::int64_t>() > 256) {
                return invalid("\"db_pool\" must be a whole number from 1 to 256");
            }
            c.db_pool = value.get<int>();
        } else if (key == "max_blob_mib") {
            if (!value.is_number_integer() || value.get<std::int64_t>() < 1 || value.get<std::int64_t>() > 1024) {
                return invalid("\"max_blob_mib\" must be a whole number from 1 to 1024");
            }
            c.max_blob_mib = value.get<int>();
        } else if (key == "header_timeout_seconds" || key == "max_connections_per_ip" ||
                   key == "device_requests_per_second" || key == "device_request_burst" ||
                   key == "auth_failures_per_second" || key == "auth_failure_burst" || key == "max_head_kib" ||
                   key == "max_headers" || key == "token_days" || key == "enroll_failures_per_minute") {
            // Limits on slow, greedy and hostile clients (docs/OPERATIONS.md, docs/SECURITY.md).
            const std::int64_t lo = key == "header_timeout_seconds" || key == "device_request_burst" ||
                                            key == "auth_failure_burst" || key == "max_head_kib" ||
                                            key == "max_headers" || key == "token_days"
                                        ? 1
                                        : 0;
            const std::int64_t hi = key == "header_timeout_seconds" ? 300
                                    : key == "max_head_kib"         ? 1024
                                    : key == "max_headers"          ? 1000
                                    : key == "token_days"           ? 3650
                                                                    : 1'000'000;
            if (!value.is_number_integer() || value.get<std::int64_t>() < lo || value.get<std::int64_t>() > hi) {
                return invalid("\"" + key + "\" must be a whole number from " + std::to_string(lo) + " to " +
                               std::to_string(hi));
            }
            const int n = value.get<int>();
            if (key == "header_timeout_seconds") {
                c.header_timeout_seconds = n;
            } else if (key == "max_connections_per_ip") {
                c.max_connections_per_ip = n;
            } else if (key == "device_requests_per_second") {
                c.device_requests_per_second = n;
            } else if (key == "device_request_burst") {
                c.device_request_burst = n;
            } else if (key == "auth_failures_per_second") {
                c.auth_failures_per_second = n;
            } else if (key == "auth_failure_burst") {
                c.auth_failure_burst = n;
            } else if (key == "max_head_kib") {
                c.max_head_kib = n;
            } else if (key == "token_days") {
                c.token_days = n;
            } else if (key == "enroll_failures_per_minute") {
                c.enroll_failures_per_minute = n;
            } else {
                c.max_headers = n;
            }
        } else {
            return invalid("unknown key \"" + key +
                           "\" (known: data, listen, tls_cert, tls_key, public_url, max_blob_mib, db, db_pool, "
                           "header_timeout_seconds, max_connections_per_ip, device_requests_per_second, "
                           "device_request_burst, auth_failures_per_second, auth_failure_burst, max_head_kib, "
                           "max_headers, token_days, enroll_failures_per_minute)");
        }
    }
    if (c.tls_cert.empty() != c.tls_key.empty()) {
        return invalid("\"tls_cert\" and \"tls_key\" go together");
    }
    return c;
}

Result<ServerConfig> load_server_config(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return Status::error(errc::kServerConfigInvalid, "cannot read the config file " + path.string());
    }
    std::stringstream text;
    text << in.rdbuf();
    if (text.str().size() > 64 * 1024) {
        return Status::error(errc::kServerConfigInvalid, path.string() + ": larger than 64 KiB");
    }
    return parse_server_config(text.str(), path.string());
}

}  // namespace outpost::sync
