// Recovery codes on the laptop. A profile's store has a second keyslot opened by a printed recovery
// code (store.h add_recovery_code): 128 random bits shown as 26 letters and digits in groups of four
// (envelope.h format_recovery_code). The code is shown to the worker once, when the profile is made
// and again after it was recovered, and stays "to be confirmed" inside the encrypted store until she
// has typed one group of it back; closing the app before that shows the same code at the next unlock.
// Skipping (when the site policy and escrow allow it) clears the slot, so no code nobody wrote down
// can open the store.
//
// Escrow: a profile enrolled with a provisioning file carrying "escrow_key" keeps that key inside its
// store, and every code it makes is also sealed to it in <profile folder>/recovery.sealed
// (core/store/escrow.h), written atomically; the service desk opens it with its secret key. Such a
// profile must have a recovery code: it cannot be skipped (policy.recovery_code.required).
//
// Threads: the store's owner thread (the Session holds the store mutex for these). add_recovery_code
// writes the key file (an fsync, no Argon2). Failure: Status codes of the store and
// store.escrow.key_invalid, policy.recovery_code.required.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "outpost/core/status.h"
#include "outpost/core/store.h"

namespace outpost::client {

inline constexpr const char* kSealedRecoveryFile = "recovery.sealed";

// Where a profile's recovery code stands.
enum class RecoveryStage {
    kNone,       // never made, or skipped: the store has no recovery slot
    kMaking,     // a new code was being made when the app stopped: make another
    kPending,    // made and shown, not yet typed back
    kConfirmed,  // typed back: the worker has it
};

struct RecoveryState {
    RecoveryStage stage = RecoveryStage::kNone;
    std::string pending;     // the code to show again (kPending only)
    std::string escrow_key;  // the service desk's public key; empty: no escrow
    bool has_slot = false;   // the key file has a recovery slot
};

// The table that keeps the state (schema "recovery"); Session's open runs it.
[[nodiscard]] Status migrate_recovery_table(Store& store);
[[nodiscard]] Result<RecoveryState> recovery_state(Store& store);

// Makes a new code (replacing the old slot, so a code seen before stops working), keeps it pending,
// and with escrow (`escrow_key`, else the one the profile keeps) seals it into `dir`/recovery.sealed.
// A non-empty `escrow_key` is kept for every later code. Returns the code, grouped.
[[nodiscard]] Result<std::string> make_recovery_code(Store& store, const std::filesystem::path& dir,
                                                     std::string_view escrow_key = {});
// The code to show after an unlock: the pending one (sealed again if escrowed, in case the app
// stopped before it was), or a new one when one was being made, or when `required` and the profile
// has none (a site policy that came after the profile). "" when there is nothing to show.
[[nodiscard]] Result<std::string> recovery_code_to_offer(Store& store, const std::filesystem::path& dir, bool required);
// The worker typed a group back: the pending code is forgotten (the slot stays).
[[nodiscard]] Status confirm_recovery_code(Store& store);
// The worker chose not to keep a code: the slot is cleared and the pending code forgotten.
// policy.recovery_code.required when `required` or the profile has escrow.
[[nodiscard]] Status skip_recovery_code(Store& store, bool required);

// The groups of a code as shown ("7KQ3", ..., "X9"), and whether `typed` is group `group` (1-based),
// forgiving case, spaces and the letters I, L and O read as 1 and 0.
[[nodiscard]] std::vector<std::string> recovery_code_groups(std::string_view code);
[[nodiscard]] bool recovery_group_matches(std::string_view code, int group, std::string_view typed);

}  // namespace outpost::client
