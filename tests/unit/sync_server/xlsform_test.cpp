// XLSForm import (outpost/sync/xlsform.h): workbooks written here with libxlsxwriter, one per
// construct, each converted to the exact form JSON expected; a workbook with many unsupported
// constructs names each by sheet and cell; damaged workbooks (built with libzip where libxlsxwriter
// would refuse to write them) are refused with their codes; the committed council forms import to
// the committed JSON.
#include "outpost/sync/xlsform.h"

#include <doctest/doctest.h>
#include <xlsxwriter.h>
#include <zip.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "outpost/core/error_codes.h"
#include "outpost/core/records/schema.h"
#include "outpost/platform/utf8.h"
#include "temp_dir.h"

using namespace outpost;
using namespace outpost::sync;
namespace fs = std::filesystem;

namespace {

// A cell "n:12" is written as the number 12, "b:1" as the boolean TRUE, "r:a|b" as a rich string of
// runs "a" and "b" (the second bold); anything else as a string. Empty cells are not written.
using Rows = std::vector<std::vector<std::string>>;
struct SheetSpec {
    std::string name;
    Rows rows;
};

fs::path write_xlsx(const fs::path& path, const std::vector<SheetSpec>& sheets, bool inline_strings = false) {
    lxw_workbook_options options = {};
    options.constant_memory = inline_strings ? LXW_TRUE : LXW_FALSE;  // constant memory writes inline strings
    const std::string p = path_to_utf8(path);
    lxw_workbook* wb = workbook_new_opt(p.c_str(), &options);
    REQUIRE(wb != nullptr);
    lxw_format* bold = workbook_add_format(wb);
    format_set_bold(bold);
    for (const auto& sheet : sheets) {
        lxw_worksheet* ws = workbook_add_worksheet(wb, sheet.name.c_str());
        REQUIRE(ws != nullptr);
        for (std::size_t r = 0; r < sheet.rows.size(); ++r) {
            for (std::size_t c = 0; c < sheet.rows[r].size(); ++c) {
                const std::string& v = sheet.rows[r][c];
                const auto row = static_cast<lxw_row_t>(r);
                const auto col = static_cast<lxw_col_t>(c);
                if (v.empty()) {
                    continue;
                }
                if (v.rfind("n:", 0) == 0) {
                    REQUIRE(worksheet_write_number(ws, row, col, std::stod(v.substr(2)), nullptr) == LXW_NO_ERROR);
                } else if (v.rfind("b:", 0) == 0) {
                    REQUIRE(worksheet_write_boolean(ws, row, col, v == "b:1", nullptr) == LXW_NO_ERROR);
                } else if (v.rfind("r:", 0) == 0) {
                    const std::string runs = v.substr(2);
                    const auto bar = runs.find('|');
                    std::string first = runs.substr(0, bar);
                    std::string second = runs.substr(bar + 1);
                    lxw_rich_string_tuple a = {nullptr, first.data()};
                    lxw_rich_string_tuple b = {bold, second.data()};
                    lxw_rich_string_tuple* tuples[] = {&a, &b, nullptr};
                    REQUIRE(worksheet_write_rich_string(ws, row, col, tuples, nullptr) == LXW_NO_ERROR);
                } else {
                    REQUIRE(worksheet_write_string(ws, row, col, v.c_str(), nullptr) == LXW_NO_ERROR);
                }
            }
        }
    }
    REQUIRE(workbook_close(wb) == LXW_NO_ERROR);
    return path;
}

std::string read_bytes(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// A zip of the given entries (name, content), for workbooks libxlsxwriter would never write.
std::string zip_bytes(const fs::path& path, const std::vector<std::pair<std::string, std::string>>& entries) {
    int err = 0;
    const std::string p = path_to_utf8(path);
    zip_t* z = zip_open(p.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
    REQUIRE(z != nullptr);
    for (const auto& [name, content] : entries) {
        zip_source_t* src = zip_source_buffer(z, content.data(), content.size(), 0);
        REQUIRE(src != nullptr);
        REQUIRE(zip_file_add(z, name.c_str(), src, ZIP_FL_OVERWRITE) >= 0);
    }
    REQUIRE(zip_close(z) == 0);  // reads the buffers, which live until here
    return read_bytes(path);
}

// The three parts a minimal workbook has, with `sheet_xml` as its one sheet "survey".
std::vector<std::pair<std::string, std::string>> minimal_parts(std::string sheet_xml) {
    return {
        {"xl/workbook.xml",
         R"(<?xml version="1.0" encoding="UTF-8"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"
 xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="survey" sheetId="1" r:id="rId1"/></sheets></workbook>)"},
        {"xl/_rels/workbook.xml.rels",
         R"(<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
 Target="worksheets/sheet1.xml"/></Relationships>)"},
        {"xl/worksheets/sheet1.xml", std::move(sheet_xml)},
    };
}

std::string sheet_xml(const std::string& cells) {
    return R"(<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>)" +
           cells + "</sheetData></worksheet>";
}

Result<std::string> convert(const testing::TempDir& tmp, const std::vector<SheetSpec>& sheets,
                            const std::string& stem = "test_form", bool inline_strings = false) {
    return xlsform_to_form_json(write_xlsx(tmp / (stem + ".xlsx"), sheets, inline_strings));
}

// The expected JSON, written loosely in the test and printed as the converter prints.
std::string pretty(const char* json) {
    return nlohmann::ordered_json::parse(json).dump(2) + "\n";
}

const SheetSpec kSettings = {"settings", {{"form_id", "form_title", "version"}, {"visit", "Visit", "n:2024010101"}}};

}  // namespace

TEST_CASE("XLSForm: each plain type becomes its kind, and settings give type and title (version is the server's)") {
    testing::TempDir tmp;
    auto json = convert(tmp, {{"survey",
                               {{"type", "name", "label"},
                                {"text", "who", "Who was seen"},
                                {"integer", "age", "Age"},
                                {"decimal", "weight", "Weight (kg)"},
                                {"date", "seen_on", "Date seen"},
                                {"time", "seen_at", "Time seen"},
                                {"note", "intro", "Read this to the person first"},
                                {"acknowledge", "agreed", "The person agrees"},
                                {"calculate", "age_next", "", "", ""}}},
                              kSettings});
    // calculate without a calculation is refused; give it one.
    REQUIRE_FALSE(json.is_ok());
    CHECK(json.status().message().find("survey!A9: calculate \"age_next\" has no calculation") != std::string::npos);

    json = convert(tmp, {{"survey",
                          {{"type", "name", "label", "calculation"},
                           {"text", "who", "Who was seen"},
                           {"integer", "age", "Age"},
                           {"decimal", "weight", "Weight (kg)"},
                           {"date", "seen_on", "Date seen"},
                           {"time", "seen_at", "Time seen"},
                           {"note", "intro", "Read this to the person first"},
                           {"acknowledge", "agreed", "The person agrees"},
                           {"calculate", "age_next", "", "${age} + 1"}}},
                         kSettings});
    REQUIRE_MESSAGE(json.is_ok(), json.status().to_string());
    CHECK(*json == pretty(R"J({"type": "visit", "version": 1, "title": "Visit", "fields": [
        {"name": "who", "kind": "text", "label": "Who was seen"},
        {"name": "age", "kind": "integer", "label": "Age"},
        {"name": "weight", "kind": "decimal", "label": "Weight (kg)"},
        {"name": "seen_on", "kind": "date", "label": "Date seen"},
        {"name": "seen_at", "kind": "time", "label": "Time seen"},
        {"name": "intro", "kind": "note", "label": "Read this to the person first"},
        {"name": "agreed", "kind": "yes_no", "label": "The person agrees"},
        {"name": "age_next", "kind": "calculate", "calculate": "${age} + 1"}]})J"));
}

TEST_CASE("XLSForm: every supported column becomes its property") {
    testing::TempDir tmp;
    auto json = convert(
        tmp, {{"survey",
               {{"type", "name", "label", "hint", "required", "required_message", "relevant", "constraint",
                 "constraint_message", "default", "read_only", "appearance"},
                {"text", "summary", "Summary", "A line or two", "yes", "Say what happened", "",
                 "string-length(.) <= 200", "At most 200 letters", "none", "", ""},
                {"text", "story", "In their words", "", "TRUE()", "", "${summary} != ''", "", "", "", "", "multiline"},
                {"integer", "age", "Age", "", "${story} != ''", "", "", ". >= 0 and . <= 120", "", "n:30", "", ""},
                {"decimal", "score", "Score", "", "no", "", "", "", "", "2.5", "true", ""},
                {"date", "when", "When", "", "b:1", "", "", "", "", "2024-01-31", "", ""},
                {"time", "at", "At", "", "", "", "", "", "", "09:30", "no", ""},
                {"acknowledge", "ok", "Agreed", "", "", "", "", "", "", "OK", "", ""}}},
              kSettings});
    REQUIRE_MESSAGE(json.is_ok(), json.status().to_string());
    CHECK(*json == pretty(R"J({"type": "visit", "version": 1, "title": "Visit", "fields": [
        {"name": "summary", "kind": "text", "label": "Summary", "help": "A line or two", "required": true,
         "required_message": "Say what happened", "constraint": "string-length(.) <= 200",
         "constraint_message": "At most 200 letters", "default": "none"},
        {"name": "story", "kind": "long_text", "label": "In their words", "required": true,
         "relevant": "${summary} != ''"},
        {"name": "age", "kind": "integer", "label": "Age", "required": "${story} != ''",
         "constraint": ". >= 0 and . <= 120", "default": 30},
        {"name": "score", "kind": "decimal", "label": "Score", "default": 2.5, "read_only": true},
        {"name": "when", "kind": "date", "label": "When", "required": true, "default": "2024-01-31"},
        {"name": "at", "kind": "time", "label": "At", "default": "09:30"},
        {"name": "ok", "kind": "yes_no", "label": "Agreed", "default": true}]})J"));
}

TEST_CASE("XLSForm: select_one and select_multiple take their list; extra choice columns become filters") {
    testing::TempDir tmp;
    auto json = convert(tmp, {{"survey",
                               {{"type", "name", "label", "choice_filter", "default"},
                                {"select_one counties", "county", "County", "", "powys"},
                                {"select_one towns", "town", "Town", "county = ${county}", ""},
                                {"select_multiple needs", "needs", "Needs", "", "meals shopping"}}},
                              {"choices",
                               {{"list_name", "name", "label", "county"},
                                {"counties", "powys", "Powys", ""},
                                {"counties", "gwynedd", "Gwynedd", ""},
                                {},
                                {"towns", "brecon", "Brecon", "powys"},
                                {"towns", "bangor", "Bangor", "gwynedd"},
                                {"needs", "meals", "Meals", ""},
                                {"needs", "shopping", "Shopping", ""},
                                {"needs", "n:3", "Three", ""}}},
                              kSettings});
    REQUIRE_MESSAGE(json.is_ok(), json.status().to_string());
    CHECK(*json == pretty(R"J({"type": "visit", "version": 1, "title": "Visit", "fields": [
        {"name": "county", "kind": "choice", "label": "County", "default": "powys",
         "choices": [{"name": "powys", "label": "Powys"}, {"name": "gwynedd", "label": "Gwynedd"}]},
        {"name": "town", "kind": "choice", "label": "Town", "choice_filter": "county = ${county}",
         "choices": [{"name": "brecon", "label": "Brecon", "filter": {"county": "powys"}},
                     {"name": "bangor", "label": "Bangor", "filter": {"county": "gwynedd"}}]},
        {"name": "needs", "kind": "multi_choice", "label": "Needs", "default": ["meals", "shopping"],
         "choices": [{"name": "meals", "label": "Meals"}, {"name": "shopping", "label": "Shopping"},
                     {"name": "3", "label": "Three"}]}]})J"));
}

TEST_CASE("XLSForm: translated columns keep every language; default_language or the plain column gives the label") {
    testing::TempDir tmp;
    SUBCASE("a plain label column and Welsh beside it") {
        auto json = convert(
            tmp,
            {{"survey",
              {{"type", "name", "label", "label::Cymraeg (cy)", "hint::Cymraeg (cy)", "hint", "constraint",
                "constraint_message", "constraint_message::Cymraeg (cy)"},
               {"integer", "age", "Age", "Oedran", "Mewn blynyddoedd", "In years", ". >= 0", "Not below 0",
                "Dim llai na 0"},
               {"select_one yn", "well", "Feeling well", "Teimlo'n dda", "", "", "", "", ""}}},
             {"choices",
              {{"list_name", "name", "label", "label::Cymraeg (cy)"},
               {"yn", "yes", "Yes", "Ydw"},
               {"yn", "no", "No", ""}}},
             {"settings", {{"form_id", "form_title", "form_title::Cymraeg (cy)"}, {"check", "Check", "Gwiriad"}}}});
        REQUIRE_MESSAGE(json.is_ok(), json.status().to_string());
        CHECK(*json == pretty(R"J({"type": "check", "version": 1, "title": "Check",
            "translations": {"cy": {"title": "Gwiriad"}}, "fields": [
            {"name": "age", "kind": "integer", "label": "Age", "help": "In years", "constraint": ". >= 0",
             "constraint_message": "Not below 0",
             "translations": {"cy": {"label": "Oedran", "help": "Mewn blynyddoedd", "constraint_message": "Dim llai na 0"}}},
            {"name": "well", "kind": "choice", "label": "Feeling well",
             "choices": [{"name": "yes", "label": "Yes", "translations": {"cy": {"label": "Ydw"}}},
                         {"name": "no", "label": "No"}],
             "translations": {"cy": {"label": "Teimlo'n dda"}}}]})J"));
    }
    SUBCASE("only translated columns: default_language picks the label, by name or by code") {
        for (const std::string dl : {"Cymraeg (cy)", "cy"}) {
            auto json =
                convert(tmp, {{"survey",
                               {{"type", "name", "label::English (en)", "label::Cymraeg (cy)", "required",
                                 "required_message::English (en)", "required_message::Cymraeg (cy)"},
                                {"text", "name_given", "Name", "Enw", "yes", "Please give a name", "Rhowch enw"}}},
                              {"settings", {{"form_id", "default_language"}, {"intro", dl}}}});
            REQUIRE_MESSAGE(json.is_ok(), json.status().to_string());
            CHECK(*json == pretty(R"J({"type": "intro", "version": 1, "title": "intro", "default_language": "cy",
                "fields": [{"name": "name_given", "kind": "text", "label": "Enw", "required": true,
                  "required_message": "Rhowch enw",
                  "translations": {"en": {"label": "Name", "required_message": "Please give a name"},
                                   "cy": {"label": "Enw", "required_message": "Rhowch enw"}}}]})J"));
        }
    }
    SUBCASE("only translated columns and no default_language: the first language is the default") {
        auto json = convert(
            tmp,
            {{"survey",
              {{"type", "name", "label::English (en)", "label::Cymraeg (cy)"}, {"date", "seen", "Seen", "Gwelwyd"}}}},
            "first_lang");
        REQUIRE_MESSAGE(json.is_ok(), json.status().to_string());
        CHECK(*json == pretty(R"J({"type": "first_lang", "version": 1, "title": "first_lang", "default_language": "en",
            "fields": [{"name": "seen", "kind": "date", "label": "Seen",
              "translations": {"en": {"label": "Seen"}, "cy": {"label": "Gwelwyd"}}}]})J"));
    }
}

TEST_CASE("XLSForm: groups nest their fields, repeats hold theirs, both spellings of begin/end") {
    testing::TempDir tmp;
    auto json = convert(tmp, {{"survey",
                               {{"type", "name", "label", "relevant"},
                                {"begin group", "about", "About the visit", ""},
                                {"date", "visit_date", "Date", ""},
                                {"begin_group", "inner", "", "${visit_date} != ''"},
                                {"text", "where", "Where", ""},
                                {"end_group", "", "", ""},
                                {"end group", "about", "", ""},
                                {"begin repeat", "members", "Household members", ""},
                                {"text", "member_name", "Name", ""},
                                {"begin group", "details", "Details", ""},
                                {"integer", "age", "Age", ""},
                                {"end group", "", "", ""},
                                {"end repeat", "", "", ""},
                                {"calculate", "", "", ""}}},
                              kSettings});
    // The calculate has no name: reported, with the cell.
    REQUIRE_FALSE(json.is_ok());
    CHECK(json.status().code() == errc::kXlsformUnsupported);
    CHECK(json.status().message().find("survey!A14: name is missing") != std::string::npos);

    json = convert(tmp, {{"survey",
                          {{"type", "name", "label", "relevant"},
                           {"begin group", "about", "About the visit", ""},
                           {"date", "visit_date", "Date", ""},
                           {"begin_group", "inner", "", "${visit_date} != ''"},
                           {"text", "where", "Where", ""},
                           {"end_group", "", "", ""},
                           {"end group", "about", "", ""},
                           {"begin repeat", "members", "Household members", ""},
                           {"text", "member_name", "Name", ""},
                           {"begin group", "details", "Details", ""},
                           {"integer", "age", "Age", ""},
                           {"end group", "", "", ""},
                           {"end_repeat", "", "", ""},
                           {"text", "age", "Not the repeat's age: another scope", ""}}},
                         kSettings});
    REQUIRE_MESSAGE(json.is_ok(), json.status().to_string());
    CHECK(*json == pretty(R"J({"type": "visit", "version": 1, "title": "Visit", "fields": [
        {"name": "about", "kind": "group", "label": "About the visit", "fields": [
            {"name": "visit_date", "kind": "date", "label": "Date"},
            {"name": "inner", "kind": "group", "relevant": "${visit_date} != ''", "fields": [
                {"name": "where", "kind": "text", "label": "Where"}]}]},
        {"name": "members", "kind": "repeat", "label": "Household members", "fields": [
            {"name": "member_name", "kind": "text", "label": "Name"},
            {"name": "details", "kind": "group", "label": "Details", "fields": [
                {"name": "age", "kind": "integer", "label": "Age"}]}]},
        {"name": "age", "kind": "text", "label": "Not the repeat's age: another scope"}]})J"));
}

TEST_CASE("XLSForm: a group's field-list appearance is taken (Outpost shows a form's questions on one screen)") {
    testing::TempDir tmp;
    auto json = convert(tmp, {{"survey",
                               {{"type", "name", "label", "appearance"},
                                {"begin group", "about", "About the visit", "field-list"},
                                {"date", "visit_date", "Date", ""},
                                {"end group", "", "", ""}}},
                              kSettings});
    REQUIRE_MESSAGE(json.is_ok(), json.status().to_string());
    CHECK(*json == pretty(R"J({"type": "visit", "version": 1, "title": "Visit", "fields": [
        {"name": "about", "kind": "group", "label": "About the visit", "fields": [
            {"name": "visit_date", "kind": "date", "label": "Date"}]}]})J"));
    // On a question it is still refused, naming the cell.
    json = convert(
        tmp, {{"survey", {{"type", "name", "label", "appearance"}, {"date", "d", "Date", "field-list"}}}, kSettings});
    REQUIRE_FALSE(json.is_ok());
    CHECK(json.status().message().find("survey!D2: appearance \"field-list\" is not supported") != std::string::npos);
}

TEST_CASE("XLSForm: cells as spreadsheets store them: numbers, booleans, rich text, inline strings, gaps") {
    testing::TempDir tmp;
    const std::vector<SheetSpec> sheets = {
        {"notes", {{"anything", "here"}}},  // other sheets are ignored
        {"Settings", {{"form_id"}, {"cells"}}},
        {"Survey",
         {{"type", "name", "label", "", "required", "default"},
          {},
          {"integer", "count", "r:How |many", "", "b:1", "n:7"},
          {},
          {},
          {"text", "plain", "  Trimmed  ", "", "b:0", ""}}},
    };
    for (const bool inline_strings : {false, true}) {
        CAPTURE(inline_strings);
        auto json = convert(tmp, sheets, "cells", inline_strings);
        REQUIRE_MESSAGE(json.is_ok(), json.status().to_string());
        CHECK(*json == pretty(R"J({"type": "cells", "version": 1, "title": "cells", "fields": [
            {"name": "count", "kind": "integer", "label": "How many", "required": true, "default": 7},
            {"name": "plain", "kind": "text", "label": "Trimmed"}]})J"));
    }
    // The reader on its own: sheet names as written, cells by row and column, empty rows absent.
    auto wb = read_xlsx_sheets(read_bytes(tmp / "cells.xlsx"));
    REQUIRE(wb.is_ok());
    CHECK(wb->size() == 3);
    const SheetGrid& survey = wb->at("Survey");
    CHECK(survey.count(2) == 0);
    CHECK(survey.at(3).at(3) == "How many");
    CHECK(survey.at(3).at(5) == "TRUE");
    CHECK(survey.at(3).at(6) == "7");
    CHECK(survey.at(6).at(3) == "  Trimmed  ");
    auto only = read_xlsx_sheets(read_bytes(tmp / "cells.xlsx"), {"survey"});
    REQUIRE(only.is_ok());
    CHECK(only->size() == 3);  // every sheet listed; only the survey's cells read
    CHECK(only->at("notes").empty());
    CHECK(only->at("Settings").empty());
    CHECK(only->at("Survey") == survey);
    CHECK(cell_ref(12, 3) == "C12");
    CHECK(cell_ref(1, 27) == "AA1");
    CHECK(cell_ref(7, 16384) == "XFD7");
}

TEST_CASE("XLSForm: every unsupported construct is named by sheet, cell and what, in one refusal") {
    testing::TempDir tmp;
    auto json = convert(
        tmp, {{"survey",
               {{"type", "name", "label", "appearance", "repeat_count", "media::image", "label::English"},
                {"geopoint", "where", "Where", "", "", "", ""},
                {"text", "First Name", "First name", "minimal", "", "", ""},
                {"select_one nowhere", "pick", "Pick", "", "", "photo.jpg", ""},
                {"begin repeat", "outer", "Outer", "", "3", "", ""},
                {"begin repeat", "inner", "Inner", "", "", "", ""},
                {"text", "x", "X", "", "", "", ""},
                {"end repeat", "", "", "", "", "", ""},
                {"end group", "", "", "", "", "", ""},
                {"end repeat", "", "", "", "", "", ""},
                {"text", "pick", "Pick again", "", "", "", ""},
                {"integer", "n", "", "", "", "", ""},
                {"begin group", "open", "Never closed", "", "", "", ""},
                {"note", "nb", "Note", "", "", "", ""}}},
              {"choices",
               {{"list_name", "name", "label", "image"}, {"yn", "yes", "Yes", "yes.png"}, {"yn", "no two", "No", ""}}},
              {"settings", {{"form_id", "instance_name"}, {"Bad-Form", "concat('a', 'b')"}}}});
    REQUIRE_FALSE(json.is_ok());
    CHECK(json.status().code() == errc::kXlsformUnsupported);
    const std::string& m = json.status().message();
    MESSAGE(m);
    for (const char* line : {
             "survey!G1: column \"label::English\" names no language code",
             "survey!A2: type \"geopoint\" is not supported",
             "survey!B3: name \"First Name\" is not a field name",
             "survey!D3: appearance \"minimal\" is not supported (only multiline)",
             "survey!A4: list \"nowhere\" is not on the choices sheet (list_name)",
             "survey!F4: column \"media::image\" is not supported",
             "survey!E5: column \"repeat_count\" is not supported",
             "survey!A6: a repeat inside the repeat \"outer\" (row 5) is not supported",
             "survey!A9: \"end group\" closes \"begin repeat\" \"outer\" (row 5)",
             "survey!B11: name \"pick\" is used twice (first at survey!B4)",
             "survey!A12: question \"n\" has no label",
             "survey!A13: \"begin group\" \"open\" is never closed by \"end group\"",
             "choices!D2: column \"image\" is not supported",
             "choices!B3: choice name \"no two\" has spaces",
             "settings!A2: form_id \"Bad-Form\" is not a form type",
             "settings!B2: column \"instance_name\" is not supported",
         }) {
        CHECK_MESSAGE(m.find(line) != std::string::npos, line);
    }
    // Sheet by sheet, then row by row: the list reads like the spreadsheet.
    CHECK(m.find("survey!A2") < m.find("survey!B3"));
    CHECK(m.find("survey!A13") < m.find("choices!D2"));
    CHECK(m.find("choices!B3") < m.find("settings!A2"));
    CHECK(m.find("test_form.xlsx: the form cannot be imported: 16 problems to fix") != std::string::npos);
}

TEST_CASE("XLSForm: a damaged workbook is refused with its code, quickly") {
    testing::TempDir tmp;
    SUBCASE("not a zip") {
        std::ofstream(tmp / "text.xlsx") << "type,name,label\ntext,a,A\n";
        auto json = xlsform_to_form_json(tmp / "text.xlsx");
        REQUIRE_FALSE(json.is_ok());
        CHECK(json.status().code() == errc::kXlsformBadZip);
        CHECK(json.status().message().find("text.xlsx") != std::string::npos);
    }
    SUBCASE("a zip that is not a workbook") {
        auto bytes = zip_bytes(tmp / "z.zip", {{"readme.txt", "hello"}});
        auto json = xlsform_bytes_to_form_json(bytes, "z");
        REQUIRE_FALSE(json.is_ok());
        CHECK(json.status().code() == errc::kXlsformBadZip);
        CHECK(json.status().message().find("xl/workbook.xml") != std::string::npos);
    }
    SUBCASE("a workbook without a survey sheet") {
        write_xlsx(tmp / "nosurvey.xlsx", {{"choices", {{"list_name", "name", "label"}}}, {"Sheet2", {{"x"}}}});
        auto json = xlsform_to_form_json(tmp / "nosurvey.xlsx");
        REQUIRE_FALSE(json.is_ok());
        CHECK(json.status().code() == errc::kXlsformMissingSheet);
        CHECK(json.status().message().find("(its sheets: \"Sheet2\", \"choices\")") != std::string::npos);
    }
    SUBCASE("a truncated file") {
        write_xlsx(tmp / "whole.xlsx", {{"survey", {{"type", "name", "label"}, {"text", "a", "A"}}}});
        const std::string whole = read_bytes(tmp / "whole.xlsx");
        for (const std::size_t keep : {std::size_t{0}, std::size_t{30}, whole.size() / 2, whole.size() - 10}) {
            CAPTURE(keep);
            auto json = xlsform_bytes_to_form_json(whole.substr(0, keep), "whole");
            REQUIRE_FALSE(json.is_ok());
            CHECK(json.status().code() == errc::kXlsformBadZip);
        }
    }
    SUBCASE("a 10 MB cell, inline or shared, named by its cell") {
        const std::string big(10u << 20, 'x');
        const auto started = std::chrono::steady_clock::now();
        auto inline_cell = xlsform_bytes_to_form_json(
            zip_bytes(
                tmp / "big1.xlsx",
                minimal_parts(sheet_xml(
                    R"(<row r="1"><c r="A1" t="inlineStr"><is><t>type</t></is></c></row><row r="2"><c r="C2" t="inlineStr"><is><t>)" +
                    big + "</t></is></c></row>"))),
            "big");
        REQUIRE_FALSE(inline_cell.is_ok());
        CHECK(inline_cell.status().code() == errc::kXlsformTooLarge);
        CHECK(inline_cell.status().message().find("survey!C2: the cell holds more than 65536 bytes") !=
              std::string::npos);

        auto parts =
            minimal_parts(sheet_xml(R"(<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>)"));
        parts.emplace_back(
            "xl/sharedStrings.xml",
            R"(<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>type</t></si><si><r><t>)" +
                big + "</t></r></si></sst>");
        auto shared = xlsform_bytes_to_form_json(zip_bytes(tmp / "big2.xlsx", parts), "big");
        REQUIRE_FALSE(shared.is_ok());
        CHECK(shared.status().code() == errc::kXlsformTooLarge);
        CHECK(shared.status().message().find("survey!B1: the cell holds more than 65536 bytes") != std::string::npos);
        CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(10));
    }
    SUBCASE("more rows than a form may have") {
        auto json = xlsform_bytes_to_form_json(
            zip_bytes(tmp / "rows.xlsx",
                      minimal_parts(sheet_xml(R"(<row r="1"><c r="A1" t="inlineStr"><is><t>type</t></is></c></row>
                <row r="10001"><c r="B10001" t="inlineStr"><is><t>text</t></is></c></row>)"))),
            "rows");
        REQUIRE_FALSE(json.is_ok());
        CHECK(json.status().code() == errc::kXlsformTooLarge);
        CHECK(json.status().message().find("survey!B10001: the sheet has more than 10000 rows") != std::string::npos);
    }
    SUBCASE("a workbook that inflates past the limit") {
        write_xlsx(tmp / "w.xlsx", {{"survey", {{"type", "name", "label"}, {"text", "a", "A"}}}});
        XlsxLimits small;
        small.max_inflated_bytes = 1000;
        auto json = xlsform_bytes_to_form_json(read_bytes(tmp / "w.xlsx"), "w", small);
        REQUIRE_FALSE(json.is_ok());
        CHECK(json.status().code() == errc::kXlsformTooLarge);
        CHECK(json.status().message().find("inflates to more than") != std::string::npos);
        // A zip bomb: 60 MB of one letter in one cell's part, a few KB on disk.
        auto bomb = xlsform_bytes_to_form_json(
            zip_bytes(tmp / "bomb.xlsx", minimal_parts(sheet_xml("<row r=\"1\"><c r=\"A1\"><v>" +
                                                                 std::string(70u << 20, '1') + "</v></c></row>"))),
            "bomb");
        REQUIRE_FALSE(bomb.is_ok());
        CHECK(bomb.status().code() == errc::kXlsformTooLarge);
    }
    SUBCASE("XML that is not well-formed, or carries a DOCTYPE") {
        auto broken = xlsform_bytes_to_form_json(
            zip_bytes(tmp / "x1.xlsx", minimal_parts(sheet_xml("<row r=\"1\"><c r=\"A1\"><v>1</c></row>"))), "x");
        REQUIRE_FALSE(broken.is_ok());
        CHECK(broken.status().code() == errc::kXlsformBadXml);
        CHECK(broken.status().message().find("xl/worksheets/sheet1.xml: not well-formed XML at line 1") !=
              std::string::npos);
        auto doctype = xlsform_bytes_to_form_json(
            zip_bytes(tmp / "x2.xlsx",
                      minimal_parts(R"(<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa">]><worksheet/>)")),
            "x");
        REQUIRE_FALSE(doctype.is_ok());
        CHECK(doctype.status().code() == errc::kXlsformBadXml);
        CHECK(doctype.status().message().find("DOCTYPE") != std::string::npos);
        auto bad_ref = xlsform_bytes_to_form_json(
            zip_bytes(tmp / "x3.xlsx", minimal_parts(sheet_xml(R"(<row r="1"><c r="1A"><v>1</v></c></row>)"))), "x");
        REQUIRE_FALSE(bad_ref.is_ok());
        CHECK(bad_ref.status().code() == errc::kXlsformBadXml);
        auto bad_shared = xlsform_bytes_to_form_json(
            zip_bytes(tmp / "x4.xlsx", minimal_parts(sheet_xml(R"(<row r="1"><c r="A1" t="s"><v>5</v></c></row>)"))),
            "x");
        REQUIRE_FALSE(bad_shared.is_ok());
        CHECK(bad_shared.status().code() == errc::kXlsformBadXml);
        CHECK(bad_shared.status().message().find("shared string 5") != std::string::npos);
    }
    SUBCASE("a file that is not there") {
        auto json = xlsform_to_form_json(tmp / "missing.xlsx");
        REQUIRE_FALSE(json.is_ok());
        CHECK(json.status().code() == errc::kIo);
    }
}

TEST_CASE("XLSForm: the committed council forms import to exactly the committed JSON") {
    const fs::path root = path_from_utf8(OUTPOST_SOURCE_DIR);
    for (const std::string name : {"carers_assessment", "housing_disrepair", "what_matters"}) {
        CAPTURE(name);
        auto json = xlsform_to_form_json(root / "assets" / "forms-xlsx" / (name + ".xlsx"));
        REQUIRE_MESSAGE(json.is_ok(), json.status().to_string());
        const fs::path expected = root / "assets" / "forms" / (name + ".json");
        REQUIRE(fs::exists(expected));
        CHECK(*json == read_bytes(expected));
        // And the form is one the records engine (laptop and server) accepts.
        auto schema = records::parse_schema(*json, name);
        CHECK_MESSAGE(schema.is_ok(), schema.status().to_string());
    }
}
