// Transport: the seam between the sync client and the network. The sync engine is given a Transport;
// it never creates one. HttpTransport talks HTTP(S) with cpp-httplib; tests may wrap it to inject
// faults.
//
// Threads: a Transport is used by one thread at a time (the sync worker).
// Failure: request() fails only when no HTTP response arrived (errc::kSyncNetworkUnreachable);
// HTTP error statuses are returned as responses for the caller to decode.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "outpost/core/status.h"

namespace outpost::sync {

struct HttpRequest {
    std::string method;  // "GET", "POST", ...
    std::string path;    // "/v1/health"
    std::string body;
    std::string content_type = "application/json";
    std::string bearer_token;                                  // empty: no Authorization header
    std::string if_none_match;                                 // empty: no If-None-Match header
    std::vector<std::pair<std::string, std::string>> headers;  // any others (Range, Content-Range, ...)
    // The largest answer taken; a longer one is not read (sync.answer.too_large). 0: kMaxAnswerBytes.
    std::size_t max_response_bytes = 0;
};

// What an answer may be at most unless a request says otherwise: enrolment, health, push answers
// and errors are small.
inline constexpr std::size_t kMaxAnswerBytes = 4U * 1024U * 1024U;

struct HttpResponse {
    int status = 0;
    std::string body;
    std::string etag;
    // The Outpost-* headers and Content-Range, when the server sent them.
    std::map<std::string, std::string> headers;
};

class Transport {
public:
    virtual ~Transport() = default;
    [[nodiscard]] virtual Result<HttpResponse> request(const HttpRequest& req) = 0;
};

struct HttpTransportOptions {
    std::string base_url;      // "http://127.0.0.1:8443" or "https://host:port"
    std::string ca_cert_path;  // https: trust this CA / self-signed certificate
    std::chrono::milliseconds connect_timeout{5000};
    std::chrono::milliseconds read_timeout{30000};
};

// Builds an HTTP(S) transport. Fails with errc::kInvalidArgument on a URL it cannot use.
[[nodiscard]] Result<std::unique_ptr<Transport>> make_http_transport(const HttpTransportOptions& options);

}  // namespace outpost::sync
