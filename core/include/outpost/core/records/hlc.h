// Hybrid logical clock (DESIGN §2): 48 bits of Unix milliseconds and a 16-bit counter, totally ordered,
// with the writing device's id as the tie-break. It keeps causality across laptops whose clocks are
// wrong, and refuses remote timestamps too far ahead of this machine's clock.
//
// Thread-safety: HybridClock is not synchronised; one owner (the records engine) at a time.
#pragma once

#include <compare>
#include <cstdint>
#include <string>

#include "outpost/core/clock.h"
#include "outpost/core/status.h"

namespace outpost::records {

struct Hlc {
    std::uint64_t packed = 0;  // (ms << 16) | counter

    static Hlc from(std::uint64_t ms, std::uint16_t counter) { return {(ms << 16) | counter}; }
    [[nodiscard]] std::uint64_t ms() const { return packed >> 16; }
    [[nodiscard]] std::uint16_t counter() const { return static_cast<std::uint16_t>(packed & 0xffffU); }
    [[nodiscard]] bool is_zero() const { return packed == 0; }
    friend auto operator<=>(const Hlc&, const Hlc&) = default;
    // Fixed-width text that sorts like the value: 16 hex digits.
    [[nodiscard]] std::string to_string() const;
    [[nodiscard]] static Result<Hlc> parse(std::string_view text);
};

// A timestamp with its device: the total order used by the merge rule.
struct Stamp {
    Hlc hlc;
    std::string device;
    friend auto operator<=>(const Stamp&, const Stamp&) = default;
};

// 24 hours: remote timestamps further ahead than this are refused.
inline constexpr std::int64_t kMaxClockAheadMs = 24LL * 60 * 60 * 1000;

class HybridClock {
public:
    explicit HybridClock(const Clock& clock, std::int64_t max_ahead_ms = kMaxClockAheadMs)
        : m_clock(clock), m_max_ahead_ms(max_ahead_ms) {}

    // A timestamp for a local event, greater than every timestamp issued or observed before, even if
    // the wall clock went backwards.
    [[nodiscard]] Hlc now();
    // Folds in a remote timestamp so later local events sort after it. Refuses (record.clock.ahead) a
    // timestamp more than max_ahead_ms ahead of this machine's clock; the clock is then unchanged.
    [[nodiscard]] Status observe(Hlc remote);
    [[nodiscard]] Hlc last() const { return m_last; }
    // Restores the last issued value (e.g. from the database) after a restart.
    void restore(Hlc last) {
        if (last > m_last) {
            m_last = last;
        }
    }

private:
    const Clock& m_clock;
    std::int64_t m_max_ahead_ms;
    Hlc m_last;
};

}  // namespace outpost::records
