#include "outpost/ui/app.h"

#include <imgui.h>
#include <sodium.h>
#if !defined(_WIN32)
#endif

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "keyboard.h"
#include "outpost/core/error_codes.h"
#include "outpost/platform/app_dirs.h"
#include "outpost/platform/connectivity.h"
#include "outpost/platform/process.h"
#include "outpost/sync/profile.h"
#include "outpost/sync/provisioning.h"
#include "outpost/ui/words.h"
#include "theme.h"
#include "views/views.h"
#include "worker.h"

namespace outpost::ui {
namespace {

constexpr std::int64_t kDraftEveryMs = 3000;     // a dirty form is saved as a draft this often
constexpr std::int64_t kProbeEveryMs = 10'000;   // connectivity probe while unlocked
constexpr std::int64_t kSyncBarEveryMs = 1000;   // waiting and refused counts, while syncing
constexpr std::int64_t kSyncBarIdleMs = 60'000;  // ...and otherwise (the sync thread also says when it moves)
constexpr std::int64_t kTickMs = 60'000;         // relative times ("5 minutes ago") stay true
constexpr std::int64_t kSyncSettleMs = 300;      // the sync thread's news is read this much later
constexpr std::int64_t kProgressEveryMs = 250;   // a sync's or an unlock's progress is redrawn this often
constexpr int kSettleFrames = 3;                 // frames drawn after a change, for ImGui's focus and layout to land
constexpr int kPageRows = 200;                   // case-table rows per query

bool is_case_form(const records::Schema* s) {
    return s != nullptr && s->purpose == records::FormPurpose::kCase;
}

std::string status_of(const records::Record& r) {
    const auto it = r.values.find("status");
    if (it != r.values.end()) {
        if (const auto* s = std::get_if<std::string>(&it->second)) {
            return *s;
        }
    }
    return "";
}

std::int64_t steady_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

std::string trimmed(std::string_view s) {
    const std::size_t b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) {
        return "";
    }
    const std::size_t e = s.find_last_not_of(" \t\r\n");
    return std::string(s.substr(b, e - b + 1));
}

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

std::string random_key() {
    unsigned char b[12];
    randombytes_buf(b, sizeof b);
    static const char* hex = "0123456789abcdef";
    std::string out = "draft-";
    for (unsigned char c : b) {
        out += hex[c >> 4U];
        out += hex[c & 15U];
    }
    return out;
}

}  // namespace

SecureText::SecureText() {
    if (Result<SecureBuffer> b = SecureBuffer::create(kCapacity); b.is_ok()) {
        m_buf = std::move(*b);
    }
}

std::string_view SecureText::view() const {
    if (m_buf.empty()) {
        return {};
    }
    const char* p = reinterpret_cast<const char*>(m_buf.data());
    return std::string_view(p, ::strnlen(p, kCapacity));
}

void SecureText::clear() {
    if (!m_buf.empty()) {
        sodium_memzero(m_buf.data(), m_buf.size());
    }
}

void SecureText::assign(std::string_view s) {
    clear();
    if (!m_buf.empty()) {
        std::memcpy(m_buf.data(), s.data(), std::min(s.size(), kCapacity - 1));
    }
}

std::string connection_label(const SyncBar& bar) {
    if (!bar.known) {
        return "Connecting...";
    }
    switch (bar.state.phase) {
        case sync::SyncPhase::kSyncing:
            return "Syncing";
        case sync::SyncPhase::kOffline:
            return "Offline";
        case sync::SyncPhase::kError:
            return bar.online ? "Online - sync problem" : "Offline";
        default:
            return bar.online ? "Online" : "Offline";
    }
}

App::App(AppOptions options, const Clock& clock)
    : m_options(std::move(options)),
      m_clock(clock),
      m_queue(std::make_shared<RunQueue>()),
      m_slow(std::make_unique<Worker>()),
      m_reader(std::make_unique<Worker>()),
      m_probe(std::make_unique<Worker>()) {
    Result<platform::AppDirs> dirs =
        platform::resolve_app_dirs("outpost", platform::current_os(), platform::process_env());
    if (!m_options.data_dir.empty()) {
        m_root = m_options.data_dir / "profiles";
    } else if (dirs.is_ok()) {
        (void)platform::ensure_app_dirs(*dirs);
        m_root = dirs->data / "profiles";
    }
    std::filesystem::path config = m_options.config_dir;
    if (config.empty()) {
        config = !m_options.data_dir.empty() ? m_options.data_dir : (dirs.is_ok() ? dirs->config : ".");
    }
    m_settings_file = config / "settings.txt";
    m_state.settings = UiSettings::load(m_settings_file);
    m_state.policy = m_options.policy;
    m_state.policy_error = m_options.policy_error;
    m_state.settings.auto_lock_minutes = m_state.policy.auto_lock_minutes(m_state.settings.auto_lock_minutes);
    m_state.device_name = m_options.device_name;  // empty: the computer's and the person's names, at enrolment
    m_last_input_ms = m_clock.now_ms();
    m_queue->set_waker(m_options.wake);
    refresh_profiles();
    if (!m_options.provision_file.empty()) {
        m_state.provision_path = m_options.provision_file;
        m_state.screen = Screen::kCreateProfile;
    } else if (m_state.profiles.empty()) {
        m_state.screen = Screen::kCreateProfile;
    } else {
        m_state.screen = Screen::kProfiles;
        for (const ProfileEntry& p : m_state.profiles) {
            if (p.name == m_state.settings.last_profile || m_state.profiles.size() == 1) {
                m_state.profile = p.name;
                m_state.profile_display = p.display;
                m_state.screen = Screen::kUnlock;
            }
        }
    }
}

App::~App() {
    // Closing the window: what was typed since the last autosave goes into the drafts first.
    save_open_drafts();
    m_slow->wait_idle();
    m_reader->wait_idle();
    m_session.reset();
    m_slow.reset();
    m_reader.reset();
    m_probe.reset();
}

std::function<void(const sync::SyncState&)> App::sync_waker() const {
    // On the sync thread: note the change and wake the window; the UI thread reads the state itself.
    return [changed = m_sync_changed, wake = m_options.wake](const sync::SyncState&) {
        changed->store(true);
        if (wake) {
            wake();
        }
    };
}

bool App::run_timers() {
    const std::int64_t now = m_clock.now_ms();
    bool redraw = false;
    if (m_session) {
        check_idle();
        redraw = redraw || !m_session;  // locked
    }
    if (m_session) {
        const bool syncing = m_state.sync.state.phase == sync::SyncPhase::kSyncing;
        // The sync thread said its state moved: read it a moment later, so a try that fails at once
        // (a laptop offline, retrying) reads as it was and draws nothing.
        // (Real time, not the app's clock: this is about drawing, and a test's fake clock stands still.)
        const std::int64_t real = steady_ms();
        if (m_sync_changed->exchange(false) && m_sync_read_at == 0) {
            m_sync_read_at = real + kSyncSettleMs;
        }
        if ((m_sync_read_at != 0 && real >= m_sync_read_at) ||
            now - m_last_sync_bar_ms >= (syncing ? kSyncBarEveryMs : kSyncBarIdleMs)) {
            m_sync_read_at = 0;
            refresh_sync_bar();
        }
        if (now - m_last_probe_ms >= kProbeEveryMs) {
            probe();
        }
        if (now - m_last_draft_check_ms >= kDraftEveryMs) {
            m_last_draft_check_ms = now;
            for (std::optional<RecordScreen>* s : {&m_state.record, &m_state.idea}) {
                if (*s && (*s)->form.dirty()) {
                    redraw = redraw || (*s)->draft_saved_ms == 0;  // "kept as a draft" appears
                    save_draft(**s);
                }
            }
        }
    }
    if (!m_state.toast.empty() && now > m_state.toast_until_ms) {
        m_state.toast.clear();
        redraw = true;
    }
    return redraw;
}

bool App::tick() {
    const std::int64_t now = m_clock.now_ms();
    bool redraw = run_timers();
    for (const std::optional<RecordScreen>* s : {&m_state.record, &m_state.idea}) {
        if (*s && (*s)->saved_ms > 0 && now - (*s)->saved_ms >= 4000 && m_last_frame_ms - (*s)->saved_ms < 4000) {
            redraw = true;  // "Saved" goes
        }
    }
    const bool moving = m_state.sync.state.phase == sync::SyncPhase::kSyncing || m_state.working;
    return redraw || needs_frame() || now - m_last_frame_ms >= (moving ? kProgressEveryMs : kTickMs);
}

bool App::needs_frame() const {
    return m_settle_frames > 0 || !m_queue->empty() || navigation_pending();
}

int App::frame_wait_ms() const {
    if (m_settle_frames > 0 || !m_queue->empty() || m_sync_changed->load() || navigation_pending()) {
        return 0;
    }
    const std::int64_t now = m_clock.now_ms();
    std::int64_t due = m_last_frame_ms + kTickMs;
    auto soon = [&](std::int64_t at) { due = std::min(due, at); };
    if (m_session) {
        const bool syncing = m_state.sync.state.phase == sync::SyncPhase::kSyncing;
        if (syncing || m_state.working) {
            soon(m_last_frame_ms + kProgressEveryMs);  // the progress bar moves
        }
        soon(m_last_sync_bar_ms + (syncing ? kSyncBarEveryMs : kSyncBarIdleMs));
        if (m_sync_read_at != 0) {
            soon(now + std::max<std::int64_t>(0, m_sync_read_at - steady_ms()));
        }
        soon(m_last_probe_ms + kProbeEveryMs);
        const int minutes = m_state.policy.auto_lock_minutes(m_state.settings.auto_lock_minutes);
        soon(m_last_input_ms + static_cast<std::int64_t>(minutes) * 60'000);
        for (const std::optional<RecordScreen>* s : {&m_state.record, &m_state.idea}) {
            if (*s) {
                if ((*s)->form.dirty()) {
                    soon(m_last_draft_check_ms + kDraftEveryMs);
                }
                if ((*s)->saved_ms > 0 && now - (*s)->saved_ms < 4000) {
                    soon((*s)->saved_ms + 4000);
                }
            }
        }
    }
    if (!m_state.toast.empty()) {
        soon(m_state.toast_until_ms + 1);
    }
    return static_cast<int>(std::clamp<std::int64_t>(due - now, 0, kTickMs));
}

std::string App::window_title() const {
    if (!m_state.policy_error.empty()) {
        return "Outpost - Site policy not valid";
    }
    std::string where;
    if (!m_state.unlocked) {
        switch (m_state.screen) {
            case Screen::kCreateProfile:
                where = "Create a profile";
                break;
            case Screen::kEnrol:
                where = "Enrol";
                break;
            case Screen::kUnlock:
                where = "Unlock";
                break;
            default:
                where = "Profiles";
                break;
        }
    } else if (m_state.idea) {
        where = "New idea";
    } else {
        switch (m_state.screen) {
            case Screen::kRecord:
                if (m_state.record && m_state.record->form.schema() != nullptr) {
                    where = (m_state.record->form.is_new() ? "New " : "") + m_state.record->form.schema()->title +
                            (m_state.record->form.dirty() ? " (not saved)" : "");
                }
                break;
            case Screen::kSuggestions:
                where = "Suggestions";
                break;
            case Screen::kReview:
                where = "Review queue";
                break;
            case Screen::kLibrary:
                where = "Library";
                break;
            case Screen::kDashboard:
                where = "Dashboard";
                break;
            case Screen::kConflicts:
                where = "Conflicts";
                break;
            case Screen::kSettings:
                where = "Settings";
                break;
            default:
                where = "Cases";
                break;
        }
    }
    return where.empty() ? "Outpost" : "Outpost - " + where;
}

bool App::busy() const {
    return m_slow->busy() || m_reader->busy() || !m_queue->empty();
}

void App::save_open_drafts() {
    for (std::optional<RecordScreen>* s : {&m_state.record, &m_state.idea}) {
        if (*s && (*s)->form.dirty()) {
            save_draft(**s);
        }
    }
}

float App::font_pixels() const {
    return std::round(17.0F * m_options.display_scale * m_state.settings.font_scale);
}

void App::apply_look() const {
    set_current_fonts(load_fonts(bundled_fonts_dir(), font_pixels()));
    apply_theme(m_state.settings.theme, m_options.display_scale * m_state.settings.font_scale);
}

void App::toast(std::string text) {
    m_state.toast = std::move(text);
    m_state.toast_until_ms = m_clock.now_ms() + 2500;
}

void App::save_settings() {
    (void)m_state.settings.save(m_settings_file);
}

void App::refresh_profiles() {
    m_state.profiles.clear();
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(m_root, ec)) {
        if (!e.is_directory()) {
            continue;
        }
        Result<sync::ProfileInfo> info = sync::read_profile_info(e.path());
        if (info.is_ok()) {
            // The folder is the profile's name, whatever profile.json says (it may have been copied).
            info->name = e.path().filename().string();
            m_state.profiles.push_back(
                {info->name, sync::shown_name(*info), info->user, info->team, info->role, info->server_url});
        }
    }
    std::sort(m_state.profiles.begin(), m_state.profiles.end(),
              [](const ProfileEntry& a, const ProfileEntry& b) { return a.display < b.display; });
}

void App::frame() {
    adjust_navigation();
    if (m_queue->drain(m_state) > 0) {
        m_settle_frames = std::max(m_settle_frames, 1);  // this frame draws the result; one more settles it
    } else if (m_settle_frames > 0) {
        --m_settle_frames;
    }
    ++m_state.frame;
    m_widgets.begin_frame();
    const std::int64_t now = m_clock.now_ms();
    const ImGuiIO& io = ImGui::GetIO();
    bool input =
        io.MouseDelta.x != 0.0F || io.MouseDelta.y != 0.0F || io.MouseWheel != 0.0F || !io.InputQueueCharacters.empty();
    for (bool down : io.MouseDown) {
        input = input || down;
    }
    for (bool down : io.KeysDown) {
        input = input || down;
    }
    if (input) {
        m_last_input_ms = now;
    }
    m_last_frame_ms = now;
    run_timers();
    Intents intents;
    handle_shortcuts(intents);
    draw_views(intents);
    for (const Intent& i : intents) {
        apply(i);
    }
    if (!intents.empty()) {
        m_settle_frames = kSettleFrames;  // what the intents changed is drawn, and focus requests land
    }
}

void App::draw_views(Intents& intents) {
    ViewContext ctx{intents, m_widgets, m_state, m_clock.now_ms()};
    if (!m_state.policy_error.empty()) {
        draw_policy_error(ctx);  // nothing else: a broken policy must not fall back to defaults
        return;
    }
    draw_status_bar(ctx);
    if (!m_state.unlocked) {
        switch (m_state.screen) {
            case Screen::kCreateProfile:
                draw_create_profile(ctx);
                break;
            case Screen::kEnrol:
                draw_enrol(ctx);
                break;
            case Screen::kUnlock:
                draw_unlock(ctx);
                break;
            default:
                draw_profiles(ctx);
                break;
        }
        return;
    }
    draw_shell(ctx);
    if (m_state.idea) {
        draw_idea(ctx);
    }
    draw_attachment_viewer(ctx);
}

void App::handle_shortcuts(Intents& intents) {
    const ImGuiIO& io = ImGui::GetIO();
    if (!io.KeyCtrl || !m_state.unlocked) {
        return;
    }
    // GLFW's key codes for letters are their upper-case ASCII codes (the backend fills KeysDown[]).
    auto pressed = [](char c) { return ImGui::IsKeyPressed(static_cast<int>(c), false); };
    if (io.KeyShift && pressed('N')) {
        intents.emplace_back(OpenIdeaIntent{});
    } else if (pressed('N')) {
        if (m_state.screen != Screen::kCases) {
            intents.emplace_back(GoToIntent{Screen::kCases});
        }
        m_state.cases.pick_form = true;
    } else if (pressed('S')) {
        if (m_state.idea) {
            intents.emplace_back(SaveIdeaIntent{});
        } else if (m_state.screen == Screen::kRecord && m_state.record) {
            intents.emplace_back(SaveRecordIntent{});
        }
    } else if (pressed('F')) {
        if (m_state.screen != Screen::kCases) {
            intents.emplace_back(GoToIntent{Screen::kCases});
        }
        m_state.cases.focus_search = true;
    } else if (pressed('L')) {
        intents.emplace_back(LockIntent{});
    }
}

void App::check_idle() {
    if (!m_session) {
        return;
    }
    const int minutes = m_state.policy.auto_lock_minutes(m_state.settings.auto_lock_minutes);
    const std::int64_t idle = m_clock.now_ms() - m_last_input_ms;
    if (idle >= static_cast<std::int64_t>(minutes) * 60'000) {
        lock("Locked after " + std::to_string(minutes) +
             " minutes without use. Your unsaved answers are kept, encrypted.");
    }
}

void App::apply(const Intent& intent) {
    std::visit(
        [this](const auto& i) {
            using T = std::decay_t<decltype(i)>;
            if constexpr (std::is_same_v<T, GoToIntent>) {
                if (i.screen == Screen::kCreateProfile || i.screen == Screen::kProfiles) {
                    m_state.problem.clear();
                    m_state.passphrase.clear();
                    m_state.passphrase_again.clear();
                    m_state.locked_note.clear();
                    refresh_profiles();  // another profile may have been made since the list was read
                    if (i.screen == Screen::kCreateProfile && m_state.screen != Screen::kEnrol) {
                        // A new person: nothing of the last one's name or enrolment file.
                        m_state.new_profile_name.clear();
                        m_state.provision_path.clear();
                        m_state.provision_text.clear();
                    }
                }
                if (i.screen != m_state.screen) {
                    m_state.toast.clear();
                }
                m_state.screen = i.screen;
                if (i.screen == Screen::kSuggestions || i.screen == Screen::kReview || i.screen == Screen::kLibrary ||
                    i.screen == Screen::kDashboard) {
                    load_suggestions();
                } else if (i.screen == Screen::kConflicts) {
                    load_conflicts();
                } else if (i.screen == Screen::kCases && m_session) {
                    query_cases(false);
                }
            } else if constexpr (std::is_same_v<T, ChooseProfileIntent>) {
                m_state.profile = i.name;
                m_state.profile_display = i.name;
                for (const ProfileEntry& p : m_state.profiles) {
                    if (p.name == i.name) {
                        m_state.profile_display = p.display;
                    }
                }
                m_state.problem.clear();
                m_state.locked_note.clear();
                m_state.screen = Screen::kUnlock;
            } else if constexpr (std::is_same_v<T, CreateProfileIntent>) {
                create_profile();
            } else if constexpr (std::is_same_v<T, ClearProblemIntent>) {
                m_state.problem.clear();
            } else if constexpr (std::is_same_v<T, EnrolIntent>) {
                enrol();
            } else if constexpr (std::is_same_v<T, UnlockIntent>) {
                unlock();
            } else if constexpr (std::is_same_v<T, LockIntent>) {
                lock("Locked. Your unsaved answers are kept, encrypted.");
            } else if constexpr (std::is_same_v<T, SyncNowIntent>) {
                if (m_session) {
                    m_session->request_sync();
                    m_last_probe_ms = m_clock.now_ms();
                }
            } else if constexpr (std::is_same_v<T, QueryChangedIntent>) {
                query_cases(false);
            } else if constexpr (std::is_same_v<T, MoreRowsIntent>) {
                query_cases(true);
            } else if constexpr (std::is_same_v<T, OpenRecordIntent>) {
                open_record(i.id);
            } else if constexpr (std::is_same_v<T, NewRecordIntent>) {
                new_record(i.type);
            } else if constexpr (std::is_same_v<T, SaveRecordIntent>) {
                if (m_state.record) {
                    save_form(*m_state.record, false);
                }
            } else if constexpr (std::is_same_v<T, CloseRecordIntent>) {
                if (m_state.record && m_session) {
                    (void)m_session->discard_draft(m_state.record->draft_key);
                }
                m_state.record.reset();
                m_state.screen = Screen::kCases;
                query_cases(false);
            } else if constexpr (std::is_same_v<T, ContinueDraftIntent>) {
                continue_draft(i.key);
            } else if constexpr (std::is_same_v<T, DiscardDraftIntent>) {
                if (m_session) {
                    (void)m_session->discard_draft(i.key);
                }
                std::erase_if(m_state.drafts_found, [&](const FoundDraft& d) { return d.draft.key == i.key; });
            } else if constexpr (std::is_same_v<T, OpenIdeaIntent>) {
                if (m_session && !m_state.idea) {
                    if (const records::Schema* sch = m_session->schema("suggestion")) {
                        RecordScreen s;
                        s.form = FormModel::blank(*sch);
                        s.draft_key = random_key();
                        s.heading = "A new idea";
                        s.focus_first = true;
                        m_state.idea = std::move(s);
                    }
                }
            } else if constexpr (std::is_same_v<T, SaveIdeaIntent>) {
                if (m_state.idea) {
                    save_form(*m_state.idea, true);
                }
            } else if constexpr (std::is_same_v<T, CloseIdeaIntent>) {
                if (m_state.idea && m_session) {
                    (void)m_session->discard_draft(m_state.idea->draft_key);
                }
                m_state.idea.reset();
            } else if constexpr (std::is_same_v<T, PutIdeaAsideIntent>) {
                if (m_state.idea && m_session) {
                    const bool typed = m_state.idea->form.dirty();
                    if (typed) {
                        save_draft(*m_state.idea);
                    } else {
                        (void)m_session->discard_draft(m_state.idea->draft_key);
                    }
                    m_state.idea.reset();
                    if (typed) {
                        find_drafts();
                        toast("Your idea is kept as a draft: continue it from Cases.");
                    }
                }
                m_state.idea.reset();
            } else if constexpr (std::is_same_v<T, ResolveConflictIntent>) {
                resolve_conflict(i);
            } else if constexpr (std::is_same_v<T, SelectSuggestionIntent> || std::is_same_v<T, EndorseIntent> ||
                                 std::is_same_v<T, CommentIntent> || std::is_same_v<T, DecideIntent> ||
                                 std::is_same_v<T, MarkDuplicateIntent> || std::is_same_v<T, ShareIntent> ||
                                 std::is_same_v<T, AdoptIntent> || std::is_same_v<T, MarkNoticesReadIntent> ||
                                 std::is_same_v<T, QueueChangedIntent>) {
                apply_review(Intent{i});
            } else if constexpr (std::is_same_v<T, SetPrefetchIntent>) {
                if (m_session) {
                    if (Status st = m_session->set_prefetch_attachments(i.on); st.is_ok()) {
                        m_state.prefetch_attachments = i.on;
                        if (i.on) {
                            m_session->request_sync();
                        }
                    } else {
                        m_state.settings_message = problem_words(st);
                    }
                }
            } else if constexpr (std::is_same_v<T, AttachFileIntent> || std::is_same_v<T, RemoveAttachmentIntent> ||
                                 std::is_same_v<T, OpenAttachmentIntent> || std::is_same_v<T, SaveAttachmentIntent>) {
                apply_attachment(Intent{i});
            } else if constexpr (std::is_same_v<T, ChangePassphraseIntent>) {
                change_passphrase();
            } else if constexpr (std::is_same_v<T, SetAutoLockIntent>) {
                m_state.settings.auto_lock_minutes = m_state.policy.auto_lock_minutes(i.minutes);
                save_settings();
            } else if constexpr (std::is_same_v<T, SetFontScaleIntent>) {
                m_state.settings.font_scale = std::clamp(i.scale, 0.8F, 2.0F);
                ++m_fonts_generation;
                save_settings();
            } else if constexpr (std::is_same_v<T, SetThemeIntent>) {
                m_state.settings.theme = i.theme;
                ++m_fonts_generation;  // the host re-applies the style with the fonts
                save_settings();
            } else if constexpr (std::is_same_v<T, RemoveProfileIntent>) {
                remove_profile();
            } else if constexpr (std::is_same_v<T, QuitIntent>) {
                m_quit = true;
            }
        },
        intent);
}

// ---- profiles: create, enrol, unlock, lock -------------------------------------------------------

void App::create_profile() {
    m_state.problem.clear();
    wipe_text_input_state();
    refresh_profiles();
    const std::string display = trimmed(m_state.new_profile_name);
    if (display.empty()) {
        m_state.problem = "Give the profile a name, for example your first name.";
        return;
    }
    std::set<std::string> taken;
    for (const ProfileEntry& p : m_state.profiles) {
        if (lower_ascii(p.display) == lower_ascii(display)) {
            m_state.problem = "There is already a profile called " + p.display + " on this laptop.";
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
    std::string name = base;
    for (int n = 2; taken.count(name) != 0 || std::filesystem::exists(m_root / name); ++n) {
        name = base + "-" + std::to_string(n);
    }
    if (passphrase_strength(m_state.passphrase.view(), m_state.policy.min_passphrase_length).score == 0) {
        m_state.problem = "The passphrase is too short: use at least " +
                          std::to_string(m_state.policy.min_passphrase_length) + " characters.";
        return;
    }
    if (m_state.passphrase.view() != m_state.passphrase_again.view()) {
        m_state.problem = "The two passphrases are not the same. Type them again.";
        m_state.passphrase_again.clear();
        return;
    }
    m_state.profile = name;
    m_state.profile_display = display;
    m_state.screen = Screen::kEnrol;
    // The file picker offers the enrolment files IT usually hands out: in Downloads, home and here.
    m_state.provision_files.clear();
    std::vector<std::filesystem::path> places = {std::filesystem::current_path()};
    places.emplace_back(platform::home_folder());
    places.emplace_back(platform::home_folder() / "Downloads");
    for (const auto& dir : places) {
        std::error_code ec;
        for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
            const std::string path = std::filesystem::weakly_canonical(e.path(), ec).string();
            if (e.path().extension() == ".outpost" &&
                std::find(m_state.provision_files.begin(), m_state.provision_files.end(), path) ==
                    m_state.provision_files.end()) {
                m_state.provision_files.push_back(path);  // once, though home and here may be one folder
            }
        }
    }
}

void App::enrol() {
    m_state.problem.clear();
    std::string text = m_state.provision_text;
    if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
        std::ifstream in(m_state.provision_path, std::ios::binary);
        if (m_state.provision_path.empty() || !in) {
            m_state.problem = m_state.provision_path.empty()
                                  ? "Choose the enrolment file from IT, or paste its text."
                                  : "Cannot open " + m_state.provision_path + ". Check the file is there.";
            return;
        }
        std::stringstream ss;
        ss << in.rdbuf();
        text = ss.str();
    }
    Result<sync::Provisioning> prov = sync::decode_provisioning(text);
    if (!prov.is_ok()) {
        m_state.problem = "This is not an Outpost enrolment file. " + problem_words(prov.status());
        return;
    }
    if (Status allowed = check_provisioning(m_state.policy, *prov); !allowed.is_ok()) {
        m_state.problem = allowed.message() + ". " + problem_words(allowed);
        return;
    }
    m_state.working = true;
    m_state.working_on = "Enrolling with " + prov->server_url + "...";
    auto pass = std::make_shared<SecureText>();
    pass->assign(m_state.passphrase.view());
    const std::string device =
        m_state.device_name.empty()
            ? sync::device_name_for(platform::computer_name(),
                                    m_state.profile_display.empty() ? m_state.profile : m_state.profile_display)
            : m_state.device_name;
    m_slow->post([this, q = m_queue, root = m_root, name = m_state.profile, display = m_state.profile_display, pass,
                  p = *prov, device, &clock = m_clock] {
        Result<sync::ProfileInfo> info = sync::enrol_profile(root, name, pass->view(), p, device, {}, display);
        Result<std::unique_ptr<Session>> session =
            info.is_ok() ? Session::open(root, name, pass->view(), clock, sync_waker(), m_options.store_cache_kib)
                         : Result<std::unique_ptr<Session>>(info.status());
        pass->clear();
        auto shared = std::make_shared<Result<std::unique_ptr<Session>>>(std::move(session));
        q->post([this, shared](AppState& s) {
            s.working = false;
            if (!shared->is_ok()) {
                s.problem = problem_words(shared->status());
                return;
            }
            s.passphrase.clear();
            s.passphrase_again.clear();
            s.provision_text.clear();
            s.provision_path.clear();
            s.new_profile_name.clear();
            opened(std::move(**shared));
        });
    });
}

void App::unlock() {
    m_state.problem.clear();
    if (m_state.passphrase.view().empty()) {
        m_state.problem = "Type your passphrase.";
        return;
    }
    wipe_text_input_state();
    m_state.working = true;
    m_state.working_on = "Unlocking...";
    auto pass = std::make_shared<SecureText>();
    pass->assign(m_state.passphrase.view());
    m_state.passphrase.clear();
    m_slow->post([this, q = m_queue, root = m_root, name = m_state.profile, pass, &clock = m_clock] {
        Result<std::unique_ptr<Session>> session =
            Session::open(root, name, pass->view(), clock, sync_waker(), m_options.store_cache_kib);
        pass->clear();
        auto shared = std::make_shared<Result<std::unique_ptr<Session>>>(std::move(session));
        q->post([this, shared](AppState& s) {
            s.working = false;
            if (!shared->is_ok()) {
                s.problem = problem_words(shared->status());
                s.focus_passphrase = true;  // type it again straight away
                return;
            }
            opened(std::move(**shared));
        });
    });
}

void App::opened(std::unique_ptr<Session> session) {
    if (m_session) {
        lock("");  // never two sessions: the workers may still hold the first
    }
    m_session = std::move(session);
    ++m_generation;
    wipe_text_input_state();
    m_last_input_ms = m_clock.now_ms();
    const sync::ProfileInfo& info = m_session->info();
    m_state.unlocked = true;
    m_state.problem.clear();
    m_state.locked_note.clear();
    m_state.user = info.user;
    m_state.role = info.role;
    m_state.team = info.team;
    m_state.server_url = info.server_url;
    m_state.device_id = info.device_id;
    m_state.prefetch_attachments = m_session->prefetch_attachments();
    m_state.settings.last_profile = m_state.profile;
    m_state.profile_display = sync::shown_name(info);
    save_settings();
    refresh_profiles();
    m_state.forms.clear();
    for (const records::Schema& s : m_session->schemas()) {
        if (is_case_form(&s)) {
            m_state.forms.emplace_back(s.type, s.title);
        }
    }
    m_state.sync = SyncBar{};
    m_last_probe->store(-1);  // the next probe's answer is news to this session
    // The status bar polls the sync engine's state (thread-safe) once a second, so no callback from
    // the sync thread can outlive the session.
    m_session->start_sync();
    m_last_sync_bar_ms = m_clock.now_ms();
    m_state.screen = m_resume_screen;
    if (!m_resume_draft.empty() || !m_resume_idea_draft.empty()) {
        Result<std::vector<Draft>> drafts = m_session->drafts();
        for (const Draft& d : drafts.is_ok() ? *drafts : std::vector<Draft>{}) {
            if (d.key == m_resume_idea_draft) {
                apply(OpenIdeaIntent{});
                if (m_state.idea) {
                    m_state.idea->draft_key = d.key;
                    m_state.idea->form.restore(d.texts);
                }
            } else if (d.key == m_resume_draft) {
                if (!d.record_id.empty()) {
                    open_record(d.record_id);
                } else {
                    new_record(d.type);
                }
                if (m_state.record && m_state.record->form.record_id() == d.record_id) {
                    m_state.record->draft_key = d.key;
                    m_state.record->form.restore(d.texts);
                }
                if (d.texts.empty()) {
                    (void)m_session->discard_draft(d.key);  // only marked where to come back to
                }
            }
        }
        m_resume_draft.clear();
        m_resume_idea_draft.clear();
    }
    find_drafts();
    if (m_state.screen == Screen::kRecord && !m_state.record) {
        m_state.screen = Screen::kCases;
    }
    // The reader runs these in order: the first page of cases first, for the first screen.
    query_cases(false);
    load_suggestions();  // the navigation shows the notices and the open queue
    load_conflicts();    // ...and how many conflicts are open
    refresh_sync_bar();
}

void App::lock(const std::string& why) {
    if (!m_session) {
        return;
    }
    // Unsaved answers go into the encrypted store first; then nothing decrypted stays in memory.
    save_open_drafts();
    m_resume_screen = m_state.screen;
    m_resume_draft.clear();
    m_resume_idea_draft.clear();
    if (m_state.idea && m_state.idea->form.dirty()) {
        m_resume_idea_draft = m_state.idea->draft_key;
    }
    if (m_state.record) {
        if (m_state.record->form.dirty()) {
            m_resume_draft = m_state.record->draft_key;
        } else if (!m_state.record->form.record_id().empty()) {
            // Nothing unsaved: come back to the record itself (an empty draft, discarded on return).
            Draft d{m_state.record->draft_key,
                    m_state.record->form.schema()->type,
                    m_state.record->form.record_id(),
                    {},
                    m_clock.now_ms()};
            if (m_session->save_draft(d).is_ok()) {
                m_resume_draft = d.key;
            }
        }
    }
    m_reader->wait_idle();
    ++m_generation;  // results of work begun before now are dropped when drained
    ++m_state.cases.query;
    // Closing the session stops the sync engine, which may be waiting on the network: that happens
    // on the slow worker, so the screen locks at once. Unlocking again queues behind it.
    std::shared_ptr<Session> closing(std::move(m_session));
    m_slow->post([closing]() mutable { closing.reset(); });  // closes the store and wipes the key
    wipe_text_input_state();
    m_state.unlocked = false;
    m_state.record.reset();
    m_state.idea.reset();
    m_state.cases.rows.clear();
    m_state.cases.rows.shrink_to_fit();
    m_state.cases.next.reset();
    m_state.cases.loading = false;
    m_state.cases.search.clear();
    m_state.review = ReviewState{};
    drop_pictures();
    m_state.attachments = Attachments{};
    m_state.conflicts.clear();
    m_state.drafts_found.clear();
    m_state.sync = SyncBar{};
    m_state.old_passphrase.clear();
    m_state.passphrase.clear();
    m_state.passphrase_again.clear();
    m_state.toast.clear();
    m_state.locked_note = why;
    m_state.problem.clear();
    m_state.screen = Screen::kUnlock;
}

void App::remove_profile() {
    if (!m_session) {
        return;
    }
    const std::filesystem::path dir = m_session->dir();
    lock("");
    m_resume_screen = Screen::kCases;
    m_resume_draft.clear();
    m_resume_idea_draft.clear();
    m_slow->wait_idle();  // the session closed before its files go
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    m_state.settings.last_profile.clear();
    save_settings();
    m_state.confirm_remove = false;
    refresh_profiles();
    m_state.profile.clear();
    m_state.locked_note.clear();
    m_state.screen = m_state.profiles.empty() ? Screen::kCreateProfile : Screen::kProfiles;
}

void App::change_passphrase() {
    m_state.settings_message.clear();
    if (!m_session) {
        return;
    }
    if (passphrase_strength(m_state.passphrase.view(), m_state.policy.min_passphrase_length).score == 0) {
        m_state.settings_message = "The new passphrase is too short: use at least " +
                                   std::to_string(m_state.policy.min_passphrase_length) + " characters.";
        return;
    }
    if (m_state.passphrase.view() != m_state.passphrase_again.view()) {
        m_state.settings_message = "The two new passphrases are not the same.";
        return;
    }
    auto old_pass = std::make_shared<SecureText>();
    auto new_pass = std::make_shared<SecureText>();
    old_pass->assign(m_state.old_passphrase.view());
    new_pass->assign(m_state.passphrase.view());
    m_state.old_passphrase.clear();
    m_state.passphrase.clear();
    m_state.passphrase_again.clear();
    wipe_text_input_state();
    m_state.working = true;
    m_state.working_on = "Changing the passphrase...";
    Session* session = m_session.get();  // lock() waits for this worker before the session goes
    m_slow->post([q = m_queue, session, old_pass, new_pass] {
        const Status s = session->change_passphrase(old_pass->view(), new_pass->view());
        old_pass->clear();
        new_pass->clear();
        q->post([s](AppState& st) {
            st.working = false;
            st.settings_message = s.is_ok() ? "Passphrase changed. Use the new one from now on." : problem_words(s);
        });
    });
}

// ---- sync bar and connectivity ------------------------------------------------------------------

void SyncBar::take_sync_state(const sync::SyncState& s) {
    const bool moved = s.phase != state.phase || s.last_success_ms != state.last_success_ms || s.code != state.code;
    state = s;
    known = known || s.phase != sync::SyncPhase::kIdle;
    if (!moved) {
        return;
    }
    if (s.phase == sync::SyncPhase::kUpToDate || s.phase == sync::SyncPhase::kSyncing) {
        online = true;
    } else if (s.phase == sync::SyncPhase::kOffline) {
        online = false;
    }
}

void SyncBar::take_probe(bool up) {
    online = up;
    known = true;
}

void App::on_sync_state(const sync::SyncState& s) {
    m_state.sync.take_sync_state(s);
}

void App::refresh_sync_bar() {
    m_last_sync_bar_ms = m_clock.now_ms();
    if (!m_session) {
        return;
    }
    if (attaching_screen() != nullptr) {  // the open form's files: progress, arrivals
        refresh_attachments();
        load_thumbnails();
    }
    // Counting what waits to be sent reads the outbox: on the reader, never in a frame.
    Session* session = m_session.get();  // lock() waits for the reader before the session goes
    m_reader->post([this, q = m_queue, session, gen = m_generation, last = m_last_bar] {
        const sync::SyncState state = session->sync_state();
        Result<std::int64_t> waiting = session->waiting();
        Result<std::vector<sync::RefusedChange>> refused = session->refused();
        {
            // Nothing new since the last read: nothing to draw.
            const std::string seen =
                std::to_string(static_cast<int>(state.phase)) + "/" + std::to_string(state.last_success_ms) + "/" +
                state.code + "/" + std::to_string(state.pushed) + "/" + std::to_string(state.pulled) + "/" +
                std::to_string(state.files_waiting) + "/" + std::to_string(waiting.is_ok() ? *waiting : -1) + "/" +
                std::to_string(refused.is_ok() ? static_cast<std::int64_t>(refused->size()) : -1);
            std::lock_guard lock(last->mutex);
            if (last->seen == seen && last->generation == gen) {
                return;
            }
            last->seen = seen;
            last->generation = gen;
        }
        q->post(for_session(gen, [this, state, waiting, refused](AppState& s) mutable {
            const std::int64_t last_success = s.sync.state.last_success_ms;
            on_sync_state(state);
            if (waiting.is_ok()) {
                s.sync.state.waiting = *waiting;
            }
            if (refused.is_ok()) {
                s.sync.refused = std::move(*refused);
            }
            // A sync finished since the last look: what it brought in makes the lists stale. The case
            // table is read again only while it shows its first page: a worker scrolled deep into it
            // keeps their place.
            if (s.sync.state.last_success_ms != last_success && s.sync.state.last_success_ms != 0 && m_session) {
                if (s.screen == Screen::kCases && s.cases.rows.size() <= static_cast<std::size_t>(kPageRows)) {
                    query_cases(false);
                }
                load_suggestions();  // decisions may have arrived
                load_conflicts();
            }
        }));
    });
}

void App::probe() {
    m_last_probe_ms = m_clock.now_ms();
    if (!m_session) {
        return;
    }
    if (m_probe->busy()) {
        return;  // a probe still waiting for a slow network
    }
    // On its own worker: a name lookup or a connect can take seconds on a bad network, and must not
    // hold up searches. It touches no session, so locking never waits for it.
    m_probe->post([this, q = m_queue, url = m_state.server_url, gen = m_generation, last = m_last_probe] {
        const bool up = platform::can_connect(url, std::chrono::milliseconds(1500));
        if (last->exchange(up ? 1 : 0) == (up ? 1 : 0)) {
            return;  // the same answer as last time: nothing to draw (the window rests)
        }
        q->post(for_session(gen, [this, up](AppState& s) {
            const bool was_offline = s.sync.state.phase == sync::SyncPhase::kOffline;
            s.sync.take_probe(up);
            if (up && was_offline && m_session) {
                m_session->request_sync();  // a connection appeared: sync now, not at the next retry
            }
        }));
    });
}

// ---- case list ---------------------------------------------------------------------------------

void App::query_cases(bool more) {
    if (!m_session) {
        return;
    }
    CaseList& c = m_state.cases;
    if (more && (!c.next || c.loading)) {
        return;
    }
    if (!more) {
        ++c.query;
    }
    c.loading = true;
    records::ListQuery q;
    q.type = c.type;
    q.search = c.search;
    q.sort = c.sort;
    q.descending = c.descending;
    q.limit = kPageRows;
    if (more) {
        q.after = c.next;
    }
    Session* session = m_session.get();  // lock() waits for the reader before the session goes
    m_reader->post([this, q = std::move(q), id = c.query, more, session, queue = m_queue, gen = m_generation] {
        Result<records::Page> page = session->with_records([&](records::RecordEngine& e) { return e.list(q); });
        std::vector<CaseRow> rows;
        std::optional<records::Cursor> next;
        std::string problem;
        if (page.is_ok()) {
            rows.reserve(page->records.size());
            for (const records::Record& r : page->records) {
                const records::Schema* sch = session->schema(r.type);
                if (q.type.empty() && !is_case_form(sch)) {
                    continue;
                }
                rows.push_back({r.id, r.type, sch != nullptr ? sch->title : humanise(r.type), record_title(sch, r),
                                r.created_by, humanise(status_of(r)), r.created_ms, r.updated_ms});
            }
            next = page->next;
        } else {
            problem = problem_words(page.status());
        }
        std::vector<std::string> ids;
        for (const CaseRow& r : rows) {
            ids.push_back(r.id);
        }
        queue->post(for_session(gen, [this, rows = std::move(rows), next, problem, id, more](AppState& s) mutable {
            if (s.cases.query != id) {
                return;  // the search changed since: a newer answer is coming
            }
            s.cases.loading = false;
            s.cases.problem = problem;
            if (!more) {
                s.cases.rows.assign(std::make_move_iterator(rows.begin()), std::make_move_iterator(rows.end()));
            } else {
                s.cases.rows.insert(s.cases.rows.end(), std::make_move_iterator(rows.begin()),
                                    std::make_move_iterator(rows.end()));
            }
            s.cases.next = next;
            // "All forms" leaves suggestions and conflicts out here: a page that was mostly those
            // fills up with the next one, so the table never shows "no cases" with more to come.
            if (s.cases.next && s.cases.rows.size() < static_cast<std::size_t>(kPageRows)) {
                query_cases(true);
            }
        }));
        // Cases have no status of their own: the column says whether each has reached the server.
        // Read after the rows are shown: it waits for the store while a sync holds it.
        Result<sync::SyncEngine::RecordSyncStatus> sent = session->record_status(ids);
        if (!sent.is_ok()) {
            return;
        }
        std::map<std::string, std::string> status;
        for (const std::string& rid : ids) {
            status[rid] = sent->refused.count(rid) != 0   ? "Refused"
                          : sent->waiting.count(rid) != 0 ? "Not sent yet"
                                                          : "Sent";
        }
        queue->post(for_session(gen, [status = std::move(status), id](AppState& s) {
            if (s.cases.query != id) {
                return;
            }
            // The page's rows are the last ones in the table (pages are only ever appended).
            std::size_t found = 0;
            for (auto it = s.cases.rows.rbegin(); it != s.cases.rows.rend() && found < status.size(); ++it) {
                if (const auto st = status.find(it->id); st != status.end()) {
                    ++found;
                    if (it->status.empty() || it->status == "Not sent yet" || it->status == "Sent" ||
                        it->status == "Refused") {
                        it->status = st->second;
                    }
                }
            }
        }));
    });
}

// ---- records: open, new, save, drafts ----------------------------------------------------------

void App::open_record(const std::string& id) {
    if (!m_session) {
        return;
    }
    Result<records::Record> r = m_session->with_records([&](records::RecordEngine& e) { return e.get(id); });
    if (!r.is_ok()) {
        toast(problem_words(r.status()));
        return;
    }
    const records::Schema* sch = m_session->schema(r->type);
    if (sch == nullptr) {
        toast("This record uses a form this laptop does not have yet. Sync, then try again.");
        return;
    }
    set_aside_record();
    release_text_input();  // Escape must not put an old field's text into this form
    RecordScreen s;
    s.form = FormModel::of(*sch, *r);
    s.draft_key = random_key();
    s.heading = sch->title + ": " + record_title(sch, *r);
    Result<std::vector<records::Change>> hist =
        m_session->with_records([&](records::RecordEngine& e) { return e.history(id); });
    if (hist.is_ok()) {
        for (auto it = hist->rbegin(); it != hist->rend(); ++it) {
            if (it->field == "_deleted") {
                continue;
            }
            const records::FieldDef* f = sch->field(it->field);
            s.history.push_back({static_cast<std::int64_t>(it->hlc.ms()), it->author,
                                 f != nullptr ? f->label : humanise(it->field), display_encoded(f, it->value)});
        }
    }
    m_state.record = std::move(s);
    m_state.screen = Screen::kRecord;
    drop_pictures();
    refresh_attachments();
    load_thumbnails();
}

void App::new_record(const std::string& type) {
    if (!m_session) {
        return;
    }
    const records::Schema* sch = m_session->schema(type);
    if (sch == nullptr) {
        return;
    }
    set_aside_record();
    release_text_input();
    RecordScreen s;
    s.form = FormModel::blank(*sch);
    s.draft_key = random_key();
    s.heading = "New " + sch->title;
    s.focus_first = true;
    m_state.record = std::move(s);
    m_state.screen = Screen::kRecord;
    m_state.cases.pick_form = false;
}

void App::find_drafts() {
    m_state.drafts_found.clear();
    Result<std::vector<Draft>> drafts = m_session->drafts();
    if (!drafts.is_ok()) {
        return;
    }
    for (Draft& d : *drafts) {
        const bool open = (m_state.record && m_state.record->draft_key == d.key) ||
                          (m_state.idea && m_state.idea->draft_key == d.key);
        if (open) {
            continue;
        }
        const records::Schema* sch = m_session->schema(d.type);
        FoundDraft found{d, sch != nullptr ? sch->title : humanise(d.type), ""};
        FormModel form = sch != nullptr ? FormModel::blank(*sch) : FormModel();
        if (sch != nullptr && !d.record_id.empty()) {
            Result<records::Record> r =
                m_session->with_records([&](records::RecordEngine& e) { return e.get(d.record_id); });
            if (r.is_ok()) {
                form = FormModel::of(*sch, *r);
                found.title = record_title(sch, *r);
            }
        }
        form.restore(d.texts);
        // A draft that holds nothing the record does not (a place marker left by a lock, or answers
        // saved since) is not an unsaved form: it goes, unseen.
        if (sch != nullptr && !form.dirty() && (!d.record_id.empty() || d.texts.empty())) {
            (void)m_session->discard_draft(d.key);
            continue;
        }
        if (d.record_id.empty() && sch != nullptr) {
            records::Record typed;
            typed.type = d.type;
            for (const records::FieldDef& f : sch->fields) {
                if (f.kind == records::FieldKind::kText && !trimmed(form.text(f.name)).empty()) {
                    typed.values[f.name] = trimmed(form.text(f.name));
                }
            }
            found.title = record_title(sch, typed);
            if (found.title == sch->title) {
                found.title.clear();
            }
        }
        m_state.drafts_found.push_back(std::move(found));
    }
}

void App::continue_draft(const std::string& key) {
    const auto it = std::find_if(m_state.drafts_found.begin(), m_state.drafts_found.end(),
                                 [&](const FoundDraft& f) { return f.draft.key == key; });
    if (it == m_state.drafts_found.end() || !m_session) {
        return;
    }
    const Draft d = it->draft;
    const records::Schema* sch = m_session->schema(d.type);
    if (sch == nullptr) {
        toast("This form is not on this laptop any more. The draft is kept.");
        return;
    }
    if (sch->purpose == records::FormPurpose::kSuggestion && d.record_id.empty() && !m_state.idea) {
        apply(OpenIdeaIntent{});  // an idea put aside goes back where it was typed
        if (m_state.idea) {
            (void)m_session->discard_draft(m_state.idea->draft_key);
            m_state.idea->draft_key = d.key;
            m_state.idea->form.restore(d.texts);
            std::erase_if(m_state.drafts_found, [&](const FoundDraft& f) { return f.draft.key == key; });
        }
        return;
    }
    // A draft of a saved case reopens that case, never a new one.
    if (!d.record_id.empty()) {
        open_record(d.record_id);
    } else {
        new_record(d.type);
    }
    const bool opened_it = m_state.record && m_state.record->form.record_id() == d.record_id &&
                           m_state.record->form.schema()->type == d.type;
    if (!opened_it) {
        toast("That case could not be opened, so its draft is kept for later.");
        return;
    }
    (void)m_session->discard_draft(m_state.record->draft_key);
    m_state.record->draft_key = d.key;
    m_state.record->form.restore(d.texts);
    std::erase_if(m_state.drafts_found, [&](const FoundDraft& f) { return f.draft.key == key; });
}

void App::set_aside_record() {
    if (!m_state.record || !m_session) {
        return;
    }
    if (m_state.record->form.dirty()) {
        save_draft(*m_state.record);  // unsaved answers stay, and are offered at the next unlock
    } else {
        (void)m_session->discard_draft(m_state.record->draft_key);
    }
}

void App::save_draft(RecordScreen& screen) {
    if (!m_session || screen.form.schema() == nullptr) {
        return;
    }
    Draft d{screen.draft_key, screen.form.schema()->type, screen.form.record_id(), screen.form.texts(),
            m_clock.now_ms()};
    if (m_session->save_draft(d).is_ok()) {
        screen.draft_saved_ms = d.saved_ms;
    }
}

void App::save_form(RecordScreen& screen, bool is_idea) {
    if (!m_session) {
        return;
    }
    FormModel& form = screen.form;
    screen.problem.clear();
    std::vector<records::FieldError> errors;
    const records::Actor actor = m_session->actor();
    records::Values values = form.values_to_write(actor.role, errors);
    if (errors.empty() && values.empty() && !form.is_new()) {
        toast("Nothing has changed.");
        return;
    }
    std::optional<Result<records::Record>> written;
    if (errors.empty()) {
        // The record and its files' places in the upload queue, together.
        Status s = m_session->in_transaction([&](records::RecordEngine& e) {
            written = form.is_new() ? e.create(actor, form.schema()->type, values, &errors)
                                    : e.update(actor, form.record_id(), values, &errors);
            return written->is_ok() ? queue_uploads(*form.schema(), values) : written->status();
        });
        if (!written || (!s.is_ok() && written->is_ok())) {
            written = Result<records::Record>(s.is_ok() ? Status::error(errc::kInternal, "nothing was written") : s);
        }
    }
    if (!errors.empty()) {
        form.set_errors(errors);  // the record screen counts what is still to fix (record_view.cpp)
        // The keyboard goes to the first question to fix, in the form's order.
        for (const records::FieldDef& f : form.schema()->fields) {
            if (form.error(f.name) != nullptr) {
                release_text_input();
                screen.focus_field = f.name;
                break;
            }
        }
        return;
    }
    const Result<records::Record>& saved = *written;
    if (!saved.is_ok()) {
        screen.problem = problem_words(saved.status());
        return;
    }
    form.clear_errors();
    (void)m_session->discard_draft(screen.draft_key);
    m_session->request_sync();
    if (is_idea) {
        m_state.idea.reset();
        toast("Idea saved. It goes to your team lead at the next sync.");
        if (m_state.screen == Screen::kSuggestions) {
            load_suggestions();
        }
        return;
    }
    const std::string id = saved->id;
    // Saved: nothing of this form is left to set aside as a draft (open_record would keep a dirty
    // form's answers, and a new record's draft would come back as a second, duplicate case).
    m_state.record.reset();
    open_record(id);  // the saved record, with its history
    if (m_state.record) {
        m_state.record->saved_ms = m_clock.now_ms();
    }
    query_cases(false);
}

// ---- suggestions and conflicts -----------------------------------------------------------------

// Conflicts are read on the reader: finding a form's records among 100,000 cases walks an index, which
// is no work for a frame. (Suggestions: app_review.cpp.)
void App::load_conflicts() {
    if (!m_session) {
        return;
    }
    Session* session = m_session.get();  // lock() waits for the reader before the session goes
    m_reader->post([this, q = m_queue, session, gen = m_generation] {
        records::ListQuery lq;
        lq.type = "conflict";
        lq.limit = 500;
        Result<records::Page> page = session->with_records([&](records::RecordEngine& e) { return e.list(lq); });
        if (!page.is_ok()) {
            return;
        }
        auto text = [](const records::Record& r, const char* field) {
            const auto it = r.values.find(field);
            if (it != r.values.end()) {
                if (const auto* v = std::get_if<std::string>(&it->second)) {
                    return *v;
                }
            }
            return std::string();
        };
        auto when = [](const std::string& hlc) {
            Result<records::Hlc> h = records::Hlc::parse(hlc);
            return h.is_ok() ? static_cast<std::int64_t>(h->ms()) : std::int64_t{0};
        };
        std::vector<ConflictRow> rows;
        for (const records::Record& r : page->records) {
            if (text(r, "status") == "resolved") {
                continue;
            }
            ConflictRow c;
            c.id = r.id;
            c.record_id = text(r, "record");
            c.field = text(r, "field");
            c.record_type = text(r, "record_type");
            const records::Schema* sch = session->schema(c.record_type);
            const records::FieldDef* f = sch != nullptr ? sch->field(c.field) : nullptr;
            c.question = f != nullptr ? f->label : humanise(c.field);
            Result<records::Record> target =
                session->with_records([&](records::RecordEngine& e) { return e.get(c.record_id); });
            c.record_title = target.is_ok() ? record_title(sch, *target) : "A record not on this laptop";
            c.kept_encoded = text(r, "kept_value");
            c.other_encoded = text(r, "other_value");
            c.kept_value = display_encoded(f, c.kept_encoded);
            c.other_value = display_encoded(f, c.other_encoded);
            c.kept_author = text(r, "kept_author");
            c.other_author = text(r, "other_author");
            c.kept_ms = when(text(r, "kept_hlc"));
            c.other_ms = when(text(r, "other_hlc"));
            rows.push_back(std::move(c));
        }
        q->post(for_session(gen, [rows = std::move(rows)](AppState& s) mutable {
            // Keep what the worker is typing into a conflict that is still open.
            for (ConflictRow& c : rows) {
                for (const ConflictRow& old : s.conflicts) {
                    if (old.id == c.id) {
                        c.new_value = old.new_value;
                    }
                }
            }
            s.conflicts = std::move(rows);
        }));
    });
}

void App::resolve_conflict(const ResolveConflictIntent& intent) {
    if (!m_session) {
        return;
    }
    const auto it = std::find_if(m_state.conflicts.begin(), m_state.conflicts.end(),
                                 [&](const ConflictRow& c) { return c.id == intent.conflict_id; });
    if (it == m_state.conflicts.end()) {
        return;
    }
    const ConflictRow& c = *it;
    const records::Schema* sch = m_session->schema(c.record_type);
    const records::FieldDef* f = sch != nullptr ? sch->field(c.field) : nullptr;
    if (f == nullptr) {
        toast("This laptop does not have the form for that record yet. Sync, then try again.");
        return;
    }
    records::FieldValue value;
    if (intent.keep == Keep::kNew) {
        if (c.new_value.find_first_not_of(" \t\r\n") == std::string::npos) {
            toast("Type the answer to keep first.");
            return;
        }
        std::optional<records::FieldError> problem;
        value = FormModel::parse(*f, c.new_value, problem);
        if (problem) {
            toast(problem->message);
            return;
        }
    } else {
        Result<records::FieldValue> decoded =
            records::decode_value(f->kind, intent.keep == Keep::kKept ? c.kept_encoded : c.other_encoded);
        if (!decoded.is_ok()) {
            toast(problem_words(decoded.status()));
            return;
        }
        value = *decoded;
    }
    // A normal write that has seen both values supersedes them; then the conflict is marked resolved.
    const records::Actor actor = m_session->actor();
    std::vector<records::FieldError> errors;
    const Status s = m_session->in_transaction([&](records::RecordEngine& e) -> Status {
        Result<records::Record> w = e.update(actor, c.record_id, {{c.field, value}}, &errors);
        OUTPOST_TRY(w);
        return e.update(actor, c.id, {{"status", std::string("resolved")}}, &errors).status();
    });
    if (!s.is_ok()) {
        toast(errors.empty() ? problem_words(s) : errors.front().message);
        return;
    }
    m_session->request_sync();
    toast("Resolved. Everyone gets the value you chose at their next sync.");
    load_conflicts();
}

}  // namespace outpost::ui
