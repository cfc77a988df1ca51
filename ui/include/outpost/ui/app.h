// App: owns every client subsystem (the unlocked Session: store, records engine, sync engine) and the
// AppState (DESIGN §5). The UI thread calls frame() once per frame between ImGui::NewFrame() and
// ImGui::Render(). Slow work runs on workers and reports back through the RunQueue, drained at the
// start of each frame: Argon2 (create, unlock, passphrase change), enrolment, case-list queries,
// connectivity probes; the sync engine runs on its own thread.
//
// Store access from the UI thread is short (one statement or transaction under the session's mutex,
// never across frames or a network wait): opening a record, saving a form, a draft, a conflict.
//
// Ownership: App owns its workers and joins them on destruction (the session is locked last).
// Threads: every public method is UI-thread only.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "outpost/core/clock.h"
#include "outpost/ui/app_state.h"
#include "outpost/ui/intents.h"
#include "outpost/ui/run_queue.h"
#include "outpost/ui/session.h"
#include "outpost/ui/widgets.h"

namespace outpost::ui {

class Worker;

struct AppOptions {
    std::filesystem::path data_dir;    // profiles in <data_dir>/profiles; empty: the per-OS data directory
    std::filesystem::path config_dir;  // settings.txt; empty: the per-OS config directory
    std::string provision_file;        // `outpost --provision FILE`: start enrolment with it
    std::string device_name;           // sent at enrolment; empty: the host name
    int store_cache_kib = 32 * 1024;   // the unlocked store's page cache
    float display_scale = 1.0F;        // the monitor's content scale (high DPI)
    // Textures for picture previews (the host's GL; platform::Window::make_texture). Absent when
    // headless: pictures show as their names.
    std::function<void*(const unsigned char* rgba, int width, int height)> make_texture;
    std::function<void(void*)> free_texture;
    // Ends the host's wait for input (platform::Window::wake): called from any thread when a worker's
    // result or a sync's progress is ready to be drawn. Absent when headless.
    std::function<void()> wake;
    SitePolicy policy;         // /etc/outpost/client.json as read by main (site_policy.h)
    std::string policy_error;  // when it could not be read: the window shows only this message
};

class App {
public:
    explicit App(AppOptions options, const Clock& clock = SystemClock::instance());
    ~App();
    App(const App&) = delete;
    App& operator=(const App&) = delete;

    // Drains worker results, handles shortcuts and auto-lock, draws every view, then applies the
    // intents the views produced.
    void frame();
    // How long the host may wait for input before the next frame is due (0: draw the next one at
    // once): the soonest of a sync's progress, a toast or "Saved" fading, the next autosave, probe,
    // sync-bar read, auto-lock, or the slow tick that keeps "5 minutes ago" true. Workers' results
    // and sync progress end the wait through AppOptions::wake. At most a minute.
    [[nodiscard]] int frame_wait_ms() const;
    // True while the next frame is needed at once (a result to draw, focus landing, a sync's progress).
    [[nodiscard]] bool needs_frame() const;
    // Between frames, when frame_wait_ms() has run out: runs the timers (probe, sync-bar read,
    // autosave, auto-lock) without drawing. True when a frame must be drawn for what they changed.
    bool tick();
    // Applies one intent (the automation mode and tests call this too).
    void apply(const Intent& intent);

    [[nodiscard]] const AppState& state() const { return m_state; }
    // The window's title: "Outpost - " and where the person is ("Cases", "New Home visit", "Unlock"),
    // with " (not saved)" after a form holding unsaved answers.
    // It names screens and forms only, never a case or a person, since a taskbar is seen by others.
    [[nodiscard]] std::string window_title() const;
    // For the automation mode and tests, which type into fields as a person would.
    [[nodiscard]] AppState& mutable_state() { return m_state; }
    [[nodiscard]] const WidgetRegistry& widgets() const { return m_widgets; }
    [[nodiscard]] bool quit_requested() const { return m_quit; }
    // True while a worker (unlock, enrolment, query, probe, passphrase change) is running or its
    // result waits to be drained.
    [[nodiscard]] bool busy() const;
    [[nodiscard]] const Clock& clock() const { return m_clock; }
    // The unlocked profile, or nullptr.
    [[nodiscard]] Session* session() { return m_session.get(); }
    // The font size the settings ask for, in pixels.
    [[nodiscard]] float font_pixels() const;
    // Bumped when the font scale or theme changes: the host then calls apply_look() before the next
    // ImGui::NewFrame() and uploads the font atlas again.
    [[nodiscard]] std::uint64_t fonts_generation() const { return m_fonts_generation; }
    // Loads the shipped fonts at font_pixels() into ImGui's atlas and applies the theme. The host
    // builds the atlas texture afterwards (the GL backend, or GetTexDataAsRGBA32 when headless).
    void apply_look() const;
    [[nodiscard]] const std::filesystem::path& profiles_root() const { return m_root; }

private:
    void draw_views(Intents& intents);
    void handle_shortcuts(Intents& intents);
    void check_idle();
    // The timers, from frame() and tick(): true when what they did must be drawn.
    bool run_timers();
    void refresh_profiles();
    void create_profile();
    void enrol();
    void unlock();
    void lock(const std::string& why);
    void opened(std::unique_ptr<Session> session);
    void on_sync_state(const sync::SyncState& s);
    // The sync engine's state callback: marks the sync bar stale and wakes the window.
    [[nodiscard]] std::function<void(const sync::SyncState&)> sync_waker() const;
    void query_cases(bool more);
    void open_record(const std::string& id);
    void new_record(const std::string& type);
    void save_form(RecordScreen& screen, bool is_idea);
    void save_draft(RecordScreen& screen);
    // Before another form takes the record screen: its unsaved answers become a draft, or its draft
    // goes if nothing is unsaved.
    void set_aside_record();
    // At unlock: the drafts to offer (each named by its form and case), dropping those that hold
    // nothing unsaved.
    void find_drafts();
    // "Continue it": the draft's own case (or a new one for a new form's draft), its answers back.
    void continue_draft(const std::string& key);
    // The review loop (app_review.cpp).
    void load_suggestions();
    void refresh_queue(const std::string& keep);
    void apply_review(const Intent& intent);
    void decide(const std::string& id, const std::string& status, const std::string& duplicate_of);
    void review_write(const std::function<Status(records::RecordEngine&, const records::Actor&)>& write,
                      const std::string& done);
    void load_conflicts();
    // Attachments (app_attachments.cpp).
    RecordScreen* attaching_screen();
    void refresh_attachments();
    void apply_attachment(const Intent& intent);
    Status queue_uploads(const records::Schema& schema, const records::Values& values);
    void show_picture(const std::string& hash);
    void load_thumbnails();
    void drop_pictures();
    void resolve_conflict(const ResolveConflictIntent& intent);
    void change_passphrase();
    void remove_profile();
    void refresh_sync_bar();
    void toast(std::string text);
    void save_settings();
    void probe();
    // Saves the drafts of both forms if they hold unsaved answers.
    void save_open_drafts();
    // Wraps a worker's result for the session open at `gen`: it runs only if that session still is.
    template <typename Fn>
    RunQueue::Task for_session(std::uint64_t gen, Fn fn) {
        return [this, gen, fn = std::move(fn)](AppState& s) mutable {
            if (gen == m_generation) {
                fn(s);
            }
        };
    }

    AppOptions m_options;
    const Clock& m_clock;
    std::filesystem::path m_root;           // profiles
    std::filesystem::path m_settings_file;  // UiSettings
    AppState m_state;
    std::shared_ptr<RunQueue> m_queue;  // outlives workers that post after the App is gone
    WidgetRegistry m_widgets;
    std::unique_ptr<Worker> m_slow;    // Argon2, enrolment, and closing a session
    std::unique_ptr<Worker> m_reader;  // case-list pages, sync-bar counts, suggestions, conflicts
    std::unique_ptr<Worker> m_probe;   // the connectivity probe (touches no session)
    // Bumped whenever a session opens or closes: a worker's result for an older one is dropped, so
    // nothing read before a lock comes back into AppState after it.
    std::uint64_t m_generation = 0;
    std::unique_ptr<Session> m_session;
    bool m_quit = false;
    std::int64_t m_last_input_ms = 0;
    std::int64_t m_last_probe_ms = 0;
    std::int64_t m_last_sync_bar_ms = 0;
    std::uint64_t m_fonts_generation = 1;
    // Where to come back to after an auto-lock: the screen, and the form's draft if one was open.
    Screen m_resume_screen = Screen::kCases;
    std::string m_resume_draft;
    std::string m_resume_idea_draft;
    std::int64_t m_last_draft_check_ms = 0;
    int m_settle_frames = 0;  // frames still to draw at once after a result or an intent
    std::int64_t m_last_frame_ms = 0;
    std::int64_t m_sync_read_at = 0;  // when to read the sync state the sync thread said moved (0: none)
    // What the probe and the sync-bar read last told the UI thread: workers post only news.
    std::shared_ptr<std::atomic<int>> m_last_probe = std::make_shared<std::atomic<int>>(-1);
    struct LastBar {
        std::mutex mutex;
        std::string seen;              // guarded by mutex
        std::uint64_t generation = 0;  // guarded by mutex
    };
    std::shared_ptr<LastBar> m_last_bar = std::make_shared<LastBar>();
    // Set by the sync thread when the engine's state changes; the next frame reads the sync bar.
    std::shared_ptr<std::atomic<bool>> m_sync_changed = std::make_shared<std::atomic<bool>>(false);
};

}  // namespace outpost::ui
