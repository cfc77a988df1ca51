// Window: a GLFW window with an OpenGL 3.3 core context and the Dear ImGui GLFW/OpenGL3 backends
// installed. Part of the `outpost_platform_window` target, which only the ui layer may link.
//
// Threads: create, use and destroy on the UI thread only (GLFW requires the main thread).
// Ownership: the Window owns the GLFW window, the GL context and the ImGui backend state; the
// ImGui context itself is owned by the caller and must outlive the Window.
// Failure: create() returns errc::kInternal with GLFW's message (e.g. no display).
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "outpost/core/status.h"

struct GLFWwindow;

namespace outpost::platform {

class Window {
public:
    ~Window();
    Window(const Window&) = delete;
    Window& operator=(const Window&) = delete;

    // Requires an ImGui context to be current.
    [[nodiscard]] static Result<std::unique_ptr<Window>> create(const std::string& title, int width, int height);

    [[nodiscard]] bool should_close() const;
    // Sleeps until a window-system event (a key, the mouse, a resize), a wake(), or `timeout_ms`.
    // True when an event arrived (not counting wake()s).
    bool wait_for_events(int timeout_ms);
    // Takes the events that have arrived and starts a backend frame; call before ImGui::NewFrame().
    // True when any window-system event arrived since the last begin_frame().
    bool begin_frame();
    // Ends a wait in begin_frame() early. Any thread.
    static void wake();
    // Typed characters pass through `filter` before ImGui sees them (ui/text_edit.h).
    void set_char_filter(unsigned int (*filter)(unsigned int));
    // Renders ImGui's draw data; call after ImGui::Render(). Does not swap.
    void render();
    void swap();
    // Content scale of the monitor (1.0 on a standard display, 2.0 on high-DPI).
    [[nodiscard]] float content_scale() const;
    // Saves the current back buffer (call after render(), before swap()) as a PNG.
    [[nodiscard]] Status save_screenshot(const std::filesystem::path& png) const;

    // Uploads ImGui's font atlas again (after the fonts changed: a new size or scale).
    void reload_fonts();

    // A texture of RGBA pixels for ImGui::Image (a picture's preview); 0 when it cannot be made.
    // Free it with free_texture on the UI thread.
    [[nodiscard]] static void* make_texture(const unsigned char* rgba, int width, int height);
    static void free_texture(void* texture);

    // The title the window system shows (UTF-8).
    void set_title(const std::string& title);

    [[nodiscard]] std::string clipboard() const;
    void set_clipboard(const std::string& text);

private:
    explicit Window(GLFWwindow* w) : m_window(w) {}
    GLFWwindow* m_window = nullptr;
};

}  // namespace outpost::platform
