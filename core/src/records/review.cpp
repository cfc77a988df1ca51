#include "outpost/core/records/review.h"

#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <map>
#include <tuple>

#include "outpost/core/error_codes.h"
#include "outpost/core/records/roles.h"

namespace outpost::records {
namespace {

constexpr std::int64_t kDayMs = 86'400'000;

// "YYYY-MM-DDTHH:MM[:SS]Z" (a validated datetime answer) as ms since the epoch; 0 when unreadable.
std::int64_t datetime_ms(const std::string& s) {
    int year = 0;
    int month = 0;
    int day = 0;
    int hour = 0;
    int minute = 0;
    if (s.size() < 17 || std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d", &year, &month, &day, &hour, &minute) != 5) {
        return 0;
    }
    const int second = s.size() >= 19 && s[16] == ':' ? std::atoi(s.c_str() + 17) : 0;
    // Civil date to days since the epoch, in UTC, with no time zone or C library involved.
    const std::chrono::sys_days days =
        std::chrono::year_month_day(std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                                    std::chrono::day(static_cast<unsigned>(day)));
    const std::int64_t secs = static_cast<std::int64_t>(days.time_since_epoch().count()) * 86'400 +
                              static_cast<std::int64_t>(hour) * 3600 + static_cast<std::int64_t>(minute) * 60 + second;
    return secs * 1000;
}

int status_rank(std::string_view status) {
    const auto& all = suggestion_statuses();
    const auto it = std::find(all.begin(), all.end(), status);
    return static_cast<int>(it - all.begin());
}

}  // namespace

std::string derived_id(std::string_view kind, std::string_view a, std::string_view b) {
    crypto_generichash_state st;
    unsigned char h[16];
    crypto_generichash_init(&st, nullptr, 0, sizeof h);
    const unsigned char zero = 0;
    for (std::string_view part : {kind, a, b}) {
        crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(part.data()), part.size());
        crypto_generichash_update(&st, &zero, 1);  // "ab"+"c" and "a"+"bc" differ
    }
    crypto_generichash_final(&st, h, sizeof h);
    h[6] = static_cast<unsigned char>((h[6] & 0x0F) | 0x80);  // version 8
    h[8] = static_cast<unsigned char>((h[8] & 0x3F) | 0x80);  // RFC 4122 variant
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(36);
    for (int i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            out += '-';
        }
        out += kHex[h[i] >> 4];
        out += kHex[h[i] & 0x0F];
    }
    return out;
}

std::optional<FieldError> review_write_rule(std::string_view type, const Values& current, std::string_view role,
                                            std::string_view field) {
    auto refuse = [&](const char* why) {
        return FieldError{std::string(field), std::string(errc::kFieldNotEditable), why};
    };
    if (type == "practice") {
        return refuse("only the server writes the practice library");
    }
    if (role == kRoleLead) {
        return std::nullopt;
    }
    if (type == "adoption" && field == "_deleted") {
        return refuse("only a lead may take back an adoption");
    }
    if (type == "suggestion") {
        const auto st = current.find("status");
        const std::string* status = st != current.end() ? std::get_if<std::string>(&st->second) : nullptr;
        if (status != nullptr && is_decided(*status)) {
            return refuse("this suggestion is decided; only a lead may change it now");
        }
    }
    return std::nullopt;
}

const std::vector<std::string>& suggestion_statuses() {
    static const std::vector<std::string> kAll = {"submitted", "under_review", "needs_info",
                                                  "accepted",  "declined",     "implemented"};
    return kAll;
}

bool is_decided(std::string_view status) {
    return status == "accepted" || status == "declined" || status == "implemented";
}

std::string text_of(const Values& values, std::string_view field) {
    const auto it = values.find(field);
    if (it == values.end()) {
        return "";
    }
    if (const auto* s = std::get_if<std::string>(&it->second)) {
        return *s;
    }
    if (const auto* b = std::get_if<bool>(&it->second)) {
        return *b ? "yes" : "no";
    }
    return "";
}

std::vector<SuggestionSummary> summarise(const std::vector<Record>& suggestions,
                                         const std::vector<Record>& endorsements, const std::vector<Record>& comments,
                                         std::string_view me) {
    std::vector<SuggestionSummary> out;
    std::map<std::string, std::size_t, std::less<>> at;
    for (const Record& r : suggestions) {
        if (r.deleted) {
            continue;
        }
        SuggestionSummary s;
        s.id = r.id;
        s.title = text_of(r, "title");
        s.category = text_of(r, "category");
        s.status = text_of(r, "status");
        s.status = s.status.empty() ? "submitted" : s.status;
        s.created_by = r.created_by;
        s.decision_note = text_of(r, "decision_note");
        s.duplicate_of = text_of(r, "duplicate_of");
        s.created_ms = r.created_ms;
        if (is_decided(s.status)) {
            s.decided_ms = datetime_ms(text_of(r, "reviewed_at"));
        }
        s.shared = text_of(r, "shared_to_library") == "yes";
        at.emplace(s.id, out.size());
        out.push_back(std::move(s));
    }
    std::map<std::string, std::set<std::string>, std::less<>> endorsers;  // suggestion -> people
    for (const Record& e : endorsements) {
        const std::string target = text_of(e, "suggestion");
        if (e.deleted || at.count(target) == 0) {
            continue;
        }
        endorsers[target].insert(e.created_by);
        if (e.created_by == me) {
            out[at.find(target)->second].endorsed_by_me = true;
        }
    }
    for (const Record& c : comments) {
        if (const auto it = at.find(text_of(c, "suggestion")); !c.deleted && it != at.end()) {
            ++out[it->second].comments;
        }
    }
    // Fold each duplicate's people into its original (one level: a duplicate of a duplicate folds
    // into the first one it names; cycles fold nowhere further).
    for (SuggestionSummary& s : out) {
        const auto orig = at.find(s.duplicate_of);
        if (s.duplicate_of.empty() || orig == at.end() || orig->second == at.find(s.id)->second) {
            continue;
        }
        out[orig->second].duplicates.push_back(s.id);
        std::set<std::string>& into = endorsers[s.duplicate_of];
        const auto own = endorsers.find(s.id);
        if (own != endorsers.end()) {
            into.insert(own->second.begin(), own->second.end());
        }
        into.insert(s.created_by);
    }
    for (SuggestionSummary& s : out) {
        const auto it = endorsers.find(s.id);
        if (it == endorsers.end()) {
            continue;
        }
        s.endorsements = static_cast<int>(it->second.size() - it->second.count(s.created_by));
    }
    return out;
}

std::vector<std::size_t> review_queue(const std::vector<SuggestionSummary>& all, const QueueFilter& f,
                                      std::int64_t now_ms) {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < all.size(); ++i) {
        const SuggestionSummary& s = all[i];
        if (f.status == "open" ? is_decided(s.status) : (!f.status.empty() && s.status != f.status)) {
            continue;
        }
        if (!f.category.empty() && s.category != f.category) {
            continue;
        }
        if (f.min_age_days > 0 && now_ms - s.created_ms < f.min_age_days * kDayMs) {
            continue;
        }
        if (s.endorsements < f.min_endorsements) {
            continue;
        }
        out.push_back(i);
    }
    auto key = [&](std::size_t i) { return std::tie(all[i].created_ms, all[i].id); };
    std::stable_sort(out.begin(), out.end(), [&](std::size_t a, std::size_t b) {
        const SuggestionSummary& x = all[a];
        const SuggestionSummary& y = all[b];
        switch (f.sort) {
            case QueueSort::kNewest:
                return key(b) < key(a);
            case QueueSort::kMostEndorsed:
                if (x.endorsements != y.endorsements) {
                    return x.endorsements > y.endorsements;
                }
                break;
            case QueueSort::kCategory:
                if (x.category != y.category) {
                    return x.category < y.category;
                }
                break;
            case QueueSort::kStatus:
                if (x.status != y.status) {
                    return status_rank(x.status) < status_rank(y.status);
                }
                break;
            case QueueSort::kOldest:
                break;
        }
        return key(a) < key(b);
    });
    return out;
}

std::vector<Notice> notices(const std::vector<SuggestionSummary>& all, std::string_view me,
                            const std::set<std::string>& read) {
    std::vector<Notice> out;
    std::map<std::string, const SuggestionSummary*, std::less<>> by_id;
    for (const SuggestionSummary& s : all) {
        by_id.emplace(s.id, &s);
    }
    for (const SuggestionSummary& s : all) {
        if (s.created_by == me && (is_decided(s.status) || s.status == "needs_info")) {
            Notice n{s.id + "/" + s.status, s.id, s.title, s.status, ""};
            if (s.status == "accepted") {
                n.text = "Accepted";
            } else if (s.status == "declined") {
                n.text = s.duplicate_of.empty() ? "Declined" : "Declined as a duplicate";
            } else if (s.status == "implemented") {
                n.text = "Implemented";
            } else {
                n.text = "Your lead needs more information";
            }
            if (!s.decision_note.empty()) {
                n.text += ": " + s.decision_note;
            }
            if (read.count(n.key) == 0) {
                out.push_back(std::move(n));
            }
        }
        const auto orig = by_id.find(s.duplicate_of);
        if (!s.duplicate_of.empty() && orig != by_id.end() && orig->second->created_by == me && s.created_by != me) {
            Notice n{s.id + "/duplicate", orig->second->id, orig->second->title, "duplicate",
                     "\u201c" + s.title + "\u201d was merged into your suggestion; its support now counts for yours"};
            if (read.count(n.key) == 0) {
                out.push_back(std::move(n));
            }
        }
    }
    return out;
}

Dashboard dashboard(const std::vector<SuggestionSummary>& all, const std::vector<Record>& practices,
                    const std::vector<Record>& adoptions, std::string_view team) {
    Dashboard d;
    std::map<std::string, int, std::less<>> counts;
    std::vector<double> days;
    std::vector<std::size_t> undecided;
    for (std::size_t i = 0; i < all.size(); ++i) {
        const SuggestionSummary& s = all[i];
        ++counts[s.status];
        if (is_decided(s.status) && s.decided_ms >= s.created_ms && s.decided_ms > 0) {
            days.push_back(static_cast<double>(s.decided_ms - s.created_ms) / static_cast<double>(kDayMs));
        } else if (!is_decided(s.status)) {
            undecided.push_back(i);
        }
    }
    for (const std::string& st : suggestion_statuses()) {
        d.by_status.emplace_back(st, counts[st]);
    }
    d.decisions = static_cast<int>(days.size());
    if (!days.empty()) {
        std::sort(days.begin(), days.end());
        const std::size_t n = days.size();
        d.median_days_to_decision = n % 2 == 1 ? days[n / 2] : (days[n / 2 - 1] + days[n / 2]) / 2.0;
    }
    std::sort(undecided.begin(), undecided.end(), [&](std::size_t a, std::size_t b) {
        return std::tie(all[a].created_ms, all[a].id) < std::tie(all[b].created_ms, all[b].id);
    });
    undecided.resize(std::min<std::size_t>(undecided.size(), 5));
    d.oldest_undecided = std::move(undecided);
    for (const Record& p : practices) {
        if (p.deleted || text_of(p, "source_team") != team) {
            continue;
        }
        const auto it = p.values.find("adoption_count");
        const std::int64_t n = it != p.values.end() && std::holds_alternative<std::int64_t>(it->second)
                                   ? std::get<std::int64_t>(it->second)
                                   : 0;
        d.adoption.emplace_back(text_of(p, "title"), static_cast<int>(n));
    }
    std::stable_sort(d.adoption.begin(), d.adoption.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    for (const Record& a : adoptions) {
        if (!a.deleted && a.team == team) {
            ++d.adopted_here;
        }
    }
    return d;
}

}  // namespace outpost::records
