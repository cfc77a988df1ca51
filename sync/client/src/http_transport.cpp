#include <httplib.h>

#include <optional>

#include "outpost/core/error_codes.h"
#include "outpost/sync/transport.h"

namespace outpost::sync {
namespace {

class HttpTransport final : public Transport {
public:
    explicit HttpTransport(std::unique_ptr<httplib::Client> client) : m_client(std::move(client)) {}

    Result<HttpResponse> request(const HttpRequest& req) override {
        httplib::Headers headers;
        if (!req.bearer_token.empty()) {
            headers.emplace("Authorization", "Bearer " + req.bearer_token);
        }
        if (!req.if_none_match.empty()) {
            headers.emplace("If-None-Match", req.if_none_match);
        }
        for (const auto& [name, value] : req.headers) {
            headers.emplace(name, value);
        }
        auto send = [&]() -> std::optional<httplib::Result> {
            if (req.method == "GET") {
                return m_client->Get(req.path, headers);
            }
            if (req.method == "POST") {
                return m_client->Post(req.path, headers, req.body, req.content_type);
            }
            if (req.method == "PUT") {
                return m_client->Put(req.path, headers, req.body, req.content_type);
            }
            if (req.method == "HEAD") {
                return m_client->Head(req.path, headers);
            }
            return std::nullopt;
        };
        std::optional<httplib::Result> sent = send();
        if (!sent) {
            return Status::error(errc::kInvalidArgument, "unsupported HTTP method " + req.method);
        }
        httplib::Result& res = *sent;
        if (!res) {
            return Status::error(errc::kSyncNetworkUnreachable,
                                 "no response from server: " + httplib::to_string(res.error()));
        }
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
