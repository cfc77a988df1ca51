// IntentRouter: applies intents in the order they came, each by the controller of its area. An
// intent whose handling touches the store on the UI thread (through the Session: a record's read or
// write, a draft, a review action, an attachment, a read mark) is applied only while the UI thread
// holds the store mutex, taken with Session::try_hold() and kept across that intent's store work.
// When another thread holds it (the sync thread writing a pulled page, the reader), that intent and
// every one after it wait, in order, and are tried again at the next frame or tick: the UI thread
// never waits for the store.
//
// Threads: UI thread only.
#pragma once

#include <cstddef>
#include <deque>

#include "outpost/ui/intents.h"

namespace outpost::ui {

struct AppContext;

class IntentRouter {
public:
    explicit IntentRouter(AppContext& ctx) : m_ctx(ctx) {}

    // Appends `intent` after any that wait.
    void submit(Intent intent) { m_waiting.push_back(std::move(intent)); }

    enum class Wait {
        kNever,     // stop at the first intent that needs the store while another thread holds it
        kForStore,  // apply them all, each store call waiting for the mutex as it must (tests)
    };
    // Applies what waits, in order. True when any intent was applied.
    bool run(Wait wait);

    [[nodiscard]] bool waiting() const { return !m_waiting.empty(); }
    [[nodiscard]] std::size_t waiting_count() const { return m_waiting.size(); }

    // True when applying `intent` touches the store on the UI thread.
    [[nodiscard]] static bool touches_store(const Intent& intent);

private:
    void dispatch(const Intent& intent);

    AppContext& m_ctx;
    std::deque<Intent> m_waiting;
};

}  // namespace outpost::ui
