#include "push_logic.h"

#include <algorithm>

#include "outpost/core/error_codes.h"
#include "outpost/core/records/engine.h"
#include "outpost/core/records/logic.h"
#include "outpost/core/records/merge.h"

namespace outpost::sync {

std::optional<records::FieldError> whole_record_refusal(const records::Schema& schema, const StoredRecord* existing,
                                                        const std::vector<const WireChange*>& changes,
                                                        std::string_view today) {
    records::Values values;
    bool deleted = false;
    if (existing != nullptr) {
        for (const records::FieldFrontier& f : existing->fields) {
            if (f.state.frontier.empty()) {
                continue;
            }
            const std::string& text = records::winner(f.state).value;
            if (f.field == "_deleted") {
                deleted = text == "true";
                continue;
            }
            const records::FieldDef* def = schema.field(f.field);
            if (def == nullptr) {
                continue;
            }
            if (Result<records::FieldValue> v = records::decode_value(def->kind, text);
                v.is_ok() && !std::holds_alternative<std::monostate>(*v)) {
                values[f.field] = std::move(*v);
            }
        }
    }
    std::vector<std::string> changed;
    for (const WireChange* c : changes) {
        if (c->field == "_deleted") {
            deleted = c->value == "true";
            continue;
        }
        const records::FieldDef* def = schema.field(c->field);
        if (def == nullptr) {
            continue;  // refused on its own
        }
        Result<records::FieldValue> v = records::decode_value(def->kind, c->value);
        if (!v.is_ok()) {
            continue;  // refused on its own
        }
        changed.push_back(c->field);
        if (std::holds_alternative<std::monostate>(*v)) {
            values.erase(c->field);
        } else {
            values[c->field] = std::move(*v);
        }
    }
    if (deleted || changed.empty()) {
        return std::nullopt;
    }
    auto was_changed = [&](const std::string& key) {
        return std::find(changed.begin(), changed.end(), key) != changed.end();
    };
    for (records::FieldError& e : records::check_logic(schema, values, changed, today)) {
        // A missing answer is this push's doing when it creates the record or clears the answer; a
        // failing constraint when it writes the answer. Others' answers merged here are theirs.
        const bool mine = e.code == errc::kFieldRequired ? existing == nullptr || was_changed(e.field)
                          : e.code == errc::kFieldOutOfRange
                              ? std::any_of(changed.begin(), changed.end(),
                                            [&](const std::string& k) { return k.rfind(e.field + ".", 0) == 0; })
                              : was_changed(e.field);
        if (mine) {
            e.message = e.field + ": " + e.message;
            return std::move(e);
        }
    }
    return std::nullopt;
}

}  // namespace outpost::sync
