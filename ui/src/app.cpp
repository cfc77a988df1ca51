#include "outpost/ui/app.h"

#include <imgui.h>

#include <algorithm>
#include <cmath>

#include "controllers/app_context.h"
#include "controllers/controllers.h"
#include "controllers/intent_router.h"
#include "folder_lister.h"
#include "keyboard.h"
#include "outpost/platform/app_dirs.h"
#include "outpost/platform/process.h"
#include "theme.h"
#include "views/views.h"
#include "worker.h"

namespace outpost::ui {
namespace {

constexpr std::int64_t kTickMs = 60'000;        // relative times ("5 minutes ago") stay true
constexpr std::int64_t kProgressEveryMs = 250;  // a sync's or an unlock's progress is redrawn this often
constexpr std::int64_t kSavedShowsMs = 4000;    // "Saved" shows this long after a save
constexpr int kSettleFrames = 3;                // frames drawn after a change, for ImGui's focus and layout to land

}  // namespace

App::App(AppOptions options, const Clock& clock)
    : m_options(std::move(options)),
      m_clock(clock),
      m_queue(std::make_shared<RunQueue>()),
      m_slow(std::make_unique<Worker>()),
      m_reader(std::make_unique<Worker>()),
      m_probe(std::make_unique<Worker>()),
      m_folders(std::make_unique<FolderLister>([queue = m_queue](FolderListing listing) {
          queue->post([listing = std::move(listing)](AppState& s) mutable { s.folder = std::move(listing); });
      })),
      m_ctx(std::make_unique<AppContext>(m_options, m_clock, m_state, m_queue, *m_slow, *m_reader, *m_probe)),
      m_controllers(std::make_unique<Controllers>(*m_ctx)),
      m_router(std::make_unique<IntentRouter>(*m_ctx)) {
    Result<platform::AppDirs> dirs = platform::user_app_dirs("outpost");
    if (!m_options.data_dir.empty()) {
        m_ctx->root = m_options.data_dir / "profiles";
    } else if (dirs.is_ok()) {
        (void)platform::ensure_app_dirs(*dirs);
        m_ctx->root = dirs->data / "profiles";
    }
    std::filesystem::path config = m_options.config_dir;
    if (config.empty()) {
        config = !m_options.data_dir.empty() ? m_options.data_dir : (dirs.is_ok() ? dirs->config : ".");
    }
    m_ctx->settings_file = config / "settings.txt";
    m_state.settings = client::UiSettings::load(m_ctx->settings_file);
    m_state.policy = m_options.policy;
    m_state.policy_error = m_options.policy_error;
    m_state.settings.auto_lock_minutes = m_state.policy.auto_lock_minutes(m_state.settings.auto_lock_minutes);
    m_state.device_name = m_options.device_name;  // empty: the computer's and the person's names, at enrolment
    m_ctx->last_input_ms = m_clock.now_ms();
    m_queue->set_waker(m_options.wake);
    m_controllers->profiles.refresh();
    if (!m_options.provision_file.empty()) {
        m_state.provision_path = m_options.provision_file;
        m_state.screen = Screen::kCreateProfile;
    } else if (m_state.profiles.empty()) {
        m_state.screen = Screen::kCreateProfile;
    } else {
        m_state.screen = Screen::kProfiles;
        for (const ProfileEntry& p : m_state.profiles) {
            if (p.name == m_state.settings.last_profile || m_state.profiles.size() == 1) {
                m_controllers->profiles.choose(p.name);  // its unlock screen (saying if IT wiped it)
            }
        }
    }
}

App::~App() {
    // Closing the window: the intents still waiting for the store, then what was typed since the last
    // autosave, go into the store first. The window is going, so this may wait for a sync.
    m_router->run(IntentRouter::Wait::kForStore);
    if (m_ctx->session) {
        for (const client::Draft& d : m_controllers->drafts.unsaved()) {
            (void)m_ctx->session->save_draft(d);
        }
    }
    m_slow->wait_idle();
    m_reader->wait_idle();
    m_ctx->session.reset();
    m_slow.reset();
    m_reader.reset();
    m_probe.reset();
    m_folders.reset();
}

client::Session* App::session() {
    return m_ctx->session.get();
}

bool App::quit_requested() const {
    return m_ctx->quit;
}

std::uint64_t App::fonts_generation() const {
    return m_ctx->fonts_generation;
}

const std::filesystem::path& App::profiles_root() const {
    return m_ctx->root;
}

void App::submit(Intent intent) {
    m_router->submit(std::move(intent));
    run_intents();
}

void App::apply(const Intent& intent) {
    m_router->submit(intent);
    m_router->run(IntentRouter::Wait::kForStore);
}

std::size_t App::waiting_intents() const {
    return m_router->waiting_count();
}

bool App::run_intents() {
    if (!m_router->run(IntentRouter::Wait::kNever)) {
        return false;
    }
    m_settle_frames = kSettleFrames;  // what the intents changed is drawn, and focus requests land
    return true;
}

bool App::run_timers() {
    const std::int64_t now = m_clock.now_ms();
    bool redraw = false;
    if (m_ctx->session && !m_router->waiting()) {  // what was asked before the auto-lock goes first
        m_controllers->sessions.check_idle();
        redraw = redraw || !m_ctx->session;  // locked
    }
    if (m_ctx->session) {
        m_controllers->sync_bar.run_timers(now);
        redraw = m_controllers->drafts.autosave(now) || redraw;
    }
    if (!m_state.toast.empty() && now > m_state.toast_until_ms) {
        m_state.toast.clear();
        redraw = true;
    }
    return redraw;
}

bool App::tick() {
    const std::int64_t now = m_clock.now_ms();
    bool redraw = run_intents();
    redraw = run_timers() || redraw;
    for (const std::optional<RecordScreen>* s : {&m_state.record, &m_state.idea}) {
        if (*s && (*s)->saved_ms > 0 && now - (*s)->saved_ms >= kSavedShowsMs &&
            m_last_frame_ms - (*s)->saved_ms < kSavedShowsMs) {
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
    if (m_settle_frames > 0 || !m_queue->empty() || m_controllers->sync_bar.news() || navigation_pending()) {
        return 0;
    }
    const std::int64_t now = m_clock.now_ms();
    std::int64_t due = m_last_frame_ms + kTickMs;
    auto soon = [&](std::int64_t at) { due = std::min(due, at); };
    // The store was held by another thread: what waits for it is tried again in a moment, not at once.
    const std::int64_t store_free = now + std::max<std::int64_t>(0, m_ctx->store_retry_at - steady_ms());
    if (m_router->waiting()) {
        soon(store_free);
    }
    if (m_ctx->session) {
        if (m_state.sync.state.phase == sync::SyncPhase::kSyncing || m_state.working) {
            soon(m_last_frame_ms + kProgressEveryMs);  // the progress bar moves
        }
        soon(m_controllers->sync_bar.due(now));
        soon(std::max(m_controllers->sessions.auto_lock_at(), m_router->waiting() ? store_free : 0));
        if (const std::optional<std::int64_t> autosave = m_controllers->drafts.due()) {
            soon(std::max(*autosave, store_free));
        }
        for (const std::optional<RecordScreen>* s : {&m_state.record, &m_state.idea}) {
            if (*s && (*s)->saved_ms > 0 && now - (*s)->saved_ms < kSavedShowsMs) {
                soon((*s)->saved_ms + kSavedShowsMs);
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
            case Screen::kRecover:
                where = "Forgot passphrase";
                break;
            default:
                where = "Profiles";
                break;
        }
    } else if (m_state.screen == Screen::kRecoveryCode) {
        where = m_state.recovery.group == 0 ? "Recovery code"
                                            : "Type group " + std::to_string(m_state.recovery.group) + " of the code";
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
            case Screen::kNeedsAttention:
                where = "Needs attention";
                break;
            default:
                where = "Cases";
                break;
        }
    }
    return where.empty() ? "Outpost" : "Outpost - " + where;
}

bool App::busy() const {
    return m_slow->busy() || m_reader->busy() || m_folders->busy() || !m_queue->empty() || m_router->waiting();
}

float App::font_pixels() const {
    return std::round(17.0F * m_options.display_scale * m_state.settings.font_scale);
}

void App::apply_look() const {
    set_current_fonts(load_fonts(bundled_fonts_dir(), font_pixels()));
    apply_theme(m_state.settings.theme, m_options.display_scale * m_state.settings.font_scale);
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
        m_ctx->last_input_ms = now;
    }
    m_last_frame_ms = now;
    run_intents();  // those that waited for the store: this frame draws what they did
    run_timers();
    Intents intents;
    handle_shortcuts(intents);
    draw_views(intents);
    for (Intent& i : intents) {
        m_router->submit(std::move(i));
    }
    if (!intents.empty()) {
        run_intents();
        m_settle_frames = kSettleFrames;
    }
}

void App::draw_views(Intents& intents) {
    ViewContext ctx{intents, m_widgets, m_state, m_clock.now_ms(), m_folders.get()};
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
            case Screen::kRecover:
                draw_recover(ctx);
                break;
            default:
                draw_profiles(ctx);
                break;
        }
        return;
    }
    if (m_state.screen == Screen::kRecoveryCode) {
        draw_recovery_code(ctx);  // before anything else of the profile: the code is written down first
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
    if (m_state.screen == Screen::kRecoveryCode) {  // only Lock, until the code is dealt with
        if (pressed('L')) {
            intents.emplace_back(LockIntent{});
        }
        return;
    }
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

}  // namespace outpost::ui
