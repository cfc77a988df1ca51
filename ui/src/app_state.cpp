#include "outpost/ui/app_state.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>

namespace outpost::ui {

SecureText::SecureText() {
    if (Result<SecureBuffer> b = SecureBuffer::create(kCapacity); b.is_ok()) {
        m_buf = std::move(*b);
    }
}

std::string_view SecureText::view() const {
    if (m_buf.empty()) {
        return {};
    }
    const char* p = reinterpret_cast<const char*>(m_buf.data());
    return std::string_view(p, ::strnlen(p, kCapacity));
}

void SecureText::clear() {
    if (!m_buf.empty()) {
        sodium_memzero(m_buf.data(), m_buf.size());
    }
}

void SecureText::assign(std::string_view s) {
    clear();
    if (!m_buf.empty()) {
        std::memcpy(m_buf.data(), s.data(), std::min(s.size(), kCapacity - 1));
    }
}

void SyncBar::take_sync_state(const sync::SyncState& s) {
    const bool moved = s.phase != state.phase || s.last_success_ms != state.last_success_ms || s.code != state.code;
    state = s;
    known = known || s.phase != sync::SyncPhase::kIdle;
    if (!moved) {
        return;
    }
    if (s.phase == sync::SyncPhase::kUpToDate || s.phase == sync::SyncPhase::kSyncing) {
        online = true;
    } else if (s.phase == sync::SyncPhase::kOffline) {
        online = false;
    }
}

void SyncBar::take_probe(bool up) {
    online = up;
    known = true;
}

std::string connection_label(const SyncBar& bar) {
    if (!bar.known) {
        return "Connecting...";
    }
    switch (bar.state.phase) {
        case sync::SyncPhase::kSyncing:
            return "Syncing";
        case sync::SyncPhase::kOffline:
            return "Offline";
        case sync::SyncPhase::kError:
            return bar.online ? "Online - sync problem" : "Offline";
        default:
            return bar.online ? "Online" : "Offline";
    }
}

}  // namespace outpost::ui
