// outpost-server: the central service. Subcommands: init, serve (more arrive with later issues).
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "outpost/core/error_codes.h"
#include "outpost/core/records/schema.h"
#include "outpost/core/version.h"
#include "outpost/sync/exporter.h"
#include "outpost/sync/provisioning.h"
#include "outpost/sync/server.h"
#include "outpost/sync/server_storage.h"

namespace {

using outpost::Status;

constexpr const char* kUsage = R"(outpost-server: the Outpost central service

Usage:
  outpost-server init  --data DIR
      Create a new data directory with an embedded SQLite database.
  outpost-server serve --data DIR [--listen HOST:PORT] [--tls-cert PEM --tls-key PEM] [--max-blob-mib N]
      Serve the sync API. Default listen address 127.0.0.1:8443. Plain HTTP is allowed on
      loopback only; any other address needs --tls-cert and --tls-key.
  outpost-server team add NAME --data DIR
  outpost-server user add NAME --team TEAM --role worker|lead|admin --data DIR
  outpost-server enroll --user NAME --data DIR [--url URL] [--ca-cert PEM] [--ttl-days N] [--out FILE]
      Make a one-time enrolment code (default: valid 7 days) and a provisioning file for the user:
      the server URL, the server certificate and its SHA-256 fingerprint (pinned by the laptop),
      the code, the user and the team. An https:// URL needs --ca-cert (the serve --tls-cert file).
  outpost-server device revoke DEVICE_ID --data DIR
  outpost-server export --data DIR --team TEAM --what cases|suggestions [--format csv|json] [--out FILE]
      A team's cases or suggestions as they stand, for analysts (CSV by RFC 4180, UTF-8).
  outpost-server export --data DIR --open-data [--format csv|json] [--out FILE]
      Per team and month: cases by form and outcome, suggestions by status, median days to a
      decision, practices adopted. Counts below 5 (and medians of fewer than 5) read "<5".
  outpost-server --version
  outpost-server help

Exit codes: 0 ok, 1 runtime error (message on stderr with its code), 2 usage error.
)";

struct Args {
    std::string command;
    std::vector<std::string> positional;
    std::string team;
    std::string role;
    std::string user;
    std::string url = "http://127.0.0.1:8443";
    int ttl_days = 7;
    std::filesystem::path out;
    std::filesystem::path data;
    std::string host = "127.0.0.1";
    int port = 8443;
    std::string tls_cert;
    std::string tls_key;
    std::string ca_cert;
    std::string what;
    std::string format = "csv";
    bool open_data = false;
    int max_blob_mib = 25;
};

int usage_error(const std::string& message) {
    std::cerr << "outpost-server: " << message << "\n\n" << kUsage;
    return 2;
}

int fail(const Status& s) {
    std::cerr << "outpost-server: error " << s.code() << ": " << s.message() << "\n  "
              << outpost::errc::explain(s.code()) << "\n";
    return 1;
}

bool parse_listen(const std::string& value, Args& args) {
    auto colon = value.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 >= value.size()) {
        return false;
    }
    try {
        std::size_t used = 0;
        int port = std::stoi(value.substr(colon + 1), &used);
        if (used != value.size() - colon - 1 || port < 0 || port > 65535) {
            return false;
        }
        args.port = port;
    } catch (const std::exception&) {
        return false;
    }
    args.host = value.substr(0, colon);
    return true;
}

int cmd_init(const Args& args) {
    if (args.data.empty()) {
        return usage_error("init needs --data DIR");
    }
    Status s = outpost::sync::init_sqlite_data_dir(args.data);
    if (!s.is_ok()) {
        return fail(s);
    }
    std::cout << "Initialised an Outpost server data directory in " << args.data.string() << "\n";
    return 0;
}

int cmd_serve(const Args& args) {
    if (args.data.empty()) {
        return usage_error("serve needs --data DIR");
    }
    auto storage = outpost::sync::open_sqlite_storage(args.data);
    if (!storage.is_ok()) {
        return fail(storage.status());
    }
    // Block termination signals in every thread; the main thread waits for them below.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    outpost::sync::ServerOptions options;
    options.host = args.host;
    options.port = args.port;
    options.tls_cert_path = args.tls_cert;
    options.tls_key_path = args.tls_key;
    options.blob_dir = args.data / "blobs";
    options.max_blob_bytes = args.max_blob_mib * 1024LL * 1024LL;
    auto server = outpost::sync::Server::start(options, **storage);
    if (!server.is_ok()) {
        return fail(server.status());
    }
    std::cout << "outpost-server " << outpost::version() << " listening on " << (*server)->base_url() << std::endl;
    int sig = 0;
    sigwait(&signals, &sig);
    std::cout << "outpost-server: stopping (signal " << sig << ")" << std::endl;
    (*server)->stop();
    return 0;
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

int cmd_export(const Args& args) {
    if (args.data.empty()) {
        return usage_error("export needs --data DIR");
    }
    if (args.format != "csv" && args.format != "json") {
        return usage_error("--format is csv or json");
    }
    if (!args.open_data && (args.team.empty() || (args.what != "cases" && args.what != "suggestions"))) {
        return usage_error("export needs --team TEAM and --what cases|suggestions, or --open-data");
    }
    auto storage = outpost::sync::open_sqlite_storage(args.data);
    if (!storage.is_ok()) {
        return fail(storage.status());
    }
    auto forms = outpost::records::load_schemas(outpost::records::bundled_forms_dir());
    if (!forms.is_ok()) {
        return fail(forms.status());
    }
    std::vector<std::string> teams = {args.team};
    if (args.open_data) {
        auto all = (*storage)->teams();
        if (!all.is_ok()) {
            return fail(all.status());
        }
        teams = std::move(*all);
    }
    std::vector<outpost::sync::ExportRecord> records;
    for (const std::string& team : teams) {
        auto part = outpost::sync::read_team_records(**storage, *forms, team);
        if (!part.is_ok()) {
            return fail(part.status());
        }
        records.insert(records.end(), std::make_move_iterator(part->begin()), std::make_move_iterator(part->end()));
    }
    std::string text;
    if (args.open_data) {
        const auto rows = outpost::sync::open_data(records, *forms);
        text = args.format == "csv" ? outpost::sync::open_data_csv(rows) : outpost::sync::open_data_json(rows);
    } else {
        const auto what =
            args.what == "cases" ? outpost::sync::ExportWhat::kCases : outpost::sync::ExportWhat::kSuggestions;
        text = args.format == "csv" ? outpost::sync::export_csv(records, *forms, what)
                                    : outpost::sync::export_json(records, *forms, what);
    }
    if (args.out.empty()) {
        std::cout << text;
        return std::cout ? 0 : 1;
    }
    std::ofstream out(args.out, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) {
        return fail(Status::error(outpost::errc::kIo, "cannot write " + args.out.string()));
    }
    return 0;
}

int cmd_admin(const Args& args) {
    if (args.data.empty()) {
        return usage_error(args.command + " needs --data DIR");
    }
    auto storage = outpost::sync::open_sqlite_storage(args.data);
    if (!storage.is_ok()) {
        return fail(storage.status());
    }
    outpost::sync::ServerStorage& st = **storage;
    const auto& p = args.positional;
    Status s = Status::ok();
    if (args.command == "team" && p.size() == 2 && p[0] == "add") {
        s = st.add_team(p[1], now_ms());
        if (s.is_ok()) {
            std::cout << "Added team " << p[1] << "\n";
        }
    } else if (args.command == "user" && p.size() == 2 && p[0] == "add") {
        s = st.add_user(p[1], args.team, args.role, now_ms());
        if (s.is_ok()) {
            std::cout << "Added " << args.role << " " << p[1] << " to team " << args.team << "\n";
        }
    } else if (args.command == "device" && p.size() == 2 && p[0] == "revoke") {
        s = st.revoke_device(p[1], now_ms());
        if (s.is_ok()) {
            std::cout << "Revoked device " << p[1] << ": it is refused from now on\n";
        }
    } else if (args.command == "enroll" && p.empty() && !args.user.empty()) {
        const std::int64_t ttl = static_cast<std::int64_t>(args.ttl_days) * 86'400'000;
        outpost::sync::Provisioning prov;
        prov.server_url = args.url;
        prov.user = args.user;
        if (!args.ca_cert.empty()) {
            std::ifstream pem(args.ca_cert, std::ios::binary);
            std::stringstream text;
            text << pem.rdbuf();
            auto fp = outpost::sync::certificate_sha256(text.str());
            if (!pem || !fp.is_ok()) {
                return fail(Status::error(outpost::errc::kServerConfigInvalid,
                                          "cannot read a PEM certificate from " + args.ca_cert));
            }
            prov.ca_pem = text.str();
            prov.ca_sha256 = *fp;
        } else if (args.url.rfind("https://", 0) == 0) {
            return usage_error("an https:// URL needs --ca-cert PEM, the certificate the laptops will pin");
        }
        auto team = st.user_team(args.user);
        if (!team.is_ok()) {
            return fail(team.status());
        }
        prov.team = *team;
        const std::int64_t issued_ms = now_ms();  // the file's expiry is the stored one
        auto code = st.create_enrolment_code(args.user, ttl, issued_ms);
        if (!code.is_ok()) {
            return fail(code.status());
        }
        prov.code = *code;
        prov.expires_ms = issued_ms + ttl;
        // The provisioning file: what a laptop needs to enrol. The code is single-use and expires.
        const std::filesystem::path out = args.out.empty() ? std::filesystem::path(args.user + ".outpost") : args.out;
        std::ofstream f(out, std::ios::trunc);
        f << outpost::sync::encode(prov);
        if (!f) {
            return fail(Status::error(outpost::errc::kIo, "cannot write " + out.string()));
        }
        std::error_code ec;
        std::filesystem::permissions(out, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                                     std::filesystem::perm_options::replace, ec);
        std::cout << "Enrolment code for " << args.user << ": " << *code << " (valid " << args.ttl_days
                  << " days, single use)\nProvisioning file: " << out.string() << "\n";
    } else {
        return usage_error("unknown or incomplete " + args.command + " command");
    }
    return s.is_ok() ? 0 : fail(s);
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<std::string> argv_s(argv + 1, argv + argc);
    if (argv_s.empty() || argv_s[0] == "help" || argv_s[0] == "--help" || argv_s[0] == "-h") {
        std::cout << kUsage;
        return argv_s.empty() ? 2 : 0;
    }
    if (argv_s[0] == "--version") {
        std::cout << "outpost-server " << outpost::version() << " (" << outpost::git_hash() << ")\n";
        return 0;
    }
    Args args;
    args.command = argv_s[0];
    for (std::size_t i = 1; i < argv_s.size(); ++i) {
        const std::string& a = argv_s[i];
        auto next = [&](std::string& out) {
            if (i + 1 >= argv_s.size()) {
                return false;
            }
            out = argv_s[++i];
            return true;
        };
        std::string v;
        if (a == "--data" && next(v)) {
            args.data = v;
        } else if (a == "--listen" && next(v)) {
            if (!parse_listen(v, args)) {
                return usage_error("--listen wants HOST:PORT, got '" + v + "'");
            }
        } else if (a == "--tls-cert" && next(v)) {
            args.tls_cert = v;
        } else if (a == "--ca-cert" && next(v)) {
            args.ca_cert = v;
        } else if (a == "--tls-key" && next(v)) {
            args.tls_key = v;
        } else if (a == "--team" && next(v)) {
            args.team = v;
        } else if (a == "--role" && next(v)) {
            args.role = v;
        } else if (a == "--user" && next(v)) {
            args.user = v;
        } else if (a == "--url" && next(v)) {
            args.url = v;
        } else if (a == "--out" && next(v)) {
            args.out = v;
        } else if (a == "--what" && next(v)) {
            args.what = v;
        } else if (a == "--format" && next(v)) {
            args.format = v;
        } else if (a == "--max-blob-mib" && next(v)) {
            if (v.empty() || v.size() > 4 || v.find_first_not_of("0123456789") != std::string::npos ||
                std::stoi(v) < 1 || std::stoi(v) > 1024) {
                return usage_error("--max-blob-mib wants a number of MiB from 1 to 1024");
            }
            args.max_blob_mib = std::stoi(v);
        } else if (a == "--open-data") {
            args.open_data = true;
        } else if (a == "--ttl-days" && next(v)) {
            if (v.empty() || v.size() > 3 || v.find_first_not_of("0123456789") != std::string::npos ||
                std::stoi(v) < 1) {
                return usage_error("--ttl-days wants a number of days from 1 to 999");
            }
            args.ttl_days = std::stoi(v);
        } else if (a.rfind("--", 0) != 0) {
            args.positional.push_back(a);
        } else {
            return usage_error("unknown or incomplete option '" + a + "'");
        }
    }
    if (args.command == "init") {
        return cmd_init(args);
    }
    if (args.command == "serve") {
        return cmd_serve(args);
    }
    if (args.command == "team" || args.command == "user" || args.command == "enroll" || args.command == "device") {
        return cmd_admin(args);
    }
    if (args.command == "export") {
        return cmd_export(args);
    }
    return usage_error("unknown command '" + args.command + "'");
}
