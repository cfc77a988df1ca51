#include "outpost/ui/app.h"

#include <imgui.h>

#include <chrono>

#include "outpost/core/error_codes.h"
#include "outpost/sync/server_api.h"
#include "views/home_view.h"
#include "views/status_bar_view.h"

namespace outpost::ui {

std::string connection_label(const AppState& state) {
    switch (state.connection) {
        case Connection::kUnknown:
            return state.server_url.empty() ? "No server configured" : "Not checked yet";
        case Connection::kChecking:
            return "Checking connection...";
        case Connection::kOnline:
            return "Online - server " + state.server_version;
        case Connection::kOffline:
            return "Offline";
    }
    return "";
}

App::App(AppOptions options, const Clock& clock) : m_options(std::move(options)), m_clock(clock) {
    m_state.server_url = m_options.server_url;
    if (!m_state.server_url.empty()) {
        start_server_check();
    }
}

App::~App() {
    if (m_worker.joinable()) {
        m_worker.join();
    }
}

void App::frame() {
    m_queue.drain(m_state);
    ++m_state.frame;
    m_widgets.begin_frame();
    Intents intents;
    ViewContext ctx{intents, m_widgets};
    draw_home(m_state, ctx);
    draw_status_bar(m_state, ctx);
    for (const Intent& i : intents) {
        apply(i);
    }
}

void App::apply(const Intent& intent) {
    if (std::holds_alternative<CheckServerIntent>(intent)) {
        start_server_check();
    } else if (std::holds_alternative<QuitIntent>(intent)) {
        m_quit = true;
    }
}

void App::start_server_check() {
    if (m_busy.exchange(true)) {
        return;  // one check at a time
    }
    if (m_worker.joinable()) {
        m_worker.join();
    }
    m_state.connection = Connection::kChecking;
    m_worker = std::thread([this, url = m_options.server_url, ca = m_options.ca_cert_path] {
        sync::HttpTransportOptions opts;
        opts.base_url = url;
        opts.ca_cert_path = ca;
        opts.connect_timeout = std::chrono::milliseconds(3000);
        opts.read_timeout = std::chrono::milliseconds(5000);
        Result<sync::HealthInfo> health = Status::error(errc::kInternal, "not attempted");
        auto transport = sync::make_http_transport(opts);
        if (transport.is_ok()) {
            sync::ServerApi api(**transport);
            health = api.health();
        } else {
            health = transport.status();
        }
        const std::int64_t now = m_clock.now_ms();
        m_queue.post([health, now](AppState& s) {
            if (health.is_ok()) {
                s.connection = Connection::kOnline;
                s.server_version = health->version;
                s.connection_problem.clear();
                s.last_contact_ms = now;
            } else {
                s.connection = Connection::kOffline;
                s.connection_problem = std::string(errc::explain(health.status().code()));
            }
        });
        m_busy = false;
    });
}

}  // namespace outpost::ui
