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

namespace outpost::ui {

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
// "812 bytes", "34 KB", "2.5 MB".
[[nodiscard]] std::string size_words(std::int64_t bytes);
[[nodiscard]] std::string record_title(const records::Schema* schema, const records::Record& r);

// A problem as one sentence a worker can act on (never a bare code).
[[nodiscard]] std::string problem_words(const Status& s);

}  // namespace outpost::ui
