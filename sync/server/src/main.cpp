// outpost-server: the central service and its administration commands (see kUsage and outpost-server(8)).
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "csv_reader.h"
#include "outpost/core/clock.h"
#include "outpost/core/error_codes.h"
#include "outpost/core/records/schema.h"
#include "outpost/core/time_format.h"
#include "outpost/core/version.h"
#include "outpost/platform/process.h"
#include "outpost/sync/backup.h"
#include "outpost/sync/exporter.h"
#include "outpost/sync/provisioning.h"
#include "outpost/sync/server.h"
#include "outpost/sync/server_config.h"
#include "outpost/sync/server_storage.h"

namespace {

using outpost::Result;
using outpost::Status;

constexpr const char* kUsage = R"(outpost-server: the Outpost central service

Usage:
  outpost-server init  --data DIR | --db URL
      Create a new data directory with an embedded SQLite database, or the schema in an empty
      PostgreSQL database (URL: postgresql://user@host/db, or libpq's key=value form).
  outpost-server serve [--data DIR] [--listen HOST:PORT] [--tls-cert PEM --tls-key PEM] [--max-blob-mib N]
      Serve the sync API. Default listen address 127.0.0.1:8443. Plain HTTP is allowed on
      loopback only; any other address needs --tls-cert and --tls-key.
  outpost-server team add NAME
  outpost-server user add NAME --team TEAM --role worker|lead|admin
  outpost-server provision --team TEAM --users FILE.csv --out DIR [--ttl-days N] [--url URL] [--ca-cert PEM]
      One provisioning file per user in FILE.csv (header "user,role"; role worker or lead,
      default worker): DIR/<user>.outpost (mode 0600) with the server URL, the pinned certificate
      fingerprint, a one-time code and its expiry (default 7 days). Adds users missing from TEAM.
      DIR/summary.csv lists them for IT, without the codes. Delete the files once enrolled.
  outpost-server enroll --user NAME [--url URL] [--ca-cert PEM] [--ttl-days N] [--out FILE]
      The same for one user (default file NAME.outpost).
  outpost-server device list [--user NAME]
  outpost-server device revoke DEVICE_ID
      A lost or stolen laptop: its token is refused from now on.
  outpost-server backup --out BACKUP_DIR
      A consistent copy (SQLite online backup API) of the database and the attachment files,
      taken while the service runs.
  outpost-server restore --from BACKUP_DIR
      Put a backup back, also while the service runs. The current database is kept aside as
      server.db.before-restore-<time>.
  outpost-server restore --db URL --from DUMP
      Put a pg_dump --format=custom file back into PostgreSQL (all or nothing), with the change
      sequence moved past every number handed out. Stop every serve process first.
  outpost-server export --team TEAM --what cases|suggestions [--format csv|json] [--out FILE]
      A team's cases or suggestions as they stand, for analysts (CSV by RFC 4180, UTF-8), with
      the questions' codes as columns and the answers as stored.
  outpost-server export --team TEAM --what cases|suggestions --out-dir DIR
      The same for people: DIR/<form>.csv per form (labels, choices as the worker saw them, a
      byte-order mark for Excel) and DIR/dictionary.csv (what each column is, with its code).
  outpost-server export --open-data [--format csv|json] [--out FILE]
      Per team and month: cases by form and outcome, suggestions by status, median days to a
      decision, practices adopted. Counts below 5 (and medians of fewer than 5) read "<5".
  outpost-server --version
  outpost-server help

Every command but init takes --config FILE (default /etc/outpost/server.json when it exists)
and --data DIR (default: the config's "data", /var/lib/outpost: the database and attachments).
With --db URL [--db-pool N] the records live in PostgreSQL instead (several serve processes may
share it; --data then holds only attachments, on a volume they share). Options on the command
line win over the file. See outpost-server(8) and docs/OPERATIONS.md.

Exit codes: 0 ok, 1 runtime error (message on stderr with its code), 2 usage error.
)";

struct Args {
    std::string command;
    std::vector<std::string> positional;
    std::string team;
    std::string role;
    std::string user;
    std::optional<std::string> url;  // default: the config's public_url, else http://HOST:PORT
    int ttl_days = 7;
    std::filesystem::path out;
    std::filesystem::path out_dir;  // export: one file per form and a data dictionary
    std::filesystem::path from;
    std::filesystem::path users;
    std::optional<std::filesystem::path> data;
    std::optional<std::filesystem::path> config;
    std::optional<std::string> listen;
    std::optional<std::string> tls_cert;
    std::optional<std::string> tls_key;
    std::string ca_cert;
    std::string what;
    std::string format = "csv";
    bool open_data = false;
    std::optional<int> max_blob_mib;
    std::optional<std::string> db;
    std::optional<int> db_pool;
    outpost::sync::ServerConfig effective;  // the config file (or defaults) with the options above applied
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

// Reads the config file (--config, else /etc/outpost/server.json when it exists and --data is not
// given) and applies the command-line options over it. server.config.invalid on a bad file.
Status resolve_config(Args& args) {
    std::optional<std::filesystem::path> file = args.config;
    std::error_code ec;
    if (!file && !args.data && std::filesystem::exists(outpost::sync::kDefaultServerConfigPath, ec)) {
        file = outpost::sync::kDefaultServerConfigPath;
    }
    if (file) {
        auto c = outpost::sync::load_server_config(*file);
        OUTPOST_TRY(c);
        args.effective = *c;
    } else {
        args.effective.data.clear();  // no file and no --data: commands that need data say so
    }
    if (args.data) {
        args.effective.data = *args.data;
    }
    if (args.listen && !outpost::sync::parse_listen_address(*args.listen, args.effective.host, args.effective.port)) {
        return Status::error(outpost::errc::kServerConfigInvalid,
                             "--listen wants HOST:PORT, got '" + *args.listen + "'");
    }
    if (args.tls_cert) {
        args.effective.tls_cert = *args.tls_cert;
    }
    if (args.tls_key) {
        args.effective.tls_key = *args.tls_key;
    }
    if (args.max_blob_mib) {
        args.effective.max_blob_mib = *args.max_blob_mib;
    }
    if (args.db) {
        args.effective.db = *args.db;
    }
    if (args.effective.data.empty() && !args.effective.db.empty()) {
        // With PostgreSQL the folder holds only the attachments: the documented default will do.
        args.effective.data = outpost::sync::kDefaultServerDataDir;
    }
    if (args.db_pool) {
        args.effective.db_pool = *args.db_pool;
    }
    if (args.url) {
        args.effective.public_url = *args.url;
    }
    if (args.effective.public_url.empty()) {
        args.effective.public_url = std::string(args.effective.tls_cert.empty() ? "http://" : "https://") +
                                    args.effective.host + ":" + std::to_string(args.effective.port);
    }
    if (args.ca_cert.empty() && args.effective.public_url.rfind("https://", 0) == 0) {
        args.ca_cert = args.effective.tls_cert;  // the certificate the service presents is the one to pin
    }
    return Status::ok();
}

int cmd_init(const Args& args) {
    if (args.db) {
        Status s = outpost::sync::init_pg_database(*args.db);
        if (!s.is_ok()) {
            return fail(s);
        }
        std::cout << "Initialised an Outpost server schema in the PostgreSQL database\n";
        return 0;
    }
    if (!args.data) {
        return usage_error("init needs --data DIR (embedded SQLite) or --db URL (PostgreSQL)");
    }
    Status s = outpost::sync::init_sqlite_data_dir(*args.data);
    if (!s.is_ok()) {
        return fail(s);
    }
    std::cout << "Initialised an Outpost server data directory in " << args.data->string() << "\n";
    return 0;
}

// The data directory every command but init works on; empty (after a usage error) when unknown.
Result<std::unique_ptr<outpost::sync::ServerStorage>> open_storage(const Args& args) {
    if (!args.effective.db.empty()) {
        return outpost::sync::open_pg_storage(args.effective.db, args.effective.db_pool);
    }
    if (args.effective.data.empty()) {
        return Status::error(
            outpost::errc::kServerDataDirInvalid,
            args.command + " needs --data DIR or --config FILE (or " + outpost::sync::kDefaultServerConfigPath + ")");
    }
    return outpost::sync::open_sqlite_storage(args.effective.data);
}

int cmd_serve(const Args& args) {
    // One server per data directory: a second would interleave writes with the first's caches, and
    // restore must know the service is stopped.
    if (args.effective.data.empty()) {
        return usage_error("serve needs --data DIR or --config FILE");
    }
    // With PostgreSQL, several processes share the database (and the attachments folder) by design.
    Result<std::unique_ptr<outpost::sync::DataDirLock>> lock = std::unique_ptr<outpost::sync::DataDirLock>();
    if (args.effective.db.empty()) {
        lock = outpost::sync::DataDirLock::acquire(args.effective.data);
    } else {
        std::error_code ec;
        std::filesystem::create_directories(args.effective.data / "blobs", ec);
    }
    if (!lock.is_ok()) {
        return fail(lock.status());
    }
    auto storage = open_storage(args);
    if (!storage.is_ok()) {
        return fail(storage.status());
    }
    // Block termination signals in every thread; the main thread waits for them below.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    const auto& c = args.effective;
    outpost::sync::ServerOptions options;
    options.host = c.host;
    options.port = c.port;
    options.tls_cert_path = c.tls_cert;
    options.tls_key_path = c.tls_key;
    options.blob_dir = c.data / "blobs";
    options.max_blob_bytes = c.max_blob_mib * 1024LL * 1024LL;
    options.header_timeout_ms = c.header_timeout_seconds * 1000;
    options.max_connections_per_ip = c.max_connections_per_ip;
    options.device_requests_per_second = c.device_requests_per_second;
    options.device_request_burst = c.device_request_burst;
    options.auth_failures_per_second = c.auth_failures_per_second;
    options.auth_failure_burst = c.auth_failure_burst;
    options.max_head_bytes = static_cast<std::uint64_t>(c.max_head_kib) * 1024;
    options.max_headers = static_cast<std::size_t>(c.max_headers);
    auto server = outpost::sync::Server::start(options, **storage);
    if (!server.is_ok()) {
        return fail(server.status());
    }
    std::cout << "outpost-server " << outpost::version() << " (" << outpost::git_hash() << ") listening on "
              << (*server)->base_url() << ", data in " << c.data.string() << std::endl;
    int sig = 0;
    sigwait(&signals, &sig);
    std::cout << "outpost-server: stopping (signal " << sig << ")" << std::endl;
    (*server)->stop();
    return 0;
}

std::int64_t now_ms() {
    return outpost::SystemClock::instance().now_ms();
}

std::string utc_text(std::int64_t ms) {
    return outpost::utc_minute_text(ms);
}

// platform::write_new_file, with "already there" as the server's own code (server.output.exists).
Status write_new_file(const std::filesystem::path& path, std::string_view text) {
    Status s = outpost::platform::write_new_file(path, text);
    return s.code() == outpost::errc::kPlatformFileExists
               ? Status::error(outpost::errc::kServerOutputExists, s.message())
               : s;
}

// Text from outside for a terminal or a tab-separated listing: control characters and backslashes as
// \xNN, so nothing can fake a row or send escapes to the administrator's terminal.
std::string printable(std::string_view text) {
    std::string out;
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7F || c == '\\') {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02X", u);
            out += buf;
        } else {
            out.push_back(c);
        }
    }
    return out;
}

// export --out-dir DIR: for people. One CSV per form (labels, not codes) and dictionary.csv, in a new
// folder readable by its owner alone; on any failure the folder is removed.
int write_export_folder(const Args& args, const std::vector<outpost::sync::ExportRecord>& records,
                        const std::vector<outpost::records::Schema>& forms) {
    if (args.open_data || args.format != "csv") {
        return usage_error("--out-dir writes CSV files for --what cases|suggestions; use --out for the rest");
    }
    std::error_code ec;
    if (std::filesystem::exists(args.out_dir, ec) || std::filesystem::is_symlink(args.out_dir, ec)) {
        return fail(Status::error(outpost::errc::kServerOutputExists,
                                  args.out_dir.string() + " already exists; export into a new folder"));
    }
    if (!std::filesystem::create_directories(args.out_dir, ec) || ec) {
        return fail(Status::error(outpost::errc::kIo, "cannot create " + args.out_dir.string() + ": " + ec.message()));
    }
    std::filesystem::permissions(args.out_dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
    const auto what =
        args.what == "cases" ? outpost::sync::ExportWhat::kCases : outpost::sync::ExportWhat::kSuggestions;
    auto abandon = [&](const Status& why) {
        std::error_code ignored;
        std::filesystem::remove_all(args.out_dir, ignored);
        return fail(why);
    };
    int files = 0;
    for (const outpost::records::Schema* form : outpost::sync::export_forms(forms, what)) {
        if (Status s =
                write_new_file(args.out_dir / (form->type + ".csv"), outpost::sync::export_form_csv(records, *form));
            !s.is_ok()) {
            return abandon(s);
        }
        ++files;
    }
    if (Status s = write_new_file(args.out_dir / "dictionary.csv", outpost::sync::export_dictionary_csv(forms, what));
        !s.is_ok()) {
        return abandon(s);
    }
    std::cout << "Wrote " << files << " form file(s) and dictionary.csv to " << args.out_dir.string() << "\n";
    return 0;
}

int cmd_export(const Args& args) {
    if (args.format != "csv" && args.format != "json") {
        return usage_error("--format is csv or json");
    }
    if (!args.open_data && (args.team.empty() || (args.what != "cases" && args.what != "suggestions"))) {
        return usage_error("export needs --team TEAM and --what cases|suggestions, or --open-data");
    }
    auto storage = open_storage(args);
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
    if (!args.out_dir.empty()) {
        return write_export_folder(args, records, *forms);
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
    // Records of people: a new file readable by its owner only, never through a link, never over a file.
    if (Status s = write_new_file(args.out, text); !s.is_ok()) {
        return fail(s);
    }
    return 0;
}

// The server URL and the certificate laptops will pin, as provisioning files carry them.
Result<outpost::sync::Provisioning> provisioning_base(const Args& args) {
    outpost::sync::Provisioning prov;
    prov.server_url = args.effective.public_url;
    if (!args.ca_cert.empty()) {
        std::ifstream pem(args.ca_cert, std::ios::binary);
        std::stringstream text;
        text << pem.rdbuf();
        auto fp = outpost::sync::certificate_sha256(text.str());
        if (!pem || !fp.is_ok()) {
            return Status::error(outpost::errc::kServerConfigInvalid,
                                 "cannot read a PEM certificate from " + args.ca_cert);
        }
        prov.ca_pem = text.str();
        prov.ca_sha256 = *fp;
    } else if (prov.server_url.rfind("https://", 0) == 0) {
        return Status::error(outpost::errc::kServerConfigInvalid,
                             "an https:// URL needs --ca-cert PEM (or tls_cert in the config), the certificate the "
                             "laptops will pin");
    }
    return prov;
}

// Writes a provisioning file readable by its owner only; never over an existing file.
Status write_provisioning(const std::filesystem::path& path, const outpost::sync::Provisioning& prov) {
    return write_new_file(path, outpost::sync::encode(prov));
}

std::string csv_cell(const std::string& v) {
    return outpost::sync::csv_field(v);
}

int cmd_provision(const Args& args) {
    if (args.team.empty() || args.users.empty() || args.out.empty()) {
        return usage_error("provision needs --team TEAM --users FILE.csv --out DIR");
    }
    auto storage = open_storage(args);
    if (!storage.is_ok()) {
        return fail(storage.status());
    }
    outpost::sync::ServerStorage& st = **storage;
    std::string csv_text;
    {
        std::ifstream in(args.users, std::ios::binary);
        if (!in) {
            return fail(Status::error(outpost::errc::kIo, "cannot read " + args.users.string()));
        }
        std::ostringstream ss;
        ss << in.rdbuf();
        csv_text = ss.str();
    }
    // Every row is read and checked before anything is written (csv_reader.h).
    auto rows = outpost::sync::read_users(csv_text, args.users.string());
    if (!rows.is_ok()) {
        return fail(rows.status());
    }
    auto base = provisioning_base(args);
    if (!base.is_ok()) {
        return fail(base.status());
    }
    auto teams = st.teams();
    if (!teams.is_ok()) {
        return fail(teams.status());
    }
    if (std::find(teams->begin(), teams->end(), args.team) == teams->end()) {
        return fail(
            Status::error(outpost::errc::kAccountMissing,
                          "no team '" + args.team + "' (add it with: outpost-server team add " + args.team + ")"));
    }
    // Everything is checked before anything is written: a bad row changes nothing.
    std::vector<bool> is_new;
    for (const outpost::sync::UserRow& row : *rows) {
        auto team = st.user_team(row.user);
        if (team.is_ok() && *team != args.team) {
            return fail(Status::error(outpost::errc::kAccountExists, "user '" + row.user + "' belongs to team '" +
                                                                         *team + "', not '" + args.team + "'"));
        }
        is_new.push_back(!team.is_ok());
    }
    // All or nothing: the files are written into a folder beside --out, which becomes --out only once
    // every file and the summary are in it. --out must not exist yet (or be empty).
    std::error_code ec;
    if (std::filesystem::exists(args.out, ec) && !std::filesystem::is_empty(args.out, ec)) {
        return fail(Status::error(outpost::errc::kServerOutputExists,
                                  args.out.string() + " already holds files; provision into a new folder"));
    }
    const std::filesystem::path staging = args.out.parent_path() / ("." + args.out.filename().string() + ".partial-" +
                                                                    std::to_string(outpost::platform::process_id()));
    std::filesystem::remove_all(staging, ec);
    std::filesystem::create_directories(staging, ec);
    std::filesystem::permissions(staging, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace,
                                 ec);
    if (ec) {
        return fail(Status::error(outpost::errc::kIo, "cannot create " + staging.string() + ": " + ec.message()));
    }
    auto abandon = [&](const Status& why) {
        std::error_code ignored;
        std::filesystem::remove_all(staging, ignored);
        return fail(why);
    };
    const std::int64_t now = now_ms();
    const std::int64_t ttl = static_cast<std::int64_t>(args.ttl_days) * 86'400'000;
    std::ostringstream summary;
    summary << "user,role,team,file,expires_utc,server_url,cert_sha256,account\r\n";
    for (std::size_t i = 0; i < rows->size(); ++i) {
        const outpost::sync::UserRow& row = (*rows)[i];
        if (is_new[i]) {
            if (Status s = st.add_user(row.user, args.team, row.role, now); !s.is_ok()) {
                return abandon(s);
            }
        }
        auto code = st.create_enrolment_code(row.user, ttl, now);  // replaces an unused earlier one
        if (!code.is_ok()) {
            return abandon(code.status());
        }
        outpost::sync::Provisioning prov = *base;
        prov.user = row.user;
        prov.team = args.team;
        prov.code = *code;
        prov.expires_ms = now + ttl;
        const std::filesystem::path file = staging / (row.user + ".outpost");
        if (Status s = write_provisioning(file, prov); !s.is_ok()) {
            return abandon(s);
        }
        summary << csv_cell(row.user) << ',' << row.role << ',' << csv_cell(args.team) << ','
                << csv_cell(file.filename().string()) << ',' << utc_text(prov.expires_ms) << ','
                << csv_cell(prov.server_url) << ',' << prov.ca_sha256 << ','
                << (is_new[i] ? "added" : "existing (role unchanged)") << "\r\n";
    }
    {
        std::ofstream sum(staging / "summary.csv", std::ios::binary | std::ios::trunc);
        sum << summary.str();
        sum.flush();
        if (!sum) {
            return abandon(Status::error(outpost::errc::kIo, "cannot write the summary in " + staging.string()));
        }
    }
    std::filesystem::remove(args.out, ec);  // an empty folder, if it was there
    std::filesystem::rename(staging, args.out, ec);
    if (ec) {
        return abandon(
            Status::error(outpost::errc::kIo, "cannot move the files into " + args.out.string() + ": " + ec.message()));
    }
    std::cout << "Provisioned " << rows->size() << " user(s) of team " << args.team << " for " << base->server_url
              << "\n  files:   " << args.out.string() << "/<user>.outpost (one each, readable by you only)"
              << "\n  summary: " << (args.out / "summary.csv").string() << " (no codes in it)"
              << "\n  codes work once and expire " << utc_text(now + ttl)
              << ".\nHand each file to its worker, and delete the files once the laptops are enrolled.\n";
    return 0;
}

int cmd_backup(const Args& args) {
    if (!args.effective.db.empty()) {
        return usage_error(
            "backup copies the embedded SQLite database; for PostgreSQL use pg_dump (docs/OPERATIONS.md)");
    }
    if (args.out.empty()) {
        return usage_error("backup needs --out BACKUP_DIR");
    }
    if (args.effective.data.empty()) {
        return usage_error("backup needs --data DIR or --config FILE");
    }
    auto b = outpost::sync::backup_sqlite_data_dir(args.effective.data, args.out);
    if (!b.is_ok()) {
        return fail(b.status());
    }
    std::cout << "Backed up " << args.effective.data.string() << " to " << args.out.string() << ": " << b->records
              << " records, " << b->changes << " changes, " << b->blob_files << " attachment files, integrity ok\n";
    return 0;
}

int cmd_restore(const Args& args) {
    if (args.from.empty()) {
        return usage_error(args.effective.db.empty() ? "restore needs --from BACKUP_DIR"
                                                     : "restore needs --from DUMP (made by pg_dump --format=custom)");
    }
    if (!args.effective.db.empty()) {
        auto r = outpost::sync::restore_pg_database(args.effective.db, args.from);
        if (!r.is_ok()) {
            return fail(r.status());
        }
        std::cout << "Restored " << args.from.string() << ". The log ended at change " << r->live_end
                  << " before the restore and at " << r->restored_end << " in the dump; new changes start at "
                  << r->next_seq << ", so every laptop receives them.\n"
                  << "Start the service again. Laptops keep what they have; changes they sent after the dump was "
                     "taken are not on the server.\n";
        return 0;
    }
    if (args.effective.data.empty()) {
        return usage_error("restore needs --data DIR or --config FILE");
    }
    std::error_code ec;
    const bool had_database = std::filesystem::exists(args.effective.data / "server.db", ec);
    auto r = outpost::sync::restore_sqlite_data_dir(args.from, args.effective.data);
    if (!r.is_ok()) {
        return fail(r.status());
    }
    std::cout << "Restored " << args.from.string() << " into " << args.effective.data.string() << ": " << r->records
              << " records, " << r->changes << " changes, " << r->blob_files << " attachment files."
              << (had_database ? " The previous database is kept beside it as server.db.before-restore-*." : "")
              << "\nLaptops keep what they have; changes they sent after the backup was taken are not on the "
                 "server, and laptops enrolled since must be enrolled again.\n";
    return 0;
}

int cmd_admin(const Args& args) {
    auto storage = open_storage(args);
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
            std::cout << "Revoked device " << printable(p[1]) << ": it is refused from now on\n";
        } else if (s.code() == outpost::errc::kDeviceAlreadyRevoked) {
            std::cout << "Device " << printable(p[1]) << " was already revoked; nothing changed\n";
            s = Status::ok();
        }
    } else if (args.command == "device" && p.size() == 1 && p[0] == "list") {
        auto list = st.devices(args.user);
        if (!list.is_ok()) {
            return fail(list.status());
        }
        std::cout << "device\tuser\tteam\tname\tenrolled\tlast_seen\tversion\tstate\n";
        for (const auto& d : *list) {
            // A device names itself: what it sent is shown, never obeyed (no tab, line break or escape
            // reaches the terminal; a device enrolled before names were checked may hold them).
            std::cout << printable(d.id) << '\t' << printable(d.user) << '\t' << printable(d.team) << '\t'
                      << printable(d.name) << '\t' << utc_text(d.created_ms) << '\t'
                      << (d.last_seen_ms != 0 ? utc_text(d.last_seen_ms) : std::string("never")) << '\t'
                      << (d.client_version.empty() ? std::string("-") : printable(d.client_version)) << '\t'
                      << (d.revoked_ms != 0 ? "revoked " + utc_text(d.revoked_ms) : std::string("active")) << "\n";
        }
    } else if (args.command == "enroll" && p.empty() && !args.user.empty()) {
        auto base = provisioning_base(args);
        if (!base.is_ok()) {
            return fail(base.status());
        }
        outpost::sync::Provisioning prov = *base;
        prov.user = args.user;
        auto team = st.user_team(args.user);
        if (!team.is_ok()) {
            return fail(team.status());
        }
        prov.team = *team;
        const std::int64_t ttl = static_cast<std::int64_t>(args.ttl_days) * 86'400'000;
        const std::int64_t issued_ms = now_ms();  // the file's expiry is the stored one
        auto code = st.create_enrolment_code(args.user, ttl, issued_ms);
        if (!code.is_ok()) {
            return fail(code.status());
        }
        prov.code = *code;
        prov.expires_ms = issued_ms + ttl;
        // The provisioning file: what a laptop needs to enrol. The code is single-use and expires.
        const std::filesystem::path out = args.out.empty() ? std::filesystem::path(args.user + ".outpost") : args.out;
        std::error_code ec;
        std::filesystem::remove(out, ec);  // a new file for this user replaces an old one
        if (Status w = write_provisioning(out, prov); !w.is_ok()) {
            return fail(w);
        }
        // The code stays in the file (0600): terminals, logs and screen shares keep what is printed.
        std::cout << "Provisioning file for " << args.user << ": " << out.string() << " (its one-time code is valid "
                  << args.ttl_days << " days; an earlier unused file for " << args.user << " no longer works)\n";
    } else {
        return usage_error("unknown or incomplete " + args.command + " command");
    }
    return s.is_ok() ? 0 : fail(s);
}

bool whole_number(const std::string& v, int lo, int hi, int& out) {
    if (v.empty() || v.size() > 6 || v.find_first_not_of("0123456789") != std::string::npos) {
        return false;
    }
    out = std::stoi(v);
    return out >= lo && out <= hi;
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
        int n = 0;
        if (a == "--data" && next(v)) {
            args.data = v;
        } else if (a == "--config" && next(v)) {
            args.config = v;
        } else if (a == "--listen" && next(v)) {
            args.listen = v;
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
        } else if (a == "--users" && next(v)) {
            args.users = v;
        } else if (a == "--url" && next(v)) {
            args.url = v;
        } else if (a == "--out" && next(v)) {
            args.out = v;
        } else if (a == "--out-dir" && next(v)) {
            args.out_dir = v;
        } else if (a == "--from" && next(v)) {
            args.from = v;
        } else if (a == "--what" && next(v)) {
            args.what = v;
        } else if (a == "--format" && next(v)) {
            args.format = v;
        } else if (a == "--max-blob-mib" && next(v)) {
            if (!whole_number(v, 1, 1024, n)) {
                return usage_error("--max-blob-mib wants a number of MiB from 1 to 1024");
            }
            args.max_blob_mib = n;
        } else if (a == "--db" && next(v)) {
            args.db = v;
        } else if (a == "--db-pool" && next(v)) {
            if (!whole_number(v, 1, 256, n)) {
                return usage_error("--db-pool wants a number of connections from 1 to 256");
            }
            args.db_pool = n;
        } else if (a == "--open-data") {
            args.open_data = true;
        } else if (a == "--ttl-days" && next(v)) {
            if (!whole_number(v, 1, 999, n)) {
                return usage_error("--ttl-days wants a number of days from 1 to 999");
            }
            args.ttl_days = n;
        } else if (a.rfind("--", 0) != 0) {
            args.positional.push_back(a);
        } else {
            return usage_error("unknown or incomplete option '" + a + "'");
        }
    }
    if (args.command == "init") {
        return cmd_init(args);
    }
    if (Status s = resolve_config(args); !s.is_ok()) {
        return fail(s);
    }
    if (args.command == "serve") {
        return cmd_serve(args);
    }
    if (args.command == "team" || args.command == "user" || args.command == "enroll" || args.command == "device") {
        return cmd_admin(args);
    }
    if (args.command == "provision") {
        return cmd_provision(args);
    }
    if (args.command == "backup") {
        return cmd_backup(args);
    }
    if (args.command == "restore") {
        return cmd_restore(args);
    }
    if (args.command == "export") {
        return cmd_export(args);
    }
    return usage_error("unknown command '" + args.command + "'");
}
