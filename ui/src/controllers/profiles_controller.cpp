#include "profiles_controller.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>

#include "app_context.h"
#include "outpost/client/site_policy.h"
#include "outpost/client/words.h"
#include "outpost/core/error_codes.h"
#include "outpost/platform/app_dirs.h"
#include "outpost/platform/process.h"
#include "outpost/platform/utf8.h"
#include "outpost/sync/profile.h"
#include "outpost/sync/provisioning.h"
#include "outpost/ui/widgets.h"
#include "recovery_controller.h"
#include "session_controller.h"
#include "sync_bar_controller.h"
#include "worker.h"

namespace outpost::ui {
namespace {

// Letters A-Z folded to a-z (other bytes as they are): "Ann" and "ann" name the same person.
std::string lower_ascii(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return out;
}

}  // namespace

void ProfilesController::refresh() {
    std::vector<ProfileEntry>& profiles = m_ctx.state.profiles;
    profiles.clear();
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(m_ctx.root, ec)) {
        if (!e.is_directory()) {
            continue;
        }
        Result<sync::ProfileInfo> info = sync::read_profile_info(e.path());
        if (info.is_ok()) {
            // The folder is the profile's name, whatever profile.json says (it may have been copied).
            info->name = path_to_utf8(e.path().filename());
            profiles.push_back({info->name, sync::shown_name(*info), info->user, info->team, info->role,
                                info->server_url, sync::read_wipe_notice(e.path()).has_value()});
        }
    }
    std::sort(profiles.begin(), profiles.end(),
              [](const ProfileEntry& a, const ProfileEntry& b) { return a.display < b.display; });
}

void ProfilesController::choose(const std::string& name) {
    AppState& s = m_ctx.state;
    s.profile = name;
    s.profile_display = name;
    for (const ProfileEntry& p : s.profiles) {
        if (p.name == name) {
            s.profile_display = p.display;
        }
    }
    s.problem.clear();
    s.locked_note.clear();
    s.profile_wiped = false;
    // A profile IT had wiped says so, and offers no passphrase field.
    if (Result<std::filesystem::path> dir = sync::profile_dir(m_ctx.root, name); dir.is_ok()) {
        if (Status wiped = sync::check_not_wiped(*dir); !wiped.is_ok()) {
            s.locked_note = std::string(errc::explain(wiped.code())) + " (" + std::string(wiped.message()) + ")";
            s.profile_wiped = true;
        }
    }
    s.screen = Screen::kUnlock;
}

void ProfilesController::clear_problem() {
    m_ctx.state.problem.clear();
}

void ProfilesController::create(const std::string& name) {
    AppState& s = m_ctx.state;
    s.problem.clear();
    wipe_text_input_state();
    refresh();
    const std::string display = trimmed(name);
    if (display.empty()) {
        s.problem = "Give the profile a name, for example your first name.";
        return;
    }
    std::set<std::string> taken;
    for (const ProfileEntry& p : s.profiles) {
        if (lower_ascii(p.display) == lower_ascii(display) && !p.wiped) {
            s.problem = "There is already a profile called " + p.display + " on this laptop.";
            return;
        }
        taken.insert(p.name);
    }
    // The folder: from the name where it can be ("Lee Jones" -> lee-jones), else "profile"; a number
    // after it when that folder is taken.
    std::string base = sync::profile_folder_name(display);
    if (base.empty()) {
        base = "profile";
    }
    std::string folder = base;
    for (int n = 2; taken.count(folder) != 0 || std::filesystem::exists(m_ctx.root / folder); ++n) {
        folder = base + "-" + std::to_string(n);
    }
    if (client::passphrase_strength(s.passphrase.view(), s.policy.min_passphrase_length).score == 0) {
        s.problem = "The passphrase is too short: use at least " + std::to_string(s.policy.min_passphrase_length) +
                    " characters.";
        return;
    }
    if (s.passphrase.view() != s.passphrase_again.view()) {
        s.problem = "The two passphrases are not the same. Type them again.";
        s.passphrase_again.clear();
        return;
    }
    s.profile = folder;
    s.profile_display = display;
    s.profile_wiped = false;
    s.screen = Screen::kEnrol;
    find_provision_files();
}

void ProfilesController::find_provision_files() {
    std::vector<std::string>& found = m_ctx.state.provision_files;
    found.clear();
    std::vector<std::filesystem::path> places = {std::filesystem::current_path()};
    places.emplace_back(platform::home_folder());
    places.emplace_back(platform::home_folder() / "Downloads");
    for (const auto& dir : places) {
        std::error_code ec;
        for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
            const std::string path = path_to_utf8(std::filesystem::weakly_canonical(e.path(), ec));
            if (e.path().extension() == ".outpost" && std::find(found.begin(), found.end(), path) == found.end()) {
                found.push_back(path);  // once, though home and here may be one folder
            }
        }
    }
}

void ProfilesController::enrol(const std::string& path, const std::string& pasted) {
    AppState& s = m_ctx.state;
    s.problem.clear();
    std::string text = pasted;
    if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
        std::ifstream in(path_from_utf8(path), std::ios::binary);
        if (path.empty() || !in) {
            s.problem = path.empty() ? "Choose the enrolment file from IT, or paste its text."
                                     : "Cannot open " + path + ". Check the file is there.";
            return;
        }
        std::stringstream ss;
        ss << in.rdbuf();
        text = ss.str();
    }
    Result<sync::Provisioning> prov = sync::decode_provisioning(text);
    if (!prov.is_ok()) {
        s.problem = "This is not an Outpost enrolment file. " + client::problem_words(prov.status());
        return;
    }
    if (Status allowed = client::check_provisioning(s.policy, *prov); !allowed.is_ok()) {
        s.problem = allowed.message() + ". " + client::problem_words(allowed);
        return;
    }
    s.working = true;
    s.working_on = "Enrolling with " + prov->server_url + "...";
    auto pass = std::make_shared<SecureText>();
    pass->assign(s.passphrase.view());
    const std::string device = s.device_name.empty()
                                   ? sync::device_name_for(platform::computer_name(),
                                                           s.profile_display.empty() ? s.profile : s.profile_display)
                                   : s.device_name;
    m_ctx.slow.post([q = m_ctx.queue, root = m_ctx.root, name = s.profile, display = s.profile_display, pass, p = *prov,
                     device, &clock = m_ctx.clock, on_sync = m_ctx.sync_bar->waker(),
                     cache = m_ctx.options.store_cache_kib, sessions = m_ctx.sessions, recovery = m_ctx.recovery,
                     required = s.policy.require_recovery_code] {
        Result<sync::ProfileInfo> info = sync::enrol_profile(root, name, pass->view(), p, device, {}, display);
        Result<std::unique_ptr<client::Session>> session =
            info.is_ok() ? client::Session::open(root, name, pass->view(), clock, on_sync, cache)
                         : Result<std::unique_ptr<client::Session>>(info.status());
        pass->clear();
        // The new profile's recovery code (sealed for the service desk when the file names its key).
        std::shared_ptr<CodeToShow> code =
            session.is_ok() ? RecoveryController::prepare(**session, /*make_new=*/true, required, p.escrow_key)
                            : nullptr;
        auto shared = std::make_shared<Result<std::unique_ptr<client::Session>>>(std::move(session));
        q->post([sessions, recovery, shared, code](AppState& st) {
            st.working = false;
            if (!shared->is_ok()) {
                st.problem = client::problem_words(shared->status());
                return;
            }
            st.passphrase.clear();
            st.passphrase_again.clear();
            st.provision_text.clear();
            st.provision_path.clear();
            st.new_profile_name.clear();
            sessions->opened(std::move(**shared));
            recovery->offer(code, /*after_recovery=*/false);
        });
    });
}

void ProfilesController::remove() {
    if (!m_ctx.session) {
        return;
    }
    AppState& s = m_ctx.state;
    const std::filesystem::path dir = m_ctx.session->dir();
    const std::string name = s.profile;
    m_ctx.sessions->lock("");
    m_ctx.sessions->forget_resume();
    // The session closes on the slow worker (lock); its folder goes there after it, and the list is
    // read again once it has. Until then the list here leaves it out.
    m_ctx.slow.post([dir, q = m_ctx.queue, this] {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
        q->post([this](AppState&) { refresh(); });
    });
    s.settings.last_profile.clear();
    m_ctx.save_settings();
    s.confirm_remove = false;
    refresh();
    std::erase_if(s.profiles, [&](const ProfileEntry& p) { return p.name == name; });
    s.profile.clear();
    s.locked_note.clear();
    s.screen = s.profiles.empty() ? Screen::kCreateProfile : Screen::kProfiles;
}

}  // namespace outpost::ui
