// App: owns every client subsystem (the unlocked Session: store, records engine, sync engine) and the
// AppState (DESIGN §5). The UI thread calls frame() once per frame between ImGui::NewFrame() and
// ImGui::Render(). Slow work runs on workers and reports back through the RunQueue, drained at the
// start of each frame: Argon2 (create, unlock, passphrase change), enrolment, case-list queries,
// connectivity probes, the file picker's folder; the sync engine runs on its own thread.
//
// App keeps the lifecycle, the frame, the timers and the routing; the work of each area is done by
// its controller (ui/src/controllers/: profiles, the session, cases, records, drafts, review,
// conflicts, attachments, settings, the sync bar), to which one IntentRouter sends each intent.
//
// The UI thread never waits for the store mutex that the sync thread holds while it writes pulled
// pages: an intent that touches the store is applied under Session::try_hold(), and when the mutex is
// held elsewhere it (and every intent after it) waits in order for a later frame or tick; the
// timers' store work (the autosave, the open form's files) is tried again in a moment. Store work on
// the UI thread is short (one statement or transaction, never across frames or a network wait).
//
// Ownership: App owns its workers and joins them on destruction (the session is locked last).
// Threads: every public method is UI-thread only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "outpost/client/session.h"
#include "outpost/core/clock.h"
#include "outpost/ui/app_state.h"
#include "outpost/ui/intents.h"
#include "outpost/ui/run_queue.h"
#include "outpost/ui/widgets.h"

namespace outpost::ui {

class FolderLister;
class IntentRouter;
class Worker;
struct AppContext;
struct Controllers;

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
    client::SitePolicy policy;  // /etc/outpost/client.json as read by main (site_policy.h)
    std::string policy_error;   // when it could not be read: the window shows only this message
};

class App {
public:
    explicit App(AppOptions options, const Clock& clock = SystemClock::instance());
    ~App();
    App(const App&) = delete;
    App& operator=(const App&) = delete;

    // Drains worker results, applies the intents that waited for the store, handles shortcuts and
    // auto-lock, draws every view, then applies the intents the views produced (those that touch the
    // store while another thread holds it wait, in order, for a later frame or tick).
    void frame();
    // How long the host may wait for input before the next frame is due (0: draw the next one at
    // once): the soonest of a sync's progress, a toast or "Saved" fading, the next autosave, probe,
    // sync-bar read, auto-lock, or the slow tick that keeps "5 minutes ago" true. Workers' results
    // and sync progress end the wait through AppOptions::wake. At most a minute.
    [[nodiscard]] int frame_wait_ms() const;
    // True while the next frame is needed at once (a result to draw, focus landing, a sync's progress).
    [[nodiscard]] bool needs_frame() const;
    // Between frames, when frame_wait_ms() has run out: applies the intents that waited for the store
    // and runs the timers (probe, sync-bar read, autosave, auto-lock) without drawing. True when a
    // frame must be drawn for what they changed.
    bool tick();
    // Queues one intent as the views' intents are queued: applied in order after those that wait, at
    // once when the store is free, else at a later frame or tick. Never waits for the store.
    void submit(Intent intent);
    // Applies one intent now, after those that wait (tests call this). Unlike submit(), it waits for
    // the store when another thread holds it.
    void apply(const Intent& intent);
    // How many intents wait for the store (held by a sync writing a page).
    [[nodiscard]] std::size_t waiting_intents() const;

    [[nodiscard]] const AppState& state() const { return m_state; }
    // The window's title: "Outpost - " and where the person is ("Cases", "New Home visit", "Unlock"),
    // with " (not saved)" after a form holding unsaved answers.
    // It names screens and forms only, never a case or a person, since a taskbar is seen by others.
    [[nodiscard]] std::string window_title() const;
    // For the automation mode and tests, which type into fields as a person would.
    [[nodiscard]] AppState& mutable_state() { return m_state; }
    [[nodiscard]] const WidgetRegistry& widgets() const { return m_widgets; }
    [[nodiscard]] bool quit_requested() const;
    // True while a worker (unlock, enrolment, query, folder listing, passphrase change) is running,
    // its result waits to be drained, or an intent waits for the store.
    [[nodiscard]] bool busy() const;
    [[nodiscard]] const Clock& clock() const { return m_clock; }
    // The unlocked profile, or nullptr.
    [[nodiscard]] client::Session* session();
    // The font size the settings ask for, in pixels.
    [[nodiscard]] float font_pixels() const;
    // Bumped when the font scale or theme changes: the host then calls apply_look() before the next
    // ImGui::NewFrame() and uploads the font atlas again.
    [[nodiscard]] std::uint64_t fonts_generation() const;
    // Loads the shipped fonts at font_pixels() into ImGui's atlas and applies the theme. The host
    // builds the atlas texture afterwards (the GL backend, or GetTexDataAsRGBA32 when headless).
    void apply_look() const;
    [[nodiscard]] const std::filesystem::path& profiles_root() const;

private:
    void draw_views(Intents& intents);
    void handle_shortcuts(Intents& intents);
    // Applies the intents that wait, as far as the store lets them: true when any was.
    bool run_intents();
    // The timers, from frame() and tick(): true when what they did must be drawn.
    bool run_timers();

    AppOptions m_options;
    const Clock& m_clock;
    AppState m_state;
    std::shared_ptr<RunQueue> m_queue;  // outlives workers that post after the App is gone
    WidgetRegistry m_widgets;
    std::unique_ptr<Worker> m_slow;           // Argon2, enrolment, and closing a session
    std::unique_ptr<Worker> m_reader;         // case-list pages, sync-bar counts, suggestions, conflicts
    std::unique_ptr<Worker> m_probe;          // the connectivity probe (touches no session)
    std::unique_ptr<FolderLister> m_folders;  // the file picker's folder, listed off the UI thread
    std::unique_ptr<AppContext> m_ctx;        // what the controllers share, the session among it
    std::unique_ptr<Controllers> m_controllers;
    std::unique_ptr<IntentRouter> m_router;
    int m_settle_frames = 0;  // frames still to draw at once after a result or an intent
    std::int64_t m_last_frame_ms = 0;
};

}  // namespace outpost::ui
