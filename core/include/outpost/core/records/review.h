// The suggestion review loop's rules and read models, shared by the server and the client.
//
//  - Ids: an endorsement's id is derived from (suggestion, user), an adoption's from (practice, team)
//    and a practice's from its suggestion, so "once per worker" and "once per team" hold even when
//    two laptops write offline: both write the same record, and sync merges it. The server checks
//    the derivation, so no one can endorse in another's name.
//  - The practice library lives in the pseudo-team kLibraryTeam. Only the server writes it; every
//    team pulls it, read-only.
//  - Read models (pure functions over records a laptop holds): the lead's queue with its filters and
//    sorts, endorsement counts with duplicates folded into their original, the "decisions arrived"
//    notices, and the lead dashboard's figures.
//
// Threads: everything here is a pure function, callable from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "outpost/core/records/engine.h"

namespace outpost::records {

inline constexpr std::string_view kLibraryTeam = "*";  // not a valid team name, so no team can be it

// "xxxxxxxx-xxxx-8xxx-xxxx-xxxxxxxxxxxx": a UUIDv8 from BLAKE2b of the kind and the parts.
[[nodiscard]] std::string derived_id(std::string_view kind, std::string_view a, std::string_view b = {});
[[nodiscard]] inline std::string endorsement_id(std::string_view suggestion, std::string_view user) {
    return derived_id("endorsement", suggestion, user);
}
[[nodiscard]] inline std::string adoption_id(std::string_view practice, std::string_view team) {
    return derived_id("adoption", practice, team);
}
[[nodiscard]] inline std::string practice_id(std::string_view suggestion) {
    return derived_id("practice", suggestion);
}

// Who may change what, beyond a form's editable_by (checked by the records engine on the laptop and
// by the server on every change). `current` holds the record's current values (empty for a new
// record); `field` may be "_deleted".
//  - A decided suggestion (accepted, declined, implemented) is changed, or deleted, only by a lead:
//    what was decided, and what the library shows, stays what the lead saw.
//  - An adoption is deleted only by a lead (its fields are lead-only by the form).
//  - Practices are written by the server alone.
// Returns the refusal (code record.field.not_editable), or nothing.
[[nodiscard]] std::optional<FieldError> review_write_rule(std::string_view type, const Values& current,
                                                          std::string_view role, std::string_view field);

// The statuses in lifecycle order, and which of them are decisions.
[[nodiscard]] const std::vector<std::string>& suggestion_statuses();
[[nodiscard]] bool is_decided(std::string_view status);  // accepted, declined, implemented

// Text and choice answers of a record ("" when unset).
[[nodiscard]] std::string text_of(const Values& values, std::string_view field);
[[nodiscard]] inline std::string text_of(const Record& r, std::string_view field) {
    return text_of(r.values, field);
}

// One suggestion as the queue, the notices and the dashboard see it.
struct SuggestionSummary {
    std::string id;
    std::string title;
    std::string category;
    std::string status;  // "submitted" when unset
    std::string created_by;
    std::string decision_note;
    std::string duplicate_of;  // the original, when marked a duplicate
    std::int64_t created_ms = 0;
    std::int64_t decided_ms = 0;  // reviewed_at of a decision; 0 when undecided
    int endorsements = 0;         // distinct endorsers, duplicates folded in (see below)
    bool endorsed_by_me = false;  // my own +1 on this one
    int comments = 0;
    bool shared = false;                  // shared to the practice library
    std::vector<std::string> duplicates;  // suggestions marked duplicates of this one
};

// Summaries of `suggestions` (deleted ones skipped). Endorsements (not deleted) count once per
// author. A suggestion marked a duplicate passes its endorsers, and its submitter, to its original;
// the original's own submitter never counts. Each count is of distinct people.
[[nodiscard]] std::vector<SuggestionSummary> summarise(const std::vector<Record>& suggestions,
                                                       const std::vector<Record>& endorsements,
                                                       const std::vector<Record>& comments, std::string_view me);

enum class QueueSort { kOldest, kNewest, kMostEndorsed, kCategory, kStatus };
struct QueueFilter {
    std::string status;        // "" any; "open" = not decided; else one status
    std::string category;      // "" any
    int min_age_days = 0;      // only suggestions at least this old
    int min_endorsements = 0;  // only suggestions with at least this much support
    QueueSort sort = QueueSort::kOldest;
};
// Indexes into `all` that pass the filter, in the filter's order (ties by creation, then id).
[[nodiscard]] std::vector<std::size_t> review_queue(const std::vector<SuggestionSummary>& all,
                                                    const QueueFilter& filter, std::int64_t now_ms);

// A "decisions arrived" notice for `me`: a decision (or a request for information) on one of my
// suggestions made by someone else, or another suggestion folded into mine as a duplicate. `key`
// changes when the news does, so a notice read once comes back only for new news.
struct Notice {
    std::string key;
    std::string suggestion;  // the suggestion to open
    std::string title;
    std::string status;  // the decision; "duplicate" for a folded-in suggestion
    std::string text;
};
[[nodiscard]] std::vector<Notice> notices(const std::vector<SuggestionSummary>& all, std::string_view me,
                                          const std::set<std::string>& read);

struct Dashboard {
    std::vector<std::pair<std::string, int>> by_status;  // every status, lifecycle order
    std::optional<double> median_days_to_decision;       // none before the first decision
    int decisions = 0;
    std::vector<std::size_t> oldest_undecided;  // up to 5 indexes into `all`, oldest first
    // Practices this team shared, with how many teams adopted each (most first), and how many
    // practices this team adopted.
    std::vector<std::pair<std::string, int>> adoption;
    int adopted_here = 0;
};
[[nodiscard]] Dashboard dashboard(const std::vector<SuggestionSummary>& all, const std::vector<Record>& practices,
                                  const std::vector<Record>& adoptions, std::string_view team);

}  // namespace outpost::records
