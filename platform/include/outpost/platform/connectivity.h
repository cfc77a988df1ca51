// Connectivity probe: can this laptop open a TCP connection to a server right now? Cheap enough to
// run every few seconds on a worker, so the client can sync the moment a connection appears instead
// of waiting for its next retry. It says nothing about HTTP or TLS; the sync itself does that.
//
// Threads: any thread; blocking for at most `timeout`. Failure: false (with no reason: the sync that
// follows reports one).
#pragma once

#include <chrono>
#include <string>

namespace outpost::platform {

// host and port of an http(s) URL ("https://a.example:8443/x" -> "a.example", 8443; the scheme's
// port when none is given). False when the URL has no host.
[[nodiscard]] bool split_url(const std::string& url, std::string& host, int& port);

// True when a TCP connection to the URL's host and port opens within `timeout`.
[[nodiscard]] bool can_connect(const std::string& url, std::chrono::milliseconds timeout);

}  // namespace outpost::platform
