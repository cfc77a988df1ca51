// Versioned, forward-only schema migrations for one component of a local store.
//
// Each component that keeps tables in a profile (records, blobs, sync, ui) names its schema
// version in the store's `outpost_store_meta` table as `schema.<component>`. A store written
// before versions existed reads as version 0. At open, `migrate_schema` runs every step newer than
// the stored version, in order, each in its own IMMEDIATE transaction together with the version
// bump, so a crash leaves the store at the last whole step. Steps must therefore be correct on a
// store of the version before them, including version 0 (tables made by CREATE ... IF NOT EXISTS).
//
// A store whose version is newer than the last step (written by a newer Outpost) is refused with
// `store.schema.too_new` and left untouched.
//
// Threads: call with the store's connection not in use by another thread (at open).
// Failure: the failing step's Status; the step is rolled back and the version stays as it was.
#pragma once

#include <functional>
#include <string_view>
#include <vector>

#include "outpost/core/status.h"

namespace outpost {

class Store;

struct SchemaStep {
    int version = 0;                      // this step brings the component to `version`; 1, 2, 3, ...
    std::function<Status(Store&)> apply;  // runs inside the step's transaction
};

// Brings `component` to the last step's version. `steps` are in version order, 1 first, none missing.
[[nodiscard]] Status migrate_schema(Store& store, std::string_view component, const std::vector<SchemaStep>& steps);

// The stored version of `component` (0 when the store predates versions).
[[nodiscard]] Result<int> schema_version(Store& store, std::string_view component);

}  // namespace outpost
