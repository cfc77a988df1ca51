// The outpost-server commands through the library (admin_commands.h), as main() runs them, on a real
// SQLite data directory in a temporary folder: what each writes and prints, and the codes it fails with.
#include "outpost/sync/admin_commands.h"

#include <doctest/doctest.h>
#include <sodium.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <sstream>

#include "fake_clock.h"
#include "outpost/core/error_codes.h"
#include "outpost/core/store/envelope.h"
#include "outpost/core/store/escrow.h"
#include "outpost/sync/provisioning.h"
#include "outpost/sync/server_storage.h"
#include "temp_dir.h"

namespace errc = outpost::errc;
namespace fs = std::filesystem;
using namespace outpost::sync;
using outpost::testing::FakeClock;
using outpost::testing::TempDir;

namespace {

constexpr std::int64_t kDay = 86'400'000;

struct Admin {
    TempDir tmp;
    FakeClock clock{1'763'900'000'000};
    std::ostringstream out;
    AdminEnv env{out, clock};
    fs::path data = tmp / "data";

    // Runs a command line as outpost-server would (the program's name left off), on `data`.
    CommandResult run(std::vector<std::string> argv, bool with_data = true) {
        out.str("");
        if (with_data) {
            argv.insert(argv.end(), {"--data", data.string()});
        }
        AdminArgs args;
        CommandResult parsed = parse_admin_args(argv, args);
        if (!parsed.is_ok()) {
            return parsed;
        }
        return run_command(args, env);
    }
    void ok(std::vector<std::string> argv) {
        CommandResult r = run(std::move(argv));
        REQUIRE_MESSAGE(r.is_ok(), std::string(r.status().to_string() + r.usage_message()));
    }
    std::unique_ptr<ServerStorage> storage() {
        auto s = open_sqlite_storage(data);
        REQUIRE(s.is_ok());
        return std::move(*s);
    }
    // A data directory with team north and worker ann.
    void with_ann() {
        ok({"init"});
        ok({"team", "add", "north"});
        ok({"user", "add", "ann", "--team", "north", "--role", "worker"});
    }
    void write(const fs::path& path, const std::string& text) {
        std::ofstream f(path, std::ios::binary);
        f << text;
    }
};

std::string read(const fs::path& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
}

unsigned mode_of(const fs::path& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_mode & 0777U;
}

void check_fails(const CommandResult& r, std::string_view code) {
    CHECK_FALSE(r.is_usage_error());
    CHECK(r.status().code() == code);
    CHECK(r.exit_code() == 1);
}

}  // namespace

TEST_CASE("AdminCommands: init creates a data directory, never over one") {
    Admin a;
    a.ok({"init"});
    CHECK(a.out.str() == "Initialised an Outpost server data directory in " + a.data.string() + "\n");
    CHECK(fs::exists(a.data / "server.db"));
    check_fails(a.run({"init"}), errc::kStoreFileExists);
    CommandResult bare = a.run({"init"}, /*with_data=*/false);
    CHECK(bare.is_usage_error());
    CHECK(bare.exit_code() == 2);
}

TEST_CASE("AdminCommands: team add and user add follow the one set of account rules") {
    Admin a;
    a.with_ann();
    CHECK(a.out.str() == "Added worker ann to team north\n");
    for (const char* name : {".", "..", "-rf", "a/b", ""}) {
        check_fails(a.run({"team", "add", name}), errc::kAccountInvalid);
        check_fails(a.run({"user", "add", name, "--team", "north", "--role", "worker"}), errc::kAccountInvalid);
    }
    check_fails(a.run({"team", "add", "north"}), errc::kAccountExists);
    check_fails(a.run({"user", "add", "ann", "--team", "north", "--role", "lead"}), errc::kAccountExists);
    check_fails(a.run({"user", "add", "bob", "--team", "south", "--role", "worker"}), errc::kAccountMissing);
    check_fails(a.run({"user", "add", "bob", "--team", "north", "--role", "boss"}), errc::kAccountInvalid);
    CHECK(a.run({"team", "list"}).is_usage_error());
    auto st = a.storage();
    CHECK(*st->user_team("ann") == "north");
    CHECK_FALSE(st->user_team("bob").is_ok());
}

TEST_CASE("AdminCommands: enroll writes a provisioning file whose code enrols once") {
    Admin a;
    a.with_ann();
    const fs::path file = a.tmp / "ann.outpost";
    a.ok({"enroll", "--user", "ann", "--url", "http://127.0.0.1:8443", "--out", file.string()});
    CHECK(mode_of(file) == 0600U);
    auto prov = decode_provisioning(read(file));
    REQUIRE(prov.is_ok());
    CHECK(prov->user == "ann");
    CHECK(prov->team == "north");
    CHECK(prov->server_url == "http://127.0.0.1:8443");
    CHECK(prov->expires_ms == a.clock.now_ms() + 7 * kDay);
    auto st = a.storage();
    auto e = st->enrol(prov->code, "laptop", a.clock.now_ms());
    REQUIRE(e.is_ok());
    CHECK(e->role == kRoleWorker);
    CHECK(st->enrol(prov->code, "laptop", a.clock.now_ms()).status().code() == errc::kEnrolCodeUsed);
    check_fails(a.run({"enroll", "--user", "nobody", "--out", (a.tmp / "x").string()}), errc::kAccountMissing);
    check_fails(a.run({"enroll", "--user", "ann", "--url", "https://outpost.example"}), errc::kServerConfigInvalid);
    CHECK(a.run({"enroll"}).is_usage_error());
}

TEST_CASE("AdminCommands: device list escapes what a device sent, and revoke says what it did") {
    Admin a;
    a.with_ann();
    std::string device;
    {
        auto st = a.storage();
        auto code = st->create_enrolment_code("ann", kDay, a.clock.now_ms());
        REQUIRE(code.is_ok());
        auto e = st->enrol(*code, "old\tlee\nforged\x1b[2J", a.clock.now_ms());
        REQUIRE(e.is_ok());
        device = e->device_id;
    }
    a.ok({"device", "list"});
    const std::string listed = a.out.str();
    CHECK(listed.find('\x1b') == std::string::npos);
    CHECK(listed.find("old\\x09lee\\x0Aforged\\x1B[2J") != std::string::npos);
    CHECK(std::count(listed.begin(), listed.end(), '\n') == 2);  // the header and one device
    CHECK(listed.find("\tactive\n") != std::string::npos);

    a.ok({"device", "revoke", device});
    CHECK(a.out.str() == "Revoked device " + device + ": it is refused from now on\n");
    a.ok({"device", "revoke", device});
    CHECK(a.out.str() == "Device " + device + " was already revoked; nothing changed\n");
    check_fails(a.run({"device", "revoke", "dev-none"}), errc::kAccountMissing);
    a.ok({"device", "list", "--user", "ann"});
    CHECK(a.out.str().find("\trevoked ") != std::string::npos);
    CHECK(a.run({"device", "forget", device}).is_usage_error());
}

TEST_CASE("AdminCommands: provision checks every line first, then writes every file or none") {
    Admin a;
    a.with_ann();
    const fs::path bad = a.tmp / "bad.csv";
    a.write(bad, "user,role\nlee,lead\n..,worker\n");
    const fs::path out = a.tmp / "prov";
    CommandResult r = a.run({"provision", "--team", "north", "--users", bad.string(), "--out", out.string()});
    check_fails(r, errc::kServerListInvalid);
    CHECK(r.status().message().find("line 3") != std::string::npos);
    CHECK_FALSE(fs::exists(out));
    CHECK_FALSE(a.storage()->user_team("lee").is_ok());

    const fs::path good = a.tmp / "good.csv";
    a.write(good, "user,role\nlee,lead\nann,worker\n");
    check_fails(a.run({"provision", "--team", "south", "--users", good.string(), "--out", out.string()}),
                errc::kAccountMissing);
    a.ok({"provision", "--team", "north", "--users", good.string(), "--out", out.string()});
    CHECK(mode_of(out / "lee.outpost") == 0600U);
    CHECK(fs::exists(out / "ann.outpost"));
    const std::string summary = read(out / "summary.csv");
    CHECK(summary.find("lee,lead,north,lee.outpost,") != std::string::npos);
    CHECK(summary.find(",added\r\n") != std::string::npos);
    CHECK(summary.find(",existing (role unchanged)\r\n") != std::string::npos);
    CHECK(*a.storage()->user_team("lee") == "north");
    for (const auto& entry : fs::directory_iterator(a.tmp.path())) {
        CHECK(entry.path().filename().string().find(".partial-") == std::string::npos);
    }
    check_fails(a.run({"provision", "--team", "north", "--users", good.string(), "--out", out.string()}),
                errc::kServerOutputExists);

    a.ok({"team", "add", "south"});
    check_fails(a.run({"provision", "--team", "south", "--users", good.string(), "--out", (a.tmp / "p2").string()}),
                errc::kAccountExists);
    CHECK(a.run({"provision", "--team", "north"}).is_usage_error());
}

TEST_CASE("AdminCommands: backup and restore put a data directory back") {
    Admin a;
    a.with_ann();
    const fs::path backup = a.tmp / "bk";
    a.ok({"backup", "--out", backup.string()});
    CHECK(a.out.str().find("integrity ok") != std::string::npos);
    const fs::path fresh = a.tmp / "fresh";
    fs::create_directories(fresh);
    CommandResult r = a.run({"restore", "--from", backup.string(), "--data", fresh.string()}, /*with_data=*/false);
    REQUIRE(r.is_ok());
    CHECK(a.out.str().rfind("Restored ", 0) == 0);
    CHECK(a.out.str().find("kept beside") == std::string::npos);
    auto st = open_sqlite_storage(fresh);
    REQUIRE(st.is_ok());
    CHECK(*(*st)->user_team("ann") == "north");
    a.ok({"restore", "--from", backup.string()});
    CHECK(a.out.str().find("kept beside") != std::string::npos);
    CHECK(a.run({"backup"}).is_usage_error());
    CHECK(a.run({"restore"}).is_usage_error());
}

TEST_CASE("AdminCommands: export writes a new file or folder, never over one") {
    Admin a;
    a.with_ann();
    const fs::path file = a.tmp / "cases.csv";
    a.ok({"export", "--team", "north", "--what", "cases", "--out", file.string()});
    CHECK(mode_of(file) == 0600U);
    a.write(a.tmp / "keep.csv", "keep me");
    check_fails(a.run({"export", "--team", "north", "--what", "cases", "--out", (a.tmp / "keep.csv").string()}),
                errc::kServerOutputExists);
    CHECK(read(a.tmp / "keep.csv") == "keep me");

    const fs::path folder = a.tmp / "for-people";
    a.ok({"export", "--team", "north", "--what", "cases", "--out-dir", folder.string()});
    CHECK(fs::exists(folder / "dictionary.csv"));
    CHECK(a.out.str().find("dictionary.csv") != std::string::npos);
    check_fails(a.run({"export", "--team", "north", "--what", "cases", "--out-dir", folder.string()}),
                errc::kServerOutputExists);

    a.ok({"export", "--open-data", "--format", "json"});
    CHECK_FALSE(a.out.str().empty());
    CHECK(a.run({"export", "--team", "north", "--what", "cases", "--format", "xml"}).is_usage_error());
    CHECK(a.run({"export", "--team", "north"}).is_usage_error());
    CHECK(a.run({"export", "--open-data", "--out-dir", (a.tmp / "od").string()}).is_usage_error());
    CHECK_FALSE(fs::exists(a.tmp / "od"));
}

TEST_CASE("AdminCommands: --db needs the PostgreSQL back end, which only the executable wires in") {
    Admin a;
    CHECK_FALSE(a.env.storage.has_pg());
    check_fails(a.run({"init", "--db", "postgresql:///nowhere"}, false), errc::kServerConfigInvalid);
    check_fails(a.run({"team", "add", "north", "--db", "postgresql:///nowhere"}, false), errc::kServerConfigInvalid);
    check_fails(a.run({"restore", "--from", "x.dump", "--db", "postgresql:///nowhere"}, false),
                errc::kServerConfigInvalid);
    CHECK(a.run({"backup", "--out", "bk", "--db", "postgresql:///nowhere"}, false).is_usage_error());
}

TEST_CASE("AdminCommands: a wrong command line is a usage error, reported with the usage text") {
    Admin a;
    a.ok({"init"});
    for (const std::vector<std::string>& argv : std::vector<std::vector<std::string>>{
             {"team", "add", "x", "--bogus"},
             {"enroll", "--user", "ann", "--ttl-days", "0"},
             {"serve", "--max-blob-mib", "2048"},
             {"serve", "--db-pool", "nine"},
             {"frobnicate"},
         }) {
        CommandResult r = a.run(argv);
        CHECK_MESSAGE(r.is_usage_error(), argv.front());
        std::ostringstream err;
        CHECK(report(r, err) == 2);
        CHECK(err.str().find(admin_usage()) != std::string::npos);
    }
    std::ostringstream err;
    CHECK(report(a.run({"team", "add", "."}), err) == 1);
    CHECK(err.str().rfind("outpost-server: error server.account.invalid: ", 0) == 0);
    CHECK(report(CommandResult::ok(), err) == 0);
}

TEST_CASE("AdminCommands: the config file is read, and options on the command line win") {
    Admin a;
    a.ok({"init"});
    const fs::path config = a.tmp / "server.json";
    a.write(config, R"({"data": ")" + a.data.string() + R"(", "listen": "0.0.0.0:9000", "max_blob_mib": 7})");
    AdminArgs args;
    REQUIRE(parse_admin_args({"serve", "--config", config.string(), "--listen", "127.0.0.1:8000"}, args).is_ok());
    REQUIRE(resolve_config(args).is_ok());
    CHECK(args.effective.data == a.data);
    CHECK(args.effective.port == 8000);
    CHECK(args.effective.public_url == "http://127.0.0.1:8000");
    const ServerOptions options = serve_options(args.effective);
    CHECK(options.max_blob_bytes == 7LL * 1024 * 1024);
    CHECK(options.blob_dir == a.data / "blobs");
    a.write(config, R"({"data": 5})");
    REQUIRE(parse_admin_args({"team", "add", "x", "--config", config.string()}, args).is_ok());
    CHECK(resolve_config(args).code() == errc::kServerConfigInvalid);
}

TEST_CASE(
    "AdminCommands: provision and enroll sign every file with the server's key, and --escrow adds the desk's key") {
    Admin a;
    a.with_ann();
    const fs::path keys = a.tmp / "desk";
    a.ok({"escrow", "keygen", "--out", keys.string()});
    CHECK(mode_of(keys / "desk.key") == 0600U);
    const std::string desk_pub = read(keys / "desk.pub");
    REQUIRE(desk_pub.size() == 65);  // 64 hex digits and a line break
    check_fails(a.run({"escrow", "keygen", "--out", keys.string()}), errc::kServerOutputExists);
    CHECK(read(keys / "desk.pub") == desk_pub);

    std::string signing_key;
    {
        auto held = a.storage()->signing_key();
        REQUIRE(held.is_ok());
        REQUIRE(held->public_key.size() == 32);
        char hex[65];
        sodium_bin2hex(hex, sizeof hex, reinterpret_cast<const unsigned char*>(held->public_key.data()), 32);
        signing_key = hex;
    }
    const fs::path list = a.tmp / "users.csv";
    a.write(list, "user,role\nlee,lead\n");
    const fs::path out = a.tmp / "prov";
    a.ok({"provision", "--team", "north", "--users", list.string(), "--out", out.string(), "--escrow",
          (keys / "desk.pub").string()});
    const fs::path single = a.tmp / "ann.outpost";
    a.ok({"enroll", "--user", "ann", "--url", "http://127.0.0.1:8443", "--out", single.string()});
    for (const fs::path& file : {out / "lee.outpost", single}) {
        CAPTURE(file);
        auto prov = decode_provisioning(read(file));
        REQUIRE(prov.is_ok());
        CHECK(verify_provisioning_signature(*prov, signing_key).is_ok());
        CHECK(read(file).find(signing_key) == std::string::npos);  // the file carries a signature, not the key
    }
    auto lee = decode_provisioning(read(out / "lee.outpost"));
    REQUIRE(lee.is_ok());
    CHECK(lee->escrow_key + "\n" == desk_pub);
    Provisioning other_desk = *lee;
    other_desk.escrow_key[0] = other_desk.escrow_key[0] == 'a' ? 'b' : 'a';
    CHECK(verify_provisioning_signature(other_desk, signing_key).code() == errc::kProvisioningSignature);
    CHECK(decode_provisioning(read(single))->escrow_key.empty());

    // A public key file that is not one is refused before anything is written.
    a.write(a.tmp / "bad.pub", "not a key\n");
    check_fails(a.run({"provision", "--team", "north", "--users", list.string(), "--out", (a.tmp / "p2").string(),
                       "--escrow", (a.tmp / "bad.pub").string()}),
                errc::kEscrowKeyInvalid);
    CHECK_FALSE(fs::exists(a.tmp / "p2"));
    check_fails(a.run({"enroll", "--user", "ann", "--escrow", (keys / "desk.key").string()}), errc::kEscrowKeyInvalid);
}

TEST_CASE("AdminCommands: escrow open prints the recovery code a laptop sealed to the desk's key, and only with it") {
    Admin a;
    const fs::path keys = a.tmp / "desk";
    a.ok({"escrow", "keygen", "--out", keys.string()});
    const std::string pub = read(keys / "desk.pub").substr(0, 64);
    std::array<std::uint8_t, 16> secret{};
    for (std::size_t i = 0; i < secret.size(); ++i) {
        secret[i] = static_cast<std::uint8_t>(i * 17 + 3);
    }
    const std::string code = outpost::store::format_recovery_code(secret);  // as a laptop makes one
    auto sealed = outpost::store::seal_recovery_code(code, pub);
    REQUIRE(sealed.is_ok());
    a.write(a.tmp / "recovery.sealed", *sealed);
    a.ok({"escrow", "open", "--key", (keys / "desk.key").string(), (a.tmp / "recovery.sealed").string()});
    CHECK(a.out.str() == code + "\n");

    const fs::path other = a.tmp / "other";
    a.ok({"escrow", "keygen", "--out", other.string()});
    check_fails(a.run({"escrow", "open", "--key", (other / "desk.key").string(), (a.tmp / "recovery.sealed").string()}),
                errc::kEscrowOpenFailed);
    CHECK(a.out.str().empty());
    check_fails(a.run({"escrow", "open", "--key", (keys / "desk.pub").string(), (a.tmp / "recovery.sealed").string()}),
                errc::kEscrowKeyInvalid);
    CHECK(a.run({"escrow", "open", (a.tmp / "recovery.sealed").string()}).is_usage_error());
    CHECK(a.run({"escrow", "keygen"}).is_usage_error());
    CHECK(a.run({"escrow"}).is_usage_error());
}

TEST_CASE("AdminCommands: user list, disable, enable, role and move say what they did and write the audit log") {
    Admin a;
    a.with_ann();
    a.ok({"team", "add", "south"});
    a.ok({"user", "add", "bob", "--team", "south", "--role", "lead"});
    a.ok({"user", "list"});
    CHECK(a.out.str() ==
          "user\tteam\trole\tstate\tdevices\nann\tnorth\tworker\tactive\t0\nbob\tsouth\tlead\tactive\t0\n");
    a.ok({"user", "disable", "bob"});
    a.ok({"user", "enable", "bob"});
    a.ok({"user", "enable", "bob"});
    CHECK(a.out.str() == "bob was already enabled; nothing changed\n");
    a.ok({"user", "role", "ann", "lead"});
    a.ok({"user", "move", "ann", "--team", "south"});
    a.ok({"user", "list"});
    CHECK(a.out.str() ==
          "user\tteam\trole\tstate\tdevices\nann\tsouth\tlead\tactive\t0\nbob\tsouth\tlead\tactive\t0\n");
    auto log = a.storage()->audit_log(10);
    REQUIRE(log.is_ok());
    std::vector<std::string> events;
    for (auto it = log->rbegin(); it != log->rend(); ++it) {
        CHECK(it->actor == "admin");
        events.push_back(it->event + " " + it->detail);
    }
    CHECK(events == std::vector<std::string>{"user.disabled bob", "user.enabled bob", "user.role ann: worker -> lead",
                                             "user.moved ann: north -> south"});
    CHECK(a.run({"user", "role", "ann"}).is_usage_error());
    CHECK(a.run({"user", "frobnicate", "ann"}).is_usage_error());
    check_fails(a.run({"user", "enable", "nobody"}), errc::kAccountMissing);
}
