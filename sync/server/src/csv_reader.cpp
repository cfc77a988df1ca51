#include "csv_reader.h"

#include <algorithm>
#include <set>

#include "account_rules.h"
#include "outpost/core/error_codes.h"

namespace outpost::sync {
namespace {

Status bad(const std::string& name, int line, const std::string& why) {
    return Status::error(errc::kServerListInvalid, name + " line " + std::to_string(line) + ": " + why);
}

std::string lower(std::string s) {
    for (char& c : s) {
        c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    }
    return s;
}

std::string trim(std::string s) {
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string::npos) {
        return "";
    }
    return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

// The delimiter: whichever of ',', ';' and tab the header line (outside quotes) holds most.
char delimiter_of(std::string_view text) {
    int counts[3] = {0, 0, 0};
    bool quoted = false;
    for (char c : text) {
        if (c == '"') {
            quoted = !quoted;
        } else if (!quoted && (c == '\n' || c == '\r')) {
            break;
        } else if (!quoted) {
            counts[0] += c == ',' ? 1 : 0;
            counts[1] += c == ';' ? 1 : 0;
            counts[2] += c == '\t' ? 1 : 0;
        }
    }
    if (counts[1] > counts[0] && counts[1] >= counts[2]) {
        return ';';
    }
    return counts[2] > counts[0] ? '\t' : ',';
}

}  // namespace

Result<std::vector<CsvRow>> read_csv(std::string_view text, const std::string& name) {
    if (text.rfind("\xEF\xBB\xBF", 0) == 0) {
        text.remove_prefix(3);
    }
    const char sep = delimiter_of(text);
    std::vector<CsvRow> rows;
    CsvRow row{1, {}};
    std::string cell;
    int line = 1;
    bool quoted = false;
    int quote_line = 0;
    bool cell_was_quoted = false;
    auto end_cell = [&] {
        row.cells.push_back(cell_was_quoted ? cell : trim(cell));
        cell.clear();
        cell_was_quoted = false;
    };
    auto end_row = [&] {
        end_cell();
        const bool blank =
            std::all_of(row.cells.begin(), row.cells.end(), [](const std::string& c) { return c.empty(); });
        if (!blank) {
            rows.push_back(std::move(row));
        }
        row = CsvRow{line, {}};
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted) {
            if (c == '"') {
                if (i + 1 < text.size() && text[i + 1] == '"') {
                    cell.push_back('"');
                    ++i;
                } else {
                    quoted = false;
                }
            } else {
                line += c == '\n' ? 1 : 0;
                cell.push_back(c);
            }
        } else if (c == '"' && trim(cell).empty()) {
            quoted = true;
            cell_was_quoted = true;
            quote_line = line;
            cell.clear();
        } else if (c == sep) {
            end_cell();
        } else if (c == '\r' || c == '\n') {
            if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
                ++i;
            }
            ++line;
            end_row();
        } else {
            cell.push_back(c);
        }
    }
    if (quoted) {
        return bad(name, quote_line, "a quote opened here is never closed");
    }
    end_row();
    return rows;
}

Result<std::vector<UserRow>> read_users(std::string_view text, const std::string& name) {
    Result<std::vector<CsvRow>> rows = read_csv(text, name);
    OUTPOST_TRY(rows);
    if (rows->empty()) {
        return Status::error(errc::kServerListInvalid,
                             name + " is empty: it needs a header row (user,role) and people");
    }
    const CsvRow& header = rows->front();
    int user_col = -1;
    int role_col = -1;
    for (std::size_t i = 0; i < header.cells.size(); ++i) {
        const std::string h = lower(header.cells[i]);
        user_col = h == "user" || h == "username" || h == "user name" ? static_cast<int>(i) : user_col;
        role_col = h == "role" ? static_cast<int>(i) : role_col;
    }
    if (user_col < 0) {
        return bad(name, header.line, "the first row must name the columns, for example: user,role");
    }
    std::vector<UserRow> out;
    std::set<std::string> seen;
    for (std::size_t r = 1; r < rows->size(); ++r) {
        const CsvRow& row = (*rows)[r];
        auto cell = [&](int col) {
            return col >= 0 && static_cast<std::size_t>(col) < row.cells.size()
                       ? row.cells[static_cast<std::size_t>(col)]
                       : std::string();
        };
        UserRow u{row.line, cell(user_col), lower(cell(role_col))};
        if (u.role.empty()) {
            u.role = kRoleWorker;
        }
        if (u.user.empty()) {
            return bad(name, row.line,
                       "no user name in the '" + header.cells[static_cast<std::size_t>(user_col)] + "' column");
        }
        if (!accounts::valid_name(u.user)) {
            return bad(name, row.line,
                       "'" + u.user.substr(0, 64) +
                           "' is not a user name the server takes: use a-z, 0-9, '_', '-' and '.', up to 64, "
                           "starting with a letter or digit");
        }
        if (u.role != kRoleWorker && u.role != kRoleLead) {
            return bad(name, row.line, "the role must be worker or lead, not '" + u.role.substr(0, 32) + "'");
        }
        if (!seen.insert(u.user).second) {
            return bad(name, row.line, "'" + u.user + "' is listed twice");
        }
        out.push_back(std::move(u));
    }
    if (out.empty()) {
        return Status::error(errc::kServerListInvalid, name + " lists no users");
    }
    return out;
}

}  // namespace outpost::sync
