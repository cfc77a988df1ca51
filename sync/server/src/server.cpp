#include "outpost/sync/server.h"

#include <httplib.h>
#include <sodium.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>

#include "conn_guard.h"
#include "outpost/core/error_codes.h"
#include "outpost/core/version.h"
#include "outpost/sync/blob_files.h"
#include "outpost/sync/form_library.h"
#include "outpost/sync/messages.h"
#include "outpost/sync/metrics.h"
#include "outpost/sync/sync_messages.h"
#include "outpost/sync/sync_service.h"
#include "request_limits.h"

namespace outpost::sync {

struct Server::Impl {
    ServerOptions options;
    ServerStorage* storage = nullptr;
    const Clock* clock = nullptr;
    std::unique_ptr<SyncService> sync;
    std::unique_ptr<BlobFiles> blobs;  // null: attachments are not set up
    std::unique_ptr<ConnGuard> guard;  // outlives http: its queue runs the connections
    HeadLimits head_limits;
    std::unique_ptr<httplib::Server> http;
    std::thread listener;
    // Requests per device (a token bucket each); guarded by rate_mutex.
    struct Bucket {
        double tokens = 0;
        std::chrono::steady_clock::time_point at;
    };
    std::mutex rate_mutex;
    std::unordered_map<std::string, Bucket> buckets;

    // Refused token checks per address (a bucket each), and when each address was last audited for one.
    std::unordered_map<std::string, Bucket> refusals;
    // Refused enrolments per address, on the server's clock (so tests can move it): a bucket each,
    // holding enroll_failures_per_minute and refilled at that rate. Guarded by rate_mutex.
    struct ClockBucket {
        double tokens = 0;
        std::int64_t at_ms = 0;
    };
    std::unordered_map<std::string, ClockBucket> enrol_refusals;
    // The server's signing key, as GET /v1/server-key serves it (lowercase hex).
    std::string signing_key_hex;

    // Whether `ip` may try an enrolment now (peek), or taking one when it was refused.
    bool enrol_bucket(const std::string& ip, bool take_one) {
        const int per_minute = options.enroll_failures_per_minute;
        if (per_minute <= 0 || exempt(ip)) {
            return true;
        }
        const std::int64_t now = clock->now_ms();
        std::lock_guard lock(rate_mutex);
        if (enrol_refusals.size() > 100'000) {
            enrol_refusals.clear();
        }
        auto [it, fresh] = enrol_refusals.try_emplace(ip, ClockBucket{static_cast<double>(per_minute), now});
        ClockBucket& b = it->second;
        if (!fresh && now > b.at_ms) {
            b.tokens =
                std::min<double>(per_minute, b.tokens + static_cast<double>(now - b.at_ms) * per_minute / 60'000.0);
            b.at_ms = now;
        }
        if (b.tokens < 1) {
            return false;
        }
        if (take_one) {
            b.tokens -= 1;
        }
        return true;
    }
    std::unordered_map<std::string, std::chrono::steady_clock::time_point> audited;

    // Takes one from the bucket `key` in `map`, refilled at `per_second` up to `burst`; false when empty.
    bool take(std::unordered_map<std::string, Bucket>& map, const std::string& key, double per_second, int burst_n,
              bool peek = false) {
        if (per_second <= 0) {
            return true;
        }
        const auto now = std::chrono::steady_clock::now();
        const double burst = std::max(1, burst_n);
        std::lock_guard lock(rate_mutex);
        if (map.size() > 100'000) {
            map.clear();  // a flood of addresses: start again rather than grow without end
        }
        auto [it, fresh] = map.try_emplace(key, Bucket{burst, now});
        Bucket& b = it->second;
        if (!fresh) {
            b.tokens = std::min(burst, b.tokens + std::chrono::duration<double>(now - b.at).count() * per_second);
            b.at = now;
        }
        if (b.tokens < 1) {
            return false;
        }
        if (!peek) {
            b.tokens -= 1;
        }
        return true;
    }
    // Takes one request from `device`'s bucket; false when it is empty.
    bool take_request(const std::string& device) {
        return take(buckets, device, options.device_requests_per_second, options.device_request_burst);
    }
    // An address's bad tokens: whether it may try again now (peek), and taking one when it failed.
    // Loopback is exempt unless limited: a reverse proxy on the host is every laptop's address.
    bool may_try_token(const std::string& ip) {
        return exempt(ip) || take(refusals, ip, options.auth_failures_per_second, options.auth_failure_burst, true);
    }
    void token_refused(const std::string& ip) {
        if (!exempt(ip)) {
            (void)take(refusals, ip, options.auth_failures_per_second, options.auth_failure_burst);
        }
    }
    bool exempt(const std::string& ip) const {
        return !options.limit_loopback_connections &&
               (ip.rfind("127.", 0) == 0 || ip == "::1" || ip == "::ffff:127.0.0.1");
    }
    // At most one audit row a minute per address and refusal code (the metrics count them all).
    bool audit_refusal(const std::string& key) {
        const auto now = std::chrono::steady_clock::now();
        std::lock_guard lock(rate_mutex);
        if (audited.size() > 100'000) {
            audited.clear();
        }
        auto [it, fresh] = audited.try_emplace(key, now);
        if (!fresh && now - it->second < std::chrono::minutes(1)) {
            return false;
        }
        it->second = now;
        return true;
    }
    // When each device was last written down as seen, and with which version: the storage hears of a
    // device at most once a minute (or when its version changes), not on every request.
    std::mutex seen_mutex;
    std::unordered_map<std::string, std::pair<std::int64_t, std::string>> seen;
    void note_seen(const std::string& device, const std::string& version) {
        const std::int64_t now = clock->now_ms();
        {
            std::lock_guard lock(seen_mutex);
            if (seen.size() > 100'000) {
                seen.clear();
            }
            auto& [at, v] = seen[device];
            if (at != 0 && now - at < 60'000 && v == version) {
                return;
            }
            at = now;
            v = version;
        }
        (void)storage->device_seen(device, now, version);  // best effort: a listing, never a refusal
    }
    int port = 0;
    bool tls = false;
    Metrics metrics;

    void log(const nlohmann::json& event) const {
        const std::string line = event.dump();
        if (options.log_sink) {
            options.log_sink(line);
        } else {
            std::cerr << line << '\n';
        }
    }
};

namespace {

std::string hex_of(std::string_view raw) {
    std::string out(raw.size() * 2 + 1, '\0');
    sodium_bin2hex(out.data(), out.size(), reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
    out.pop_back();
    return out;
}

// When the request being handled on this thread began (httplib runs one request per thread at a time).
thread_local std::chrono::steady_clock::time_point t_request_start;

void send_error(httplib::Response& res, int http_status, std::string_view code, std::string message) {
    res.status = http_status;
    res.set_content(encode_error(Status::error(code, std::move(message))), "application/json");
}

// The first line of a message (a PostgreSQL error's DETAIL and HINT lines follow it).
std::string first_line(const std::string& message) {
    return message.substr(0, message.find('\n'));
}

int http_status_for(const Status& s) {
    const std::string& c = s.code();
    if (c == errc::kProtocolMalformed || c == errc::kAccountInvalid) {
        return 400;
    }
    if (c == errc::kAuthMissing || c == errc::kAuthInvalid || c == errc::kEnrolCodeInvalid) {
        return 401;
    }
    if (c == errc::kAuthExpired) {
        return 401;  // the token is no longer good: enrol again
    }
    if (c == errc::kAuthRevoked || c == errc::kAuthWiped || c == errc::kAuthDisabled || c == errc::kAccountDisabled ||
        c == errc::kSyncDeviceMismatch) {
        return 403;
    }
    if (c == errc::kSyncCursorInvalid) {
        return 400;
    }
    if (c == errc::kEnrolCodeUsed) {
        return 409;
    }
    if (c == errc::kEnrolCodeExpired) {
        return 410;
    }
    if (c == errc::kSyncBatchTooLarge) {
        return 413;
    }
    if (c == errc::kSyncValueTooLarge || c == errc::kBlobChunkMismatch || c == errc::kBlobHashMismatch) {
        return 422;
    }
    if (c == errc::kBlobTooLarge) {
        return 413;
    }
    if (c == errc::kBlobMissing) {
        return 404;
    }
    if (c == errc::kBlobOutOfOrder) {
        return 409;
    }
    if (c == errc::kIo || c == errc::kDiskFull || c == errc::kServerDatabaseUnavailable) {
        return 503;  // the disk or the database: try again later
    }
    if (c == errc::kServerRateLimited) {
        return 429;
    }
    return 500;
}

void send_status(httplib::Response& res, const Status& s) {
    send_error(res, http_status_for(s), s.code(), s.message());
    if (s.code() == errc::kServerRateLimited) {
        res.set_header("Retry-After", "1");
    } else if (s.code() == errc::kIo || s.code() == errc::kDiskFull || s.code() == errc::kServerDatabaseUnavailable) {
        res.set_header("Retry-After", "30");  // an operator has to free space, mend the disk or start the database
    }
}

// The optional `limit` query parameter; answers 400 and returns false when it is not a positive number.
bool parse_limit(const httplib::Request& req, httplib::Response& res, int& limit) {
    if (!req.has_param("limit")) {
        return true;
    }
    const std::string l = req.get_param_value("limit");
    const auto [end, ec] = std::from_chars(l.data(), l.data() + l.size(), limit);
    if (ec != std::errc() || end != l.data() + l.size() || limit <= 0) {
        send_error(res, 400, errc::kProtocolMalformed, "limit must be a positive number");
        return false;
    }
    return true;
}

// The Outpost version in a User-Agent of the form "outpost/0.1.0" (the laptop's transport sends it);
// empty for anything else. At most 32 characters of [0-9A-Za-z.+-], so a listing shows it as it is.
std::string client_version(const std::string& agent) {
    constexpr std::string_view kPrefix = "outpost/";
    if (agent.rfind(kPrefix, 0) != 0) {
        return "";
    }
    std::string v = agent.substr(
        kPrefix.size(), agent.find(' ') == std::string::npos ? std::string::npos : agent.find(' ') - kPrefix.size());
    const bool plain = !v.empty() && v.size() <= 32 && std::all_of(v.begin(), v.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '+' || c == '-';
    });
    return plain ? v : "";
}

// The device behind the request's bearer token. Failures are audited (path and code, never the token).
Result<DeviceAuth> authenticate(Server::Impl& impl, const httplib::Request& req) {
    const std::string header = req.get_header_value("Authorization");
    // An address that keeps sending bad tokens is answered 429 without looking them up.
    if (!impl.may_try_token(req.remote_addr)) {
        impl.metrics.rate_limited();
        return Status::error(errc::kServerRateLimited, "too many refused tokens from this address; try again later");
    }
    Result<DeviceAuth> who = Status::error(errc::kAuthMissing, "this request needs a device token");
    if (header.rfind("Bearer ", 0) == 0 && header.size() > 7) {
        who = impl.storage->authenticate(header.substr(7), impl.clock->now_ms());
    }
    if (who.is_ok()) {
        impl.metrics.device_seen(who->device_id, impl.clock->now_ms());
        impl.note_seen(who->device_id, client_version(req.get_header_value("User-Agent")));
        if (!impl.take_request(who->device_id)) {
            impl.metrics.rate_limited();
            return Status::error(errc::kServerRateLimited, "too many requests from this device; try again in a moment");
        }
    }
    if (!who.is_ok() && who.status().code() != errc::kServerRateLimited) {
        impl.token_refused(req.remote_addr);
        if (impl.audit_refusal(req.remote_addr + " " + std::string(who.status().code()))) {
            (void)impl.storage->audit(impl.clock->now_ms(), "-", "request.refused",
                                      req.method + " " + req.path + " " + who.status().code() +
                                          " (more from this address in the next minute are counted, not listed)");
        }
    }
    return who;
}

// The device behind a paged GET and its optional `limit` parameter; answers the error (401, 403, or
// 400 for a limit that is not a positive number) and returns nullopt when there is one.
std::optional<DeviceAuth> authenticated_page(Server::Impl& impl, const httplib::Request& req, httplib::Response& res,
                                             int& limit) {
    Result<DeviceAuth> who = authenticate(impl, req);
    if (!who.is_ok()) {
        send_status(res, who.status());
        return std::nullopt;
    }
    if (!parse_limit(req, res, limit)) {
        return std::nullopt;
    }
    return std::move(*who);
}

// The transport takes bodies up to a whole blob; every other route keeps the smaller limit.
// The answer to a head refused before its body is read; the connection closes after it.
void refuse_head(ConnGuard& guard, httplib::Response& res, HeadVerdict verdict, std::uint64_t route_max) {
    switch (verdict) {
        case HeadVerdict::kTooLarge:
            send_error(res, 431, errc::kServerHeadTooLarge, "the request's headers are larger than the server takes");
            break;
        case HeadVerdict::kAmbiguousLength:
            send_error(res, 400, errc::kProtocolMalformed,
                       "a request may give Content-Length once, and never with Transfer-Encoding");
            break;
        case HeadVerdict::kChunked:
            send_error(res, 411, errc::kServerLengthRequired, "send the body with a Content-Length, not chunked");
            break;
        case HeadVerdict::kBadLength:
            send_error(res, 400, errc::kProtocolMalformed, "Content-Length is not a number");
            break;
        case HeadVerdict::kBodyTooLarge:
            send_error(res, 413, errc::kSyncBodyTooLarge,
                       "this request's body may be at most " + std::to_string(route_max) + " bytes");
            break;
        case HeadVerdict::kOk:
            return;
    }
    res.set_header("Connection", "close");
    guard.close_after_answer();  // httplib keeps a connection open whatever the answer says
}

bool body_too_large(Server::Impl& impl, const httplib::Request& req, httplib::Response& res) {
    if (req.body.size() <= impl.options.max_body_bytes) {
        return false;
    }
    send_error(res, 413, errc::kSyncBodyTooLarge, "request body is larger than the server accepts");
    return true;
}

// The device behind a request with a body; answers the error (413 for a body larger than the server
// takes, then 401, 403 or 429 as authenticate says) and returns nullopt when there is one.
std::optional<DeviceAuth> authenticated_post(Server::Impl& impl, const httplib::Request& req, httplib::Response& res) {
    if (body_too_large(impl, req, res)) {
        return std::nullopt;
    }
    Result<DeviceAuth> who = authenticate(impl, req);
    if (!who.is_ok()) {
        send_status(res, who.status());
        return std::nullopt;
    }
    return std::move(*who);
}

// "bytes A-B/TOTAL", each at most `max` (so no sum below can overflow); B is A-1 for an empty body.
bool parse_content_range(const std::string& h, std::int64_t max, std::int64_t& from, std::int64_t& to,
                         std::int64_t& total) {
    auto num = [&](std::string_view t, std::int64_t& out) {
        const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
        return ec == std::errc() && end == t.data() + t.size() && out >= -1 && out <= max;
    };
    if (h.rfind("bytes ", 0) != 0) {
        return false;
    }
    const std::string_view r = std::string_view(h).substr(6);
    const std::size_t dash = r.find('-', 1);
    const std::size_t slash = r.find('/');
    if (dash == std::string_view::npos || slash == std::string_view::npos || slash < dash) {
        return false;
    }
    return num(r.substr(0, dash), from) && num(r.substr(dash + 1, slash - dash - 1), to) &&
           num(r.substr(slash + 1), total) && from >= 0 && total >= 0 && to >= from - 1 && to < total;
}

// HEAD/GET/PUT /v1/blobs/{sha256}: a team reaches a blob only when one of its records names it and
// only its own upload of it; any other case is the same 404, so a hash's existence elsewhere never
// shows (docs/PROTOCOL.md, "Attachments").
void install_blob_routes(Server::Impl& impl) {
    httplib::Server& http = *impl.http;
    auto scope = [&impl](const httplib::Request& req, httplib::Response& res) -> std::optional<DeviceAuth> {
        Result<DeviceAuth> who = authenticate(impl, req);
        if (!who.is_ok()) {
            send_status(res, who.status());
            return std::nullopt;
        }
        const std::string hash = req.matches[1];
        Result<bool> named = impl.storage->blob_ref_exists(who->team, hash);
        if (!named.is_ok()) {
            send_status(res, named.status());
            return std::nullopt;
        }
        if (!*named || !impl.blobs) {
            send_error(res, 404, errc::kBlobMissing, "no such blob");
            return std::nullopt;
        }
        return std::move(*who);
    };
    http.Get(R"(/v1/blobs/([0-9a-f]{64}))", [&impl, scope](const httplib::Request& req, httplib::Response& res) {
        const std::optional<DeviceAuth> who = scope(req, res);
        if (!who) {
            return;
        }
        const std::string hash = req.matches[1];
        Result<BlobFiles::State> st = impl.blobs->state(who->team, hash);
        if (!st.is_ok()) {
            send_status(res, st.status());
            return;
        }
        if (!st->complete) {
            res.set_header("Outpost-Received", std::to_string(st->received));
            send_error(res, 404, errc::kBlobMissing, "this blob has not been uploaded whole");
            return;
        }
        res.set_header("Outpost-Size", std::to_string(st->size));
        if (req.method == "HEAD") {
            res.status = 200;
            return;
        }
        // One range at most (request_limits.h): 206 with it, 416 for anything else asked; the bytes
        // are read a piece at a time, only those asked for.
        const std::uint64_t size = static_cast<std::uint64_t>(st->size);
        ByteRange range{0, size == 0 ? 0 : size - 1};
        const RangeVerdict rv = parse_blob_range(req.get_header_value("Range"), size, range);
        if (rv == RangeVerdict::kUnsatisfiable) {
            res.set_header("Content-Range", "bytes */" + std::to_string(size));
            send_error(res, 416, errc::kServerRangeUnsatisfiable,
                       "ask for one range of bytes within the file's " + std::to_string(size));
            return;
        }
        const std::uint64_t first = rv == RangeVerdict::kOne ? range.first : 0;
        const std::uint64_t length = rv == RangeVerdict::kOne ? range.last - range.first + 1 : size;
        if (rv == RangeVerdict::kOne) {
            res.status = 206;
            res.set_header("Content-Range", "bytes " + std::to_string(range.first) + "-" + std::to_string(range.last) +
                                                "/" + std::to_string(size));
        }
        const std::string team = who->team;
        res.set_content_provider(
            static_cast<std::size_t>(length), "application/octet-stream",
            [&impl, team, hash, first](std::size_t offset, std::size_t want, httplib::DataSink& sink) {
                Result<std::string> b =
                    impl.blobs->read(team, hash, static_cast<std::int64_t>(first + offset),
                                     static_cast<std::int64_t>(std::min<std::size_t>(want, 1U << 20U)));
                return b.is_ok() && !b->empty() && sink.write(b->data(), b->size());
            });
    });
    http.Put(R"(/v1/blobs/([0-9a-f]{64}))", [&impl, scope](const httplib::Request& req, httplib::Response& res) {
        const std::optional<DeviceAuth> who = scope(req, res);
        if (!who) {
            return;
        }
        const std::string hash = req.matches[1];
        // Already whole: 200, and nothing written (PROTOCOL.md; it once answered 201 as if just made).
        if (Result<BlobFiles::State> held = impl.blobs->state(who->team, hash); held.is_ok() && held->complete) {
            res.status = 200;
            res.set_header("Outpost-Size", std::to_string(held->size));
            res.set_content("{\"complete\":true,\"size\":" + std::to_string(held->size) + "}", "application/json");
            return;
        }
        std::int64_t from = 0;
        std::int64_t to = 0;
        std::int64_t total = static_cast<std::int64_t>(req.body.size());
        if (req.has_header("Content-Range")) {
            if (!parse_content_range(req.get_header_value("Content-Range"), impl.options.max_blob_bytes, from, to,
                                     total) ||
                to - from + 1 != static_cast<std::int64_t>(req.body.size())) {
                send_error(res, 400, errc::kProtocolMalformed, "Content-Range must be bytes A-B/TOTAL for this body");
                return;
            }
        }
        Result<BlobFiles::State> st =
            impl.blobs->put(who->team, hash, from, total, req.body, req.get_header_value("Outpost-Chunk-Sha256"));
        if (!st.is_ok()) {
            if (st.status().code() == errc::kBlobOutOfOrder) {
                res.set_header("Outpost-Received", st.status().message());
                send_error(res, 409, errc::kBlobOutOfOrder, "the server holds " + st.status().message() + " bytes");
                return;
            }
            if (st.status().code() == errc::kBlobHashMismatch) {
                impl.log({{"event", "blob_refused"}, {"device", who->device_id}, {"reason", "hash_mismatch"}});
            }
            send_status(res, st.status());
            return;
        }
        if (st->complete) {
            impl.log({{"event", "blob_stored"}, {"device", who->device_id}, {"size", st->size}});
            res.status = 201;
            res.set_header("Outpost-Size", std::to_string(st->size));
            res.set_content("{\"complete\":true,\"size\":" + std::to_string(st->size) + "}", "application/json");
            return;
        }
        res.status = 202;
        res.set_header("Outpost-Received", std::to_string(st->received));
        res.set_content("{\"complete\":false,\"received\":" + std::to_string(st->received) + "}", "application/json");
    });
}

void install_routes(Server::Impl& impl) {
    httplib::Server& http = *impl.http;
    // Before a body is read: a blob PUT larger than other requests may be must come from a device,
    // so no one holds the server's memory with blob-sized bodies unauthenticated. (Other bodies are
    // read up to the transport's limit, then answered 413 past max_body_bytes: a client gets its
    // answer only after sending, so those are drained rather than cut.)
    http.set_pre_routing_handler([&impl](const httplib::Request& req, httplib::Response& res) {
        t_request_start = std::chrono::steady_clock::now();  // for the latency histogram
        // A Range is for the blob download alone, which reads the header itself (one range, never
        // past the end). httplib would apply any Range to any answer, several at once: 700 copies of
        // a blob in one answer. (httplib owns the request; the pre-routing hook only sees it const.)
        const_cast<httplib::Request&>(req).ranges.clear();
        // The head as a whole, and the body's framing and size, before a byte of the body is read.
        // A push may be drained past its limit and answered 413, since the laptop halves its batch on
        // that answer; everything else is refused unread, and the connection closed.
        const bool blob = req.method == "PUT" && req.path.rfind("/v1/blobs/", 0) == 0;
        const std::uint64_t payload_max = std::max<std::uint64_t>(
            impl.options.max_body_bytes, static_cast<std::uint64_t>(impl.options.max_blob_bytes) + 4096);
        const std::uint64_t route_max =
            max_body_for(req.method, req.path, payload_max, static_cast<std::uint64_t>(impl.options.max_blob_bytes));
        std::uint64_t n = 0;
        const HeadVerdict verdict =
            check_head(summarise_head(req.headers), impl.guard->head_cut(), route_max, impl.head_limits, n);
        if (verdict != HeadVerdict::kOk) {
            refuse_head(*impl.guard, res, verdict, route_max);
            return httplib::Server::HandlerResponse::Handled;
        }
        impl.guard->begin_body(n);  // the head is in; the body must keep up with its rate
        const bool large = n > impl.options.max_body_bytes;
        if (blob && large) {
            if (Result<DeviceAuth> who = authenticate(impl, req); !who.is_ok()) {
                send_status(res, who.status());
                return httplib::Server::HandlerResponse::Handled;
            }
        }
        return httplib::Server::HandlerResponse::Unhandled;
    });
    // A blob may come whole in one PUT (within its limit); other bodies are far smaller.
    http.set_payload_max_length(std::max<std::size_t>(impl.options.max_body_bytes,
                                                      static_cast<std::size_t>(impl.options.max_blob_bytes) + 4096));

    http.Post("/v1/enroll", [&impl](const httplib::Request& req, httplib::Response& res) {
        if (body_too_large(impl, req, res)) {
            return;
        }
        // An address whose codes keep being refused waits a minute, without a look-up: codes are
        // 80 random bits, and this keeps guessing at them slow from any one address.
        if (!impl.enrol_bucket(req.remote_addr, /*take_one=*/false)) {
            impl.metrics.rate_limited();
            send_error(res, 429, errc::kServerRateLimited,
                       "too many refused enrolments from this address; try again in a minute");
            res.set_header("Retry-After", "60");
            return;
        }
        Result<EnrollRequest> in = decode_enroll_request(req.body);
        if (!in.is_ok()) {
            (void)impl.enrol_bucket(req.remote_addr, /*take_one=*/true);
            send_status(res, in.status());
            return;
        }
        Result<Enrolment> e =
            impl.storage->enrol(in->code, in->device_name, impl.clock->now_ms(), impl.options.token_days * kDayMs);
        if (!e.is_ok()) {
            if (e.status().code() != errc::kIo && e.status().code() != errc::kDiskFull &&
                e.status().code() != errc::kServerDatabaseUnavailable) {
                (void)impl.enrol_bucket(req.remote_addr, /*take_one=*/true);
            }
            send_status(res, e.status());
            return;
        }
        impl.log({{"event", "device_enrolled"}, {"device", e->device_id}, {"user", e->user}, {"team", e->team}});
        res.set_content(encode(EnrollResponse{e->device_id, e->token, e->user, e->team, e->role}), "application/json");
    });

    http.Get("/v1/whoami", [&impl](const httplib::Request& req, httplib::Response& res) {
        Result<DeviceAuth> who = authenticate(impl, req);
        if (!who.is_ok()) {
            send_status(res, who.status());
            return;
        }
        // "renew": once less than a third of a token's life remains, the laptop asks for a new one.
        const std::int64_t life = impl.options.token_days * kDayMs;
        const bool renew = who->token_expires_ms - impl.clock->now_ms() < life / 3;
        nlohmann::json j = {{"device_id", who->device_id},
                            {"user", who->user},
                            {"team", who->team},
                            {"role", who->role},
                            {"token_expires_ms", who->token_expires_ms},
                            {"renew", renew}};
        res.set_content(j.dump(), "application/json");
    });

    // A new token for the device (body "{}"); the one presented stays valid until its own expiry, so
    // an answer lost on the way never locks the laptop out.
    http.Post("/v1/token/renew", [&impl](const httplib::Request& req, httplib::Response& res) {
        const std::optional<DeviceAuth> who = authenticated_post(impl, req, res);
        if (!who) {
            return;
        }
        Result<IssuedToken> t =
            impl.storage->renew_token(who->device_id, impl.clock->now_ms(), impl.options.token_days * kDayMs);
        if (!t.is_ok()) {
            send_status(res, t.status());
            return;
        }
        impl.log({{"event", "token_renewed"}, {"device", who->device_id}});
        const nlohmann::json j = {{"token", t->token}, {"token_expires_ms", t->expires_ms}};
        res.set_content(j.dump(), "application/json");
    });

    // The server's Ed25519 public key, which signs provisioning files (no device needed: it is public,
    // and a laptop checks it against the file it was given over the pinned connection).
    http.Get("/v1/server-key", [&impl](const httplib::Request&, httplib::Response& res) {
        const nlohmann::json j = {{"signing_key", impl.signing_key_hex}};
        res.set_content(j.dump(), "application/json");
    });

    http.Post("/v1/push", [&impl](const httplib::Request& req, httplib::Response& res) {
        const std::optional<DeviceAuth> who = authenticated_post(impl, req, res);
        if (!who) {
            return;
        }
        Result<PushRequest> in = decode_push_request(req.body);
        if (!in.is_ok()) {
            (void)impl.storage->audit(impl.clock->now_ms(), who->user, "push.refused", in.status().code());
            send_status(res, in.status());
            return;
        }
        Result<PushResponse> out = impl.sync->push(*who, *in);
        if (!out.is_ok()) {
            (void)impl.storage->audit(impl.clock->now_ms(), who->user, "push.refused", out.status().code());
            send_status(res, out.status());
            return;
        }
        int counts[4] = {0, 0, 0, 0};
        for (const ChangeResult& r : out->results) {
            ++counts[static_cast<int>(r.outcome)];
            if (r.code == errc::kSyncScopeForbidden || r.code == errc::kFieldNotEditable) {
                // Attempts outside the device's scope or role are kept for review (record id, no values).
                (void)impl.storage->audit(impl.clock->now_ms(), who->user, "change.refused",
                                          r.code + " seq " + std::to_string(r.seq));
            }
        }
        impl.metrics.push(counts[0], counts[1], counts[2], counts[3]);
        impl.log({{"event", "push"},
                  {"device", who->device_id},
                  {"applied", counts[0]},
                  {"superseded", counts[1]},
                  {"conflict", counts[2]},
                  {"rejected", counts[3]}});
        res.set_content(encode(*out), "application/json");
    });

    http.Get("/v1/pull", [&impl](const httplib::Request& req, httplib::Response& res) {
        int limit = kDefaultPullLimit;
        const std::optional<DeviceAuth> who = authenticated_page(impl, req, res, limit);
        if (!who) {
            return;
        }
        Result<PullResponse> out = impl.sync->pull(*who, req.get_param_value("cursor"), limit);
        if (!out.is_ok()) {
            send_status(res, out.status());
            return;
        }
        res.set_content(encode(*out), "application/json");
    });

    http.Get("/v1/snapshot", [&impl](const httplib::Request& req, httplib::Response& res) {
        int limit = kDefaultPullLimit;
        const std::optional<DeviceAuth> who = authenticated_page(impl, req, res, limit);
        if (!who) {
            return;
        }
        Result<std::string> out = impl.sync->snapshot(*who, req.get_param_value("after"), limit);
        if (!out.is_ok()) {
            send_status(res, out.status());
            return;
        }
        res.set_content(std::move(*out), "application/json");
    });

    http.Get("/v1/schemas", [&impl](const httplib::Request& req, httplib::Response& res) {
        Result<DeviceAuth> who = authenticate(impl, req);
        if (!who.is_ok()) {
            send_status(res, who.status());
            return;
        }
        const std::shared_ptr<const FormSet> forms = impl.sync->forms();
        res.set_header("ETag", forms->etag);
        res.set_header("Outpost-Max-Blob-Bytes", std::to_string(impl.options.max_blob_bytes));
        if (req.get_header_value("If-None-Match") == forms->etag) {
            res.status = 304;
            return;
        }
        res.set_content("{\"schemas\":" + forms->json + "}", "application/json");
    });

    install_blob_routes(impl);

    http.Get("/v1/health", [&impl](const httplib::Request&, httplib::Response& res) {
        HealthInfo h{.service = "outpost-server",
                     .version = std::string(version()),
                     .git_hash = std::string(git_hash()),
                     .protocols = {std::string(protocol_version())},
                     .server_time_ms = impl.clock->now_ms()};
        res.set_content(encode_health(h), "application/json");
    });

    // Readiness, for a load balancer: 200 only when this process can reach its database (a query,
    // not just a connection), 503 server.database.unavailable with the back end's message otherwise.
    // /v1/health says only that the process answers.
    http.Get("/v1/ready", [&impl](const httplib::Request&, httplib::Response& res) {
        Result<ServerIdentity> id = impl.storage->identity();
        if (!id.is_ok()) {
            send_error(res, 503, errc::kServerDatabaseUnavailable,
                       "this process cannot reach its database: " + first_line(id.status().message()));
            res.set_header("Retry-After", "5");
            return;
        }
        res.set_content(R"({"ready":true,"database":"ok"})", "application/json");
    });

    // Anything unrouted gets a JSON error with a stable code (httplib calls this for 404s, and for
    // 413 when a body exceeds the payload limit).
    http.set_error_handler([&impl](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty() || res.status == 304) {
            return;
        }
        if (impl.guard->head_cut()) {
            send_error(res, 431, errc::kServerHeadTooLarge, "the request's headers are larger than the server takes");
            res.set_header("Connection", "close");
        } else if (impl.guard->timed_out()) {
            send_error(res, 408, errc::kServerRequestTooSlow,
                       "the request did not arrive in time (a head within " +
                           std::to_string(impl.options.header_timeout_ms / 1000) + " s, a body at " +
                           std::to_string(impl.options.min_body_bytes_per_second / 1024) + " KiB/s or faster)");
            res.set_header("Connection", "close");
        } else if (res.status == 413 || req.body.size() > impl.options.max_body_bytes) {
            send_error(res, 413, errc::kSyncBodyTooLarge, "request body is larger than the server accepts");
        } else if (res.status == 404) {
            send_error(res, 404, errc::kSyncNotFound, "no such endpoint: " + req.method + " " + req.path);
        } else if (res.status == 416) {
            send_error(res, 416, errc::kServerRangeUnsatisfiable, "the Range header is not one range of bytes");
        } else {
            send_error(res, res.status, errc::kSyncServerError, "request failed");
        }
    });
    http.set_exception_handler([&impl](const httplib::Request& req, httplib::Response& res, std::exception_ptr) {
        impl.log({{"event", "handler_exception"}, {"method", req.method}, {"path", req.path}});
        send_error(res, 500, errc::kInternal, "internal server error");
    });
    // Prometheus text format; counts only (metrics.h). Restrict it at the proxy (docs/OPERATIONS.md).
    http.Get("/v1/metrics", [&impl](const httplib::Request&, httplib::Response& res) {
        const ConnGuardStats guarded = impl.guard->stats();
        impl.metrics.connection_guard(guarded.timed_out, guarded.refused);
        res.set_content(impl.metrics.prometheus(impl.clock->now_ms()), "text/plain; version=0.0.4; charset=utf-8");
    });
    // Counted before the answer is written (httplib calls this just before it writes the response;
    // its logger runs only after): a client that has its answer then finds it counted in /v1/metrics.
    // A request answered before its head was whole (400, 408) has no start: it counts as 0 s.
    http.set_post_routing_handler([&impl](const httplib::Request& req, httplib::Response& res) {
        const auto start = std::exchange(t_request_start, std::chrono::steady_clock::time_point{});
        const double seconds = start == std::chrono::steady_clock::time_point{}
                                   ? 0.0
                                   : std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        impl.metrics.request(req.method, req.path, res.status, seconds);
    });
    http.set_logger([&impl](const httplib::Request& req, const httplib::Response& res) {
        impl.guard->end_request();  // a kept-alive connection's next head has its own deadline
        // Method, path and status only: never headers (tokens) or bodies (records). A 5xx also gets
        // its cause: the code and the first line of the back end's message (a database's detail
        // lines can quote a row, so they are left out).
        nlohmann::json line = {{"event", "request"}, {"ts_ms", impl.clock->now_ms()}, {"method", req.method},
                               {"path", req.path},   {"status", res.status},          {"remote", req.remote_addr}};
        if (res.status >= 500) {
            const Status cause = decode_error(res.body);
            line["code"] = cause.code();
            line["cause"] = first_line(cause.message()).substr(0, 300);
        }
        impl.log(line);
    });
}

}  // namespace

Server::Server(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {
}

Server::~Server() {
    stop();
}

Result<std::unique_ptr<Server>> Server::start(const ServerOptions& options, ServerStorage& storage,
                                              const Clock& clock) {
    const bool want_tls = !options.tls_cert_path.empty() || !options.tls_key_path.empty();
    if (want_tls && (options.tls_cert_path.empty() || options.tls_key_path.empty())) {
        return Status::error(errc::kServerConfigInvalid, "both --tls-cert and --tls-key are needed for HTTPS");
    }
    if (!want_tls && !is_loopback_host(options.host)) {
        return Status::error(
            errc::kServerPlainHttpRefused,
            "refusing plain HTTP on " + options.host + ": give --tls-cert and --tls-key, or listen on 127.0.0.1");
    }
    auto impl = std::make_unique<Impl>();
    impl->options = options;
    impl->head_limits = {.max_head_bytes = options.max_head_bytes, .max_headers = options.max_headers};
    impl->storage = &storage;
    impl->clock = &clock;
    {
        Result<SigningKey> key = storage.signing_key();
        OUTPOST_TRY(key);
        impl->signing_key_hex = hex_of(key->public_key);  // the secret stays in the database
    }
    OUTPOST_TRY(seed_forms_from(storage, options.forms_dir.empty() ? records::bundled_forms_dir() : options.forms_dir,
                                clock.now_ms()));
    impl->sync = std::make_unique<SyncService>(storage, clock);
    if (!options.blob_dir.empty()) {
        impl->blobs = std::make_unique<BlobFiles>(options.blob_dir, options.max_blob_bytes);
    }
    OUTPOST_TRY(impl->sync->start());
    if (want_tls) {
        auto ssl = std::make_unique<httplib::SSLServer>(options.tls_cert_path.c_str(), options.tls_key_path.c_str());
        if (!ssl->is_valid()) {
            return Status::error(errc::kServerConfigInvalid, "cannot load the TLS certificate or key");
        }
        impl->http = std::move(ssl);
        impl->tls = true;
    } else {
        impl->http = std::make_unique<httplib::Server>();
    }
    const std::size_t threads = static_cast<std::size_t>(std::clamp(options.threads, 2, 1024));
    impl->guard = std::make_unique<ConnGuard>(
        ConnLimits{.head_timeout = std::chrono::milliseconds(std::max(100, options.header_timeout_ms)),
                   .max_head_bytes = options.max_head_bytes,
                   .min_body_bytes_per_s = options.min_body_bytes_per_second,
                   .max_per_ip = options.max_connections_per_ip,
                   .limit_loopback = options.limit_loopback_connections});
    ConnGuard* guard = impl->guard.get();
    impl->http->new_task_queue = [guard, threads] { return guard->make_queue(threads); };
    impl->http->set_keep_alive_timeout(std::max(1, options.keep_alive_seconds));
    // Debian's cpp-httplib is built to listen() with a backlog of 5: a burst of laptops connecting at
    // once overflowed it (server_load: connections dropped and retried a second later, or reset).
    // The listening socket is noted here and its backlog raised once bound (listen() again does that).
    auto listening = std::make_shared<int>(-1);
    impl->http->set_socket_options([listening](socket_t sock) {
        httplib::default_socket_options(sock);
        *listening = sock;
    });
    install_routes(*impl);

    if (options.port == 0) {
        impl->port = impl->http->bind_to_any_port(options.host);
    } else {
        impl->port = impl->http->bind_to_port(options.host, options.port) ? options.port : -1;
    }
    if (impl->port > 0 && *listening >= 0) {
        ::listen(*listening, 1024);
    }
    if (impl->port <= 0) {
        return Status::error(errc::kServerBindFailed,
                             "cannot listen on " + options.host + ":" + std::to_string(options.port));
    }
    httplib::Server* http = impl->http.get();
    impl->listener = std::thread([http] { http->listen_after_bind(); });
    while (!http->is_running()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    impl->log({{"event", "listening"}, {"host", options.host}, {"port", impl->port}, {"tls", impl->tls}});
    return std::unique_ptr<Server>(new Server(std::move(impl)));
}

int Server::port() const {
    return m_impl->port;
}
bool Server::is_tls() const {
    return m_impl->tls;
}

std::string Server::base_url() const {
    return std::string(m_impl->tls ? "https://" : "http://") + m_impl->options.host + ":" +
           std::to_string(m_impl->port);
}

void Server::stop() {
    if (m_impl && m_impl->http) {
        m_impl->http->stop();
        if (m_impl->listener.joinable()) {
            m_impl->listener.join();
        }
    }
}

}  // namespace outpost::sync
