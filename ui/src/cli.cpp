#include "cli.h"

#include <sodium.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>

#include "outpost/core/error_codes.h"
#include "outpost/core/records/engine.h"
#include "outpost/platform/app_dirs.h"
#include "outpost/sync/profile.h"
#include "outpost/sync/sync_engine.h"
#include "outpost/ui/words.h"

namespace outpost::ui {
namespace {

int fail(const Status& s) {
    std::cerr << "outpost: " << s.message() << " [" << s.code() << "]\n  " << errc::explain(s.code()) << "\n";
    return 1;
}

// The passphrase, wiped by the caller with sodium_memzero once used. A new one typed at the terminal
// is asked twice.
Result<std::string> read_passphrase(const CliArgs& args, const char* prompt, bool confirm = false) {
    std::string p;
    if (!args.passphrase_file.empty()) {
        std::ifstream in(args.passphrase_file);
        if (!in || !std::getline(in, p)) {
            return Status::error(errc::kIo, "cannot read the passphrase file " + args.passphrase_file);
        }
        return p;
    }
    if (const char* env = std::getenv("OUTPOST_PASSPHRASE"); env != nullptr && *env != '\0') {
        return std::string(env);
    }
    std::cerr << prompt;
    termios old{};
    const bool tty = isatty(STDIN_FILENO) != 0 && tcgetattr(STDIN_FILENO, &old) == 0;
    if (tty) {
        termios quiet = old;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    std::getline(std::cin, p);
    std::string again;
    if (confirm && tty) {
        std::cerr << "\nThe same passphrase again: ";
        std::getline(std::cin, again);
    }
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSANOW, &old);
        std::cerr << "\n";
    }
    const bool mismatch = confirm && tty && again != p;
    sodium_memzero(again.data(), again.size());
    if (mismatch) {
        sodium_memzero(p.data(), p.size());
        return Status::error(errc::kInvalidArgument, "the two passphrases differ; nothing was created");
    }
    return p;
}

Result<std::filesystem::path> profiles_root(const CliArgs& args) {
    if (!args.data_dir.empty()) {
        return std::filesystem::path(args.data_dir) / "profiles";
    }
    Result<platform::AppDirs> dirs =
        platform::resolve_app_dirs("outpost", platform::current_os(), platform::process_env());
    if (!dirs.is_ok()) {
        return dirs.status();
    }
    OUTPOST_TRY(platform::ensure_app_dirs(*dirs));
    return dirs->data / "profiles";
}

Result<sync::Provisioning> read_provisioning(const CliArgs& args) {
    std::ifstream in(args.provision, std::ios::binary);
    if (!in) {
        return Status::error(errc::kIo, "cannot read " + args.provision);
    }
    std::stringstream text;
    text << in.rdbuf();
    Result<sync::Provisioning> prov = sync::decode_provisioning(text.str());
    if (!prov.is_ok()) {
        return prov.status();
    }
    OUTPOST_TRY(check_provisioning(args.policy, *prov));
    return prov;
}

}  // namespace

int run_enroll(const CliArgs& args) {
    if (args.profile.empty() || args.provision.empty()) {
        std::cerr << "outpost: enroll needs --profile NAME and --provision FILE\n";
        return 2;
    }
    Result<sync::Provisioning> prov = read_provisioning(args);
    if (!prov.is_ok()) {
        return fail(prov.status());
    }
    Result<std::filesystem::path> root = profiles_root(args);
    if (!root.is_ok()) {
        return fail(root.status());
    }
    Result<std::string> pass = read_passphrase(args, "New passphrase for this profile: ", /*confirm=*/true);
    if (!pass.is_ok()) {
        return fail(pass.status());
    }
    if (passphrase_strength(*pass, args.policy.min_passphrase_length).score == 0) {
        sodium_memzero(pass->data(), pass->size());
        return fail(Status::error(
            errc::kStorePassphraseWeak,
            "the passphrase is shorter than " + std::to_string(args.policy.min_passphrase_length) + " characters"));
    }
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    const std::string device = args.device_name.empty() ? std::string(host) : args.device_name;
    std::cout << "Enrolling profile '" << args.profile << "' with " << prov->server_url << " ...\n" << std::flush;
    Result<sync::ProfileInfo> info = sync::enrol_profile(*root, args.profile, *pass, *prov, device);
    sodium_memzero(pass->data(), pass->size());
    if (!info.is_ok()) {
        return fail(info.status());
    }
    std::cout << "Enrolled: user " << info->user << " (" << info->role << "), team " << info->team << ", device "
              << info->device_id << "\nProfile: " << (*root / args.profile).string() << "\n";
    return 0;
}

int run_sync(const CliArgs& given) {
    CliArgs args = given;
    if (!args.headless || (args.profile.empty() && args.provision.empty())) {
        std::cerr << "outpost: sync needs --headless and --profile NAME or --provision FILE (the window syncs on "
                     "its own)\n";
        return 2;
    }
    Result<std::filesystem::path> root = profiles_root(args);
    if (!root.is_ok()) {
        return fail(root.status());
    }
    if (!args.provision.empty()) {
        // IT's one step: enrol from the provisioning file unless that profile is already here.
        if (args.profile.empty()) {
            Result<sync::Provisioning> prov = read_provisioning(args);
            if (!prov.is_ok()) {
                return fail(prov.status());
            }
            args.profile = prov->user;
        }
        std::error_code ec;
        if (!std::filesystem::exists(*root / args.profile, ec)) {
            if (int code = run_enroll(args); code != 0) {
                return code;
            }
        }
    }
    Result<std::filesystem::path> dir = sync::profile_dir(*root, args.profile);
    if (!dir.is_ok()) {
        return fail(dir.status());
    }
    Result<sync::ProfileInfo> info = sync::read_profile_info(*dir);
    if (!info.is_ok()) {
        return fail(info.status());
    }
    Result<std::string> pass = read_passphrase(args, "Passphrase: ");
    if (!pass.is_ok()) {
        return fail(pass.status());
    }
    Result<std::unique_ptr<Store>> store = sync::open_profile_store(*dir, *pass);
    sodium_memzero(pass->data(), pass->size());
    if (!store.is_ok()) {
        return fail(store.status());
    }
    int code = 0;
    {
        Result<std::vector<records::Schema>> schemas = sync::profile_schemas(**store);
        Result<sync::Credentials> creds = sync::load_credentials(**store);
        Result<std::unique_ptr<sync::Transport>> transport = sync::profile_transport(*dir, *info);
        if (!schemas.is_ok() || !creds.is_ok() || !transport.is_ok()) {
            (*store)->lock();
            return fail(!schemas.is_ok() ? schemas.status() : !creds.is_ok() ? creds.status() : transport.status());
        }
        Result<std::unique_ptr<records::RecordEngine>> records =
            records::RecordEngine::open(**store, std::move(*schemas), SystemClock::instance());
        if (!records.is_ok()) {
            (*store)->lock();
            return fail(records.status());
        }
        std::mutex store_mutex;
        sync::SyncOptions options;
        auto last_print = std::chrono::steady_clock::time_point{};
        sync::SyncState printed;
        printed.pushed = -1;
        options.on_state = [&](const sync::SyncState& s) {
            const auto now = std::chrono::steady_clock::now();
            const bool same = s.phase == printed.phase && s.pushed == printed.pushed && s.pulled == printed.pulled;
            if (same || (s.phase == sync::SyncPhase::kSyncing && now - last_print < std::chrono::milliseconds(250) &&
                         printed.phase == sync::SyncPhase::kSyncing)) {
                return;
            }
            last_print = now;
            printed = s;
            std::cout << "  " << sync::phase_name(s.phase) << ": sent " << s.pushed << "/" << s.to_push << ", received "
                      << s.pulled << "\n"
                      << std::flush;
        };
        const auto t0 = std::chrono::steady_clock::now();
        Result<std::unique_ptr<sync::SyncEngine>> engine =
            sync::SyncEngine::open(**store, **records, store_mutex, **transport, *creds, options);
        if (!engine.is_ok()) {
            records->reset();
            (*store)->lock();
            return fail(engine.status());
        }
        std::cout << "Syncing profile '" << args.profile << "' (" << info->user << ", team " << info->team << ") with "
                  << info->server_url << "\n";
        Result<sync::SyncSummary> sum = (*engine)->sync_now();
        const auto ms =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
        const sync::SyncState st = (*engine)->state();
        if (sum.is_ok()) {
            std::cout << "Sync complete in " << ms << " ms: sent " << sum->pushed << " (applied " << sum->applied
                      << ", superseded " << sum->superseded << ", conflicts " << sum->conflicts << ", refused "
                      << sum->rejected << "), received " << sum->pulled << ". Waiting to send: " << st.waiting << ".\n";
        } else {
            code = fail(sum.status());
            std::cout << "Sync did not finish; " << st.waiting << " change(s) wait on this laptop and will be sent "
                      << "next time.\n";
        }
        Result<std::vector<sync::RefusedChange>> refused = (*engine)->refused();
        if (refused.is_ok() && !refused->empty()) {
            std::cout << refused->size() << " change(s) were refused by the server and are kept here:\n";
            for (const auto& r : *refused) {
                std::cout << "  record " << r.record << ", " << r.field << ": " << r.message << " [" << r.code << "]\n";
            }
        }
        engine->reset();
        records->reset();
    }
    (*store)->lock();
    return code;
}

}  // namespace outpost::ui
