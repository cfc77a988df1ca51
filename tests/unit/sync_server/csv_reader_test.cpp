// The provisioning list as spreadsheets write it (csv_reader.h): RFC 4180 quoting, the delimiters
// European Excel uses, and every line checked before anything is returned.
#include "csv_reader.h"

#include <doctest/doctest.h>

#include <string>

#include "outpost/core/error_codes.h"

using namespace outpost;
using namespace outpost::sync;

TEST_CASE("CSV: regression F13 - a quoted line break split one person into two; now it stays in its cell") {
    auto rows = read_csv("user,role\r\n\"ann\nokafor\",worker\r\nlee,lead\r\n", "people.csv");
    REQUIRE(rows.is_ok());
    REQUIRE(rows->size() == 3);
    CHECK((*rows)[1].cells == std::vector<std::string>{"ann\nokafor", "worker"});
    CHECK((*rows)[1].line == 2);
    CHECK((*rows)[2].line == 4);  // lee starts on the file's fourth line
    // Doubled quotes, the delimiter inside quotes, a byte-order mark, semicolons and tabs.
    auto semi = read_csv("\xEF\xBB\xBFuser;role\n\"o\"\"brien\";\"lead;x\"\n", "s.csv");
    REQUIRE(semi.is_ok());
    CHECK((*semi)[0].cells == std::vector<std::string>{"user", "role"});
    CHECK((*semi)[1].cells == std::vector<std::string>{"o\"brien", "lead;x"});
    auto tabs = read_csv("user\trole\nann\tworker\n", "t.csv");
    REQUIRE(tabs.is_ok());
    CHECK((*tabs)[1].cells == std::vector<std::string>{"ann", "worker"});
    // An unterminated quote names the line it opened on.
    auto open = read_csv("user,role\nann,worker\n\"lee,lead\nbob,worker\n", "p.csv");
    REQUIRE_FALSE(open.is_ok());
    CHECK(open.status().code() == errc::kServerListInvalid);
    CHECK(open.status().message().find("p.csv") != std::string::npos);
    CHECK(open.status().message().find("line 3") != std::string::npos);
}

TEST_CASE("CSV: regression F9/F11 - a bad row was found after 5,000 were added; now every row first, by line") {
    std::string text = "User,Role\n";
    for (int i = 0; i < 5000; ++i) {
        text += "worker" + std::to_string(i) + ",worker\n";
    }
    auto good = read_users(text, "people.csv");
    REQUIRE(good.is_ok());
    CHECK(good->size() == 5000);
    CHECK(good->back().user == "worker4999");
    CHECK(good->back().line == 5001);
    struct Bad {
        std::string row;
        std::string says;
    };
    for (const Bad& b :
         {Bad{"bad user!,worker", "bad user!"}, Bad{".,worker", "line 5002"}, Bad{"..,worker", "line 5002"},
          Bad{"-rf,worker", "line 5002"}, Bad{"worker7,worker", "twice"}, Bad{"amy,boss", "boss"}}) {
        CAPTURE(b.row);
        auto r = read_users(text + b.row + "\n", "people.csv");
        REQUIRE_FALSE(r.is_ok());
        CHECK(r.status().code() == errc::kServerListInvalid);
        CHECK(r.status().message().find("line 5002") != std::string::npos);
        CHECK(r.status().message().find(b.says) != std::string::npos);
    }
    // The role column is optional; blank rows (a spreadsheet's ",,") are skipped.
    auto plain = read_users("user\nann\n,\n\nlee\n", "p.csv");
    REQUIRE(plain.is_ok());
    REQUIRE(plain->size() == 2);
    CHECK((*plain)[0].role == "worker");
    CHECK((*plain)[1].user == "lee");
}
