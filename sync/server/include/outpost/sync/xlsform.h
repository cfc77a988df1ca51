// XLSForm import: an .xlsx workbook as ODK, Kobo and SurveyCTO designers write it (a `survey` sheet of
// questions, a `choices` sheet of answer lists, a `settings` sheet) becomes an Outpost form JSON
// document (assets/forms/*.json), or is refused with every construct Outpost cannot carry named by
// sheet and cell ("survey!C12: type \"geopoint\" is not supported").
//
// Two layers, each usable on its own:
//  - read_xlsx_sheets: the .xlsx container (a zip, read with libzip) and its XML (expat) become a grid
//    of cell texts per sheet. Bounded: a workbook is refused, never half-read, past the XlsxLimits.
//  - xlsform_grid_to_form_json: the grid becomes the form, following the XLSForm specification as
//    ODK reads it, for the types and columns listed in xlsform_convert.cpp.
//
// Failure codes (error_codes.h): form.xlsform.bad_zip (not a zip, cut short, a damaged or encrypted
// entry), form.xlsform.bad_xml (a part that is not well-formed XML or not the shape an .xlsx has),
// form.xlsform.missing_sheet (no `survey` sheet), form.xlsform.too_large (past a limit; the message
// names the limit and, for a cell, the cell), form.xlsform.unsupported (one error listing every
// problem, one a line), core.io.failed (the file cannot be read).
//
// Threads: pure functions of their arguments; safe from any thread.
#pragma once

#include <cstddef>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "outpost/core/status.h"

namespace outpost::sync {

// One sheet's non-empty cells: row number (1-based) -> column number (1-based, A = 1) -> the text a
// spreadsheet shows for it (shared and inline strings with their rich-text runs joined, numbers as
// stored, booleans as TRUE/FALSE, a formula's cached result). Empty cells and rows are absent.
using SheetGrid = std::map<int, std::map<int, std::string>>;
// Sheet name (as the workbook spells it) -> its cells.
using Workbook = std::map<std::string, SheetGrid>;

struct XlsxLimits {
    std::size_t max_file_bytes = 64u << 20;      // the .xlsx itself
    std::size_t max_inflated_bytes = 64u << 20;  // every entry read, inflated, added up
    std::size_t max_cell_bytes = 64u << 10;      // one cell's text, in UTF-8 bytes
    int max_rows = 10000;                        // a cell below this row number is refused
    std::size_t max_cells = 200000;              // non-empty cells in all the sheets read
};

// "C12" for row 12, column 3. Columns past Z continue AA, AB, ...
[[nodiscard]] std::string cell_ref(int row, int column);

// Reads the sheets of an .xlsx held in `bytes`. `only` names the sheets whose cells are wanted (in any
// case; the others are listed with no cells and never inflated); empty reads every sheet. A wanted name
// the workbook lacks is simply absent from the result: the caller decides whether that is an error.
[[nodiscard]] Result<Workbook> read_xlsx_sheets(std::string_view bytes, const std::vector<std::string>& only = {},
                                                const XlsxLimits& limits = {});

// Converts the survey, choices and settings sheets to form JSON: pretty-printed (two-space indent), keys
// in the format's order (type, version, title, description, default_language, translations, fields),
// ending with a newline. `fallback_type` is used as the form type when settings has no form_id
// (pyxform takes the file name the same way). The form's version is always 1: the server assigns
// versions when it publishes.
[[nodiscard]] Result<std::string> xlsform_grid_to_form_json(const Workbook& workbook, std::string_view fallback_type);

// Reads the workbook at `xlsx` (its survey, choices and settings sheets) and converts it; the file's
// stem is the fallback form type.
[[nodiscard]] Result<std::string> xlsform_to_form_json(const std::filesystem::path& xlsx);

// The same for a workbook already in memory.
[[nodiscard]] Result<std::string> xlsform_bytes_to_form_json(std::string_view bytes, std::string_view fallback_type,
                                                             const XlsxLimits& limits = {});

}  // namespace outpost::sync
