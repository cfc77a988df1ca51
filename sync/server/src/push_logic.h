// The whole-record rules a push must keep (records/logic.h), checked once per record before its
// changes apply: a new record arrives with its required answers, an answer is not written to a
// question the record does not ask, an answer written passes its constraint, and no answer a rule
// requires is cleared. The laptop's records engine runs the same check before it saves, so a record
// it accepted is accepted here.
//
// Threads: pure functions. Failure: the first problem found, as a FieldError (its code is stable).
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "outpost/core/records/schema.h"
#include "outpost/sync/server_storage.h"
#include "outpost/sync/sync_messages.h"

namespace outpost::sync {

// `existing` is the record as the server holds it (nullptr: new); `changes` are this push's changes
// to it, in order. Nothing when the record as it would stand keeps the form's rules. A record this
// push deletes is not checked.
[[nodiscard]] std::optional<records::FieldError> whole_record_refusal(const records::Schema& schema,
                                                                      const StoredRecord* existing,
                                                                      const std::vector<const WireChange*>& changes,
                                                                      std::string_view today);

}  // namespace outpost::sync
