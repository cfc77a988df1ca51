#include "app_context.h"

#include <chrono>

namespace outpost::ui {

std::int64_t steady_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

std::string trimmed(std::string_view s) {
    const std::size_t b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) {
        return "";
    }
    const std::size_t e = s.find_last_not_of(" \t\r\n");
    return std::string(s.substr(b, e - b + 1));
}

void AppContext::toast(std::string text) {
    state.toast = std::move(text);
    state.toast_until_ms = clock.now_ms() + 2500;
}

void AppContext::save_settings() const {
    (void)state.settings.save(settings_file);
}

void AppContext::retry_store_soon() {
    store_retry_at = steady_ms() + kStoreRetryMs;
}

}  // namespace outpost::ui
