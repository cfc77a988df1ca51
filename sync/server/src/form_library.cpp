#include "outpost/sync/form_library.h"

#include <sodium.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "outpost/core/error_codes.h"
#include "outpost/platform/utf8.h"

namespace outpost::sync {
namespace {

using Json = nlohmann::ordered_json;

std::string etag_of(std::string_view body) {
    unsigned char h[16];
    crypto_generichash(h, sizeof h, reinterpret_cast<const unsigned char*>(body.data()), body.size(), nullptr, 0);
    char hex[sizeof h * 2 + 1];
    sodium_bin2hex(hex, sizeof hex, h, sizeof h);
    return std::string("\"") + hex + "\"";
}

// The served array: the documents as stored, as load_forms() has always joined them.
std::string join_documents(const std::vector<const std::string*>& bodies) {
    std::string json = "[";
    for (std::size_t i = 0; i < bodies.size(); ++i) {
        json += (i > 0 ? ",\n" : "\n") + *bodies[i];
    }
    json += "]";
    return json;
}

// A form document already known to parse, as a JSON object (a discarded value if not).
Json parse_object(std::string_view text) {
    Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
    return j.is_object() ? j : Json(Json::value_t::discarded);
}

// Every field of a form by the name its values are stored under, with its kind: a group's children
// are the record's own fields, a repeat's are stored as "<repeat>.<item>.<child>" (here "<repeat>.<child>").
void collect_fields(const Json& fields, const std::string& prefix, std::map<std::string, std::string>& out) {
    if (!fields.is_array()) {
        return;
    }
    for (const Json& f : fields) {
        if (!f.is_object() || !f.contains("name") || !f["name"].is_string()) {
            continue;
        }
        const std::string name = prefix + f["name"].get<std::string>();
        const std::string kind = f.contains("kind") && f["kind"].is_string() ? f["kind"].get<std::string>() : "";
        out[name] = kind;
        if (f.contains("fields")) {
            collect_fields(f["fields"], kind == "repeat" ? name + "." : prefix, out);
        }
    }
}

// `text` with its "version" set to `version` (and "retired": true when `retire`), as pretty JSON.
Result<std::string> rewritten(std::string_view text, int version, bool retire) {
    Json j = parse_object(text);
    if (j.is_discarded()) {
        return Status::error(errc::kRecordSchemaInvalid, "a form must be a JSON object");
    }
    j["version"] = version;
    if (retire) {
        j["retired"] = true;
    }
    return j.dump(2, ' ', false, Json::error_handler_t::replace);
}

bool is_retired(std::string_view body) {
    const Json j = parse_object(body);
    return !j.is_discarded() && j.contains("retired") && j["retired"].is_boolean() && j["retired"].get<bool>();
}

std::string version_source(const std::string& type, int version) {
    return type + " version " + std::to_string(version);
}

}  // namespace

const records::Schema* FormSet::schema(std::string_view type, int version) const {
    auto t = versions.find(type);
    if (t == versions.end() || t->second.empty()) {
        return nullptr;
    }
    if (version > 0) {
        if (auto v = t->second.find(version); v != t->second.end()) {
            return &v->second;
        }
    }
    return &t->second.rbegin()->second;
}

FormSet fixed_form_set(std::vector<records::Schema> schemas, std::string json) {
    FormSet set;
    for (records::Schema& s : schemas) {
        const std::string type = s.type;
        const int version = s.version;
        set.versions[type].insert_or_assign(version, std::move(s));
    }
    set.etag = etag_of(json);
    set.json = std::move(json);
    return set;
}

Result<FormSet> load_form_set(ServerStorage& storage) {
    Result<std::int64_t> generation = storage.forms_generation();
    OUTPOST_TRY(generation);
    Result<std::vector<FormVersion>> rows = storage.form_versions();
    OUTPOST_TRY(rows);
    FormSet set;
    set.generation = *generation;
    std::map<std::string, const FormVersion*, std::less<>> latest;
    for (const FormVersion& row : *rows) {
        // A version this build cannot read (published by a newer Outpost, before a rollback) is still
        // served, so laptops that can read it use it and the others keep theirs with a notice; changes
        // are checked against the versions this build reads. It never stops the server.
        Result<records::Schema> schema = records::parse_schema(row.body, version_source(row.type, row.version));
        if (schema.is_ok()) {
            set.versions[row.type].insert_or_assign(row.version, std::move(*schema));
        } else {
            set.unreadable.push_back(schema.status().message());
        }
        const FormVersion*& l = latest[row.type];
        if (l == nullptr || l->version < row.version) {
            l = &row;
        }
    }
    std::vector<const std::string*> bodies;
    bodies.reserve(latest.size());
    for (const auto& [type, row] : latest) {
        bodies.push_back(&row->body);
    }
    set.json = join_documents(bodies);
    set.etag = etag_of(set.json);
    return set;
}

Status seed_forms_from(ServerStorage& storage, const std::filesystem::path& dir, std::int64_t now_ms) {
    Result<std::int64_t> generation = storage.forms_generation();
    OUTPOST_TRY(generation);
    if (*generation > 0) {
        return Status::ok();
    }
    Result<std::vector<records::FormFile>> files = records::read_form_files(dir);
    OUTPOST_TRY(files);
    Result<std::vector<records::Schema>> schemas = records::parse_form_files(*files);
    OUTPOST_TRY(schemas);
    std::vector<FormVersion> seed;
    for (std::size_t i = 0; i < files->size(); ++i) {
        seed.push_back(FormVersion{(*schemas)[i].type, (*schemas)[i].version, std::move((*files)[i].text), now_ms});
    }
    Result<bool> seeded = storage.seed_forms(seed);
    OUTPOST_TRY(seeded);
    return Status::ok();
}

Status check_compatible(std::string_view latest, std::string_view next) {
    const Json before = parse_object(latest);
    const Json after = parse_object(next);
    if (before.is_discarded() || after.is_discarded()) {
        return Status::error(errc::kRecordSchemaInvalid, "a form must be a JSON object");
    }
    std::map<std::string, std::string> old_fields;
    std::map<std::string, std::string> new_fields;
    collect_fields(before.contains("fields") ? before["fields"] : Json(), "", old_fields);
    collect_fields(after.contains("fields") ? after["fields"] : Json(), "", new_fields);
    std::string problems;
    for (const auto& [name, kind] : old_fields) {
        auto now = new_fields.find(name);
        if (now == new_fields.end()) {
            problems += (problems.empty() ? "" : "; ") +
                        ("field '" + name + "' was removed (keep it, marked \"retired\": true)");
        } else if (now->second != kind) {
            problems += (problems.empty() ? "" : "; ") +
                        ("field '" + name + "' changed kind from " + kind + " to " + now->second);
        }
    }
    if (!problems.empty()) {
        const int version =
            before.contains("version") && before["version"].is_number_integer() ? before["version"].get<int>() : 0;
        return Status::error(errc::kFormPublishIncompatible,
                             "incompatible with the published version " + std::to_string(version) + ": " + problems);
    }
    return Status::ok();
}

Result<records::Schema> check_form(ServerStorage& storage, std::string_view text, std::string_view source) {
    Result<records::Schema> schema = records::parse_schema(text, source);
    OUTPOST_TRY(schema);
    Result<std::vector<FormVersion>> rows = storage.form_versions();
    OUTPOST_TRY(rows);
    const FormVersion* latest = nullptr;
    for (const FormVersion& row : *rows) {
        if (row.type == schema->type && (latest == nullptr || latest->version < row.version)) {
            latest = &row;
        }
    }
    if (latest != nullptr) {
        OUTPOST_TRY(check_compatible(latest->body, text));
    }
    return schema;
}

Result<int> publish_form_text(ServerStorage& storage, std::string_view text, std::string_view source,
                              std::int64_t now_ms) {
    Result<records::Schema> schema = records::parse_schema(text, source);
    OUTPOST_TRY(schema);
    return storage.publish_form(schema->type, now_ms,
                                [&](int version, const FormVersion* latest) -> Result<std::string> {
                                    if (latest != nullptr) {
                                        OUTPOST_TRY(check_compatible(latest->body, text));
                                    }
                                    Result<std::string> body = rewritten(text, version, false);
                                    OUTPOST_TRY(body);
                                    OUTPOST_TRY(records::parse_schema(*body, source));
                                    return body;
                                });
}

Result<int> retire_form(ServerStorage& storage, const std::string& type, std::int64_t now_ms) {
    return storage.publish_form(type, now_ms, [&](int version, const FormVersion* latest) -> Result<std::string> {
        if (latest == nullptr) {
            return Status::error(errc::kFormNotFound, "the server has no form '" + type + "'");
        }
        Result<std::string> body = rewritten(latest->body, version, true);
        OUTPOST_TRY(body);
        OUTPOST_TRY(records::parse_schema(*body, version_source(type, version)));
        return body;
    });
}

Result<std::vector<FormSummary>> list_forms(ServerStorage& storage) {
    Result<std::vector<FormVersion>> rows = storage.form_versions();
    OUTPOST_TRY(rows);
    std::vector<FormSummary> out;
    std::vector<const FormVersion*> latest;
    for (const FormVersion& row : *rows) {  // by type, then version
        if (out.empty() || out.back().type != row.type) {
            out.push_back(FormSummary{row.type});
            latest.push_back(nullptr);
        }
        ++out.back().versions;
        if (latest.back() == nullptr || latest.back()->version < row.version) {
            latest.back() = &row;
        }
    }
    for (std::size_t i = 0; i < out.size(); ++i) {
        const FormVersion& l = *latest[i];
        out[i].latest = l.version;
        out[i].published_ms = l.published_ms;
        out[i].retired = is_retired(l.body);
        const Json j = parse_object(l.body);
        if (!j.is_discarded() && j.contains("title") && j["title"].is_string()) {
            out[i].title = j["title"].get<std::string>();
        }
    }
    return out;
}

}  // namespace outpost::sync
