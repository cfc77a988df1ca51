// Clock: the seam through which core reads wall-clock time. The HLC and every timestamp go through it,
// so tests can move time forwards, backwards, or skew it (see tests/support/fake_clock.h).
//
// Thread-safety: implementations must be safe to call from any thread.
#pragma once

#include <cstdint>

namespace outpost {

class Clock {
public:
    virtual ~Clock() = default;
    // Milliseconds since the Unix epoch. May go backwards (laptop clocks are adjusted).
    [[nodiscard]] virtual std::int64_t now_ms() const = 0;
};

// The operating system's real-time clock.
class SystemClock final : public Clock {
public:
    [[nodiscard]] std::int64_t now_ms() const override;
    // A process-wide instance; trivially destructible, never torn down.
    [[nodiscard]] static const SystemClock& instance();
};

}  // namespace outpost
