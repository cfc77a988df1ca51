// Worker: one background thread that runs posted tasks in order. The App has two: one for Argon2 and
// enrolment (slow, rare), one for reads (case-list pages, probes) so typing a search never waits for
// an unlock. Results go back to the UI thread through the RunQueue.
//
// Threads: post() and busy() from the UI thread; wait_idle() from any thread but the worker's own (the
// slow worker waits for the reader before it closes a session); tasks run on the worker.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace outpost::ui {

class Worker {
public:
    Worker() : m_thread([this] { run(); }) {}
    ~Worker() {
        {
            std::lock_guard lock(m_mutex);
            m_stop = true;
        }
        m_wake.notify_all();
        m_thread.join();
    }
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    void post(std::function<void()> task) {
        {
            std::lock_guard lock(m_mutex);
            m_tasks.push_back(std::move(task));
        }
        m_wake.notify_all();
    }
    // Blocks until every posted task has run.
    void wait_idle() {
        std::unique_lock lock(m_mutex);
        m_idle.wait(lock, [this] { return m_tasks.empty() && !m_active; });
    }
    [[nodiscard]] bool busy() const {
        std::lock_guard lock(m_mutex);
        return m_active || !m_tasks.empty();
    }

private:
    void run() {
        std::unique_lock lock(m_mutex);
        for (;;) {
            m_wake.wait(lock, [this] { return m_stop || !m_tasks.empty(); });
            if (m_tasks.empty()) {
                return;  // stopping, nothing left
            }
            std::function<void()> task = std::move(m_tasks.front());
            m_tasks.pop_front();
            m_active = true;
            lock.unlock();
            task();
            lock.lock();
            m_active = false;
            if (m_tasks.empty()) {
                m_idle.notify_all();
            }
        }
    }

    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::condition_variable m_idle;
    std::deque<std::function<void()>> m_tasks;  // guarded
    bool m_active = false;                      // guarded
    bool m_stop = false;                        // guarded
    std::thread m_thread;                       // last: starts once the rest is ready
};

}  // namespace outpost::ui
