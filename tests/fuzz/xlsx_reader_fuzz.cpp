// Fuzz target: the XLSForm import (outpost/sync/xlsform.h), the zip container, the XML inside it and
// the conversion to form JSON, as `outpost-server forms import` runs them on a file from anyone. Any
// input must be refused with a stable code, or give a workbook whose conversion is refused with a code
// or is JSON with a type and fields; reading the same bytes twice gives the same result. Limits are
// small so that each input stays fast; the limits themselves are tested in xlsform_test.cpp.
//
// Input: a first byte 'X' makes the rest a whole .xlsx file; any other first byte makes the rest the
// survey sheet's XML, then (after a NUL byte, if any) the shared strings' XML, stored uncompressed in a
// workbook built here, so that mutations reach the XML and the conversion instead of failing the
// zip's checksums.
#include <zip.h>

#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "fuzz_target.h"
#include "outpost/sync/xlsform.h"

namespace {

constexpr std::string_view kWorkbook =
    R"(<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" )"
    R"(xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>)"
    R"(<sheet name="survey" sheetId="1" r:id="rId1"/></sheets></workbook>)";
constexpr std::string_view kRels =
    R"(<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">)"
    R"(<Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>)";

// A workbook of the given parts (no shared strings part when `shared` is null), stored (not
// deflated), written to memory.
std::string make_xlsx(std::string_view sheet, std::optional<std::string_view> shared) {
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* out = zip_source_buffer_create(nullptr, 0, 0, &error);
    if (out == nullptr) {
        std::abort();
    }
    zip_source_keep(out);
    zip_t* z = zip_open_from_source(out, ZIP_TRUNCATE, &error);
    if (z == nullptr) {
        std::abort();
    }
    const std::pair<const char*, std::string_view> parts[] = {
        {"xl/workbook.xml", kWorkbook},
        {"xl/_rels/workbook.xml.rels", kRels},
        {"xl/worksheets/sheet1.xml", sheet},
        {"xl/sharedStrings.xml", shared.value_or(std::string_view())}};
    for (const auto& [name, text] : parts) {
        if (text.data() == nullptr) {
            continue;
        }
        zip_source_t* src = zip_source_buffer(z, text.data(), text.size(), 0);
        const zip_int64_t index = src == nullptr ? -1 : zip_file_add(z, name, src, 0);
        if (index < 0 || zip_set_file_compression(z, static_cast<zip_uint64_t>(index), ZIP_CM_STORE, 0) != 0) {
            std::abort();
        }
    }
    if (zip_close(z) != 0) {
        std::abort();
    }
    std::string bytes;
    zip_stat_t st;
    if (zip_source_open(out) != 0 || zip_source_stat(out, &st) != 0) {
        std::abort();
    }
    bytes.resize(st.size);
    if (zip_source_read(out, bytes.data(), st.size) != static_cast<zip_int64_t>(st.size)) {
        std::abort();
    }
    zip_source_close(out);
    zip_source_free(out);
    zip_error_fini(&error);
    return bytes;
}

void require_code(const outpost::Status& s) {
    const std::string& code = s.code();
    if (code.empty() || code.find('.') == std::string::npos) {
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* raw, std::size_t size) {
    using namespace outpost::sync;
    const std::string_view input(reinterpret_cast<const char*>(raw), size);
    if (input.empty()) {
        return 0;
    }
    std::string built;
    std::string_view bytes = input.substr(1);
    if (input[0] != 'X') {
        const auto nul = bytes.find('\0');
        built = make_xlsx(bytes.substr(0, nul), nul == std::string_view::npos
                                                    ? std::nullopt
                                                    : std::optional<std::string_view>(bytes.substr(nul + 1)));
        bytes = built;
    }
    XlsxLimits limits;
    limits.max_inflated_bytes = 4u << 20;
    limits.max_cell_bytes = 4u << 10;
    limits.max_rows = 500;
    limits.max_cells = 5000;

    auto wb = read_xlsx_sheets(bytes, {}, limits);
    auto again = read_xlsx_sheets(bytes, {}, limits);
    if (wb.is_ok() != again.is_ok()) {
        std::abort();
    }
    if (!wb.is_ok()) {
        require_code(wb.status());
        if (again.status() != wb.status()) {
            std::abort();
        }
        return 0;
    }
    if (*wb != *again) {
        std::abort();
    }
    for (const auto& [name, grid] : *wb) {
        for (const auto& [row, cells] : grid) {
            if (row < 1 || row > limits.max_rows) {
                std::abort();
            }
            for (const auto& [col, text] : cells) {
                if (col < 1 || text.empty() || text.size() > limits.max_cell_bytes) {
                    std::abort();
                }
            }
        }
    }
    auto json = xlsform_grid_to_form_json(*wb, "fuzz");
    if (!json.is_ok()) {
        require_code(json.status());
        return 0;
    }
    const auto form = nlohmann::json::parse(*json, nullptr, false);
    if (form.is_discarded() || !form.contains("type") || !form.contains("fields") || !form["fields"].is_array()) {
        std::abort();
    }
    return 0;
}
