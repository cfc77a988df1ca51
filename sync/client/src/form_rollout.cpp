#include "outpost/sync/form_rollout.h"

#include <algorithm>
#include <filesystem>
#include <iterator>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "outpost/core/error_codes.h"
#include "outpost/platform/utf8.h"
#include "outpost/sync/messages.h"
#include "outpost/sync/sync_engine.h"

namespace outpost::sync {
namespace {

// What a form says of itself, read without judging the rest of it (a form from a newer Outpost).
struct Lenient {
    std::string type;
    std::string title;
    int version = 0;
    bool retired = false;
};

// The document must already be checked as JSON (size and depth: decode_schema_documents), since
// nlohmann's reader recurses.
std::optional<Lenient> read_lenient(std::string_view doc) {
    const nlohmann::json j = nlohmann::json::parse(doc, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return std::nullopt;
    }
    Lenient out;
    if (auto it = j.find("type"); it != j.end() && it->is_string()) {
        out.type = it->get<std::string>();
    }
    if (out.type.empty()) {
        return std::nullopt;
    }
    if (auto it = j.find("title"); it != j.end() && it->is_string()) {
        out.title = it->get<std::string>();
    }
    if (auto it = j.find("version"); it != j.end() && it->is_number_integer()) {
        const auto v = it->get<std::int64_t>();
        out.version = v > 0 && v <= 1'000'000'000 ? static_cast<int>(v) : 0;
    }
    if (auto it = j.find("retired"); it != j.end() && it->is_boolean()) {
        out.retired = it->get<bool>();
    }
    return out;
}

Result<HeldForm> held_form(std::string json, std::string_view source) {
    // As a document of the kept set reads back (decode_schema_documents): without the space around it.
    const std::size_t first = json.find_first_not_of(" \t\r\n");
    json =
        first == std::string::npos ? std::string() : json.substr(first, json.find_last_not_of(" \t\r\n") - first + 1);
    Result<records::Schema> s = records::parse_schema(json, source);
    OUTPOST_TRY(s);
    const std::optional<Lenient> l = read_lenient(json);
    return HeldForm{std::move(*s), std::move(json), l && l->retired};
}

}  // namespace

std::vector<records::Schema> LaptopForms::schemas() const {
    std::vector<records::Schema> out;
    out.reserve(forms.size());
    for (const HeldForm& f : forms) {
        out.push_back(f.schema);
    }
    return out;
}

std::set<std::string> LaptopForms::retired() const {
    std::set<std::string> out;
    for (const HeldForm& f : forms) {
        if (f.retired) {
            out.insert(f.schema.type);
        }
    }
    return out;
}

std::string LaptopForms::schemas_json() const {
    std::string out = "{\"schemas\":[";
    for (std::size_t i = 0; i < forms.size(); ++i) {
        out += i == 0 ? "" : ",";
        out += forms[i].json;
    }
    return out + "]}";
}

std::string LaptopForms::notices_json() const {
    if (notices.empty()) {
        return "";
    }
    nlohmann::json a = nlohmann::json::array();
    for (const FormNotice& n : notices) {
        a.push_back({{"type", n.type}, {"title", n.title}, {"version", n.version}, {"kept_version", n.kept_version}});
    }
    return a.dump();
}

std::vector<FormNotice> parse_notices(std::string_view json) {
    std::vector<FormNotice> out;
    if (json.empty() || !json_depth_within(json)) {
        return out;
    }
    const nlohmann::json a = nlohmann::json::parse(json, nullptr, false);
    if (a.is_discarded() || !a.is_array()) {
        return out;
    }
    auto text = [](const nlohmann::json& o, const char* key) {
        auto it = o.find(key);
        return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    auto number = [](const nlohmann::json& o, const char* key) {
        auto it = o.find(key);
        const std::int64_t v = it != o.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
        return v > 0 && v <= 1'000'000'000 ? static_cast<int>(v) : 0;
    };
    for (const nlohmann::json& n : a) {
        if (!n.is_object() || text(n, "type").empty()) {
            continue;
        }
        FormNotice f{text(n, "type"), text(n, "title"), number(n, "version"), number(n, "kept_version")};
        if (f.title.empty()) {
            f.title = f.type;
        }
        out.push_back(std::move(f));
    }
    return out;
}

namespace {
Result<std::vector<HeldForm>> read_bundled_forms();
}  // namespace

Result<std::vector<HeldForm>> bundled_forms() {
    // The shipped forms do not change while the process runs: read and parsed once (every unlock and
    // every changed set of forms reads over them).
    static std::mutex mutex;
    static std::optional<std::vector<HeldForm>> cached;
    std::lock_guard lock(mutex);
    if (cached) {
        return *cached;
    }
    Result<std::vector<HeldForm>> read = read_bundled_forms();
    if (read.is_ok()) {
        cached = *read;
    }
    return read;
}

namespace {

Result<std::vector<HeldForm>> read_bundled_forms() {
    Result<std::vector<records::FormFile>> files = records::read_form_files(records::bundled_forms_dir());
    OUTPOST_TRY(files);
    std::vector<HeldForm> out;
    for (records::FormFile& f : *files) {
        Result<HeldForm> h = held_form(std::move(f.text), f.name);
        OUTPOST_TRY(h);
        out.push_back(std::move(*h));
    }
    return out;
}

}  // namespace

Result<LaptopForms> roll_out_forms(const std::vector<std::string>& served, const std::vector<HeldForm>& held) {
    struct Candidates {
        std::optional<HeldForm> readable;   // the newest version read
        std::optional<Lenient> unreadable;  // the newest version not read
    };
    std::vector<std::string> order;  // types, as the server sent them
    std::map<std::string, Candidates> by_type;
    for (const std::string& doc : served) {
        std::optional<Lenient> l = read_lenient(doc);
        if (!l) {
            return Status::error(errc::kSyncSchemasInvalid, "a form names no type");
        }
        auto [it, added] = by_type.try_emplace(l->type);
        if (added) {
            order.push_back(l->type);
        }
        Candidates& c = it->second;
        // A form the laptop holds in this very text is the same form: not parsed again.
        const auto same = std::find_if(held.begin(), held.end(), [&](const HeldForm& h) { return h.json == doc; });
        Result<records::Schema> s =
            same != held.end() ? Result<records::Schema>(same->schema) : records::parse_schema(doc, "server form");
        if (s.is_ok() && s->type == l->type) {
            if (!c.readable || s->version > c.readable->schema.version) {
                c.readable = HeldForm{std::move(*s), doc, l->retired};
            }
        } else if (!c.unreadable || l->version > c.unreadable->version) {
            c.unreadable = std::move(*l);
        }
    }
    LaptopForms out;
    for (const std::string& type : order) {
        Candidates& c = by_type[type];
        if (c.readable && (!c.unreadable || c.readable->schema.version >= c.unreadable->version)) {
            out.forms.push_back(std::move(*c.readable));
            continue;
        }
        // The newest this build can read: what the server sent, or what the laptop had.
        std::optional<HeldForm> keep = std::move(c.readable);
        for (const HeldForm& h : held) {
            if (h.schema.type == type && (!keep || h.schema.version > keep->schema.version)) {
                keep = h;
            }
        }
        FormNotice n{type, c.unreadable->title, c.unreadable->version, keep ? keep->schema.version : 0};
        if (n.title.empty()) {
            n.title = keep ? keep->schema.title : type;
        }
        out.notices.push_back(std::move(n));
        if (keep) {
            out.forms.push_back(std::move(*keep));
        }
    }
    return out;
}

Result<LaptopForms> profile_forms(Store& store) {
    Result<std::string> stored = sync_state_value(store, "schemas_json");
    OUTPOST_TRY(stored);
    Result<std::string> notices = sync_state_value(store, "form_notices");
    OUTPOST_TRY(notices);
    Result<std::vector<HeldForm>> shipped = bundled_forms();
    OUTPOST_TRY(shipped);
    LaptopForms out;
    if (!stored->empty()) {
        // A kept set is read form by form over the shipped forms: one this build cannot read (kept by
        // a newer build, or damaged) gives way to the shipped version of that form, never a failed
        // unlock. Nothing of it readable: the shipped forms.
        if (Result<std::vector<std::string>> docs = decode_schema_documents(*stored); docs.is_ok()) {
            if (Result<LaptopForms> kept = roll_out_forms(*docs, *shipped); kept.is_ok() && !kept->forms.empty()) {
                out = std::move(*kept);
            }
        }
    }
    if (out.forms.empty()) {
        out = LaptopForms{std::move(*shipped), {}};
    }
    // The notices kept at the last sync, then any of this reading that they do not already name.
    std::vector<FormNotice> all = parse_notices(*notices);
    for (FormNotice& n : out.notices) {
        if (std::none_of(all.begin(), all.end(), [&n](const FormNotice& k) { return k.type == n.type; })) {
            all.push_back(std::move(n));
        }
    }
    // A kept notice whose form is now readable (this build was updated) no longer applies.
    std::erase_if(all, [&out](const FormNotice& n) {
        return std::any_of(out.forms.begin(), out.forms.end(), [&n](const HeldForm& f) {
            return f.schema.type == n.type && f.schema.version >= n.version;
        });
    });
    out.notices = std::move(all);
    return out;
}

Result<std::vector<FormNotice>> profile_form_notices(Store& store) {
    Result<LaptopForms> forms = profile_forms(store);
    OUTPOST_TRY(forms);
    return std::move(forms->notices);
}

std::string form_notice_words(const FormNotice& n) {
    std::string out = (n.title.empty() ? n.type : n.title);
    if (n.version > 0) {
        out += " version " + std::to_string(n.version);
    }
    out += " needs a newer Outpost";
    if (n.kept_version > 0) {
        return out + ". You can keep using version " + std::to_string(n.kept_version) +
               " until this laptop is updated.";
    }
    return out + "; ask IT to update Outpost on this laptop.";
}

}  // namespace outpost::sync
