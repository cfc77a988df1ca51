// Form rollout on a laptop: which version of each form the laptop uses, when the server's forms
// arrive, and what it tells the worker about a form it cannot read.
//  - Each form the server sends is read on its own (records::parse_schema). For each type the laptop
//    takes the newest version this build can read. A form it cannot read (an unknown field kind or
//    property: a form from a newer Outpost) never costs it the others: that type keeps the version
//    the laptop already had (the last one it could read, or the one shipped with this build), or is
//    left out when it never had one, and a FormNotice says so.
//  - The set the laptop uses and its notices are kept in the profile's store (sync_state:
//    schemas_json holds {"schemas":[form, ...]}, every one readable; form_notices the notices), so an
//    unlock after a restart uses the same forms and knows the same notices (profile_forms()).
//  - A form is retired when its document says "retired": true: it stays readable (old cases open and
//    save) but takes no new cases.
//
// Threads: pure functions but for load_held_forms and the profile_* readers (the caller's thread,
// with the store mutex held when the store is shared). Failure: sync.schemas.invalid when the
// server's answer is not a set of forms at all (not {"schemas":[object, ...]}, or a form with no
// "type"); nothing is kept then.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "outpost/core/records/schema.h"
#include "outpost/core/status.h"
#include "outpost/core/store.h"

namespace outpost::sync {

// A form the laptop cannot read.
struct FormNotice {
    std::string type;      // "home_visit"
    std::string title;     // "Home visit", read leniently from the form; the type when it has none
    int version = 0;       // the version this build cannot read (0 when the form names none)
    int kept_version = 0;  // the version the laptop goes on using; 0: none (the form cannot be used)
    friend bool operator==(const FormNotice&, const FormNotice&) = default;
};

// One form the laptop holds: parsed, and the document it was read from (kept as it came).
struct HeldForm {
    records::Schema schema;
    std::string json;
    bool retired = false;  // "retired": true in the document
};

// The forms a laptop uses, and what it says about those it cannot.
struct LaptopForms {
    std::vector<HeldForm> forms;  // one per type, in the server's order
    std::vector<FormNotice> notices;

    [[nodiscard]] std::vector<records::Schema> schemas() const;
    [[nodiscard]] std::set<std::string> retired() const;
    // {"schemas":[form, ...]} as it is kept in the store.
    [[nodiscard]] std::string schemas_json() const;
    // The notices as JSON, as kept in the store ("" when there are none).
    [[nodiscard]] std::string notices_json() const;
};

// The forms shipped with this build (records::bundled_forms_dir()), with their documents.
[[nodiscard]] Result<std::vector<HeldForm>> bundled_forms();

// The server's form documents (decode_schema_documents) over what the laptop `held`: per type, the
// newest version this build reads; else the held one, and a notice.
[[nodiscard]] Result<LaptopForms> roll_out_forms(const std::vector<std::string>& served,
                                                 const std::vector<HeldForm>& held);

// The notices kept as notices_json(); an empty or damaged text gives none.
[[nodiscard]] std::vector<FormNotice> parse_notices(std::string_view json);

// What the laptop holds now: the kept set and notices (sync_state), or the shipped forms before the
// first sync. A kept set this build cannot read whole (written by a newer build, or damaged) never
// stops an unlock: each form it can read is used, the shipped version of the others stands in, and
// if nothing of it can be read, the shipped forms do.
[[nodiscard]] Result<LaptopForms> profile_forms(Store& store);
// profile_forms(store).notices.
[[nodiscard]] Result<std::vector<FormNotice>> profile_form_notices(Store& store);

// The notice in plain words, for the window and `outpost status`: "Home visit version 4 needs a newer
// Outpost. You can keep using version 3 until this laptop is updated." (or "...; ask IT to update
// Outpost on this laptop." when no version can be used).
[[nodiscard]] std::string form_notice_words(const FormNotice& n);

}  // namespace outpost::sync
