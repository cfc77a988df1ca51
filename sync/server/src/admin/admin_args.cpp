// outpost-server's command line: the usage text, the options read into AdminArgs, the config file
// merged under them, and how an outcome is reported.
#include <iostream>
#include <string>
#include <vector>

#include "outpost/core/error_codes.h"
#include "outpost/platform/utf8.h"
#include "outpost/sync/admin_commands.h"

namespace outpost::sync {
namespace {

constexpr const char* kUsage = R"(outpost-server: the Outpost central service

Usage:
  outpost-server init  --data DIR | --db URL
      Create a new data directory with an embedded SQLite database, or the schema in an empty
      PostgreSQL database (URL: postgresql://user@host/db, or libpq's key=value form).
  outpost-server serve [--data DIR] [--listen HOST:PORT] [--tls-cert PEM --tls-key PEM] [--max-blob-mib N]
      Serve the sync API. Default listen address 127.0.0.1:8443. Plain HTTP is allowed on
      loopback only; any other address needs --tls-cert and --tls-key. Device tokens last
      "token_days" (config, default 90) and laptops renew them as they sync.
  outpost-server team add NAME
  outpost-server user add NAME --team TEAM --role worker|lead|admin
  outpost-server user list
      Every user: team, role, active or disabled, and how many devices they have (not revoked).
  outpost-server user disable NAME | user enable NAME
      A leaver: their devices are refused at once (sync.auth.disabled) and their enrolment codes no
      longer work. enable lets them back in with the devices they had.
  outpost-server user role NAME worker|lead|admin
  outpost-server user move NAME --team TEAM
      Takes effect at once on the server; the laptops follow at their next sync (a new team's
      records replace the old team's). Every change above is written to the audit log.
  outpost-server provision --team TEAM --users FILE.csv --out DIR [--ttl-days N] [--url URL] [--ca-cert PEM]
                           [--escrow DESK.pub]
      One provisioning file per user in FILE.csv (header "user,role"; role worker or lead,
      default worker): DIR/<user>.outpost (mode 0600) with the server URL, the pinned certificate
      fingerprint, a one-time code and its expiry (default 7 days), signed with the server's key.
      Adds users missing from TEAM. DIR/summary.csv lists them for IT, without the codes. Delete
      the files once enrolled. With --escrow, each laptop seals its recovery code to the service
      desk's key (escrow keygen), so the desk can recover a laptop it has in hand.
  outpost-server enroll --user NAME [--url URL] [--ca-cert PEM] [--ttl-days N] [--out FILE] [--escrow DESK.pub]
      The same for one user (default file NAME.outpost).
  outpost-server device list [--user NAME]
  outpost-server device revoke DEVICE_ID [--wipe]
      A lost or stolen laptop: its token is refused from now on. With --wipe, at its next contact
      the laptop also destroys that profile's keys and data (a revoked device can be given --wipe
      later).
  outpost-server escrow keygen --out DIR
      The service desk's escrow key pair: DIR/desk.key (secret, mode 0600; keep it offline) and
      DIR/desk.pub (give it to provision --escrow).
  outpost-server escrow open --key DESK.key FILE
      Prints the recovery code sealed in a laptop's recovery.sealed FILE.
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
  outpost-server forms list
      The forms the server serves: the latest version of each, how many versions, retired or not.
  outpost-server forms check FILE.json
      Checks a form: that it parses, and that it keeps every field of the published version with
      the same kind (mark a field "retired": true instead of removing it).
  outpost-server forms publish FILE.json
      Checks it, then stores it as the next version of its form; laptops get it at their next sync.
  outpost-server forms retire NAME
      Publishes a version marked retired: laptops offer it no more for new records; its records
      stay readable.
  outpost-server forms import FILE.xlsx [--out FILE.json]
      Converts an XLSForm workbook and publishes it (with --out: writes the form for review instead).
  outpost-server --version
  outpost-server help

Every command but init takes --config FILE (default /etc/outpost/server.json when it exists)
and --data DIR (default: the config's "data", /var/lib/outpost: the database and attachments).
With --db URL [--db-pool N] the records live in PostgreSQL instead (several serve processes may
share it; --data then holds only attachments, on a volume they share). Options on the command
line win over the file. See outpost-server(8) and docs/OPERATIONS.md.

Exit codes: 0 ok, 1 runtime error (message on stderr with its code), 2 usage error.
)";

bool whole_number(const std::string& v, int lo, int hi, int& out) {
    if (v.empty() || v.size() > 6 || v.find_first_not_of("0123456789") != std::string::npos) {
        return false;
    }
    out = std::stoi(v);
    return out >= lo && out <= hi;
}

}  // namespace

std::string_view admin_usage() {
    return kUsage;
}

CommandResult CommandResult::usage_error(std::string message) {
    CommandResult r(Status::ok());
    r.m_usage = true;
    r.m_usage_message = std::move(message);
    return r;
}

int report(const CommandResult& result, std::ostream& err) {
    if (result.is_usage_error()) {
        err << "outpost-server: " << result.usage_message() << "\n\n" << kUsage;
    } else if (!result.is_ok()) {
        const Status& s = result.status();
        err << "outpost-server: error " << s.code() << ": " << s.message() << "\n  " << errc::explain(s.code()) << "\n";
    }
    return result.exit_code();
}

CommandResult parse_admin_args(const std::vector<std::string>& argv_s, AdminArgs& args) {
    args = AdminArgs{};
    args.command = argv_s.empty() ? std::string() : argv_s[0];
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
                return CommandResult::usage_error("--max-blob-mib wants a number of MiB from 1 to 1024");
            }
            args.max_blob_mib = n;
        } else if (a == "--db" && next(v)) {
            args.db = v;
        } else if (a == "--db-pool" && next(v)) {
            if (!whole_number(v, 1, 256, n)) {
                return CommandResult::usage_error("--db-pool wants a number of connections from 1 to 256");
            }
            args.db_pool = n;
        } else if (a == "--open-data") {
            args.open_data = true;
        } else if (a == "--wipe") {
            args.wipe = true;
        } else if (a == "--escrow" && next(v)) {
            args.escrow = path_from_utf8(v);
        } else if (a == "--key" && next(v)) {
            args.key = path_from_utf8(v);
        } else if (a == "--ttl-days" && next(v)) {
            if (!whole_number(v, 1, 999, n)) {
                return CommandResult::usage_error("--ttl-days wants a number of days from 1 to 999");
            }
            args.ttl_days = n;
        } else if (a.rfind("--", 0) != 0) {
            args.positional.push_back(a);
        } else {
            return CommandResult::usage_error("unknown or incomplete option '" + a + "'");
        }
    }
    return CommandResult::ok();
}

// The command-line options win over the file.
Status resolve_config(AdminArgs& args) {
    std::optional<std::filesystem::path> file = args.config;
    std::error_code ec;
    if (!file && !args.data && std::filesystem::exists(kDefaultServerConfigPath, ec)) {
        file = kDefaultServerConfigPath;
    }
    if (file) {
        auto c = load_server_config(*file);
        OUTPOST_TRY(c);
        args.effective = *c;
    } else {
        args.effective.data.clear();  // no file and no --data: commands that need data say so
    }
    if (args.data) {
        args.effective.data = *args.data;
    }
    if (args.listen && !parse_listen_address(*args.listen, args.effective.host, args.effective.port)) {
        return Status::error(errc::kServerConfigInvalid, "--listen wants HOST:PORT, got '" + *args.listen + "'");
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
        args.effective.data = kDefaultServerDataDir;
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

}  // namespace outpost::sync
