// UTC times as text, the one way Outpost writes them (ISO 8601, "2026-12-06T09:53:52Z"), computed from
// the civil calendar without the C library's time functions, so every platform writes the same.
// Threads: pure functions, any thread.
#pragma once

#include <cstdint>
#include <string>

namespace outpost {

// "2026-12-06T09:53:52Z" for milliseconds since the Unix epoch (before 1970 too).
[[nodiscard]] std::string iso_utc(std::int64_t ms);
// "2026-12-06".
[[nodiscard]] std::string iso_date_utc(std::int64_t ms);
// "2026-12-06 09:53 UTC": to the minute, for listings people read.
[[nodiscard]] std::string utc_minute_text(std::int64_t ms);
// "20261206T095352Z": for file names (no ':' or '-').
[[nodiscard]] std::string utc_stamp(std::int64_t ms);

}  // namespace outpost
