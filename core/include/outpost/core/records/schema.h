// Schemas: the forms that define record types (DESIGN §2), loaded from assets/forms/*.json or from the
// server. A schema that is itself invalid is refused with an error naming the source, the field and the
// problem. Fields are never deleted: a retired field stays readable but takes no new values.
//
// Thread-safety: value types; parse functions are pure.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "outpost/core/records/expr.h"
#include "outpost/core/status.h"

namespace outpost::records {

enum class FieldKind {
    kText,
    kLongText,
    kInteger,
    kDecimal,
    kDate,
    kDateTime,
    kChoice,
    kMultiChoice,
    kYesNo,
    kLocation,
    kRecordLink,
    kAttachments,  // files (records/attachments.h): the value is a string of canonical JSON
    kTime,         // "HH:MM"
    kNote,         // read-only text on the form; takes no value
    kGroup,        // a titled section; its fields are ordinary fields of the record
    kRepeat,       // items, each with its own id: values are "<repeat>.<item>.<field>"
    kCalculate,    // text computed from `calculate`, stored like an answer
};

// Whether a field of this kind holds a value (not a note, group or repeat).
[[nodiscard]] bool holds_value(FieldKind k);

[[nodiscard]] std::string_view kind_name(FieldKind k);
// A choice as people read it: forms name choices by code, so the code is shown with spaces for '_'
// and a capital first letter ("parent_or_carer" -> "Parent or carer"), in the window and in exports.
[[nodiscard]] std::string choice_label(std::string_view code);
[[nodiscard]] std::optional<FieldKind> kind_from_name(std::string_view name);

struct VisibleIf {
    std::string field;                // another field of the same schema
    std::vector<std::string> values;  // shown when that field's value (or any of its choices) is in here
};

// A choice given as an object: its code, the words shown for it, and extra columns a choice_filter
// reads (XLSForm's choices sheet).
struct ChoiceDef {
    std::string name;
    std::string label;                                       // empty: choice_label(name)
    std::map<std::string, std::string> labels;               // language code -> label
    std::map<std::string, std::string, std::less<>> filter;  // column -> value
};

using ExpressionPtr = std::shared_ptr<const Expression>;

struct FieldDef {
    std::string name;
    std::string label;
    std::string help;
    FieldKind kind = FieldKind::kText;
    bool required = false;
    std::optional<std::int64_t> min_length;  // text kinds, in characters (UTF-8 code points)
    std::optional<std::int64_t> max_length;
    std::optional<double> min;  // integer, decimal
    std::optional<double> max;
    std::string pattern;               // text kinds: ECMAScript regular expression the whole value must match
    std::vector<std::string> choices;  // choice, multi_choice
    std::optional<VisibleIf> visible_if;
    std::vector<std::string> editable_by;  // roles; empty: anyone who may edit the record
    std::string link_type;                 // record_link: the record type it points to (optional)
    bool retired = false;
    // A lifecycle (choice fields): which values may follow each value. Empty: any change is allowed.
    // `initial` is what an unanswered field counts as ("submitted" for a new suggestion).
    std::map<std::string, std::vector<std::string>> transitions;
    std::string initial;
    // Questions that must be answered when this field takes a value (a decision note to accept).
    std::map<std::string, std::vector<std::string>> requires_answers;

    // Form logic (records/expr.h); null when absent.
    ExpressionPtr relevant;     // shown when
    ExpressionPtr required_if;  // required when (`required` is then false)
    std::string required_message;
    ExpressionPtr constraint;  // '.' is the answer
    std::string constraint_message;
    ExpressionPtr calculate;      // kind calculate
    ExpressionPtr choice_filter;  // which choices are offered; bare names are ChoiceDef::filter columns
    std::string default_json;     // canonical JSON (encode_value) of a new record's answer; empty: none
    bool read_only = false;
    std::vector<ChoiceDef> choice_defs;  // same order as `choices` when choices were given as objects
    // language code -> {"label"|"help"|"required_message"|"constraint_message" -> text}
    std::map<std::string, std::map<std::string, std::string>> translations;
    std::vector<std::string> fields;  // group and repeat: the names of the fields inside, in order
    std::string parent;               // the group or repeat this field is inside; empty at the top
    std::string repeat;               // the repeat this field is inside (directly or in a group)
    std::int64_t max_items = 50;      // repeat

    // The words shown for choice `code`.
    [[nodiscard]] std::string choice_text(std::string_view code) const;
};

// What a form is for: a case a worker records (offered under "New case"), the improvement
// suggestion, or an internal record the app writes itself (comments, endorsements, conflicts,
// practices, adoptions), never offered as a form. JSON property "purpose"; "case" when absent.
enum class FormPurpose { kCase, kSuggestion, kInternal };

struct Schema {
    std::string type;  // "home_visit", "suggestion", ...
    std::string title;
    int version = 1;
    FormPurpose purpose = FormPurpose::kCase;
    bool retired = false;  // no new records; those written stay readable
    std::string description;
    std::string default_language;
    std::map<std::string, std::string> title_translations;  // language code -> title
    // Every field in document order, flattened: a group's and a repeat's fields follow it.
    std::vector<FieldDef> fields;
    // A field by the name its value is stored under: a top-level field (or one in a group) by name, a
    // repeat's field as "<repeat>.<item>.<field>" ("<repeat>.<item>._removed" removes an item).
    [[nodiscard]] const FieldDef* field(std::string_view name) const;
    // Any field (including one inside a repeat) by its own name.
    [[nodiscard]] const FieldDef* def(std::string_view name) const;
};

// "<repeat>.<item>.<field>" split; nothing for any other name. An item id is 1 to 16 of [a-z0-9].
struct ItemKey {
    std::string_view repeat;
    std::string_view item;
    std::string_view field;
};
[[nodiscard]] std::optional<ItemKey> split_item_key(std::string_view name);
[[nodiscard]] std::string item_key(std::string_view repeat, std::string_view item, std::string_view field);
// The reserved field a record's form version is kept in (an integer), written by the laptop.
inline constexpr std::string_view kFormVersionField = "_form_version";

// Parses one schema document. `source` names it in errors ("home_visit.json").
// Failure: record.schema.invalid, message "<source>: field '<name>': <problem>".
[[nodiscard]] Result<Schema> parse_schema(std::string_view json_text, std::string_view source);

// The forms directory this build ships with (assets/forms; packaging points it at the installed copy).
[[nodiscard]] std::filesystem::path bundled_forms_dir();

// A form document as a file holds it.
struct FormFile {
    std::string name;  // the file's name ("home_visit.json"), for errors
    std::string text;
};
// Every *.json in `dir`, sorted by name, with its text. core.io.failed when the folder or a file
// cannot be read.
[[nodiscard]] Result<std::vector<FormFile>> read_form_files(const std::filesystem::path& dir);
// Parses each file, in order. Fails on the first invalid one, naming it, or on two defining the same
// type.
[[nodiscard]] Result<std::vector<Schema>> parse_form_files(const std::vector<FormFile>& files);
// read_form_files, then parse_form_files.
[[nodiscard]] Result<std::vector<Schema>> load_schemas(const std::filesystem::path& dir);

// ---- values and validation ----

struct Location {
    double latitude = 0;
    double longitude = 0;
    double accuracy_m = 0;
    friend bool operator==(const Location&, const Location&) = default;
};

// A field's value. Text kinds, date ("YYYY-MM-DD"), datetime ("YYYY-MM-DDTHH:MM[:SS]Z"), choice and
// record_link are strings; yes_no is bool; multi_choice a list of strings.
using FieldValue =
    std::variant<std::monostate, std::string, std::int64_t, double, bool, std::vector<std::string>, Location>;
using Values = std::map<std::string, FieldValue, std::less<>>;

struct FieldError {
    std::string field;
    std::string code;     // record.field.required, record.field.too_long, ...
    std::string message;  // plain words, for the form
    friend bool operator==(const FieldError&, const FieldError&) = default;
};

// Checks a record's complete values (after the change) against its schema. `changed` names the fields
// this write sets; only they are checked for editable_by and retirement. Returns every problem at
// once; empty means valid. Hidden fields (visible_if false) are not required.
[[nodiscard]] std::vector<FieldError> validate(const Schema& schema, const Values& values,
                                               const std::vector<std::string>& changed, std::string_view role);
// The same, for a change to an existing record whose values were `before`: a changed field with a
// lifecycle must take an allowed step, and the answers its new value requires must be there.
[[nodiscard]] std::vector<FieldError> validate(const Schema& schema, const Values& values,
                                               const std::vector<std::string>& changed, std::string_view role,
                                               const Values& before);
// The same, with form logic (records/logic.h) evaluated on `today` ('YYYY-MM-DD'; empty makes today()
// ''): required when, answers to questions not asked, constraints, repeat sizes. The validate
// functions above use an empty today.
[[nodiscard]] std::vector<FieldError> validate(const Schema& schema, const Values& values,
                                               const std::vector<std::string>& changed, std::string_view role,
                                               std::string_view today);
[[nodiscard]] std::vector<FieldError> validate(const Schema& schema, const Values& values,
                                               const std::vector<std::string>& changed, std::string_view role,
                                               const Values& before, std::string_view today);

// Checks one write to one field on its own (a synced change): the role may write it, it is not
// retired, and a present value fits its kind and limits. Whether the record as a whole has its
// required answers is not checked (another change may bring them). Empty means valid.
[[nodiscard]] std::vector<FieldError> validate_field(const FieldDef& field, const FieldValue& value,
                                                     std::string_view role);

// A lifecycle step: whether `f` may change from `from` (empty: unanswered, counted as f.initial) to
// `to`. Empty when allowed (always, for a field without transitions); else record.field.transition.
[[nodiscard]] std::optional<FieldError> check_transition(const FieldDef& f, std::string_view from, std::string_view to);
// The questions `f` taking `value` requires (requires_answers), that are not answered in `values`;
// each as record.field.required on that question.
[[nodiscard]] std::vector<FieldError> check_required_answers(const Schema& schema, const FieldDef& f,
                                                             std::string_view value, const Values& values);

// Whether `field` is visible given the other values.
[[nodiscard]] bool is_visible(const Schema& schema, const FieldDef& field, const Values& values);

}  // namespace outpost::records
