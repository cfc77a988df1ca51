#include "outpost/core/time_format.h"

#include <cstdio>

namespace outpost {
namespace {

struct Civil {
    std::int64_t year;
    unsigned month;  // 1..12
    unsigned day;    // 1..31
};

// Days since 1970-01-01 to the proleptic Gregorian date (H. Hinnant's civil_from_days).
Civil civil_from_days(std::int64_t z) {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    return {m <= 2 ? y + 1 : y, m, d};
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

}  // namespace

std::string iso_utc(std::int64_t ms) {
    const std::int64_t secs = floor_div(ms, 1000);
    const std::int64_t days = floor_div(secs, 86'400);
    const std::int64_t rest = secs - days * 86'400;
    const Civil c = civil_from_days(days);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02dZ", static_cast<long long>(c.year), c.month % 100U,
                  c.day % 100U, static_cast<int>(rest / 3600), static_cast<int>((rest / 60) % 60),
                  static_cast<int>(rest % 60));
    return buf;
}

std::string iso_date_utc(std::int64_t ms) {
    return iso_utc(ms).substr(0, 10);
}

std::string utc_minute_text(std::int64_t ms) {
    std::string t = iso_utc(ms).substr(0, 16);  // 2026-12-06T09:53
    t[10] = ' ';
    return t + " UTC";
}

std::string utc_stamp(std::int64_t ms) {
    std::string out;
    for (const char c : iso_utc(ms)) {
        if (c != '-' && c != ':') {
            out.push_back(c);
        }
    }
    return out;
}

}  // namespace outpost
