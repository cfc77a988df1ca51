// RunQueue: hands results from worker threads to the UI thread. Workers post closures; the UI thread
// drains them once per frame, so AppState is only ever touched on the UI thread.
//
// Threads: post() from any thread; drain() from the UI thread only.
#pragma once

#include <functional>
#include <mutex>
#include <vector>

#include "outpost/ui/app_state.h"

namespace outpost::ui {

class RunQueue {
public:
    using Task = std::function<void(AppState&)>;

    void post(Task task) {
        std::function<void()> wake;
        {
            std::lock_guard lock(m_mutex);
            m_tasks.push_back(std::move(task));
            wake = m_wake;
        }
        if (wake) {
            wake();  // a window waiting for input draws the result now
        }
    }

    // Called (on the posting thread) after every post: ends the UI thread's wait for input.
    void set_waker(std::function<void()> wake) {
        std::lock_guard lock(m_mutex);
        m_wake = std::move(wake);
    }

    [[nodiscard]] bool empty() const {
        std::lock_guard lock(m_mutex);
        return m_tasks.empty();
    }

    // Runs every queued task, in posting order. Returns how many ran.
    std::size_t drain(AppState& state) {
        std::vector<Task> tasks;
        {
            std::lock_guard lock(m_mutex);
            tasks.swap(m_tasks);
        }
        for (Task& t : tasks) {
            t(state);
        }
        return tasks.size();
    }

private:
    mutable std::mutex m_mutex;
    std::vector<Task> m_tasks;     // guarded by m_mutex
    std::function<void()> m_wake;  // guarded by m_mutex
};

}  // namespace outpost::ui
