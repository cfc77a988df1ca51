// Search internals (internal to core/records): the text a record's FTS5 row holds, and the
// fingerprint of what the forms make searchable. fts_query (engine.h) turns typed text into a query.
//
// Threads: pure functions. Failure: none; a value that does not decode adds no text.
#pragma once

#include <string>
#include <vector>

#include "outpost/core/records/heads.h"
#include "outpost/core/records/schema.h"

namespace outpost::records {

// The search row's text: text, choice and list answers, one per line, in the order of `heads` (field
// name order). Fields `schema` does not know, and every other kind, add nothing.
[[nodiscard]] std::string fts_body(const Schema& schema, const std::vector<Head>& heads);

// A fingerprint of every searchable field (type, name, kind) of every form: the index is rebuilt when
// it changes. Stable across builds and platforms (FNV-1a).
[[nodiscard]] std::string search_fingerprint(const std::vector<Schema>& schemas);

}  // namespace outpost::records
