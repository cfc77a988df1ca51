// Value codec internals (internal to core/records): the canonical spelling of a field value, beside
// encode_value and decode_value (engine.h), which value_codec.cpp also defines.
//
// Threads: pure functions. Failure: none of these fail; a value that does not fit is kept or skipped,
// as each says.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "outpost/core/json.h"
#include "outpost/core/records/heads.h"
#include "outpost/core/records/schema.h"

namespace outpost::records {

// A parsed JSON value as a value of `kind` (decode_value's reading, after the JSON is parsed); nothing
// when it does not fit the kind.
[[nodiscard]] std::optional<FieldValue> value_from_json(FieldKind kind, const json::Value& v);

// True for a JSON string spelled the way encode_value writes one with nothing to escape.
[[nodiscard]] bool plain_quoted(std::string_view text);

// True when `text` is already encode_value's spelling of a value of `kind` (the common case: another
// Outpost wrote it), checked without decoding or allocating.
[[nodiscard]] bool canonical_as_is(FieldKind kind, std::string_view text);

// A pulled value as this laptop stores it: the canonical spelling for its field's kind. A field the
// form `sch` does not know (or no form, or a value that does not fit the field) is kept as sent.
[[nodiscard]] std::string canonical(const Schema* sch, const std::string& field, std::string value);

// The values a worker sees: the heads of the form's known fields, decoded for their kind. Heads of
// unknown fields (and _deleted), values that do not decode and empty values are left out.
[[nodiscard]] Values values_of(const Schema* s, const std::vector<Head>& heads);

}  // namespace outpost::records
