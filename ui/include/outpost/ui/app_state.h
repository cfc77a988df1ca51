// AppState: the snapshot every view renders. Owned by App; touched by the UI thread only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace outpost::ui {

enum class Connection { kUnknown, kChecking, kOnline, kOffline };

struct AppState {
    std::string server_url;  // empty: no server configured yet
    Connection connection = Connection::kUnknown;
    std::string server_version;      // from /v1/health when online
    std::string connection_problem;  // plain-language reason when offline
    std::optional<std::int64_t> last_contact_ms;
    int pending_changes = 0;
    std::uint64_t frame = 0;
};

// One line for the status bar, e.g. "Online - server 0.1.0". Pure; testable without ImGui.
[[nodiscard]] std::string connection_label(const AppState& state);

}  // namespace outpost::ui
