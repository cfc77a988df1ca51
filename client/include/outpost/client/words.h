// Words: the plain-language text the client shows (no ImGui, so doctest reaches all of it):
// passphrase strength, times, field values, record titles, and problems in words a worker acts on.
//
// Threads: pure functions, any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "outpost/core/records/engine.h"
#include "outpost/core/records/schema.h"
#include "outpost/core/status.h"

namespace outpost::client {

// How hard a passphrase would be to guess, 0 (too short to use) to 4, with one line of advice.
struct Strength {
    int score = 0;
    std::string label;  // "Too short", "Weak", "Fair", "Good", "Strong"
    std::string hint;   // what would make it stronger, or why it is fine
};
inline constexpr std::size_t kMinPassphrase = 8;  // the store's own floor (StoreOptions)
// `min_chars`: the site policy may raise the built-in minimum (site_policy.h).
[[nodiscard]] Strength passphrase_strength(std::string_view passphrase, std::size_t min_chars = kMinPassphrase);

// "just now", "5 minutes ago", "today 14:05", "yesterday 09:12", "3 Dec 2026" (local time).
[[nodiscard]] std::string relative_time(std::int64_t then_ms, std::int64_t now_ms);
// "1 Dec 2026, 14:05" (local time).
[[nodiscard]] std::string format_time(std::int64_t ms);

// "parent_or_carer" -> "Parent or carer".
[[nodiscard]] std::string humanise(std::string_view token);
// A value as a worker reads it: Yes/No, choices humanised, lists joined, places as coordinates.
[[nodiscard]] std::string display_value(const records::FieldValue& v);
// A stored (canonical JSON) value as a worker reads it, decoded with the field's kind when known.
[[nodiscard]] std::string display_encoded(const records::FieldDef* field, std::string_view encoded);
// The line a list shows for a record: its first answered text field ("Household 12"), else the form's
// title.
// An attachments answer in words: "2 files: damp wall.jpg, consent.pdf"; "no files".
[[nodiscard]] std::string files_words(std::string_view attachments_json);
// Above a form with answers to fix: "One answer needs another look before this can be saved.",
// "3 answers need ...". Empty for 0.
[[nodiscard]] std::string answers_problem_words(std::size_t n);
// Characters as a person counts them (UTF-8 code points).
[[nodiscard]] std::int64_t character_count(std::string_view utf8);
// "4,000".
[[nodiscard]] std::string count_words(std::int64_t n);
// "812 bytes", "34 KB", "2.5 MB".
[[nodiscard]] std::string size_words(std::int64_t bytes);
[[nodiscard]] std::string record_title(const records::Schema* schema, const records::Record& r);

// The banner for a form left unsaved: "Unsaved changes to Home visit "The Okafor family" (kept 5
// minutes ago)." or "An unsaved new Home visit "The Okafor family" (kept ...)". `title` may be empty.
[[nodiscard]] std::string draft_words(std::string_view form, std::string_view title, bool is_new, std::int64_t saved_ms,
                                      std::int64_t now_ms);

// A problem as one sentence a worker can act on (never a bare code).
[[nodiscard]] std::string problem_words(const Status& s);

}  // namespace outpost::client
