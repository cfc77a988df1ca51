#include <httplib.h>

#include <charconv>
#include <optional>
#include <string>

#include "outpost/core/error_codes.h"
#include "outpost/core/version.h"
#include "outpost/sync/transport.h"

namespace outpost::sync {
namespace {

class HttpTransport final : public Transport {
public:
    explicit HttpTransport(std::unique_ptr<httplib::Client> client) : m_client(std::move(client)) {}

    Result<HttpResponse> request(const HttpRequest& req) override {
        httplib::Headers headers;
        // The server lists each device's version for IT (outpost-server device list).
        headers.emplace("User-Agent", "outpost/" + std::string(version()));
        if (!req.bearer_token.empty()) {
            headers.emplace("Authorization", "Bearer " + req.bearer_token);
        }
        if (!req.if_none_match.empty()) {
            headers.emplace("If-None-Match", req.if_none_match);
        }
        for (const auto& [name, value] : req.headers) {
            headers.emplace(name, value);
        }
        if (req.method != "GET" && req.method != "POST" && req.method != "PUT" && req.method != "HEAD") {
            return Status::error(errc::kInvalidArgument, "unsupported HTTP method " + req.method);
        }
        // The answer is read no further than the request allows: a server (or anything on the way)
        // declaring or sending more is cut off there.
        const std::size_t max = req.max_response_bytes > 0 ? req.max_response_bytes : kMaxAnswerBytes;
        bool too_large = false;
        std::string body;
        httplib::Request r;
        r.method = req.method;
        r.path = req.path;
        r.headers = std::move(headers);
        if (req.method == "POST" || req.method == "PUT") {
            r.body = req.body;
            r.set_header("Content-Type", req.content_type);
        }
        r.response_handler = [&](const httplib::Response& head) {
            const std::string declared = head.get_header_value("Content-Length");
            std::uint64_t n = 0;
            const auto [end, ec] = std::from_chars(declared.data(), declared.data() + declared.size(), n);
            if (!declared.empty() && (ec != std::errc() || n > max)) {
                too_large = true;  // (a length that is no number is not one to read up to either)
                return false;
            }
            return true;
        };
        r.content_receiver = [&](const char* data, std::size_t n, std::uint64_t, std::uint64_t) {
            if (body.size() + n > max) {
                too_large = true;
                return false;
            }
            body.append(data, n);
            return true;
        };
        httplib::Result res = m_client->send(r);
        if (too_large) {
            return Status::error(errc::kSyncAnswerTooLarge, "the server's answer to " + req.method + " " +
                                                                req.path.substr(0, req.path.find('?')) + " is over " +
                                                                std::to_string(max) + " bytes");
        }
        if (!res) {
            return Status::error(errc::kSyncNetworkUnreachable,
                                 "no response from server: " + httplib::to_string(res.error()));
        }
        res->body = std::move(body);
        HttpResponse out{res->status, std::move(res->body), res->get_header_value("ETag"), {}};
        for (const char* name : {"Outpost-Received", "Outpost-Size", "Outpost-Max-Blob-Bytes", "Content-Range"}) {
            if (res->has_header(name)) {
                out.headers[name] = res->get_header_value(name);
            }
        }
        return out;
    }

private:
    std::unique_ptr<httplib::Client> m_client;
};

}  // namespace

Result<std::unique_ptr<Transport>> make_http_transport(const HttpTransportOptions& options) {
    const std::string& url = options.base_url;
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
        return Status::error(errc::kInvalidArgument, "server URL must start with http:// or https://: " + url);
    }
    auto client = std::make_unique<httplib::Client>(url);
    if (!client->is_valid()) {
        return Status::error(errc::kInvalidArgument, "cannot use server URL " + url);
    }
    if (!options.ca_cert_path.empty()) {
        client->set_ca_cert_path(options.ca_cert_path);
        client->enable_server_certificate_verification(true);
    }
    client->set_connection_timeout(options.connect_timeout);
    client->set_read_timeout(options.read_timeout);
    client->set_write_timeout(options.read_timeout);
    return std::unique_ptr<Transport>(std::make_unique<HttpTransport>(std::move(client)));
}

}  // namespace outpost::sync
