// The .xlsx container: a zip (libzip) of XML parts (expat, streamed as each entry inflates). Reads
// xl/workbook.xml (sheet names -> relationship ids), xl/_rels/workbook.xml.rels (ids -> parts),
// xl/sharedStrings.xml and the wanted worksheets, into a grid of cell texts. Every limit is checked as
// the bytes arrive, so a zip bomb or a 10 MB cell stops early with form.xlsform.too_large.
#include <expat.h>
#include <zip.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "outpost/core/error_codes.h"
#include "outpost/sync/xlsform.h"

namespace outpost::sync {
namespace {

constexpr int kSheetMaxRow = 1048576;  // what Excel itself allows
constexpr int kSheetMaxColumn = 16384;
constexpr std::size_t kMaxSharedStrings = 1000000;
constexpr std::size_t kChunk = 64u << 10;

bool iequals(std::string_view a, std::string_view b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
        auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
        return lower(x) == lower(y);
    });
}

// The local part of an expat name: "uri local" (namespace separator ' ') or a plain "local".
std::string_view local_name(const XML_Char* name) {
    std::string_view n(name);
    const auto space = n.rfind(' ');
    return space == std::string_view::npos ? n : n.substr(space + 1);
}

const XML_Char* attribute(const XML_Char** attrs, std::string_view local) {
    for (int i = 0; attrs[i] != nullptr; i += 2) {
        if (local_name(attrs[i]) == local) {
            return attrs[i + 1];
        }
    }
    return nullptr;
}

std::optional<long long> parse_int(std::string_view text) {
    long long v = 0;
    const auto* end = text.data() + text.size();
    const auto [p, ec] = std::from_chars(text.data(), end, v);
    if (ec != std::errc() || p != end || text.empty()) {
        return std::nullopt;
    }
    return v;
}

// One XML part, parsed as it streams in. Subclasses see local names only: .xlsx writers differ in the
// namespace prefixes they use, never in the local names.
class XmlPart {
public:
    explicit XmlPart(std::string part) : m_part(std::move(part)), m_parser(XML_ParserCreateNS(nullptr, ' ')) {
        XML_SetUserData(m_parser, this);
        XML_SetElementHandler(
            m_parser,
            [](void* self, const XML_Char* name, const XML_Char** attrs) {
                static_cast<XmlPart*>(self)->on_start(local_name(name), attrs);
            },
            [](void* self, const XML_Char* name) { static_cast<XmlPart*>(self)->on_end(local_name(name)); });
        XML_SetCharacterDataHandler(m_parser, [](void* self, const XML_Char* s, int len) {
            static_cast<XmlPart*>(self)->on_text(std::string_view(s, static_cast<std::size_t>(len)));
        });
        // An .xlsx part never has a DOCTYPE; refusing one refuses every entity trick with it.
        XML_SetStartDoctypeDeclHandler(
            m_parser, [](void* self, const XML_Char*, const XML_Char*, const XML_Char*, int) {
                auto* me = static_cast<XmlPart*>(self);
                me->fail(Status::error(errc::kXlsformBadXml, me->m_part + ": has a DOCTYPE, which an .xlsx never has"));
            });
    }
    virtual ~XmlPart() {
        if (m_parser != nullptr) {
            XML_ParserFree(m_parser);
        }
    }
    XmlPart(const XmlPart&) = delete;
    XmlPart& operator=(const XmlPart&) = delete;

    [[nodiscard]] Status feed(std::string_view chunk, bool final) {
        if (m_parser == nullptr) {
            return Status::error(errc::kInternal, "XML parser could not be created");
        }
        if (XML_Parse(m_parser, chunk.data(), static_cast<int>(chunk.size()), final ? XML_TRUE : XML_FALSE) !=
            XML_STATUS_OK) {
            if (!m_failure.is_ok()) {
                return m_failure;
            }
            return Status::error(errc::kXlsformBadXml, m_part + ": not well-formed XML at line " +
                                                           std::to_string(XML_GetCurrentLineNumber(m_parser)) + ": " +
                                                           XML_ErrorString(XML_GetErrorCode(m_parser)));
        }
        return m_failure;
    }
    [[nodiscard]] const std::string& part() const { return m_part; }

protected:
    virtual void on_start(std::string_view local, const XML_Char** attrs) = 0;
    virtual void on_end(std::string_view local) = 0;
    virtual void on_text(std::string_view /*text*/) {}
    void fail(Status s) {
        if (m_failure.is_ok()) {
            m_failure = std::move(s);
            XML_StopParser(m_parser, XML_FALSE);
        }
    }
    [[nodiscard]] bool failed() const { return !m_failure.is_ok(); }

private:
    std::string m_part;
    XML_Parser m_parser;
    Status m_failure;
};

struct SheetEntry {
    std::string name;
    std::string rel_id;
};

class WorkbookPart final : public XmlPart {
public:
    WorkbookPart() : XmlPart("xl/workbook.xml") {}
    std::vector<SheetEntry> sheets;

protected:
    void on_start(std::string_view local, const XML_Char** attrs) override {
        if (local != "sheet") {
            return;
        }
        const char* name = attribute(attrs, "name");
        const char* id = attribute(attrs, "id");
        if (name == nullptr || id == nullptr) {
            fail(Status::error(errc::kXlsformBadXml, part() + ": a sheet without a name or a relationship id"));
            return;
        }
        if (sheets.size() >= 1000) {
            fail(Status::error(errc::kXlsformTooLarge, part() + ": more than 1000 sheets"));
            return;
        }
        sheets.push_back({name, id});
    }
    void on_end(std::string_view /*local*/) override {}
};

class RelsPart final : public XmlPart {
public:
    RelsPart() : XmlPart("xl/_rels/workbook.xml.rels") {}
    std::map<std::string, std::string> targets;  // id -> target as written

protected:
    void on_start(std::string_view local, const XML_Char** attrs) override {
        if (local != "Relationship") {
            return;
        }
        const char* id = attribute(attrs, "Id");
        const char* target = attribute(attrs, "Target");
        const char* mode = attribute(attrs, "TargetMode");
        if (id == nullptr || target == nullptr || (mode != nullptr && std::string_view(mode) == "External")) {
            return;
        }
        if (targets.size() < 10000) {
            targets.emplace(id, target);
        }
    }
    void on_end(std::string_view /*local*/) override {}
};

// A shared string: its text, or the fact that it is longer than a cell may be (the cell that uses it
// is then refused by name; the text is never held).
struct SharedString {
    std::string text;
    bool too_long = false;
};

// Text of <t> elements inside `container`, skipping phonetic runs (<rPh>): shared by sharedStrings'
// <si> and a worksheet's inline <is>.
class RichText {
public:
    void start(std::string_view local) {
        if (local == "rPh") {
            ++m_phonetic;
        } else if (local == "t" && m_phonetic == 0) {
            m_in_t = true;
        }
    }
    void end(std::string_view local) {
        if (local == "rPh" && m_phonetic > 0) {
            --m_phonetic;
        } else if (local == "t") {
            m_in_t = false;
        }
    }
    [[nodiscard]] bool collecting() const { return m_in_t; }
    void reset() {
        m_in_t = false;
        m_phonetic = 0;
    }

private:
    bool m_in_t = false;
    int m_phonetic = 0;
};

class SharedStringsPart final : public XmlPart {
public:
    explicit SharedStringsPart(const XlsxLimits& limits) : XmlPart("xl/sharedStrings.xml"), m_limits(limits) {}
    std::vector<SharedString> strings;

protected:
    void on_start(std::string_view local, const XML_Char** /*attrs*/) override {
        if (local == "si") {
            if (strings.size() >= kMaxSharedStrings) {
                fail(Status::error(errc::kXlsformTooLarge,
                                   part() + ": more than " + std::to_string(kMaxSharedStrings) + " strings"));
                return;
            }
            m_in_si = true;
            m_current = {};
            m_rich.reset();
        } else if (m_in_si) {
            m_rich.start(local);
        }
    }
    void on_end(std::string_view local) override {
        if (local == "si" && m_in_si) {
            strings.push_back(std::move(m_current));
            m_in_si = false;
        } else if (m_in_si) {
            m_rich.end(local);
        }
    }
    void on_text(std::string_view text) override {
        if (!m_in_si || !m_rich.collecting() || m_current.too_long) {
            return;
        }
        if (m_current.text.size() + text.size() > m_limits.max_cell_bytes) {
            m_current.too_long = true;
            m_current.text.clear();
            m_current.text.shrink_to_fit();
            return;
        }
        m_current.text.append(text);
    }

private:
    const XlsxLimits& m_limits;
    bool m_in_si = false;
    SharedString m_current;
    RichText m_rich;
};

// "C12" -> {12, 3}; nothing when it is not a cell reference within Excel's grid.
std::optional<std::pair<int, int>> parse_ref(std::string_view ref) {
    std::size_t i = 0;
    long long col = 0;
    while (i < ref.size() && ref[i] >= 'A' && ref[i] <= 'Z' && i < 3) {
        col = col * 26 + (ref[i] - 'A' + 1);
        ++i;
    }
    if (i == 0) {
        return std::nullopt;
    }
    const auto row = parse_int(ref.substr(i));
    if (!row || *row < 1 || *row > kSheetMaxRow || col > kSheetMaxColumn) {
        return std::nullopt;
    }
    return std::make_pair(static_cast<int>(*row), static_cast<int>(col));
}

class SheetPart final : public XmlPart {
public:
    SheetPart(std::string part, std::string sheet, const std::vector<SharedString>& shared, const XlsxLimits& limits,
              std::size_t& cells, SheetGrid& grid)
        : XmlPart(std::move(part)),
          m_sheet(std::move(sheet)),
          m_shared(shared),
          m_limits(limits),
          m_cells(cells),
          m_grid(grid) {}

protected:
    void on_start(std::string_view local, const XML_Char** attrs) override {
        if (local == "sheetData") {
            m_in_data = true;
        } else if (!m_in_data) {
            return;
        } else if (local == "row") {
            const char* r = attribute(attrs, "r");
            if (r != nullptr) {
                const auto n = parse_int(r);
                if (!n || *n < 1 || *n > kSheetMaxRow) {
                    fail(bad(std::string("a row numbered \"") + r + "\""));
                    return;
                }
                m_row = static_cast<int>(*n);
            } else {
                ++m_row;
            }
            m_col = 0;
        } else if (local == "c") {
            start_cell(attrs);
        } else if (m_in_cell) {
            if (local == "v") {
                m_in_v = true;
            } else if (local == "is") {
                m_in_is = true;
                m_rich.reset();
            } else if (m_in_is) {
                m_rich.start(local);
            }
        }
    }

    void on_end(std::string_view local) override {
        if (local == "sheetData") {
            m_in_data = false;
        } else if (!m_in_cell) {
            return;
        } else if (local == "c") {
            end_cell();
        } else if (local == "v") {
            m_in_v = false;
        } else if (local == "is") {
            m_in_is = false;
        } else if (m_in_is) {
            m_rich.end(local);
        }
    }

    void on_text(std::string_view text) override {
        if (!m_in_cell || failed()) {
            return;
        }
        const bool wanted = m_in_v || (m_in_is && m_rich.collecting());
        if (!wanted) {
            return;
        }
        if (m_text.size() + text.size() > m_limits.max_cell_bytes) {
            fail(too_long());
            return;
        }
        m_text.append(text);
    }

private:
    Status bad(const std::string& what) const {
        return Status::error(errc::kXlsformBadXml, part() + " (sheet \"" + m_sheet + "\"): " + what);
    }
    Status too_long() const {
        return Status::error(errc::kXlsformTooLarge,
                             m_sheet + "!" + cell_ref(m_row, m_col) + ": the cell holds more than " +
                                 std::to_string(m_limits.max_cell_bytes) + " bytes of text, the most a cell may hold");
    }

    void start_cell(const XML_Char** attrs) {
        const char* r = attribute(attrs, "r");
        if (r != nullptr) {
            const auto ref = parse_ref(r);
            if (!ref) {
                fail(bad(std::string("a cell at \"") + r + "\", which is not a cell reference"));
                return;
            }
            m_row = ref->first;
            m_col = ref->second;
        } else {
            ++m_col;
            if (m_row < 1) {
                m_row = 1;
            }
        }
        if (m_col > kSheetMaxColumn) {
            fail(bad("a cell past column XFD"));
            return;
        }
        const char* t = attribute(attrs, "t");
        m_type = t != nullptr ? t : "n";
        m_in_cell = true;
        m_in_v = false;
        m_in_is = false;
        m_text.clear();
    }

    void end_cell() {
        m_in_cell = false;
        if (failed()) {
            return;
        }
        std::string value;
        if (m_type == "s") {
            if (m_text.empty()) {
                return;
            }
            const auto index = parse_int(m_text);
            if (!index || *index < 0 || static_cast<std::size_t>(*index) >= m_shared.size()) {
                fail(bad("cell " + cell_ref(m_row, m_col) + " refers to shared string " + m_text +
                         ", which the workbook does not have"));
                return;
            }
            const SharedString& s = m_shared[static_cast<std::size_t>(*index)];
            if (s.too_long) {
                fail(too_long());
                return;
            }
            value = s.text;
        } else if (m_type == "b") {
            value = m_text == "1" ? "TRUE" : (m_text == "0" ? "FALSE" : m_text);
        } else {
            value = std::move(m_text);  // n, str, inlineStr, e (the error's text), d (ISO date text)
        }
        m_text.clear();
        if (value.empty()) {
            return;
        }
        if (m_row > m_limits.max_rows) {
            fail(Status::error(errc::kXlsformTooLarge,
                               m_sheet + "!" + cell_ref(m_row, m_col) + ": the sheet has more than " +
                                   std::to_string(m_limits.max_rows) + " rows, the most a form may have"));
            return;
        }
        auto& slot = m_grid[m_row][m_col];
        if (slot.empty()) {
            if (++m_cells > m_limits.max_cells) {
                fail(Status::error(errc::kXlsformTooLarge, "the workbook has more than " +
                                                               std::to_string(m_limits.max_cells) +
                                                               " filled cells, the most a form may have"));
                return;
            }
        }
        slot = std::move(value);
    }

    std::string m_sheet;
    const std::vector<SharedString>& m_shared;
    const XlsxLimits& m_limits;
    std::size_t& m_cells;
    SheetGrid& m_grid;
    bool m_in_data = false;
    bool m_in_cell = false;
    bool m_in_v = false;
    bool m_in_is = false;
    int m_row = 0;
    int m_col = 0;
    std::string m_type;
    std::string m_text;
    RichText m_rich;
};

struct ZipCloser {
    void operator()(zip_t* z) const { zip_discard(z); }
};
struct ZipFileCloser {
    void operator()(zip_file_t* f) const { zip_fclose(f); }
};

class Archive {
public:
    Archive(zip_t* zip, const XlsxLimits& limits) : m_zip(zip), m_limits(limits) {}

    [[nodiscard]] bool has(const std::string& name) const {
        return zip_name_locate(m_zip.get(), name.c_str(), ZIP_FL_NOCASE) >= 0;
    }

    // Inflates entry `name` through `part`, counting every byte against the workbook's budget.
    [[nodiscard]] Status stream(const std::string& name, XmlPart& part) {
        const zip_int64_t index = zip_name_locate(m_zip.get(), name.c_str(), ZIP_FL_NOCASE);
        if (index < 0) {
            return Status::error(errc::kXlsformBadXml, "the workbook has no part " + name);
        }
        zip_stat_t st;
        zip_stat_init(&st);
        if (zip_stat_index(m_zip.get(), static_cast<zip_uint64_t>(index), 0, &st) == 0 &&
            (st.valid & ZIP_STAT_SIZE) != 0 && st.size > m_limits.max_inflated_bytes - m_inflated) {
            return too_large(name);
        }
        std::unique_ptr<zip_file_t, ZipFileCloser> file(
            zip_fopen_index(m_zip.get(), static_cast<zip_uint64_t>(index), 0));
        if (!file) {
            return Status::error(errc::kXlsformBadZip,
                                 name + ": cannot be opened: " + zip_error_strerror(zip_get_error(m_zip.get())));
        }
        std::vector<char> buffer(kChunk);
        for (;;) {
            const zip_int64_t n = zip_fread(file.get(), buffer.data(), buffer.size());
            if (n < 0) {
                return Status::error(errc::kXlsformBadZip, name + ": damaged: " + zip_file_strerror(file.get()));
            }
            if (n == 0) {
                break;
            }
            m_inflated += static_cast<std::size_t>(n);
            if (m_inflated > m_limits.max_inflated_bytes) {
                return too_large(name);
            }
            OUTPOST_TRY(part.feed(std::string_view(buffer.data(), static_cast<std::size_t>(n)), false));
        }
        return part.feed({}, true);
    }

private:
    Status too_large(const std::string& name) const {
        return Status::error(errc::kXlsformTooLarge, name + ": the workbook inflates to more than " +
                                                         std::to_string(m_limits.max_inflated_bytes >> 20) +
                                                         " MB, the most a form may take");
    }

    std::unique_ptr<zip_t, ZipCloser> m_zip;
    const XlsxLimits& m_limits;
    std::size_t m_inflated = 0;
};

// A relationship target, relative to xl/ (or absolute from the package root), as a zip entry name.
std::string resolve_target(std::string_view target) {
    std::vector<std::string> parts;
    std::string_view rest = target;
    if (!rest.empty() && rest.front() == '/') {
        rest.remove_prefix(1);
    } else {
        parts.emplace_back("xl");
    }
    while (!rest.empty()) {
        const auto slash = rest.find('/');
        const std::string_view seg = rest.substr(0, slash);
        if (seg == "..") {
            if (!parts.empty()) {
                parts.pop_back();
            }
        } else if (!seg.empty() && seg != ".") {
            parts.emplace_back(seg);
        }
        rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    }
    std::string out;
    for (const auto& p : parts) {
        out += out.empty() ? "" : "/";
        out += p;
    }
    return out;
}

}  // namespace

std::string cell_ref(int row, int column) {
    std::string letters;
    for (int c = column; c > 0; c = (c - 1) / 26) {
        letters.insert(letters.begin(), static_cast<char>('A' + (c - 1) % 26));
    }
    return letters + std::to_string(row);
}

Result<Workbook> read_xlsx_sheets(std::string_view bytes, const std::vector<std::string>& only,
                                  const XlsxLimits& limits) {
    if (bytes.size() > limits.max_file_bytes) {
        return Status::error(errc::kXlsformTooLarge, "the file is " + std::to_string(bytes.size() >> 20) +
                                                         " MB; a form workbook may be at most " +
                                                         std::to_string(limits.max_file_bytes >> 20) + " MB");
    }
    zip_error_t error;
    zip_error_init(&error);
    // libzip does not write through a read-only archive; the buffer is only read.
    zip_source_t* source = zip_source_buffer_create(bytes.data(), bytes.size(), 0, &error);
    if (source == nullptr) {
        const std::string what = zip_error_strerror(&error);
        zip_error_fini(&error);
        return Status::error(errc::kXlsformBadZip, "the file cannot be read as a zip: " + what);
    }
    zip_t* zip = zip_open_from_source(source, ZIP_RDONLY, &error);
    if (zip == nullptr) {
        const std::string what = zip_error_strerror(&error);
        zip_source_free(source);
        zip_error_fini(&error);
        return Status::error(errc::kXlsformBadZip,
                             "the file is not an .xlsx workbook (not a whole zip archive: " + what + ")");
    }
    zip_error_fini(&error);
    Archive archive(zip, limits);

    if (!archive.has("xl/workbook.xml")) {
        return Status::error(errc::kXlsformBadZip,
                             "the file is a zip but not an .xlsx workbook: it has no xl/workbook.xml");
    }
    WorkbookPart workbook;
    OUTPOST_TRY(archive.stream("xl/workbook.xml", workbook));
    RelsPart rels;
    OUTPOST_TRY(archive.stream("xl/_rels/workbook.xml.rels", rels));

    auto wanted = [&](const std::string& name) {
        return only.empty() || std::any_of(only.begin(), only.end(), [&](const auto& w) { return iequals(w, name); });
    };
    bool any_wanted = false;
    for (const auto& s : workbook.sheets) {
        any_wanted = any_wanted || wanted(s.name);
    }

    SharedStringsPart shared(limits);
    if (any_wanted && archive.has("xl/sharedStrings.xml")) {
        OUTPOST_TRY(archive.stream("xl/sharedStrings.xml", shared));
    }

    Workbook out;
    std::size_t cells = 0;
    for (const auto& s : workbook.sheets) {
        if (out.count(s.name) != 0) {
            continue;
        }
        if (!wanted(s.name)) {
            out[s.name];  // listed, not read
            continue;
        }
        const auto target = rels.targets.find(s.rel_id);
        if (target == rels.targets.end()) {
            return Status::error(errc::kXlsformBadXml, "sheet \"" + s.name + "\" names relationship " + s.rel_id +
                                                           ", which the workbook lacks");
        }
        const std::string entry = resolve_target(target->second);
        SheetGrid& grid = out[s.name];
        SheetPart part(entry, s.name, shared.strings, limits, cells, grid);
        OUTPOST_TRY(archive.stream(entry, part));
    }
    return out;
}

}  // namespace outpost::sync
