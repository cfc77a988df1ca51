// XLSForm grid -> Outpost form JSON, following the XLSForm specification as ODK reads it, for what an
// Outpost form can carry:
//  - survey types: text, integer, decimal, date, time, select_one LIST, select_multiple LIST, note,
//    calculate, acknowledge (a yes_no), begin/end group, begin/end repeat (one level deep);
//  - survey columns: type, name, label, hint (-> "help"), required, required_message, relevant,
//    constraint, constraint_message, calculation (-> "calculate"), default, read_only, choice_filter,
//    appearance (multiline only, making a text a long_text), and `label::Language (code)`, `hint::`,
//    `constraint_message::`, `required_message::` translations;
//  - choices: list_name, name, label (+ translations); any other column is a filter column;
//  - settings: form_id (-> type), form_title (+ translations), default_language, description; version
//    is read and ignored (the server numbers published versions).
// Everything else is collected as a problem naming its cell, and any problem refuses the whole form.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "outpost/core/error_codes.h"
#include "outpost/platform/utf8.h"
#include "outpost/sync/xlsform.h"

namespace outpost::sync {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::size_t kMaxProblemsListed = 200;

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return out;
}

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) {
        s.remove_prefix(1);
    }
    while (!s.empty() && is_space(s.back())) {
        s.remove_suffix(1);
    }
    return std::string(s);
}

std::vector<std::string> words(std::string_view s) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && is_space(s[i])) {
            ++i;
        }
        std::size_t j = i;
        while (j < s.size() && !is_space(s[j])) {
            ++j;
        }
        if (j > i) {
            out.emplace_back(s.substr(i, j - i));
        }
        i = j;
    }
    return out;
}

std::string in_quotes(std::string_view s) {
    std::string out = "\"";
    out.append(s.substr(0, 80));
    if (s.size() > 80) {
        out += "...";
    }
    return out + "\"";
}

// [a-z][a-z0-9_]{0,63}: the names Outpost gives fields and form types.
bool is_identifier(std::string_view s) {
    if (s.empty() || s.size() > 64 || s[0] < 'a' || s[0] > 'z') {
        return false;
    }
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

bool is_language_code(std::string_view s) {
    if (s.empty() || s.size() > 35 || !std::isalpha(static_cast<unsigned char>(s[0]))) {
        return false;
    }
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-'; });
}

// "Cymraeg (cy)" -> "cy"; nothing when there is no well-formed code in a final parenthesis.
std::optional<std::string> language_code(std::string_view language) {
    if (language.empty() || language.back() != ')') {
        return std::nullopt;
    }
    const auto open = language.rfind('(');
    if (open == std::string_view::npos) {
        return std::nullopt;
    }
    std::string code = trim(language.substr(open + 1, language.size() - open - 2));
    if (!is_language_code(code)) {
        return std::nullopt;
    }
    return code;
}

bool is_yes(std::string_view v) {
    const std::string l = lower(v);
    return l == "yes" || l == "true" || l == "true()" || l == "1";
}
bool is_no(std::string_view v) {
    const std::string l = lower(v);
    return l == "no" || l == "false" || l == "false()" || l == "0";
}

bool all_digits(std::string_view s, std::size_t n) {
    return s.size() == n && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}
bool is_date(std::string_view s) {
    return s.size() == 10 && all_digits(s.substr(0, 4), 4) && s[4] == '-' && all_digits(s.substr(5, 2), 2) &&
           s[7] == '-' && all_digits(s.substr(8, 2), 2);
}
bool is_time(std::string_view s) {
    return s.size() == 5 && all_digits(s.substr(0, 2), 2) && s[2] == ':' && all_digits(s.substr(3, 2), 2);
}

struct Problem {
    int sheet_rank = 0;
    int row = 0;  // 0: the sheet as a whole
    int col = 0;
    std::string text;  // "survey!C12: type \"geopoint\" is not supported"
};

class Problems {
public:
    void add(int rank, const std::string& sheet, int row, int col, const std::string& what) {
        std::string where = sheet;
        if (row > 0) {
            where += "!" + cell_ref(row, col);
        }
        m_list.push_back({rank, row, col, where + ": " + what});
    }
    [[nodiscard]] bool empty() const { return m_list.empty(); }
    [[nodiscard]] Status status() {
        std::stable_sort(m_list.begin(), m_list.end(), [](const Problem& a, const Problem& b) {
            return std::tie(a.sheet_rank, a.row, a.col) < std::tie(b.sheet_rank, b.row, b.col);
        });
        std::string message = "the form cannot be imported: " + std::to_string(m_list.size()) +
                              (m_list.size() == 1 ? " problem" : " problems") + " to fix in the spreadsheet";
        for (std::size_t i = 0; i < m_list.size() && i < kMaxProblemsListed; ++i) {
            message += "\n" + m_list[i].text;
        }
        if (m_list.size() > kMaxProblemsListed) {
            message += "\n... and " + std::to_string(m_list.size() - kMaxProblemsListed) + " more";
        }
        return Status::error(errc::kXlsformUnsupported, message);
    }

private:
    std::vector<Problem> m_list;
};

// A sheet read by its heading row: each column's base name ("label") and, for a translated column,
// its language code.
struct Column {
    std::string header;  // as written, trimmed
    std::string base;    // lower-case part before "::"
    std::string lang;    // code from "label::Cymraeg (cy)"; empty when untranslated
    std::string lang_display;
};

struct Cell {
    int col = 0;
    std::string value;  // trimmed, non-empty
};

// One data row: base -> cell, and lang -> base -> cell.
struct Row {
    int row = 0;
    std::map<std::string, Cell> cells;
    std::map<std::string, std::map<std::string, Cell>> translated;
    [[nodiscard]] const Cell* get(std::string_view base) const {
        const auto it = cells.find(std::string(base));
        return it == cells.end() ? nullptr : &it->second;
    }
    [[nodiscard]] std::string value(std::string_view base) const {
        const Cell* c = get(base);
        return c != nullptr ? c->value : std::string();
    }
};

struct Language {
    std::string code;
    std::string display;
};

class Sheet {
public:
    Sheet(std::string name, int rank, const SheetGrid& grid, const std::set<std::string>& known,
          const std::set<std::string>& translatable, bool extra_columns_allowed, Problems& problems,
          std::vector<Language>& languages)
        : m_name(std::move(name)), m_rank(rank) {
        if (grid.empty()) {
            return;
        }
        m_header_row = grid.begin()->first;
        std::set<std::string> seen;
        for (const auto& [col, raw] : grid.begin()->second) {
            Column c;
            c.header = trim(raw);
            const auto sep = c.header.find("::");
            c.base = lower(trim(c.header.substr(0, sep)));
            if (sep != std::string::npos) {
                c.lang_display = trim(c.header.substr(sep + 2));
                if (translatable.count(c.base) != 0) {
                    const auto code = language_code(c.lang_display);
                    if (!code) {
                        problems.add(m_rank, m_name, m_header_row, col,
                                     "column " + in_quotes(c.header) + " names no language code; write it as \"" +
                                         c.base + "::" + c.lang_display + " (xx)\" with the language's code, e.g. \"" +
                                         c.base + "::Cymraeg (cy)\"");
                        continue;
                    }
                    c.lang = *code;
                    if (std::none_of(languages.begin(), languages.end(),
                                     [&](const Language& l) { return l.code == c.lang; })) {
                        languages.push_back({c.lang, c.lang_display});
                    }
                } else {
                    c.base = lower(c.header);  // "media::image": a column of its own, not supported below
                }
            }
            const std::string key = c.base + "\x1f" + c.lang;
            if (!seen.insert(key).second) {
                problems.add(m_rank, m_name, m_header_row, col, "column " + in_quotes(c.header) + " appears twice");
                continue;
            }
            const bool known_column = c.lang.empty() ? known.count(c.base) != 0 : true;
            if (!known_column && !extra_columns_allowed) {
                m_unsupported[col] = c.header;
                continue;
            }
            m_columns[col] = std::move(c);
        }
        for (auto it = std::next(grid.begin()); it != grid.end(); ++it) {
            Row row;
            row.row = it->first;
            bool any = false;
            for (const auto& [col, raw] : it->second) {
                std::string value = trim(raw);
                if (value.empty()) {
                    continue;
                }
                any = true;
                if (const auto u = m_unsupported.find(col); u != m_unsupported.end()) {
                    problems.add(m_rank, m_name, row.row, col, "column " + in_quotes(u->second) + " is not supported");
                    continue;
                }
                const auto c = m_columns.find(col);
                if (c == m_columns.end()) {
                    problems.add(m_rank, m_name, row.row, col,
                                 "a value in a column with no heading (or a heading refused above)");
                    continue;
                }
                if (c->second.lang.empty()) {
                    row.cells[c->second.base] = Cell{col, std::move(value)};
                } else {
                    row.translated[c->second.lang][c->second.base] = Cell{col, std::move(value)};
                }
            }
            if (any) {
                m_rows.push_back(std::move(row));
            }
        }
    }

    [[nodiscard]] const std::string& name() const { return m_name; }
    [[nodiscard]] int rank() const { return m_rank; }
    [[nodiscard]] int header_row() const { return m_header_row; }
    [[nodiscard]] const std::vector<Row>& rows() const { return m_rows; }
    [[nodiscard]] const std::map<int, Column>& columns() const { return m_columns; }
    [[nodiscard]] bool has_column(std::string_view base) const {
        return std::any_of(m_columns.begin(), m_columns.end(),
                           [&](const auto& c) { return c.second.base == base && c.second.lang.empty(); });
    }

private:
    std::string m_name;
    int m_rank = 0;
    int m_header_row = 0;
    std::map<int, Column> m_columns;
    std::map<int, std::string> m_unsupported;
    std::vector<Row> m_rows;
};

struct Choice {
    std::string name;
    int row = 0;
};

struct ChoiceList {
    Json items = Json::array();
    std::vector<Choice> names;
    [[nodiscard]] bool has(std::string_view n) const {
        return std::any_of(names.begin(), names.end(), [&](const Choice& c) { return c.name == n; });
    }
};

const SheetGrid* find_sheet(const Workbook& wb, std::string_view name, std::string& spelled) {
    for (const auto& [n, grid] : wb) {
        if (lower(n) == name) {
            spelled = n;
            return &grid;
        }
    }
    spelled = std::string(name);
    return nullptr;
}

// A scope of open groups and repeats while the survey is read.
struct Open {
    Json field;                     // the group or repeat, without its "fields" yet
    Json children = Json::array();  // its fields so far
    bool repeat = false;
    int row = 0;
    int col = 0;
    std::string name;
};

class Converter {
public:
    Converter(const Workbook& wb, std::string_view fallback_type) : m_wb(wb), m_fallback_type(fallback_type) {}

    Result<std::string> run() {
        std::string survey_name;
        const SheetGrid* survey_grid = find_sheet(m_wb, "survey", survey_name);
        if (survey_grid == nullptr) {
            std::string found;
            for (const auto& [n, g] : m_wb) {
                found += (found.empty() ? "" : ", ") + in_quotes(n);
            }
            return Status::error(errc::kXlsformMissingSheet,
                                 "the workbook has no sheet named \"survey\"" +
                                     (found.empty() ? std::string() : " (its sheets: " + found + ")"));
        }
        std::string choices_name;
        std::string settings_name;
        const SheetGrid* choices_grid = find_sheet(m_wb, "choices", choices_name);
        const SheetGrid* settings_grid = find_sheet(m_wb, "settings", settings_name);

        const SheetGrid empty;
        Sheet survey(survey_name, 0, *survey_grid,
                     {"type", "name", "label", "hint", "required", "required_message", "relevant", "constraint",
                      "constraint_message", "calculation", "default", "read_only", "choice_filter", "appearance"},
                     {"label", "hint", "required_message", "constraint_message"}, false, m_problems, m_languages);
        Sheet choices(choices_name, 1, choices_grid != nullptr ? *choices_grid : empty, {"list_name", "name", "label"},
                      {"label"}, true, m_problems, m_languages);
        Sheet settings(settings_name, 2, settings_grid != nullptr ? *settings_grid : empty,
                       {"form_id", "form_title", "version", "default_language", "description"}, {"form_title"}, false,
                       m_problems, m_languages);

        Json form;
        read_settings(settings, form);
        settle_default_language(survey);
        finish_form_header();
        read_choices(choices);
        Json fields = read_survey(survey);
        if (!m_problems.empty()) {
            return m_problems.status();
        }
        if (!m_default_lang.empty()) {
            form["default_language"] = m_default_lang;
        }
        if (!m_form_translations.empty()) {
            form["translations"] = m_form_translations;
        }
        form["fields"] = std::move(fields);
        try {
            return form.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
        } catch (const std::exception& e) {
            return Status::error(errc::kInternal, std::string("writing the form JSON: ") + e.what());
        }
    }

private:
    void problem(const Sheet& s, int row, int col, const std::string& what) {
        m_problems.add(s.rank(), s.name(), row, col, what);
    }

    // ---- settings ----
    void read_settings(const Sheet& settings, Json& form) {
        const Row* row = settings.rows().empty() ? nullptr : &settings.rows().front();
        if (settings.rows().size() > 1) {
            problem(settings, settings.rows()[1].row,
                    settings.rows()[1].cells.empty() ? 1 : settings.rows()[1].cells.begin()->second.col,
                    "settings has one row of values; this is a second");
        }
        std::string type = row != nullptr ? row->value("form_id") : std::string();
        if (type.empty()) {
            type = m_fallback_type;
            if (!is_identifier(type)) {
                m_problems.add(settings.rank(), settings.name(), 0, 0,
                               "there is no form_id, and the file name " + in_quotes(type) +
                                   " is not a form type (a lower-case letter, then up to 63 lower-case letters, "
                                   "digits or _); add a form_id column");
            }
        } else if (!is_identifier(type)) {
            problem(settings, row->row, row->get("form_id")->col,
                    "form_id " + in_quotes(type) +
                        " is not a form type (a lower-case letter, then up to 63 lower-case letters, digits or _)");
        }
        // default_language: the language as the columns write it ("English (en)") or its code.
        if (row != nullptr && row->get("default_language") != nullptr) {
            const Cell& c = *row->get("default_language");
            for (const Language& l : m_languages) {
                if (c.value == l.code || c.value == l.display) {
                    m_default_lang = l.code;
                }
            }
            if (m_default_lang.empty()) {
                if (const auto code = language_code(c.value)) {
                    m_default_lang = *code;
                } else if (is_language_code(c.value) && c.value.size() <= 8) {
                    m_default_lang = c.value;
                } else {
                    problem(settings, row->row, c.col,
                            "default_language " + in_quotes(c.value) +
                                " is not a language of the columns; write it as they do, e.g. \"English (en)\"");
                }
            }
        }
        form["type"] = type;
        form["version"] = 1;
        m_settings_row = row;
        m_form = &form;
    }

    // The default language when settings names none: the first translated label language, when the
    // sheets have no untranslated label column to take the label from.
    void settle_default_language(const Sheet& survey) {
        if (m_default_lang.empty() && !survey.has_column("label") && !m_languages.empty()) {
            m_default_lang = m_languages.front().code;
        }
    }

    void finish_form_header() {
        const Row* row = m_settings_row;
        std::string title = row != nullptr ? row->value("form_title") : std::string();
        if (title.empty() && row != nullptr && !m_default_lang.empty()) {
            if (const auto t = row->translated.find(m_default_lang); t != row->translated.end()) {
                if (const auto c = t->second.find("form_title"); c != t->second.end()) {
                    title = c->second.value;
                }
            }
        }
        if (title.empty()) {
            title = (*m_form)["type"].get<std::string>();
        }
        (*m_form)["title"] = title;
        if (row != nullptr && !row->value("description").empty()) {
            (*m_form)["description"] = row->value("description");
        }
        if (row != nullptr) {
            for (const Language& l : m_languages) {
                const auto t = row->translated.find(l.code);
                if (t == row->translated.end()) {
                    continue;
                }
                if (const auto c = t->second.find("form_title"); c != t->second.end()) {
                    m_form_translations[l.code]["title"] = c->second.value;
                }
            }
        }
    }

    // ---- translated text ----
    // The text of `base` in the default language, and fills `translations` with every language's.
    std::string text_of(const Row& row, std::string_view base, std::string_view key, Json& translations) const {
        std::string text = row.value(base);
        for (const Language& l : m_languages) {
            const auto t = row.translated.find(l.code);
            if (t == row.translated.end()) {
                continue;
            }
            const auto c = t->second.find(std::string(base));
            if (c == t->second.end()) {
                continue;
            }
            translations[l.code][std::string(key)] = c->second.value;
            if (text.empty() && l.code == m_default_lang) {
                text = c->second.value;
            }
        }
        return text;
    }

    // ---- choices ----
    void read_choices(const Sheet& choices) {
        static const std::set<std::string> kMedia = {
            "image", "audio", "video", "big-image", "media::image", "media::audio", "media::video", "media::big-image"};
        for (const Row& row : choices.rows()) {
            const std::string list = row.value("list_name");
            const std::string name = row.value("name");
            if (row.cells.empty() && row.translated.empty()) {
                continue;  // its values were refused above
            }
            if (list.empty()) {
                const int first_col = !row.cells.empty() ? row.cells.begin()->second.col
                                                         : row.translated.begin()->second.begin()->second.col;
                problem(choices, row.row, first_col, "list_name is missing");
                continue;
            }
            ChoiceList& cl = m_lists[list];
            if (name.empty()) {
                problem(choices, row.row, row.get("list_name")->col,
                        "name is missing for a choice of " + in_quotes(list));
                continue;
            }
            if (words(name).size() != 1) {
                problem(choices, row.row, row.get("name")->col,
                        "choice name " + in_quotes(name) + " has spaces; a choice name is one word");
                continue;
            }
            if (cl.has(name)) {
                problem(choices, row.row, row.get("name")->col,
                        "choice " + in_quotes(name) + " appears twice in list " + in_quotes(list));
                continue;
            }
            Json translations = Json::object();
            const std::string label = text_of(row, "label", "label", translations);
            Json item;
            item["name"] = name;
            if (label.empty()) {
                problem(choices, row.row, row.get("name")->col, "choice " + in_quotes(name) + " has no label");
            } else {
                item["label"] = label;
            }
            if (!translations.empty()) {
                item["translations"] = translations;
            }
            Json filter = Json::object();
            for (const auto& [base, cell] : row.cells) {
                if (base == "list_name" || base == "name" || base == "label") {
                    continue;
                }
                if (kMedia.count(base) != 0 || base.find("::") != std::string::npos) {
                    problem(choices, row.row, cell.col,
                            "column " + in_quotes(header_of(choices, cell.col)) + " is not supported");
                    continue;
                }
                filter[header_of(choices, cell.col)] = cell.value;
            }
            if (!filter.empty()) {
                item["filter"] = filter;
            }
            cl.items.push_back(std::move(item));
            cl.names.push_back({name, row.row});
        }
    }

    static std::string header_of(const Sheet& s, int col) {
        const auto it = s.columns().find(col);
        return it != s.columns().end() ? it->second.header : std::string();
    }

    // ---- survey ----
    enum class Kind { kText, kInteger, kDecimal, kDate, kTime, kChoice, kMultiChoice, kNote, kCalculate, kYesNo };

    static std::string_view kind_name(Kind k, bool multiline) {
        switch (k) {
            case Kind::kText:
                return multiline ? "long_text" : "text";
            case Kind::kInteger:
                return "integer";
            case Kind::kDecimal:
                return "decimal";
            case Kind::kDate:
                return "date";
            case Kind::kTime:
                return "time";
            case Kind::kChoice:
                return "choice";
            case Kind::kMultiChoice:
                return "multi_choice";
            case Kind::kNote:
                return "note";
            case Kind::kCalculate:
                return "calculate";
            case Kind::kYesNo:
                return "yes_no";
        }
        return "text";
    }

    Json read_survey(const Sheet& survey) {
        if (survey.header_row() == 0) {
            m_problems.add(survey.rank(), survey.name(), 0, 0, "the sheet is empty: it has no heading row");
            return Json::array();
        }
        if (!survey.has_column("type")) {
            m_problems.add(survey.rank(), survey.name(), 0, 0, "the heading row has no \"type\" column");
            return Json::array();
        }
        std::vector<Open> stack;
        Json top = Json::array();
        auto current = [&]() -> Json& { return stack.empty() ? top : stack.back().children; };
        auto in_repeat = [&]() -> const Open* {
            for (const Open& o : stack) {
                if (o.repeat) {
                    return &o;
                }
            }
            return nullptr;
        };

        for (const Row& row : survey.rows()) {
            const Cell* type_cell = row.get("type");
            if (type_cell == nullptr) {
                // A row whose only values were refused above has its problems already.
                if (!row.cells.empty() || !row.translated.empty()) {
                    const int col = !row.cells.empty() ? row.cells.begin()->second.col
                                                       : row.translated.begin()->second.begin()->second.col;
                    problem(survey, row.row, col, "this row has no type");
                }
                continue;
            }
            const std::vector<std::string> t = words(type_cell->value);
            const std::string head = lower(t[0]);
            const std::string joined = t.size() == 2 ? head + "_" + lower(t[1]) : head;

            if (joined == "begin_group" || joined == "begin_repeat") {
                const bool repeat = joined == "begin_repeat";
                Open o;
                o.repeat = repeat;
                o.row = row.row;
                o.col = type_cell->col;
                if (const Open* outer = repeat ? in_repeat() : nullptr) {
                    problem(survey, row.row, type_cell->col,
                            "a repeat inside the repeat " + in_quotes(outer->name) + " (row " +
                                std::to_string(outer->row) + ") is not supported: repeats go one level deep");
                }
                o.name = check_name(survey, row, stack);
                o.field["name"] = o.name;
                o.field["kind"] = repeat ? "repeat" : "group";
                Json translations = Json::object();
                const std::string label = text_of(row, "label", "label", translations);
                if (!label.empty()) {
                    o.field["label"] = label;
                }
                const std::string help = text_of(row, "hint", "help", translations);
                if (!help.empty()) {
                    o.field["help"] = help;
                }
                if (!row.value("relevant").empty()) {
                    o.field["relevant"] = row.value("relevant");
                }
                for (const char* col : {"required", "required_message", "constraint", "constraint_message",
                                        "calculation", "default", "read_only", "choice_filter", "appearance"}) {
                    if (const Cell* c = row.get(col)) {
                        // "field-list" shows a group's questions on one screen, as Outpost shows every
                        // question of a form: nothing to carry over.
                        if (std::string_view(col) == "appearance" && lower(c->value) == "field-list") {
                            continue;
                        }
                        problem(survey, row.row, c->col,
                                std::string(col) + " " + in_quotes(c->value) + " on a " +
                                    (repeat ? "repeat" : "group") + " is not supported");
                    }
                }
                if (!translations.empty()) {
                    o.field["translations"] = translations;
                }
                stack.push_back(std::move(o));
                continue;
            }
            if (joined == "end_group" || joined == "end_repeat") {
                const bool repeat = joined == "end_repeat";
                const std::string what = repeat ? "repeat" : "group";
                if (stack.empty()) {
                    problem(survey, row.row, type_cell->col,
                            in_quotes("end " + what) + " has no " + in_quotes("begin " + what) + " to close");
                    continue;
                }
                if (stack.back().repeat != repeat) {
                    const Open& o = stack.back();
                    problem(survey, row.row, type_cell->col,
                            in_quotes("end " + what) + " closes " +
                                in_quotes(std::string("begin ") + (o.repeat ? "repeat" : "group")) + " " +
                                in_quotes(o.name) + " (row " + std::to_string(o.row) + ")");
                    continue;
                }
                Open o = std::move(stack.back());
                stack.pop_back();
                if (o.children.empty()) {
                    problem(survey, o.row, o.col, what + " " + in_quotes(o.name) + " has no questions");
                }
                o.field["fields"] = std::move(o.children);
                current().push_back(std::move(o.field));
                continue;
            }

            std::optional<Kind> kind;
            std::string list;
            if (t.size() == 1) {
                static const std::pair<std::string_view, Kind> kSimple[] = {
                    {"text", Kind::kText},           {"integer", Kind::kInteger},  {"decimal", Kind::kDecimal},
                    {"date", Kind::kDate},           {"time", Kind::kTime},        {"note", Kind::kNote},
                    {"calculate", Kind::kCalculate}, {"acknowledge", Kind::kYesNo}};
                for (const auto& [n, k] : kSimple) {
                    if (head == n) {
                        kind = k;
                    }
                }
            } else if (t.size() == 2 && (head == "select_one" || head == "select_multiple")) {
                kind = head == "select_one" ? Kind::kChoice : Kind::kMultiChoice;
                list = t[1];
            }
            if (!kind) {
                problem(survey, row.row, type_cell->col, "type " + in_quotes(type_cell->value) + " is not supported");
                continue;
            }
            Json field = question(survey, row, *kind, list, stack);
            current().push_back(std::move(field));
        }
        for (const Open& o : stack) {
            problem(survey, o.row, o.col,
                    std::string(o.repeat ? "\"begin repeat\" " : "\"begin group\" ") + in_quotes(o.name) +
                        " is never closed by " + (o.repeat ? "\"end repeat\"" : "\"end group\""));
        }
        if (top.empty() && stack.empty()) {
            m_problems.add(survey.rank(), survey.name(), 0, 0, "the sheet has no questions");
        }
        return top;
    }

    // The row's name, checked: an identifier, not used before in its scope (the record's fields, or one
    // repeat's). Problems are collected; the name is returned as written either way.
    std::string check_name(const Sheet& survey, const Row& row, const std::vector<Open>& stack) {
        const Cell* c = row.get("name");
        if (c == nullptr) {
            problem(survey, row.row, row.get("type")->col, "name is missing");
            return {};
        }
        if (!is_identifier(c->value)) {
            problem(survey, row.row, c->col,
                    "name " + in_quotes(c->value) +
                        " is not a field name (a lower-case letter, then up to 63 lower-case letters, digits or _)");
            return c->value;
        }
        std::string scope;
        for (const Open& o : stack) {
            if (o.repeat) {
                scope = o.name;
            }
        }
        auto& names = m_names[scope];
        const auto [it, fresh] = names.emplace(c->value, cell_ref(row.row, c->col));
        if (!fresh) {
            problem(
                survey, row.row, c->col,
                "name " + in_quotes(c->value) + " is used twice (first at " + survey.name() + "!" + it->second + ")");
        }
        return c->value;
    }

    Json question(const Sheet& survey, const Row& row, Kind kind, const std::string& list,
                  const std::vector<Open>& stack) {
        const bool input = kind != Kind::kNote && kind != Kind::kCalculate;
        const bool select = kind == Kind::kChoice || kind == Kind::kMultiChoice;
        const std::string type_text = row.value("type");
        auto not_here = [&](std::string_view col) {
            if (const Cell* c = row.get(col)) {
                problem(survey, row.row, c->col,
                        std::string(col) + " on a " + in_quotes(type_text) + " question is not supported");
                return true;
            }
            return false;
        };

        Json f;
        f["name"] = check_name(survey, row, stack);
        bool multiline = false;
        if (const Cell* a = row.get("appearance")) {
            if (kind == Kind::kText && lower(a->value) == "multiline") {
                multiline = true;
            } else {
                problem(survey, row.row, a->col,
                        "appearance " + in_quotes(a->value) + " is not supported" +
                            (kind == Kind::kText ? " (only multiline)" : ""));
            }
        }
        f["kind"] = kind_name(kind, multiline);
        Json translations = Json::object();
        const std::string label = text_of(row, "label", "label", translations);
        if (!label.empty()) {
            f["label"] = label;
        } else if (kind != Kind::kCalculate) {
            problem(survey, row.row, row.get("type")->col,
                    "question " + in_quotes(row.value("name")) + " has no label");
        }
        const std::string help = text_of(row, "hint", "help", translations);
        if (!help.empty()) {
            f["help"] = help;
        }
        if (const Cell* r = row.get("required");
            r != nullptr && !not_here_if(!input, survey, row, "required", type_text)) {
            if (is_yes(r->value)) {
                f["required"] = true;
            } else if (!is_no(r->value)) {
                f["required"] = r->value;
            }
        }
        const std::string required_message = text_of(row, "required_message", "required_message", translations);
        if (!required_message.empty() && !not_here_if(!input, survey, row, "required_message", type_text)) {
            f["required_message"] = required_message;
        }
        if (!row.value("relevant").empty()) {
            f["relevant"] = row.value("relevant");
        }
        if (!row.value("constraint").empty() && !not_here_if(!input, survey, row, "constraint", type_text)) {
            f["constraint"] = row.value("constraint");
        }
        const std::string constraint_message = text_of(row, "constraint_message", "constraint_message", translations);
        if (!constraint_message.empty() && !not_here_if(!input, survey, row, "constraint_message", type_text)) {
            f["constraint_message"] = constraint_message;
        }
        if (kind == Kind::kCalculate) {
            if (row.value("calculation").empty()) {
                problem(survey, row.row, row.get("type")->col,
                        "calculate " + in_quotes(row.value("name")) + " has no calculation");
            } else {
                f["calculate"] = row.value("calculation");
            }
        } else {
            not_here("calculation");
        }
        if (const Cell* d = row.get("default");
            d != nullptr && !not_here_if(!input, survey, row, "default", type_text)) {
            if (auto v = default_value(survey, row, *d, kind, list)) {
                f["default"] = std::move(*v);
            }
        }
        if (const Cell* r = row.get("read_only");
            r != nullptr && !not_here_if(!input, survey, row, "read_only", type_text)) {
            if (is_yes(r->value)) {
                f["read_only"] = true;
            } else if (!is_no(r->value)) {
                problem(survey, row.row, r->col,
                        "read_only " + in_quotes(r->value) + " is not supported (only yes or no)");
            }
        }
        if (!select) {
            not_here("choice_filter");
        } else {
            if (!row.value("choice_filter").empty()) {
                f["choice_filter"] = row.value("choice_filter");
            }
            const auto l = m_lists.find(list);
            if (l == m_lists.end()) {
                problem(survey, row.row, row.get("type")->col,
                        "list " + in_quotes(list) + " is not on the choices sheet (list_name)");
            } else {
                f["choices"] = l->second.items;
            }
        }
        if (!translations.empty()) {
            f["translations"] = translations;
        }
        return f;
    }

    bool not_here_if(bool refuse, const Sheet& survey, const Row& row, std::string_view col,
                     const std::string& type_text) {
        if (!refuse) {
            return false;
        }
        int c = row.get("type")->col;
        if (const Cell* cell = row.get(col)) {
            c = cell->col;
        } else {
            for (const auto& [lang, cells] : row.translated) {
                if (const auto it = cells.find(std::string(col)); it != cells.end()) {
                    c = it->second.col;
                    break;
                }
            }
        }
        problem(survey, row.row, c, std::string(col) + " on a " + in_quotes(type_text) + " question is not supported");
        return true;
    }

    std::optional<Json> default_value(const Sheet& survey, const Row& row, const Cell& d, Kind kind,
                                      const std::string& list) {
        auto refuse = [&](const std::string& why) -> std::optional<Json> {
            problem(survey, row.row, d.col, "default " + in_quotes(d.value) + " " + why);
            return std::nullopt;
        };
        const auto l = m_lists.find(list);
        switch (kind) {
            case Kind::kInteger: {
                std::int64_t v = 0;
                const auto [p, ec] = std::from_chars(d.value.data(), d.value.data() + d.value.size(), v);
                if (ec != std::errc() || p != d.value.data() + d.value.size()) {
                    return refuse("is not a whole number");
                }
                return Json(v);
            }
            case Kind::kDecimal: {
                double v = 0;
                const auto [p, ec] = std::from_chars(d.value.data(), d.value.data() + d.value.size(), v);
                if (ec != std::errc() || p != d.value.data() + d.value.size()) {
                    return refuse("is not a number");
                }
                return Json(v);
            }
            case Kind::kDate:
                if (!is_date(d.value)) {
                    return refuse("is not a date written as text YYYY-MM-DD");
                }
                return Json(d.value);
            case Kind::kTime:
                if (!is_time(d.value)) {
                    return refuse("is not a time written as text HH:MM");
                }
                return Json(d.value);
            case Kind::kYesNo:
                if (is_yes(d.value) || lower(d.value) == "ok") {
                    return Json(true);
                }
                if (is_no(d.value)) {
                    return Json(false);
                }
                return refuse("is not yes or no");
            case Kind::kChoice:
                if (l != m_lists.end() && !l->second.has(d.value)) {
                    return refuse("is not a choice of list " + in_quotes(list));
                }
                return Json(d.value);
            case Kind::kMultiChoice: {
                Json arr = Json::array();
                for (const std::string& w : words(d.value)) {
                    if (l != m_lists.end() && !l->second.has(w)) {
                        return refuse("names " + in_quotes(w) + ", which is not a choice of list " + in_quotes(list));
                    }
                    arr.push_back(w);
                }
                return arr;
            }
            case Kind::kText:
            case Kind::kNote:
            case Kind::kCalculate:
                break;
        }
        return Json(d.value);
    }

    const Workbook& m_wb;
    std::string m_fallback_type;
    Problems m_problems;
    std::vector<Language> m_languages;
    std::string m_default_lang;
    const Row* m_settings_row = nullptr;
    Json* m_form = nullptr;
    Json m_form_translations = Json::object();
    std::map<std::string, ChoiceList> m_lists;
    std::map<std::string, std::map<std::string, std::string>> m_names;  // scope ("" or a repeat) -> name -> cell
};

}  // namespace

Result<std::string> xlsform_grid_to_form_json(const Workbook& workbook, std::string_view fallback_type) {
    return Converter(workbook, fallback_type).run();
}

Result<std::string> xlsform_bytes_to_form_json(std::string_view bytes, std::string_view fallback_type,
                                               const XlsxLimits& limits) {
    auto wb = read_xlsx_sheets(bytes, {"survey", "choices", "settings"}, limits);
    OUTPOST_TRY(wb);
    return xlsform_grid_to_form_json(*wb, fallback_type);
}

Result<std::string> xlsform_to_form_json(const std::filesystem::path& xlsx) {
    const std::string shown = path_to_utf8(xlsx);
    const XlsxLimits limits;
    std::error_code ec;
    const auto size = std::filesystem::file_size(xlsx, ec);
    if (ec) {
        return Status::error(errc::kIo, shown + ": cannot be read: " + ec.message());
    }
    if (size > limits.max_file_bytes) {
        return Status::error(errc::kXlsformTooLarge, shown + ": the file is " + std::to_string(size >> 20) +
                                                         " MB; a form workbook may be at most " +
                                                         std::to_string(limits.max_file_bytes >> 20) + " MB");
    }
    std::ifstream in(xlsx, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) {
        return Status::error(errc::kIo, shown + ": cannot be read");
    }
    auto json = xlsform_bytes_to_form_json(bytes, path_to_utf8(xlsx.stem()), limits);
    if (!json.is_ok()) {
        return json.status().with_context(shown);
    }
    return json;
}

}  // namespace outpost::sync
