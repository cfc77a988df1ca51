#include "outpost/sync/exporter.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "outpost/core/records/attachments.h"
#include "outpost/core/records/engine.h"
#include "outpost/core/records/hlc.h"
#include "outpost/core/records/review.h"
#include "outpost/core/time_format.h"

namespace outpost::sync {
namespace {

const records::Schema* form(const std::vector<records::Schema>& forms, std::string_view type) {
    for (const records::Schema& s : forms) {
        if (s.type == type) {
            return &s;
        }
    }
    return nullptr;
}

bool wanted(const std::vector<records::Schema>& forms, std::string_view type, ExportWhat what) {
    const records::Schema* s = form(forms, type);
    if (s == nullptr) {
        return false;
    }
    return s->purpose ==
           (what == ExportWhat::kSuggestions ? records::FormPurpose::kSuggestion : records::FormPurpose::kCase);
}

std::string month_of(std::int64_t ms) {
    return iso_utc(ms).substr(0, 7);
}

std::string number_text(double d) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.15g", d);
    return buf;
}

std::string as_text(const records::FieldValue& v) {
    struct Visitor {
        std::string operator()(std::monostate) const { return ""; }
        std::string operator()(const std::string& s) const { return s; }
        std::string operator()(std::int64_t i) const { return std::to_string(i); }
        std::string operator()(double d) const { return number_text(d); }
        std::string operator()(bool b) const { return b ? "yes" : "no"; }
        std::string operator()(const std::vector<std::string>& items) const {
            std::string out;
            for (const auto& i : items) {
                out += (out.empty() ? "" : "; ") + i;
            }
            return out;
        }
        std::string operator()(const records::Location& l) const {
            return number_text(l.latitude) + "," + number_text(l.longitude);
        }
    };
    return std::visit(Visitor{}, v);
}

nlohmann::ordered_json as_json(const records::FieldValue& v) {
    struct Visitor {
        nlohmann::ordered_json operator()(std::monostate) const { return nullptr; }
        nlohmann::ordered_json operator()(const std::string& s) const { return s; }
        nlohmann::ordered_json operator()(std::int64_t i) const { return i; }
        nlohmann::ordered_json operator()(double d) const { return d; }
        nlohmann::ordered_json operator()(bool b) const { return b; }
        nlohmann::ordered_json operator()(const std::vector<std::string>& items) const { return items; }
        nlohmann::ordered_json operator()(const records::Location& l) const {
            return {{"latitude", l.latitude}, {"longitude", l.longitude}, {"accuracy_m", l.accuracy_m}};
        }
    };
    return std::visit(Visitor{}, v);
}

// The questions of every form in an export (cases: every case form), in form order, each once: the
// same columns whatever the records, so analysts' sheets line up from one export to the next.
std::vector<std::string> columns(const std::vector<records::Schema>& forms, ExportWhat what) {
    std::vector<std::string> out;
    std::set<std::string, std::less<>> seen;
    for (const records::Schema& s : forms) {
        if (!wanted(forms, s.type, what)) {
            continue;
        }
        for (const records::FieldDef& f : s.fields) {
            if (seen.insert(f.name).second) {
                out.push_back(f.name);
            }
        }
    }
    return out;
}

std::string choice(const ExportRecord& r, const char* field) {
    return records::text_of(r.values, field);
}

std::string outcome_of(const ExportRecord& r) {
    if (std::string o = choice(r, "outcome"); !o.empty()) {
        return o;
    }
    if (std::string c = choice(r, "concerns_identified"); !c.empty()) {
        return c == "yes" ? "concerns" : "no_concerns";
    }
    if (std::string k = choice(r, "risk_level"); !k.empty()) {
        return k;
    }
    return "recorded";
}

std::string count_text(std::int64_t n) {
    return n < kSuppressBelow ? "<" + std::to_string(kSuppressBelow) : std::to_string(n);
}

}  // namespace

Result<std::vector<ExportRecord>> read_team_records(ServerStorage& storage, const std::vector<records::Schema>& forms,
                                                    const std::string& team) {
    std::vector<ExportRecord> out;
    struct Winner {
        std::string value;
        std::uint64_t hlc = 0;
        std::string device;
    };
    std::map<std::string, Winner> winners;  // the open record's fields
    std::uint64_t earliest = 0;
    bool open = false;
    auto close = [&]() {
        if (!open) {
            return;
        }
        open = false;
        ExportRecord& r = out.back();
        const records::Schema* sch = form(forms, r.type);
        const auto deleted = winners.find("_deleted");
        if (sch == nullptr || (deleted != winners.end() && deleted->second.value == "true")) {
            out.pop_back();
            return;
        }
        // Created when its laptop made its id (a UUIDv7 carries the time), even if every first answer
        // has since been edited; else (a derived id) at its earliest surviving version.
        r.created_ms = records::uuid_v7_ms(r.id).value_or(static_cast<std::int64_t>(records::Hlc{earliest}.ms()));
        for (const auto& [field, w] : winners) {
            r.updated_ms = std::max(r.updated_ms, static_cast<std::int64_t>(records::Hlc{w.hlc}.ms()));
            const records::FieldDef* def = sch->field(field);
            if (def == nullptr) {
                continue;
            }
            if (Result<records::FieldValue> v = records::decode_value(def->kind, w.value); v.is_ok()) {
                r.values[field] = std::move(*v);
                r.field_ms[field] = static_cast<std::int64_t>(records::Hlc{w.hlc}.ms());
            }
        }
    };
    std::string after;
    for (;;) {
        std::int64_t log_end = 0;
        bool more = false;
        std::string last;
        OUTPOST_TRY(storage.snapshot_page(
            team, "", after, 1000, 64U << 20U, log_end, more, [&](const ServerStorage::SnapshotRow& row) {
                if (row.first_of_record) {
                    close();
                    out.push_back(ExportRecord{
                        std::string(row.id), std::string(row.type), team, std::string(row.created_by), 0, 0, {}, {}});
                    winners.clear();
                    earliest = row.hlc;
                    open = true;
                    last = row.id;
                }
                earliest = std::min(earliest, row.hlc);
                Winner& w = winners[std::string(row.field)];
                const bool later = row.hlc > w.hlc || (row.hlc == w.hlc && row.device > w.device);
                if (later) {
                    w = Winner{std::string(row.value), row.hlc, std::string(row.device)};
                }
            }));
        close();
        if (!more || last.empty()) {
            break;
        }
        after = last;
    }
    return out;
}

std::string csv_field(std::string_view text) {
    if (text.find_first_of(",\"\r\n") == std::string_view::npos) {
        return std::string(text);
    }
    std::string out = "\"";
    for (char c : text) {
        if (c == '"') {
            out += '"';
        }
        out += c;
    }
    return out + "\"";
}

std::string export_csv(const std::vector<ExportRecord>& records, const std::vector<records::Schema>& forms,
                       ExportWhat what) {
    const std::vector<std::string> cols = columns(forms, what);
    std::string out = "id,form,team,created_by,created_at,updated_at";
    for (const std::string& c : cols) {
        out += "," + csv_field(c);
    }
    out += "\r\n";
    for (const ExportRecord& r : records) {
        if (!wanted(forms, r.type, what)) {
            continue;
        }
        out += csv_field(r.id) + "," + csv_field(r.type) + "," + csv_field(r.team) + "," + csv_field(r.created_by) +
               "," + iso_utc(r.created_ms) + "," + iso_utc(r.updated_ms);
        for (const std::string& c : cols) {
            const auto it = r.values.find(c);
            out += "," + (it != r.values.end() ? csv_field(as_text(it->second)) : std::string());
        }
        out += "\r\n";
    }
    return out;
}

namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr const char* kMetaLabels[] = {"Record id", "Form", "Team", "Created by", "Created (UTC)", "Updated (UTC)"};
constexpr const char* kMetaCodes[] = {"id", "form", "team", "created_by", "created_at", "updated_at"};

// A value as the worker saw it in the form.
std::string readable(const records::FieldDef& def, const records::FieldValue& v) {
    if (def.kind == records::FieldKind::kChoice) {
        return records::choice_label(as_text(v));
    }
    if (def.kind == records::FieldKind::kMultiChoice) {
        std::string out;
        if (const auto* items = std::get_if<std::vector<std::string>>(&v)) {
            for (const std::string& i : *items) {
                out += (out.empty() ? "" : "; ") + records::choice_label(i);
            }
        }
        return out;
    }
    if (def.kind == records::FieldKind::kYesNo) {
        if (const auto* b = std::get_if<bool>(&v)) {
            return *b ? "Yes" : "No";
        }
    }
    if (def.kind == records::FieldKind::kLocation) {
        if (const auto* l = std::get_if<records::Location>(&v)) {
            return number_text(l->latitude) + ", " + number_text(l->longitude);
        }
    }
    if (def.kind == records::FieldKind::kAttachments) {
        if (Result<std::vector<records::Attachment>> files = records::parse_attachments(as_text(v)); files.is_ok()) {
            std::string out;
            for (const records::Attachment& a : *files) {
                out += (out.empty() ? "" : "; ") + a.name + " (" + std::to_string(a.size) + " bytes)";
            }
            return out;
        }
    }
    return as_text(v);
}

}  // namespace

std::vector<const records::Schema*> export_forms(const std::vector<records::Schema>& forms, ExportWhat what) {
    std::vector<const records::Schema*> out;
    for (const records::Schema& s : forms) {
        if (wanted(forms, s.type, what)) {
            out.push_back(&s);
        }
    }
    return out;
}

std::string export_form_csv(const std::vector<ExportRecord>& records, const records::Schema& form) {
    std::string out(kBom);
    for (const char* label : kMetaLabels) {
        out += std::string(out.size() == kBom.size() ? "" : ",") + label;
    }
    for (const records::FieldDef& f : form.fields) {
        out += "," + csv_field(f.retired ? f.label + " (retired)" : f.label);
    }
    out += "\r\n";
    for (const ExportRecord& r : records) {
        if (r.type != form.type) {
            continue;
        }
        out += csv_field(r.id) + "," + csv_field(form.title) + "," + csv_field(r.team) + "," + csv_field(r.created_by) +
               "," + iso_utc(r.created_ms) + "," + iso_utc(r.updated_ms);
        for (const records::FieldDef& f : form.fields) {
            const auto it = r.values.find(f.name);
            out += "," + (it != r.values.end() ? csv_field(readable(f, it->second)) : std::string());
        }
        out += "\r\n";
    }
    return out;
}

std::string export_dictionary_csv(const std::vector<records::Schema>& forms, ExportWhat what) {
    std::string out(kBom);
    out += "Form,Form title,Column,Code,Kind,Required,Choices,Help\r\n";
    for (const records::Schema* form : export_forms(forms, what)) {
        for (std::size_t i = 0; i < std::size(kMetaLabels); ++i) {
            out += csv_field(form->type) + "," + csv_field(form->title) + "," + kMetaLabels[i] + "," + kMetaCodes[i] +
                   ",record,yes,,\r\n";
        }
        for (const records::FieldDef& f : form->fields) {
            std::string choices;
            for (const std::string& c : f.choices) {
                choices += (choices.empty() ? "" : "; ") + c + " = " + records::choice_label(c);
            }
            out += csv_field(form->type) + "," + csv_field(form->title) + "," +
                   csv_field(f.retired ? f.label + " (retired)" : f.label) + "," + csv_field(f.name) + "," +
                   std::string(records::kind_name(f.kind)) + "," + (f.required ? "yes" : "no") + "," +
                   csv_field(choices) + "," + csv_field(f.help) + "\r\n";
        }
    }
    return out;
}

std::string export_json(const std::vector<ExportRecord>& records, const std::vector<records::Schema>& forms,
                        ExportWhat what) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const ExportRecord& r : records) {
        if (!wanted(forms, r.type, what)) {
            continue;
        }
        nlohmann::ordered_json answers = nlohmann::ordered_json::object();
        if (const records::Schema* sch = form(forms, r.type)) {
            for (const records::FieldDef& f : sch->fields) {
                if (const auto it = r.values.find(f.name); it != r.values.end()) {
                    answers[f.name] = as_json(it->second);
                }
            }
        }
        out.push_back({{"id", r.id},
                       {"form", r.type},
                       {"team", r.team},
                       {"created_by", r.created_by},
                       {"created_at", iso_utc(r.created_ms)},
                       {"updated_at", iso_utc(r.updated_ms)},
                       {"answers", std::move(answers)}});
    }
    return out.dump(2) + "\n";
}

std::vector<OpenDataRow> open_data(const std::vector<ExportRecord>& records,
                                   const std::vector<records::Schema>& forms) {
    struct Month {
        std::map<std::string, std::int64_t> cases;        // "<form>/<outcome>"
        std::map<std::string, std::int64_t> suggestions;  // status
        std::vector<double> decision_days;
        std::int64_t adopted = 0;
    };
    std::map<std::pair<std::string, std::string>, Month> months;  // (team, month)
    for (const ExportRecord& r : records) {
        Month& m = months[{r.team, month_of(r.created_ms)}];
        if (wanted(forms, r.type, ExportWhat::kSuggestions)) {
            std::string status = choice(r, "status");
            status = status.empty() ? "unset" : status;  // never guessed: a blank is not "submitted"
            ++m.suggestions[status];
            const bool decided = status == "accepted" || status == "declined" || status == "implemented";
            const auto note = r.field_ms.find("decision_note");
            if (decided && note != r.field_ms.end() && note->second >= r.created_ms) {
                m.decision_days.push_back(static_cast<double>(note->second - r.created_ms) / 86'400'000.0);
            }
        } else if (r.type == "adoption") {
            ++m.adopted;
        } else if (wanted(forms, r.type, ExportWhat::kCases)) {
            ++m.cases[r.type + "/" + outcome_of(r)];
        }
    }
    std::vector<OpenDataRow> out;
    for (auto& [key, m] : months) {
        const auto& [team, month] = key;
        for (const auto& [category, n] : m.cases) {
            out.push_back({team, month, "cases", category, count_text(n)});
        }
        for (const auto& [status, n] : m.suggestions) {
            out.push_back({team, month, "suggestions", status, count_text(n)});
        }
        if (!m.decision_days.empty()) {
            std::vector<double>& d = m.decision_days;
            std::sort(d.begin(), d.end());
            const std::size_t n = d.size();
            const double median = n % 2 == 1 ? d[n / 2] : (d[n / 2 - 1] + d[n / 2]) / 2.0;
            char buf[32];
            std::snprintf(buf, sizeof buf, "%.1f", median);
            out.push_back({team, month, "median_days_to_decision", "",
                           static_cast<int>(n) < kSuppressBelow ? count_text(static_cast<std::int64_t>(n)) : buf});
        }
        if (m.adopted > 0) {
            out.push_back({team, month, "practices_adopted", "", count_text(m.adopted)});
        }
    }
    return out;
}

std::string open_data_csv(const std::vector<OpenDataRow>& rows) {
    std::string out = "team,month,measure,category,value\r\n";
    for (const OpenDataRow& r : rows) {
        out += csv_field(r.team) + "," + csv_field(r.month) + "," + csv_field(r.measure) + "," + csv_field(r.category) +
               "," + csv_field(r.value) + "\r\n";
    }
    return out;
}

std::string open_data_json(const std::vector<OpenDataRow>& rows) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const OpenDataRow& r : rows) {
        nlohmann::ordered_json row = {{"team", r.team}, {"month", r.month}, {"measure", r.measure}};
        row["category"] = r.category;
        // A suppressed value stays text ("<5"); counts are whole numbers (5, never 5.0); a median
        // keeps its one decimal.
        if (!r.value.empty() && r.value.front() == '<') {
            row["value"] = r.value;
        } else if (r.value.find('.') == std::string::npos) {
            row["value"] = std::strtoll(r.value.c_str(), nullptr, 10);
        } else {
            row["value"] = std::strtod(r.value.c_str(), nullptr);
        }
        out.push_back(std::move(row));
    }
    return out.dump(2) + "\n";
}

}  // namespace outpost::sync
