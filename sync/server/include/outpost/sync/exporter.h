// Exports for analysts and for open data (`outpost-server export`).
//  - A team's cases or suggestions as they stand (each field's current value: the merge winner), as
//    CSV (RFC 4180: fields with a comma, quote, CR or LF are quoted, quotes doubled; UTF-8; CRLF line
//    ends) or JSON.
//  - Open data: per team and month, counts of cases by form and outcome, suggestions by status, the
//    median days from submission to decision, and practices adopted. Every count below 5 is
//    suppressed (written "<5"), and a median drawn from fewer than 5 decisions too, so no person can
//    be picked out.
//
// A case's outcome is its form's `outcome` answer, else `concerns_identified` (concerns / no
// concerns), else `risk_level`, else "recorded". Months are the record's creation month (UTC); a
// suggestion's decision time is its decision note's.
//
// Threads: pure functions over the records given, plus read_team_records which reads the storage.
// Failure: read_team_records returns the storage's Status; the formatters cannot fail.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "outpost/core/records/schema.h"
#include "outpost/sync/server_storage.h"

namespace outpost::sync {

struct ExportRecord {
    std::string id;
    std::string type;
    std::string team;
    std::string created_by;
    std::int64_t created_ms = 0;                   // the earliest version's time
    std::int64_t updated_ms = 0;                   // the latest current version's time
    records::Values values;                        // current values of the fields the form knows
    std::map<std::string, std::int64_t> field_ms;  // when each current value was written
};

// Every record of `team` as it stands, in id order (forms the server does not know are skipped).
[[nodiscard]] Result<std::vector<ExportRecord>> read_team_records(ServerStorage& storage,
                                                                  const std::vector<records::Schema>& forms,
                                                                  const std::string& team);

enum class ExportWhat { kCases, kSuggestions };

// One CSV field, quoted when it must be (RFC 4180).
[[nodiscard]] std::string csv_field(std::string_view text);

// Columns: id, form, team, created_by, created_at, updated_at, then every question of every form of
// the kind exported (by form, in form order; a question asked by several forms appears once), with
// or without records.
[[nodiscard]] std::string export_csv(const std::vector<ExportRecord>& records,
                                     const std::vector<records::Schema>& forms, ExportWhat what);
// For people (export --out-dir): one form's records, as the worker saw them. A UTF-8 byte-order mark
// (so Excel reads the letters right), then a header of the questions' labels ("(retired)" after a
// question the form no longer asks), then one row per record: choices by their labels, lists joined
// with "; ", Yes/No, a place as "latitude, longitude", attachments as "name (N bytes)". Only `form`'s
// records and columns; the codes are in export_dictionary_csv.
[[nodiscard]] std::string export_form_csv(const std::vector<ExportRecord>& records, const records::Schema& form);
// What each column of export_form_csv means: form, column label, code (as in the JSON export and
// --out), kind, required, the choices as "code = Label", and the question's help text.
[[nodiscard]] std::string export_dictionary_csv(const std::vector<records::Schema>& forms, ExportWhat what);
// The forms an export of `what` covers, in form order.
[[nodiscard]] std::vector<const records::Schema*> export_forms(const std::vector<records::Schema>& forms,
                                                               ExportWhat what);

// [{"id":..., "form":..., "team":..., "created_by":..., "created_at":..., "updated_at":..., "answers":{...}}]
[[nodiscard]] std::string export_json(const std::vector<ExportRecord>& records,
                                      const std::vector<records::Schema>& forms, ExportWhat what);

// The rows of the open-data release: team, month, measure, category, value (a number, or "<5").
struct OpenDataRow {
    std::string team;
    std::string month;     // YYYY-MM
    std::string measure;   // cases | suggestions | median_days_to_decision | practices_adopted
    std::string category;  // cases: "<form>/<outcome>"; suggestions: the status; else ""
    std::string value;
    friend bool operator==(const OpenDataRow&, const OpenDataRow&) = default;
};
inline constexpr int kSuppressBelow = 5;
[[nodiscard]] std::vector<OpenDataRow> open_data(const std::vector<ExportRecord>& records,
                                                 const std::vector<records::Schema>& forms);
[[nodiscard]] std::string open_data_csv(const std::vector<OpenDataRow>& rows);
[[nodiscard]] std::string open_data_json(const std::vector<OpenDataRow>& rows);

}  // namespace outpost::sync
