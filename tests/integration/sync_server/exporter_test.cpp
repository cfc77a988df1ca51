// Exports (`outpost-server export`): CSV and JSON of a team's records, and the open-data release
// with small counts suppressed. The formatters are checked on exact expected output; the reader on
// a data set seeded through a real server by real laptops.
#include "outpost/sync/exporter.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "fake_clock.h"
#include "outpost/core/records/attachments.h"
#include "sync_harness.h"

using namespace outpost;
using namespace outpost::sync;
using outpost::testing::Device;
using outpost::testing::FakeClock;
using outpost::testing::SyncServerHarness;

namespace {

constexpr std::int64_t kDay = 86'400'000;
constexpr std::int64_t kMarch15 = 1'773'532'800'000;  // 2026-03-15T00:00:00Z
constexpr std::int64_t kApril2 = 1'775'088'000'000;   // 2026-04-02T00:00:00Z

ExportRecord rec(const std::string& id, const std::string& type, const std::string& team, std::int64_t created,
                 records::Values values, std::map<std::string, std::int64_t> field_ms = {}) {
    ExportRecord r{id, type, team, "ann", created, created, std::move(values), std::move(field_ms)};
    for (const auto& [f, ms] : r.field_ms) {
        r.updated_ms = std::max(r.updated_ms, ms);
    }
    return r;
}

std::vector<records::Schema> forms() {
    return outpost::testing::shipped_forms();
}

// A minimal RFC 4180 reader, to show the written text reads back to the same fields.
std::vector<std::vector<std::string>> read_csv(const std::string& text) {
    std::vector<std::vector<std::string>> rows(1);
    std::string field;
    bool quoted = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                field += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            rows.back().push_back(std::move(field));
            field.clear();
        } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
            rows.back().push_back(std::move(field));
            field.clear();
            rows.emplace_back();
            ++i;
        } else {
            field += c;
        }
    }
    rows.pop_back();  // after the last CRLF
    return rows;
}

}  // namespace

TEST_CASE("Export: a CSV field is quoted only when it must be, with quotes doubled") {
    CHECK(csv_field("plain text") == "plain text");
    CHECK(csv_field("") == "");
    CHECK(csv_field("a,b") == "\"a,b\"");
    CHECK(csv_field("say \"no\"") == "\"say \"\"no\"\"\"");
    CHECK(csv_field("two\nlines") == "\"two\nlines\"");
    CHECK(csv_field("cr\rhere") == "\"cr\rhere\"");
    CHECK(csv_field("Zoë — “smart” quotes") == "Zoë — “smart” quotes");  // UTF-8 passes through as is
}

TEST_CASE("Export: suggestions as CSV, exactly, with hostile text in the fields") {
    const std::string hostile = "Forms, \"again\"\r\nand again; =SUM(A1) Zoë ✓";
    std::vector<ExportRecord> rs = {
        rec("s1", "suggestion", "a", kMarch15,
            {{"title", std::string("Shorter forms")},
             {"problem", hostile},
             {"proposed_change", std::string("One page")},
             {"expected_benefit", std::vector<std::string>{"time", "money"}},
             {"category", std::string("paperwork")},
             {"status", std::string("accepted")},
             {"decision_note", std::string("Yes, from May")}},
            {{"decision_note", kMarch15 + 3 * kDay}}),
        rec("c1", "home_visit", "a", kMarch15, {{"household", std::string("Smith")}}),  // not a suggestion
    };
    const std::string csv = export_csv(rs, forms(), ExportWhat::kSuggestions);
    const std::string expected =
        "id,form,team,created_by,created_at,updated_at,title,problem,proposed_change,expected_benefit,benefit_notes,"
        "category,linked_case,status,decision_note,reviewed_by,reviewed_at,shared_to_library,duplicate_of,"
        "attachments\r\n"
        "s1,suggestion,a,ann,2026-03-15T00:00:00Z,2026-03-18T00:00:00Z,Shorter forms,"
        "\"Forms, \"\"again\"\"\r\nand again; =SUM(A1) Zoë ✓\",One page,time; money,,paperwork,,accepted,"
        "\"Yes, from May\",,,,,\r\n";
    CHECK(csv == expected);
    const auto rows = read_csv(csv);
    REQUIRE(rows.size() == 2);
    CHECK(rows[0].size() == rows[1].size());
    CHECK(rows[1][7] == hostile);  // reads back to the very same text
}

TEST_CASE("Export: cases as JSON keep their kinds, in form order") {
    std::vector<ExportRecord> rs = {
        rec("c1", "inspection", "a", kMarch15,
            {{"premises_name", std::string("Café \"Nord\"")}, {"rating", std::int64_t{4}}, {"samples_taken", true}}),
        rec("s1", "suggestion", "a", kMarch15, {{"title", std::string("Not a case")}}),
    };
    const auto j = nlohmann::json::parse(export_json(rs, forms(), ExportWhat::kCases));
    REQUIRE(j.size() == 1);
    CHECK(j[0]["id"] == "c1");
    CHECK(j[0]["form"] == "inspection");
    CHECK(j[0]["created_at"] == "2026-03-15T00:00:00Z");
    CHECK(j[0]["answers"]["premises_name"] == "Café \"Nord\"");
    CHECK(j[0]["answers"]["rating"] == 4);
    CHECK(j[0]["answers"]["samples_taken"] == true);
    CHECK(j[0]["answers"].size() == 3);
}

TEST_CASE("Export: open data suppresses every count below 5, and shows 5") {
    std::vector<ExportRecord> rs;
    int n = 0;
    auto add = [&](const std::string& team, const std::string& type, std::int64_t created, records::Values v,
                   std::map<std::string, std::int64_t> ms = {}) {
        rs.push_back(rec("r" + std::to_string(++n), type, team, created, std::move(v), std::move(ms)));
    };
    for (int i = 0; i < 4; ++i) {  // 4: suppressed
        add("a", "home_visit", kMarch15, {{"concerns_identified", false}});
    }
    for (int i = 0; i < 5; ++i) {  // 5: shown
        add("a", "inspection", kMarch15, {{"outcome", std::string("compliant")}});
    }
    for (int i = 0; i < 5; ++i) {  // 5 decisions, 1..5 days: median 3.0 shown
        add("a", "suggestion", kMarch15, {{"status", std::string("accepted")}},
            {{"decision_note", kMarch15 + (i + 1) * kDay}});
    }
    for (int i = 0; i < 4; ++i) {  // April: 4 decisions: the count and the median are suppressed
        add("a", "suggestion", kApril2, {{"status", std::string("declined")}}, {{"decision_note", kApril2 + 2 * kDay}});
    }
    add("a", "suggestion", kApril2, {});  // no status at all: "unset", never counted as submitted
    for (int i = 0; i < 5; ++i) {
        add("b", "adoption", kApril2, {});
    }
    add("b", "home_visit", kApril2, {{"concerns_identified", true}});
    const std::vector<OpenDataRow> rows = open_data(rs, forms());
    const std::vector<OpenDataRow> expected = {
        {"a", "2026-03", "cases", "home_visit/no_concerns", "<5"},
        {"a", "2026-03", "cases", "inspection/compliant", "5"},
        {"a", "2026-03", "suggestions", "accepted", "5"},
        {"a", "2026-03", "median_days_to_decision", "", "3.0"},
        {"a", "2026-04", "suggestions", "declined", "<5"},
        {"a", "2026-04", "suggestions", "unset", "<5"},
        {"a", "2026-04", "median_days_to_decision", "", "<5"},
        {"b", "2026-04", "cases", "home_visit/concerns", "<5"},
        {"b", "2026-04", "practices_adopted", "", "5"},
    };
    CHECK(rows == expected);
    CHECK(open_data_csv(rows) ==
          "team,month,measure,category,value\r\n"
          "a,2026-03,cases,home_visit/no_concerns,<5\r\n"
          "a,2026-03,cases,inspection/compliant,5\r\n"
          "a,2026-03,suggestions,accepted,5\r\n"
          "a,2026-03,median_days_to_decision,,3.0\r\n"
          "a,2026-04,suggestions,declined,<5\r\n"
          "a,2026-04,suggestions,unset,<5\r\n"
          "a,2026-04,median_days_to_decision,,<5\r\n"
          "b,2026-04,cases,home_visit/concerns,<5\r\n"
          "b,2026-04,practices_adopted,,5\r\n");
    const auto j = nlohmann::json::parse(open_data_json(rows));
    REQUIRE(j.size() == expected.size());
    CHECK(j[0]["value"] == "<5");
    CHECK(j[1]["value"] == 5);
    CHECK(j[1]["value"].is_number_integer());  // regression: counts read 5.0 beside "<5"
    CHECK(j[3]["value"] == 3.0);
    CHECK(j[3]["value"].is_number_float());
}

TEST_CASE("Export: a team's records read from the server as they stand after sync") {
    FakeClock clock(kMarch15 + 9 * 3'600'000);  // 2026-03-15 09:00
    SyncServerHarness h(clock);
    h.add_team("a");
    h.add_team("b");
    h.add_user("ann", "a", "worker");
    h.add_user("lee", "a", "lead");
    h.add_user("zed", "b", "worker");
    outpost::testing::TempDir dirs;
    Device ann(dirs / "ann.db", h.enrol("ann"), h.transport(), {}, clock);
    Device lee(dirs / "lee.db", h.enrol("lee"), h.transport(), {}, clock);
    Device zed(dirs / "zed.db", h.enrol("zed"), h.transport(), {}, clock);
    const auto s = ann.create("suggestion", {{"title", std::string("Shared, \"printer\"")},
                                             {"problem", std::string("It jams\nevery day")},
                                             {"proposed_change", std::string("Fix it")},
                                             {"expected_benefit", std::vector<std::string>{"time"}},
                                             {"category", std::string("technology")}});
    zed.create("suggestion", {{"title", std::string("Team b's idea")},
                              {"problem", std::string("p")},
                              {"proposed_change", std::string("c")},
                              {"expected_benefit", std::vector<std::string>{"money"}},
                              {"category", std::string("other")}});
    REQUIRE(ann.sync().is_ok());
    REQUIRE(zed.sync().is_ok());
    REQUIRE(lee.sync().is_ok());
    clock.advance(2 * kDay);  // the lead decides two days later
    REQUIRE(lee.update(s.id, {{"status", std::string("under_review")}}).is_ok());
    REQUIRE(lee.update(s.id, {{"decision_note", std::string("Ordered a new one")}}).is_ok());
    REQUIRE(lee.update(s.id, {{"status", std::string("accepted")}}).is_ok());
    REQUIRE(lee.sync().is_ok());

    auto all = read_team_records(*h.storage, forms(), "a");
    REQUIRE(all.is_ok());
    REQUIRE(all->size() == 1);  // team b's suggestion is not in team a's export
    const std::string csv = export_csv(*all, forms(), ExportWhat::kSuggestions);
    const std::string expected =
        "id,form,team,created_by,created_at,updated_at,title,problem,proposed_change,expected_benefit,benefit_notes,"
        "category,linked_case,status,decision_note,reviewed_by,reviewed_at,shared_to_library,duplicate_of,"
        "attachments\r\n" +
        s.id +
        ",suggestion,a,ann,2026-03-15T09:00:00Z,2026-03-17T09:00:00Z,\"Shared, \"\"printer\"\"\","
        "\"It jams\nevery day\",Fix it,time,,technology,,accepted,Ordered a new one,,,,,\r\n";
    CHECK(csv == expected);
    const std::vector<OpenDataRow> rows = open_data(*all, forms());
    REQUIRE(rows.size() == 2);
    CHECK(rows[0] == OpenDataRow{"a", "2026-03", "suggestions", "accepted", "<5"});
    CHECK(rows[1] == OpenDataRow{"a", "2026-03", "median_days_to_decision", "", "<5"});
}

TEST_CASE(
    "Export: regression - the CSV put every case form's columns in one file, with codes and raw JSON; "
    "now one file per form for people, with labels, and a dictionary") {
    const std::vector<records::Schema> fs = forms();
    const records::Schema* visit = nullptr;
    for (const records::Schema& s : fs) {
        visit = s.type == "home_visit" ? &s : visit;
    }
    REQUIRE(visit != nullptr);
    records::Attachment photo{std::string(64, 'a'), "kitchen.jpg", "image/jpeg", 2048};
    std::vector<ExportRecord> rs = {
        rec("v1", "home_visit", "a", kMarch15,
            {{"household", std::string("Flat 3, \"Rose\" Court")},
             {"visit_type", std::string("follow_up")},
             {"people_seen", std::vector<std::string>{"parent_or_carer", "child"}},
             {"concerns_identified", false},
             {"photos", records::encode_attachments({photo})}}),
        rec("i1", "inspection", "a", kMarch15, {{"outcome", std::string("compliant")}}),
    };
    const std::string text = export_form_csv(rs, *visit);
    REQUIRE(text.rfind("\xEF\xBB\xBF", 0) == 0);  // Excel reads UTF-8 only after a byte-order mark
    const auto rows = read_csv(text.substr(3));
    REQUIRE(rows.size() == 2);  // the header and the one home visit: the inspection is in its own file
    const std::vector<std::string>& head = rows[0];
    REQUIRE(head.size() == 6 + visit->fields.size());  // only this form's questions
    CHECK(head[0] == "Record id");
    CHECK(head[6] == visit->fields[0].label);
    auto cell = [&](const std::string& label) {
        for (std::size_t i = 0; i < head.size(); ++i) {
            if (head[i] == label) {
                return rows[1][i];
            }
        }
        FAIL("no column " << label);
        return std::string();
    };
    CHECK(cell("Form") == visit->title);
    CHECK(cell("Household or person visited") == "Flat 3, \"Rose\" Court");
    CHECK(cell("Type of visit") == "Follow up");
    CHECK(cell("People seen") == "Parent or carer; Child");
    CHECK(cell("Concerns identified") == "No");
    CHECK(cell("Photos and documents") == "kitchen.jpg (2048 bytes)");
    CHECK(cell("Created (UTC)") == "2026-03-15T00:00:00Z");

    const std::string dict = export_dictionary_csv(fs, ExportWhat::kCases);
    REQUIRE(dict.rfind("\xEF\xBB\xBF", 0) == 0);
    const auto d = read_csv(dict.substr(3));
    CHECK(d[0] ==
          std::vector<std::string>{"Form", "Form title", "Column", "Code", "Kind", "Required", "Choices", "Help"});
    bool found = false;
    for (const auto& row : d) {
        if (row.size() == 8 && row[0] == "home_visit" && row[3] == "visit_type") {
            found = true;
            CHECK(row[2] == "Type of visit");
            CHECK(row[4] == "choice");
            CHECK(row[5] == "yes");
            CHECK(row[6].find("follow_up = Follow up") != std::string::npos);
        }
        CHECK(row[0] != "suggestion");  // a cases export describes the case forms only
    }
    CHECK(found);
    CHECK(export_forms(fs, ExportWhat::kSuggestions).size() == 1);
}
