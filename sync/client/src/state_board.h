// StateBoard: the SyncState an engine shows, moved on by the pieces of a sync (push, pull, snapshot,
// attachments) and by the engine's own phases, and published to SyncOptions::on_state.
//
// Ownership: owns the state and the callback. Threads: any; the state is behind the board's own
// mutex, and the callback runs on the publishing thread without it held. Failure: none.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <utility>

#include "outpost/sync/sync_engine.h"

namespace outpost::sync {

class StateBoard {
public:
    explicit StateBoard(std::function<void(const SyncState&)> on_state) : m_on_state(std::move(on_state)) {}
    StateBoard(const StateBoard&) = delete;
    StateBoard& operator=(const StateBoard&) = delete;

    [[nodiscard]] SyncState get() const {
        std::lock_guard lock(m_mutex);
        return m_state;
    }
    // Changes the state under the board's mutex; publishes nothing.
    template <typename Fn>
    void update(Fn&& change) {
        std::lock_guard lock(m_mutex);
        change(m_state);
    }
    // Gives on_state a copy of the state as it is now.
    void publish() const {
        const SyncState copy = get();
        if (m_on_state) {
            m_on_state(copy);
        }
    }
    // Progress of this sync, each counted and then published.
    void add_pushed(std::int64_t changes) {
        update([changes](SyncState& s) { s.pushed += changes; });
        publish();
    }
    void add_pulled(std::int64_t changes) {
        update([changes](SyncState& s) { s.pulled += changes; });
        publish();
    }

private:
    mutable std::mutex m_mutex;  // guards m_state
    SyncState m_state;
    std::function<void(const SyncState&)> m_on_state;
};

}  // namespace outpost::sync
