// HostileProxy: a proxy on loopback in front of a real outpost-server, passing every request through
// but for those a test answers itself, as a compromised server (or anything on the path) might.
#pragma once

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>

namespace outpost::testing {

// Passes requests to `upstream` except those `answer` takes (it returns true when it answered).
class HostileProxy {
public:
    using Answer = std::function<bool(const httplib::Request&, httplib::Response&)>;
    HostileProxy(int upstream, Answer answer) : m_upstream(upstream), m_answer(std::move(answer)) {
        auto pass = [this](const httplib::Request& req, httplib::Response& res) {
            ++m_requests;
            if (m_answer(req, res)) {
                return;
            }
            httplib::Client up("127.0.0.1", m_upstream);
            httplib::Headers h;
            for (const auto& [k, v] : req.headers) {
                if (k == "Authorization" || k == "If-None-Match" || k == "Range" || k == "Content-Range" ||
                    k == "Outpost-Chunk-Sha256") {
                    h.emplace(k, v);
                }
            }
            std::string path = req.path;
            if (!req.params.empty()) {
                path += "?";
                for (const auto& [k, v] : req.params) {
                    path += (path.back() == '?' ? "" : "&") + k + "=" + v;
                }
            }
            httplib::Result r = req.method == "GET"    ? up.Get(path, h)
                                : req.method == "HEAD" ? up.Head(path, h)
                                : req.method == "PUT"  ? up.Put(path, h, req.body, "application/octet-stream")
                                                       : up.Post(path, h, req.body, "application/json");
            if (!r) {
                res.status = 502;
                return;
            }
            res.status = r->status;
            for (const auto& [k, v] : r->headers) {
                if (k == "ETag" || k.rfind("Outpost-", 0) == 0 || k == "Content-Range") {
                    res.set_header(k, v);
                }
            }
            res.body = r->body;
            res.set_header("Content-Type", r->get_header_value("Content-Type"));
        };
        m_http.Get(".*", pass);
        m_http.Post(".*", pass);
        m_http.Put(".*", pass);
        m_port = m_http.bind_to_any_port("127.0.0.1");
        m_thread = std::thread([this] { m_http.listen_after_bind(); });
        while (!m_http.is_running()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    }
    ~HostileProxy() {
        m_http.stop();
        m_thread.join();
    }
    HostileProxy(const HostileProxy&) = delete;
    HostileProxy& operator=(const HostileProxy&) = delete;
    [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port); }
    [[nodiscard]] int requests() const { return m_requests.load(); }

private:
    int m_upstream;
    Answer m_answer;
    httplib::Server m_http;
    int m_port = 0;
    std::thread m_thread;
    std::atomic<int> m_requests{0};
};

}  // namespace outpost::testing
