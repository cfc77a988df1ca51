// The forms library: the forms a central server serves (GET /v1/schemas) and checks pushes against,
// kept in its storage with every version ever published (ServerStorage::form_versions). An empty
// library is seeded with the packaged forms, each at its own version; `outpost-server forms publish`
// adds the next version of a form, `forms retire` a version marked "retired": true (no new records;
// old ones stay readable). A version is never changed or removed.
//
// Compatibility: records written under any version stay valid under the next, so a new version keeps
// every field of the latest one (a field no longer asked is marked "retired": true instead) with the
// same kind; form.publish.incompatible otherwise, naming every problem.
//
// Threads: free functions over a ServerStorage (safe from any thread); a FormSet is immutable.
// Failure: Status with a stable code (record.schema.invalid for a form that does not parse).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "outpost/core/records/schema.h"
#include "outpost/core/status.h"
#include "outpost/sync/server_storage.h"

namespace outpost::sync {

// The forms a server holds at one moment: every version of every form, parsed, and what
// GET /v1/schemas serves.
struct FormSet {
    std::map<std::string, std::map<int, records::Schema>, std::less<>> versions;  // type -> version -> schema
    std::string json;              // the latest version of each form, as stored, in a JSON array in type order
    std::string etag;              // a strong ETag over `json`
    std::int64_t generation = -1;  // the storage's forms_generation() it was read at (-1: not from storage)
    // Stored versions this build cannot read ("<type> version <n>: <problem>"): served as stored, never
    // used to check a change.
    std::vector<std::string> unreadable;

    // `type` at `version`; its latest version when `version` is 0 or one this set does not hold;
    // nullptr for a type it does not know.
    [[nodiscard]] const records::Schema* schema(std::string_view type, int version = 0) const;
};

// A fixed set: `schemas` (one version each) served as `json`. For tests and tools that serve the
// packaged forms without a library.
[[nodiscard]] FormSet fixed_form_set(std::vector<records::Schema> schemas, std::string json);

// Reads the library (generation first, so a publish made meanwhile is noticed by the next check). A
// stored version that does not parse is listed in `unreadable`, not an error.
[[nodiscard]] Result<FormSet> load_form_set(ServerStorage& storage);

// Seeds an empty library with every *.json in `dir` (records::bundled_forms_dir() for a server), each
// at the version it names, stored as its file's text. Does nothing when the library holds a form.
[[nodiscard]] Status seed_forms_from(ServerStorage& storage, const std::filesystem::path& dir, std::int64_t now_ms);

// form.publish.incompatible when `next` drops a field of `latest` or changes a field's kind (both
// JSON form documents that parse; fields inside a group or repeat count by their record name).
[[nodiscard]] Status check_compatible(std::string_view latest, std::string_view next);

// Parses a form document (`source` names it in errors) and checks it against the latest published
// version of its type, if any. The schema as parsed.
[[nodiscard]] Result<records::Schema> check_form(ServerStorage& storage, std::string_view text,
                                                 std::string_view source);

// Checks a form as check_form does and stores it as the next version of its type, with its "version"
// rewritten to that version. Returns the version.
[[nodiscard]] Result<int> publish_form_text(ServerStorage& storage, std::string_view text, std::string_view source,
                                            std::int64_t now_ms);

// Publishes the next version of `type`: its latest with "retired": true. form.lookup.not_found for a
// type never published. Returns the version.
[[nodiscard]] Result<int> retire_form(ServerStorage& storage, const std::string& type, std::int64_t now_ms);

// One line of `forms list`.
struct FormSummary {
    std::string type;
    std::string title;  // the latest version's
    int latest = 0;
    int versions = 0;
    bool retired = false;           // the latest version is marked "retired": true
    std::int64_t published_ms = 0;  // the latest version's
};
[[nodiscard]] Result<std::vector<FormSummary>> list_forms(ServerStorage& storage);

}  // namespace outpost::sync
