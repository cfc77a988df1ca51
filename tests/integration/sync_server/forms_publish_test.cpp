// Publishing forms through the real binaries: `outpost-server forms check|publish|list|retire` run as
// an administrator would, beside running `outpost-server serve` processes, which notice each publish
// without a restart (GET /v1/schemas over HTTP on 127.0.0.1 serves it with a new ETag). On SQLite one
// server and the commands share the data directory; run as pg/sync_server/forms_publish, two server
// processes share a PostgreSQL schema and both serve what one command published.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <httplib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "outpost/sync/messages.h"
#include "server_process.h"
#include "sync_harness.h"

using namespace outpost;
using namespace outpost::testing;

namespace {

struct Ran {
    int exit_code = -1;
    std::string output;  // standard output and error together
};

// Runs `outpost-server ARGS...` to the end.
Ran run_server_command(const std::vector<std::string>& args, const std::filesystem::path& out_file) {
    std::vector<std::string> argv = {OUTPOST_SERVER_BIN};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<char*> raw;
    for (std::string& a : argv) {
        raw.push_back(a.data());
    }
    raw.push_back(nullptr);
    const pid_t pid = fork();
    if (pid == 0) {
        const int fd = open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        execv(raw[0], raw.data());
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    std::ifstream in(out_file);
    std::stringstream text;
    text << in.rdbuf();
    return Ran{WIFEXITED(status) ? WEXITSTATUS(status) : -1, text.str()};
}

std::string read_text(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

void write_text(const std::filesystem::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::binary);
    out << text;
}

using Json = nlohmann::ordered_json;

Json packaged_home_visit() {
    return Json::parse(read_text(records::bundled_forms_dir() / "home_visit.json"));
}

struct Schemas {
    int status = 0;
    std::string etag;
    Json forms;  // by type
};

Schemas get_schemas(const ServerProcess& server, const std::string& token, const std::string& if_none_match = "") {
    httplib::Client http(server.url);
    httplib::Headers h{{"Authorization", "Bearer " + token}};
    if (!if_none_match.empty()) {
        h.emplace("If-None-Match", if_none_match);
    }
    auto r = http.Get("/v1/schemas", h);
    REQUIRE(r);
    Schemas out{r->status, r->get_header_value("ETag"), Json::object()};
    if (r->status == 200) {
        const Json body = Json::parse(r->body);
        for (const Json& form : body["schemas"]) {
            out.forms[form["type"].get<std::string>()] = form;
        }
    }
    return out;
}

// GET /v1/schemas until its ETag is no longer `old` (a running server checks the library about once
// a second); at most 15 s.
Schemas schemas_after(const ServerProcess& server, const std::string& token, const std::string& old) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    for (;;) {
        Schemas s = get_schemas(server, token);
        if (s.etag != old || std::chrono::steady_clock::now() > deadline) {
            return s;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
}

// The line of `forms list` output for `type`, split at tabs.
std::vector<std::string> list_line(const std::string& listing, const std::string& type) {
    std::istringstream lines(listing);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.rfind(type + "\t", 0) == 0) {
            std::vector<std::string> cells;
            std::istringstream in(line);
            std::string cell;
            while (std::getline(in, cell, '\t')) {
                cells.push_back(cell);
            }
            return cells;
        }
    }
    return {};
}

}  // namespace

TEST_CASE("Forms: published through the CLI, served by the running servers with a new ETag, without a restart") {
    TempDir tmp;
    std::string conninfo;  // PostgreSQL only
    auto storage = make_test_storage(tmp / "data", &conninfo);
    REQUIRE(storage->add_team("a", 1).is_ok());
    REQUIRE(storage->add_user("ann", "a", "worker", 1).is_ok());
    const bool pg = !conninfo.empty();
    // The same global options as every other administration command.
    const std::vector<std::string> where = pg ? std::vector<std::string>{"--db", conninfo, "--db-pool", "2"}
                                              : std::vector<std::string>{"--data", (tmp / "data").string()};
    auto cli = [&](std::vector<std::string> args) {
        args.insert(args.end(), where.begin(), where.end());
        return run_server_command(args, tmp / "cli.out");
    };
    std::vector<std::string> serve_args = where;
    if (pg) {
        serve_args.insert(serve_args.end(), {"--data", (tmp / "shared").string()});
    }
    ServerProcess one(OUTPOST_SERVER_BIN, serve_args, tmp / "one.log");
    REQUIRE_MESSAGE(one.ok(), one.error);
    std::unique_ptr<ServerProcess> two;  // PostgreSQL: a second process on the same database
    if (pg) {
        two = std::make_unique<ServerProcess>(OUTPOST_SERVER_BIN, serve_args, tmp / "two.log");
        REQUIRE_MESSAGE(two->ok(), two->error);
    }

    // A laptop's token (it authenticates on either process).
    auto code = storage->create_enrolment_code("ann", 86'400'000, SystemClock::instance().now_ms());
    REQUIRE(code.is_ok());
    httplib::Client http(one.url);
    auto enrolled = http.Post("/v1/enroll", sync::encode(sync::EnrollRequest{*code, "laptop"}), "application/json");
    REQUIRE(enrolled);
    REQUIRE(enrolled->status == 200);
    auto e = sync::decode_enroll_response(enrolled->body);
    REQUIRE(e.is_ok());
    const std::string token = e->token;

    const Schemas first = get_schemas(one, token);
    REQUIRE(first.status == 200);
    REQUIRE(first.forms.contains("home_visit"));
    CHECK(first.forms["home_visit"]["version"] == 2);
    CHECK(first.etag.size() > 2);
    if (pg) {
        CHECK(get_schemas(*two, token).etag == first.etag);
    }

    Ran listed = cli({"forms", "list"});
    REQUIRE_MESSAGE(listed.exit_code == 0, listed.output);
    CHECK(list_line(listed.output, "home_visit") ==
          std::vector<std::string>{"home_visit", "Home visit", "2", "1", "active",
                                   list_line(listed.output, "home_visit").at(5)});

    // A compatible change: a field added, one relabelled.
    Json changed = packaged_home_visit();
    for (Json& f : changed["fields"]) {
        if (f["name"] == "household") {
            f["label"] = "Household or person seen";
        }
    }
    changed["fields"].push_back({{"name", "visit_minutes"}, {"kind", "integer"}, {"label", "Length (minutes)"}});
    write_text(tmp / "home_visit.json", changed.dump(2));
    Ran checked = cli({"forms", "check", (tmp / "home_visit.json").string()});
    CHECK_MESSAGE(checked.exit_code == 0, checked.output);
    CHECK(checked.output == "ok: home_visit Home visit\n");
    Ran published = cli({"forms", "publish", (tmp / "home_visit.json").string()});
    REQUIRE_MESSAGE(published.exit_code == 0, published.output);
    CHECK(published.output.find("home_visit version 3") != std::string::npos);

    listed = cli({"forms", "list"});
    REQUIRE_MESSAGE(listed.exit_code == 0, listed.output);
    const std::vector<std::string> row = list_line(listed.output, "home_visit");
    REQUIRE(row.size() == 6);
    CHECK(row[2] == "3");
    CHECK(row[3] == "2");
    CHECK(row[4] == "active");

    for (const ServerProcess* server : {&one, two.get()}) {
        if (server == nullptr) {
            continue;
        }
        const Schemas now = schemas_after(*server, token, first.etag);
        REQUIRE(now.status == 200);
        CHECK(now.etag != first.etag);
        CHECK(now.forms["home_visit"]["version"] == 3);
        bool added = false;
        for (const Json& f : now.forms["home_visit"]["fields"]) {
            added = added || f["name"] == "visit_minutes";
            if (f["name"] == "household") {
                CHECK(f["label"] == "Household or person seen");
            }
        }
        CHECK(added);
        CHECK(now.forms["inspection"] == first.forms["inspection"]);  // the others as they were
        CHECK(get_schemas(*server, token, now.etag).status == 304);
    }

    // A malformed form, and an incompatible one: refused with their codes, nothing published.
    write_text(tmp / "broken.json", R"({"type": "home_visit", "version": 1, "title": "Home visit", "fields": [)");
    Ran broken = cli({"forms", "check", (tmp / "broken.json").string()});
    CHECK(broken.exit_code == 1);
    CHECK_MESSAGE(broken.output.find("record.schema.invalid") != std::string::npos, broken.output);
    write_text(tmp / "bad_kind.json",
               R"({"type": "x", "version": 1, "title": "X", "fields": [{"name": "a", "kind": "nope"}]})");
    broken = cli({"forms", "publish", (tmp / "bad_kind.json").string()});
    CHECK(broken.exit_code == 1);
    CHECK_MESSAGE(broken.output.find("record.schema.invalid") != std::string::npos, broken.output);
    Json incompatible = changed;
    Json kept = Json::array();
    for (const Json& f : incompatible["fields"]) {
        if (f["name"] != "visit_minutes") {
            kept.push_back(f);
        }
    }
    incompatible["fields"] = kept;
    write_text(tmp / "incompatible.json", incompatible.dump(2));
    for (const char* verb : {"check", "publish"}) {
        Ran refused = cli({"forms", verb, (tmp / "incompatible.json").string()});
        CHECK(refused.exit_code == 1);
        CHECK_MESSAGE(refused.output.find("form.publish.incompatible") != std::string::npos, refused.output);
        CHECK(refused.output.find("'visit_minutes' was removed") != std::string::npos);
    }
    listed = cli({"forms", "list"});
    CHECK(list_line(listed.output, "home_visit").at(2) == "3");
    CHECK(list_line(listed.output, "x").empty());

    // Retire: served with "retired": true; an unknown form is refused.
    const Schemas before_retire = get_schemas(one, token);
    Ran retired = cli({"forms", "retire", "inspection"});
    REQUIRE_MESSAGE(retired.exit_code == 0, retired.output);
    CHECK(retired.output.find("Retired inspection (version 3)") != std::string::npos);
    listed = cli({"forms", "list"});
    CHECK(list_line(listed.output, "inspection").at(4) == "retired");
    const Schemas after_retire = schemas_after(one, token, before_retire.etag);
    CHECK(after_retire.etag != before_retire.etag);
    CHECK(after_retire.forms["inspection"].value("retired", false));
    CHECK(after_retire.forms["inspection"]["version"] == 3);
    Ran again = cli({"forms", "retire", "inspection"});
    CHECK(again.exit_code == 0);
    CHECK(again.output.find("already retired") != std::string::npos);
    Ran unknown = cli({"forms", "retire", "no_such_form"});
    CHECK(unknown.exit_code == 1);
    CHECK_MESSAGE(unknown.output.find("form.lookup.not_found") != std::string::npos, unknown.output);
    Ran usage = cli({"forms", "publish"});
    CHECK(usage.exit_code == 2);
}
