// FakeClock: a Clock the test moves by hand (forwards, backwards, skewed). Thread-safe.
#pragma once

#include <atomic>

#include "outpost/core/clock.h"

namespace outpost::testing {

class FakeClock final : public Clock {
public:
    explicit FakeClock(std::int64_t start_ms = 1'700'000'000'000) : m_now(start_ms) {}
    [[nodiscard]] std::int64_t now_ms() const override { return m_now.load(); }
    void set(std::int64_t ms) { m_now = ms; }
    void advance(std::int64_t ms) { m_now += ms; }

private:
    std::atomic<std::int64_t> m_now;
};

}  // namespace outpost::testing
