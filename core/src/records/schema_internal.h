// Pieces shared by the schema's parser (schema_parse.cpp), its validation (schema.cpp) and form
// logic (logic.cpp). Internal to the records module.
#pragma once

#include <vector>

#include "outpost/core/records/schema.h"

namespace outpost::records {

// Whether `v` counts as unanswered (nothing, blank text, an empty list, "[]" attachments).
[[nodiscard]] bool is_empty(const FieldValue& v);
// Checks one present value against its field's kind and limits, adding any problems.
void check_value(const FieldDef& f, const FieldValue& v, std::vector<FieldError>& errors);

}  // namespace outpost::records
