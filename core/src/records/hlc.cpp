#include "outpost/core/records/hlc.h"

#include <cstdio>

#include "outpost/core/error_codes.h"

namespace outpost::records {

std::string Hlc::to_string() const {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(packed));
    return buf;
}

Result<Hlc> Hlc::parse(std::string_view text) {
    if (text.size() != 16) {
        return Status::error(errc::kRecordClockInvalid, "a timestamp has 16 hex digits");
    }
    std::uint64_t v = 0;
    for (char c : text) {
        v <<= 4;
        if (c >= '0' && c <= '9') {
            v |= static_cast<std::uint64_t>(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            v |= static_cast<std::uint64_t>(c - 'a' + 10);
        } else {
            return Status::error(errc::kRecordClockInvalid, "a timestamp has 16 hex digits");
        }
    }
    return Hlc{v};
}

Hlc HybridClock::now() {
    const auto wall = static_cast<std::uint64_t>(std::max<std::int64_t>(0, m_clock.now_ms()));
    if (wall > m_last.ms()) {
        m_last = Hlc::from(wall, 0);
    } else if (m_last.counter() < 0xffffU) {
        m_last = Hlc{m_last.packed + 1};
    } else {
        m_last = Hlc::from(m_last.ms() + 1, 0);  // counter exhausted: borrow a millisecond
    }
    return m_last;
}

Status HybridClock::observe(Hlc remote) {
    const std::int64_t wall = m_clock.now_ms();
    if (static_cast<std::int64_t>(remote.ms()) > wall + m_max_ahead_ms) {
        return Status::error(errc::kRecordClockAhead,
                             "a change is timestamped " +
                                 std::to_string((static_cast<std::int64_t>(remote.ms()) - wall) / 3'600'000) +
                                 " hours in the future; check the date and time on the device that made it");
    }
    if (remote > m_last) {
        m_last = remote;
    }
    return Status::ok();
}

}  // namespace outpost::records
