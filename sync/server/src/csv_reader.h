// CSV as spreadsheets write it, for the lists IT hands to `outpost-server provision`: RFC 4180 quoting
// (a quoted cell may hold the delimiter, doubled quotes and line breaks), a comma, semicolon (European
// Excel) or tab between cells, found from the header row, a UTF-8 byte-order mark, CRLF or LF, and rows
// with nothing in them (a spreadsheet's trailing ",,,") skipped.
//
// Threads: pure functions. Failure: server.list.invalid naming the line and what is wrong.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "outpost/core/status.h"

namespace outpost::sync {

struct CsvRow {
    int line = 0;  // where the row starts in the file (1-based), for messages
    std::vector<std::string> cells;
};

// Every row, the header row first. An unterminated quote is refused, naming the line it opened on.
[[nodiscard]] Result<std::vector<CsvRow>> read_csv(std::string_view text, const std::string& name);

struct UserRow {
    int line = 0;
    std::string user;
    std::string role;  // worker (when the column is missing or blank) or lead
};

// The `user,role` list: a header naming the columns (in any case, in any order; role optional), then
// one person a row. Every row is checked before any is returned: a name the server takes (its name
// rule), a known role, nobody twice. `name` (the file's) heads each message.
[[nodiscard]] Result<std::vector<UserRow>> read_users(std::string_view text, const std::string& name);

}  // namespace outpost::sync
