// A form built in code for tests that need no assets/forms file.
#pragma once

#include <string>
#include <utility>

#include "outpost/core/records/schema.h"

namespace outpost::testing {

inline records::FieldDef field_def(std::string name, records::FieldKind kind) {
    records::FieldDef f;
    f.name = std::move(name);
    f.kind = kind;
    return f;
}

}  // namespace outpost::testing
