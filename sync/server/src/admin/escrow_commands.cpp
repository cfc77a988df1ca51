// escrow keygen and escrow open: the service desk's key pair for recovery codes (core/store/escrow.h).
#include <sodium.h>

#include <fstream>
#include <sstream>

#include "admin_common.h"
#include "outpost/core/error_codes.h"
#include "outpost/core/store/escrow.h"
#include "outpost/platform/utf8.h"
#include "outpost/sync/admin_commands.h"

namespace outpost::sync {
namespace {

namespace fs = std::filesystem;

// A small file's text (key files and sealed codes are well under 64 KiB).
Result<std::string> read_small(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in || text.str().size() > 64 * 1024) {
        return Status::error(errc::kIo, "cannot read " + path_to_utf8(path));
    }
    return text.str();
}

CommandResult keygen(const AdminArgs& args, AdminEnv& env) {
    if (args.out.empty() || args.positional.size() != 1) {
        return CommandResult::usage_error("escrow keygen needs --out DIR");
    }
    std::error_code ec;
    fs::create_directories(args.out, ec);
    if (ec) {
        return Status::error(errc::kIo, "cannot create " + path_to_utf8(args.out) + ": " + ec.message());
    }
    auto keys = store::make_escrow_keys();
    OUTPOST_TRY(keys);
    std::string key_file = store::encode_escrow_key_file(*keys);
    const fs::path secret = args.out / "desk.key";
    const fs::path pub = args.out / "desk.pub";
    Status s = admin::write_new_file(secret, key_file);
    sodium_memzero(key_file.data(), key_file.size());
    OUTPOST_TRY(s);
    if (Status p = admin::write_new_file(pub, keys->public_hex + "\n"); !p.is_ok()) {
        fs::remove(secret, ec);  // all or nothing
        return p;
    }
    env.out << "Escrow key pair made:\n  " << path_to_utf8(secret)
            << "  the secret key (mode 0600): keep it offline, with the service desk only\n  " << path_to_utf8(pub)
            << "  the public key: give it to provision --escrow\n";
    return CommandResult::ok();
}

CommandResult open(const AdminArgs& args, AdminEnv& env) {
    if (args.key.empty() || args.positional.size() != 2) {
        return CommandResult::usage_error("escrow open needs --key DESK.key and a recovery.sealed FILE");
    }
    auto key_text = read_small(args.key);
    OUTPOST_TRY(key_text);
    auto keys = store::decode_escrow_key_file(*key_text);
    sodium_memzero(key_text->data(), key_text->size());
    OUTPOST_TRY(keys);
    auto sealed = read_small(path_from_utf8(args.positional[1]));
    OUTPOST_TRY(sealed);
    auto code = store::open_sealed_recovery(*sealed, *keys);
    OUTPOST_TRY(code);
    env.out << *code << "\n";
    sodium_memzero(code->data(), code->size());
    return CommandResult::ok();
}

}  // namespace

CommandResult run_escrow(const AdminArgs& args, AdminEnv& env) {
    const auto& p = args.positional;
    if (!p.empty() && p[0] == "keygen") {
        return keygen(args, env);
    }
    if (!p.empty() && p[0] == "open") {
        return open(args, env);
    }
    return CommandResult::usage_error(
        "unknown or incomplete escrow command (keygen --out DIR | open --key FILE SEALED)");
}

}  // namespace outpost::sync
