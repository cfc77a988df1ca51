// FormModel: the state of one schema-driven form while a worker fills it in (DESIGN §5), without
// ImGui: the text typed into each question, which questions show (form logic, records/logic.h, on
// the answers as typed), what the calculations give, the items of each repeat, which questions the
// role may change (editable_by), the problems to show under each, and what a save writes.
//
// Answers are keyed like the record's values: a field's name, or "<repeat>.<item>.<field>" for a
// repeat's field (records::item_key).
//
// Every answer is held as the text a widget edits: text kinds as typed, numbers as typed, a choice
// as its token, several choices one token per line, yes/no as "yes", "no" or "", a place as
// "latitude, longitude". values_to_write() turns the changed ones into typed values.
//
// Threads: UI thread (a value type). Failure: values_to_write() reports answers that do not parse as
// FieldErrors in plain words; the records engine checks the rest when the form is saved.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "outpost/core/records/engine.h"
#include "outpost/core/records/schema.h"

namespace outpost::client {

class FormModel {
public:
    FormModel() = default;
    // A blank form for a new record of `schema`'s type.
    [[nodiscard]] static FormModel blank(const records::Schema& schema);
    // A form over record `r` as it stands.
    [[nodiscard]] static FormModel of(const records::Schema& schema, const records::Record& r);

    [[nodiscard]] const records::Schema* schema() const { return m_schema; }
    [[nodiscard]] const std::string& record_id() const { return m_record_id; }
    [[nodiscard]] bool is_new() const { return m_record_id.empty(); }
    void set_record_id(std::string id) { m_record_id = std::move(id); }

    // The text a widget edits for `field` (created empty on first use).
    [[nodiscard]] std::string& text(const std::string& field) { return m_text[field]; }
    [[nodiscard]] std::string text(const std::string& field) const;
    // Several choices: whether `choice` is ticked, and ticking it.
    [[nodiscard]] bool has_choice(const std::string& field, std::string_view choice) const;
    void set_choice(const std::string& field, std::string_view choice, bool on);

    // Whether the question shows, from the answers as typed (in repeat item `item` for a repeat's field).
    [[nodiscard]] bool visible(const records::FieldDef& f, std::string_view item = {}) const;
    // Whether it must be answered now (required, or required when its rule holds, and shown).
    [[nodiscard]] bool required(const records::FieldDef& f, std::string_view item = {}) const;
    // The choices a choice filter offers now.
    [[nodiscard]] std::vector<std::string> offered(const records::FieldDef& f, std::string_view item = {}) const;
    // What a calculation gives now, as text ('' when nothing).
    [[nodiscard]] std::string calculated(const records::FieldDef& f, std::string_view item = {}) const;
    // The date today() means in this form's logic, 'YYYY-MM-DD'.
    void set_today(std::string today) { m_today = std::move(today); }

    // A repeat's items, in order; adding one gives it a new id (records::new_item_id).
    [[nodiscard]] std::vector<std::string> items(const std::string& repeat) const;
    std::string add_item(const std::string& repeat, std::int64_t now_ms, std::uint32_t salt);
    void remove_item(const std::string& repeat, const std::string& item);
    // Whether `role` may answer it (editable_by, and never a retired question).
    [[nodiscard]] static bool editable(const records::FieldDef& f, std::string_view role);

    // Questions whose text differs from what the record held (every answered one for a new record).
    [[nodiscard]] std::vector<std::string> changed_fields() const;
    [[nodiscard]] bool dirty() const { return !changed_fields().empty(); }

    // What a save writes: each changed, shown question the role may answer, as a typed value (an
    // emptied answer clears it). An answer that does not parse for its kind is left out and reported
    // in `errors` with the words to show under it.
    [[nodiscard]] records::Values values_to_write(std::string_view role,
                                                  std::vector<records::FieldError>& errors) const;

    // Problems to show under the questions (from values_to_write or the records engine). A problem
    // shows until its answer is changed: then it is about something no longer there.
    void set_errors(const std::vector<records::FieldError>& errors);
    void clear_errors() { m_errors.clear(); }
    [[nodiscard]] const std::string* error(const std::string& field) const;
    [[nodiscard]] std::size_t error_count() const;

    // The answer was cut at its longest allowed length while typed or pasted; shown until it changes.
    void note_cut(const std::string& field) { m_cut[field] = text(field); }
    [[nodiscard]] bool was_cut(const std::string& field) const;

    // Every answer's text, for an encrypted draft; restore() puts a draft back.
    [[nodiscard]] const std::map<std::string, std::string>& texts() const { return m_text; }
    void restore(const std::map<std::string, std::string>& texts);

    // The typed text of a question of kind f.kind as its value; on text that does not parse, `problem`
    // says so in plain words (and the value is empty).
    [[nodiscard]] static records::FieldValue parse(const records::FieldDef& f, const std::string& typed,
                                                   std::optional<records::FieldError>& problem);
    // The text a widget shows for value `v` of a question of kind `kind`.
    [[nodiscard]] static std::string to_text(records::FieldKind kind, const records::FieldValue& v);

private:
    // The answers as typed, parsed (leniently) into values, with calculations settled. Cached until
    // the typed texts change.
    [[nodiscard]] const records::Values& live() const;
    [[nodiscard]] std::vector<std::string> keys() const;

    const records::Schema* m_schema = nullptr;
    std::string m_today;
    std::map<std::string, std::vector<std::string>> m_items;  // repeat -> item ids, in order
    std::vector<std::string> m_removed;                       // "<repeat>.<item>" of items the record held
    mutable std::map<std::string, std::string> m_live_texts;
    mutable records::Values m_live;
    mutable bool m_live_valid = false;
    std::string m_record_id;
    std::map<std::string, std::string> m_text;
    std::map<std::string, std::string> m_original;  // what the record held, as text
    struct Problem {
        std::string message;
        std::string text;  // the answer it was about
    };
    std::map<std::string, Problem> m_errors;
    std::map<std::string, std::string> m_cut;  // field -> its text just after the cut
};

}  // namespace outpost::client
