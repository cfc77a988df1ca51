// The merge rule (DESIGN §4): one pure function family, used by the client and the server alike.
//
// For one field, every write is a FieldVersion: a value, its stamp (HLC, device), and `base`, the HLC
// of the value its writer saw. Version u *supersedes* v when u's writer saw v: u > v and u.base >=
// v.hlc (transitive, because a writer's HLC is always above what it saw). A field's state is its
// frontier: the versions no other version supersedes. Then:
//  - the winner is the frontier's greatest stamp (it can never be superseded);
//  - every other frontier version with a different value is a conflict loser: its writer and the
//    winner's writer wrote concurrently, and nothing is silently dropped;
//  - merging two states is "union, then keep the frontier": commutative, associative, idempotent,
//    so replicas converge whatever the order or grouping of delivery.
// Writes to different fields never interact: the state is per field.
//
// Thread-safety: pure functions over values.
#pragma once

#include <compare>
#include <string>
#include <vector>

#include "outpost/core/records/hlc.h"

namespace outpost::records {

struct FieldVersion {
    std::string value;   // canonical encoding; opaque to the merge rule
    Stamp stamp;         // when and where it was written
    Hlc base;            // HLC of the value the writer saw (zero: it saw none)
    std::string author;  // who wrote it (kept for the conflict view)
    // Ordered by stamp first, so a sorted frontier ends with the winner; the rest only breaks ties
    // between identical stamps (which a well-behaved device never reuses).
    friend std::strong_ordering operator<=>(const FieldVersion& a, const FieldVersion& b) {
        if (auto c = a.stamp <=> b.stamp; c != 0) {
            return c;
        }
        if (auto c = a.value <=> b.value; c != 0) {
            return c;
        }
        if (auto c = a.base <=> b.base; c != 0) {
            return c;
        }
        return a.author <=> b.author;
    }
    friend bool operator==(const FieldVersion&, const FieldVersion&) = default;
};

// True when `u`'s writer saw `v` and wrote over it.
[[nodiscard]] bool supersedes(const FieldVersion& u, const FieldVersion& v);

struct FieldState {
    std::vector<FieldVersion> frontier;  // sorted ascending; empty for a field never written
    friend bool operator==(const FieldState&, const FieldState&) = default;
};

[[nodiscard]] FieldState merge(const FieldState& a, const FieldState& b);
[[nodiscard]] FieldState merge(const FieldState& a, const FieldVersion& v);
// Precondition: !state.frontier.empty().
[[nodiscard]] const FieldVersion& winner(const FieldState& state);
// Concurrent versions with a value different from the winner's, ascending.
[[nodiscard]] std::vector<FieldVersion> losers(const FieldState& state);

enum class MergeOutcome {
    kApplied,     // the incoming write is the new value, and it conflicts with nothing
    kSuperseded,  // the incoming write does not change the value (older, already seen, or equal)
    kConflict,    // the incoming write and a concurrent one differ; the loser is kept
};

struct ApplyResult {
    FieldState state;
    MergeOutcome outcome = MergeOutcome::kSuperseded;
    std::vector<FieldVersion> new_losers;  // losers that this write created
};

// Applies one incoming write to a field's state and says what happened.
[[nodiscard]] ApplyResult apply_write(const FieldState& state, const FieldVersion& incoming);

}  // namespace outpost::records
