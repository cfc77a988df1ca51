#include "outpost/client/cli.h"

#include <sodium.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>

#include "outpost/client/drafts.h"
#include "outpost/client/recovery.h"
#include "outpost/client/words.h"
#include "outpost/core/error_codes.h"
#include "outpost/core/records/engine.h"
#include "outpost/platform/app_dirs.h"
#include "outpost/platform/process.h"
#include "outpost/platform/terminal.h"
#include "outpost/platform/utf8.h"
#include "outpost/sync/form_rollout.h"
#include "outpost/sync/profile.h"
#include "outpost/sync/sync_engine.h"

namespace outpost::client {
namespace {

int fail(const Status& s) {
    std::cerr << "outpost: " << s.message() << " [" << s.code() << "]\n  " << errc::explain(s.code()) << "\n";
    return 1;
}

// The passphrase, wiped by the caller with sodium_memzero once used. A new one typed at the terminal
// is asked twice.
Result<std::string> read_passphrase(const CliArgs& args, const char* prompt, bool confirm = false) {
    if (!args.passphrase_file.empty()) {
        std::string p;
        std::ifstream in(path_from_utf8(args.passphrase_file));
        if (!in || !std::getline(in, p)) {
            return Status::error(errc::kIo, "cannot read the passphrase file " + args.passphrase_file);
        }
        return p;
    }
    if (const char* env = std::getenv("OUTPOST_PASSPHRASE"); env != nullptr && *env != '\0') {
        return std::string(env);
    }
    Result<std::string> p = platform::read_secret_line(prompt);
    OUTPOST_TRY(p);
    if (!confirm || !platform::stdin_is_terminal()) {
        return p;
    }
    Result<std::string> again = platform::read_secret_line("The same passphrase again: ");
    const bool mismatch = !again.is_ok() || *again != *p;
    if (again.is_ok()) {
        sodium_memzero(again->data(), again->size());
    }
    if (mismatch) {
        sodium_memzero(p->data(), p->size());
        if (!again.is_ok()) {
            return again.status();
        }
        return Status::error(errc::kInvalidArgument, "the two passphrases differ; nothing was created");
    }
    return p;
}

Result<std::filesystem::path> profiles_root(const CliArgs& args) {
    if (!args.data_dir.empty()) {
        return path_from_utf8(args.data_dir) / "profiles";
    }
    Result<platform::AppDirs> dirs = platform::user_app_dirs("outpost");
    OUTPOST_TRY(dirs);
    OUTPOST_TRY(platform::ensure_app_dirs(*dirs));
    return dirs->data / "profiles";
}

Result<sync::Provisioning> read_provisioning(const CliArgs& args) {
    std::ifstream in(path_from_utf8(args.provision), std::ios::binary);
    if (!in) {
        return Status::error(errc::kIo, "cannot read " + args.provision);
    }
    std::stringstream text;
    text << in.rdbuf();
    Result<sync::Provisioning> prov = sync::decode_provisioning(text.str());
    OUTPOST_TRY(prov);
    OUTPOST_TRY(check_provisioning(args.policy, *prov));
    return prov;
}

// A profile opened headless: its store, forms, records engine and (on request) its sync engine,
// closed in the right order when it goes.
struct OpenProfile {
    std::filesystem::path dir;
    sync::ProfileInfo info;
    std::unique_ptr<Store> store;
    sync::Credentials creds;
    std::unique_ptr<sync::Transport> transport;
    Status blocked = Status::ok();  // why sync may not run (sync::ProfileLink)
    std::unique_ptr<records::RecordEngine> records;
    std::unique_ptr<BlobStore> blobs;
    sync::StoreMutex store_mutex;
    std::unique_ptr<sync::SyncEngine> engine;
    std::vector<sync::FormNotice> form_notices;  // forms this build cannot use in their newest version

    OpenProfile() = default;
    OpenProfile(const OpenProfile&) = delete;
    OpenProfile& operator=(const OpenProfile&) = delete;
    ~OpenProfile() { close(); }
    void close() {
        engine.reset();
        blobs.reset();
        records.reset();
        if (store) {
            store->lock();
        }
    }
    Status start_engine(const sync::SyncOptions& options) {
        if (!blobs) {
            Result<std::unique_ptr<BlobStore>> opened = BlobStore::open(*store);
            OUTPOST_TRY(opened);
            blobs = std::move(*opened);
        }
        Result<std::unique_ptr<sync::SyncEngine>> e =
            sync::SyncEngine::open(*store, *records, *blobs, store_mutex, *transport, creds, options);
        OUTPOST_TRY(e);
        engine = std::move(*e);
        return Status::ok();
    }
};

Status open_profile(const CliArgs& args, const std::filesystem::path& root, OpenProfile& p) {
    Result<std::filesystem::path> dir = sync::profile_dir(root, args.profile);
    OUTPOST_TRY(dir);
    p.dir = *dir;
    OUTPOST_TRY(sync::check_not_wiped(p.dir));
    Result<sync::ProfileInfo> info = sync::read_profile_info(p.dir);
    OUTPOST_TRY(info);
    p.info = std::move(*info);
    Result<std::string> pass = read_passphrase(args, "Passphrase: ");
    OUTPOST_TRY(pass);
    Result<std::unique_ptr<Store>> store = sync::open_profile_store(p.dir, *pass);
    sodium_memzero(pass->data(), pass->size());
    OUTPOST_TRY(store);
    p.store = std::move(*store);
    Result<sync::LaptopForms> forms = sync::profile_forms(*p.store);
    OUTPOST_TRY(forms);
    p.form_notices = forms->notices;
    Result<sync::Credentials> creds = sync::load_credentials(*p.store);
    OUTPOST_TRY(creds);
    p.creds = std::move(*creds);
    Result<sync::ProfileLink> link = sync::open_profile_link(p.dir, p.info, *p.store);
    OUTPOST_TRY(link);
    p.transport = std::move(link->transport);
    p.blocked = link->blocked;
    Result<std::unique_ptr<records::RecordEngine>> records =
        records::RecordEngine::open(*p.store, forms->schemas(), SystemClock::instance());
    OUTPOST_TRY(records);
    p.records = std::move(*records);
    return Status::ok();
}

}  // namespace

namespace {

// What the server lists this laptop as: --device-name, else the computer's name and the person's.
std::string device_name(const CliArgs& args) {
    return args.device_name.empty()
               ? sync::device_name_for(platform::computer_name(),
                                       args.display_name.empty() ? args.profile : args.display_name)
               : args.device_name;
}

// An existing profile enrolled again (sync::reenrol_profile): its passphrase, not a new one.
int run_reenrol(const CliArgs& args, const std::filesystem::path& root, const sync::Provisioning& prov) {
    Result<std::string> pass = read_passphrase(args, "Passphrase of this profile: ");
    if (!pass.is_ok()) {
        return fail(pass.status());
    }
    std::cout << "Profile '" << args.profile << "' exists: enrolling it again with " << prov.server_url
              << ", keeping its records and the changes waiting to be sent ...\n"
              << std::flush;
    Result<sync::ProfileInfo> info = sync::reenrol_profile(root, args.profile, *pass, prov, device_name(args));
    sodium_memzero(pass->data(), pass->size());
    if (!info.is_ok()) {
        return fail(info.status());
    }
    std::cout << "Enrolled again: user " << info->user << " (" << info->role << "), team " << info->team << ", device "
              << info->device_id << ". Changes waiting on this laptop go at the next sync.\n";
    return 0;
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
    std::error_code ec;
    const std::filesystem::path dir = *root / path_from_utf8(args.profile);
    if (std::filesystem::exists(dir / "profile.json", ec) && !sync::read_wipe_notice(dir)) {
        return run_reenrol(args, *root, *prov);
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
    const std::string device = device_name(args);
    std::cout << "Enrolling profile '" << args.profile << "' with " << prov->server_url << " ...\n" << std::flush;
    Result<sync::ProfileInfo> info =
        sync::enrol_profile(*root, args.profile, *pass, *prov, device, {}, args.display_name);
    // A recovery code, when the file carries the service desk's escrow key or the policy asks for one:
    // made now (sealed for the desk), shown in the window at the first unlock (recovery.h).
    Status recovery = Status::ok();
    if (info.is_ok() && (!prov->escrow_key.empty() || args.policy.require_recovery_code)) {
        Result<std::unique_ptr<Store>> store = sync::open_profile_store(dir, *pass);
        Result<std::string> code =
            store.is_ok() ? make_recovery_code(**store, dir, prov->escrow_key) : Result<std::string>(store.status());
        recovery = code.status();
        if (code.is_ok()) {
            sodium_memzero(code->data(), code->size());
        }
    }
    sodium_memzero(pass->data(), pass->size());
    if (!info.is_ok()) {
        return fail(info.status());
    }
    if (!recovery.is_ok()) {
        return fail(
            Status::error(recovery.code(),
                          "the profile is enrolled, but its recovery code could not be made: " + recovery.message()));
    }
    if (!prov->escrow_key.empty()) {
        std::cout << "Recovery code: sealed for the service desk in "
                  << path_to_utf8(*root / path_from_utf8(args.profile) / kSealedRecoveryFile)
                  << "; the window shows it to write down at the first unlock.\n";
    }
    std::cout << "Enrolled: user " << info->user << " (" << info->role << "), team " << info->team << ", device "
              << info->device_id << "\nProfile: " << path_to_utf8((*root / path_from_utf8(args.profile))) << "\n";
    return 0;
}

namespace {

// One headless sync of an enrolled profile; `failed` receives the code when it did not finish.
int sync_profile(const CliArgs& args, const std::filesystem::path& root, std::string& failed) {
    OpenProfile p;
    if (Status st = open_profile(args, root, p); !st.is_ok()) {
        failed = st.code();
        return fail(st);
    }
    int code = 0;
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
    options.blocked = p.blocked;
    options.on_wiped = [&p] { (void)sync::wipe_profile(p.dir, SystemClock::instance().now_ms()); };
    const auto t0 = std::chrono::steady_clock::now();
    if (Status st = p.start_engine(options); !st.is_ok()) {
        failed = st.code();
        return fail(st);
    }
    std::cout << "Syncing profile '" << args.profile << "' (" << p.info.user << ", team " << p.info.team << ") with "
              << p.info.server_url << "\n";
    Result<sync::SyncSummary> sum = p.engine->sync_now();
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    const sync::SyncState st = p.engine->state();
    if (sum.is_ok()) {
        std::cout << "Sync complete in " << ms << " ms: sent " << sum->pushed << " (applied " << sum->applied
                  << ", superseded " << sum->superseded << ", conflicts " << sum->conflicts << ", refused "
                  << sum->rejected << "), received " << sum->pulled << ". Waiting to send: " << st.waiting << ".\n";
    } else if (sum.status().code() == errc::kAuthWiped) {
        // The keys went on the sync thread; the files the store held open go now.
        failed = sum.status().code();
        p.close();
        (void)sync::wipe_profile(p.dir, SystemClock::instance().now_ms());
        return fail(sum.status());
    } else {
        failed = sum.status().code();
        code = fail(sum.status());
        std::cout << "Sync did not finish; " << st.waiting << " change(s) wait on this laptop and will be sent "
                  << "next time.\n";
    }
    // A form this laptop cannot read is said in plain words, as the window says it.
    const std::shared_ptr<const sync::LaptopForms> forms = p.engine->forms();
    for (const sync::FormNotice& n : forms ? forms->notices : p.form_notices) {
        std::cout << sync::form_notice_words(n) << "\n";
    }
    Result<std::vector<sync::RefusedChange>> refused = p.engine->refused();
    if (refused.is_ok() && !refused->empty()) {
        std::cout << refused->size() << " change(s) were refused by the server and are kept here:\n";
        for (const auto& r : *refused) {
            std::cout << "  record " << r.record << ", " << r.field << ": " << r.message << " [" << r.code << "]\n";
        }
    }
    return code;
}

}  // namespace

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
    bool existed = false;
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
        existed = std::filesystem::exists(*root / path_from_utf8(args.profile), ec);
        if (!existed) {
            if (int code = run_enroll(args); code != 0) {
                return code;
            }
        }
    }
    std::string failed;
    int code = sync_profile(args, *root, failed);
    // The server no longer knows this laptop (restored from a backup, or the device revoked): with a
    // new provisioning file, the profile is enrolled again and its waiting changes sent.
    if (code != 0 && existed && (failed == errc::kAuthInvalid || failed == errc::kAuthRevoked)) {
        Result<sync::Provisioning> prov = read_provisioning(args);
        if (!prov.is_ok()) {
            return fail(prov.status());
        }
        if (int again = run_reenrol(args, *root, *prov); again != 0) {
            return again;
        }
        failed.clear();
        code = sync_profile(args, *root, failed);
    }
    return code;
}

int run_status(const CliArgs& args) {
    if (args.profile.empty()) {
        std::cerr << "outpost: status needs --profile NAME\n";
        return 2;
    }
    Result<std::filesystem::path> root = profiles_root(args);
    if (!root.is_ok()) {
        return fail(root.status());
    }
    OpenProfile p;
    if (Status st = open_profile(args, *root, p); !st.is_ok()) {
        return fail(st);
    }
    if (Status st = p.start_engine({}); !st.is_ok()) {
        return fail(st);
    }
    // Every record, a page at a time: case forms and ideas counted, case titles listed on request.
    std::map<std::string, std::int64_t> by_form;
    std::int64_t cases = 0;
    std::int64_t ideas = 0;
    std::vector<std::pair<std::string, std::string>> listed;
    records::ListQuery q;
    q.limit = 500;
    for (;;) {
        Result<records::Page> page = p.records->list(q);
        if (!page.is_ok()) {
            return fail(page.status());
        }
        for (const records::Record& r : page->records) {
            const records::Schema* sch = p.records->schema(r.type);
            if (sch != nullptr && sch->purpose == records::FormPurpose::kCase) {
                ++cases;
                ++by_form[sch->title];
                listed.emplace_back(sch->title, record_title(sch, r));
            } else if (sch != nullptr && sch->purpose == records::FormPurpose::kSuggestion) {
                ++ideas;
            }
        }
        if (!page->next) {
            break;
        }
        q.after = page->next;
    }
    Result<std::vector<Draft>> drafts = Drafts(*p.store).all();
    if (!drafts.is_ok()) {
        return fail(drafts.status());
    }
    Result<std::int64_t> waiting = p.engine->waiting();
    std::cout << "Profile '" << args.profile << "' (" << sync::shown_name(p.info) << "): user " << p.info.user
              << ", team " << p.info.team << ", " << p.info.role << "\n";
    std::cout << "Cases: " << cases;
    const char* sep = " (";
    for (const auto& [form, n] : by_form) {
        std::cout << sep << form << " " << n;
        sep = ", ";
    }
    std::cout << (by_form.empty() ? "" : ")") << "\n";
    std::cout << "Ideas: " << ideas << "\n";
    std::cout << "Unsaved forms: " << drafts->size() << "\n";
    std::cout << "Waiting to send: " << (waiting.is_ok() ? std::to_string(*waiting) : std::string("unknown")) << "\n";
    for (const sync::FormNotice& n : p.form_notices) {
        std::cout << sync::form_notice_words(n) << "\n";
    }
    if (args.list) {
        for (const auto& [form, title] : listed) {
            std::cout << form << "\t" << title << "\n";
        }
    }
    return 0;
}

}  // namespace outpost::client
