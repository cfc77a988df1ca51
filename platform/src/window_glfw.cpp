#include <GLFW/glfw3.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>
#include <stb_image_write.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "outpost/core/error_codes.h"
#include "outpost/platform/input_queue.h"
#include "outpost/platform/utf8.h"
#include "outpost/platform/window.h"

namespace outpost::platform {
namespace {

unsigned int (*g_char_filter)(unsigned int) = nullptr;
bool g_event = false;  // a window-system event arrived since the last begin_frame()

GLFWwindow* g_window = nullptr;
InputQueue g_input;

void on_char(GLFWwindow* /*w*/, unsigned int c) {
    g_event = true;
    InputQueue::Event e;
    e.kind = InputQueue::Kind::kChar;
    e.ch = g_char_filter != nullptr ? g_char_filter(c) : c;
    g_input.push(e);
}

// Keys that move the focus or edit text, whose order against typed characters and each other matters.
bool ordered_key(int key, int mods) {
    if ((mods & (GLFW_MOD_CONTROL | GLFW_MOD_ALT | GLFW_MOD_SUPER)) != 0) {
        return true;
    }
    switch (key) {
        case GLFW_KEY_TAB:
        case GLFW_KEY_ENTER:
        case GLFW_KEY_KP_ENTER:
        case GLFW_KEY_ESCAPE:
        case GLFW_KEY_LEFT:
        case GLFW_KEY_RIGHT:
        case GLFW_KEY_UP:
        case GLFW_KEY_DOWN:
        case GLFW_KEY_BACKSPACE:
        case GLFW_KEY_DELETE:
        case GLFW_KEY_HOME:
        case GLFW_KEY_END:
        case GLFW_KEY_PAGE_UP:
        case GLFW_KEY_PAGE_DOWN:
        case GLFW_KEY_SPACE:
        case GLFW_KEY_INSERT:
            return true;
        default:
            return false;
    }
}

void on_key(GLFWwindow* /*w*/, int key, int scancode, int action, int mods) {
    g_event = true;
    InputQueue::Event e;
    e.kind = action == GLFW_PRESS     ? InputQueue::Kind::kKeyDown
             : action == GLFW_RELEASE ? InputQueue::Kind::kKeyUp
                                      : InputQueue::Kind::kKeyRepeat;
    e.key = key;
    e.scancode = scancode;
    e.mods = mods;
    e.ordered = ordered_key(key, mods);
    g_input.push(e);
}

void deliver(const InputQueue::Event& e) {
    switch (e.kind) {
        case InputQueue::Kind::kChar:
            ImGui_ImplGlfw_CharCallback(g_window, e.ch);
            break;
        case InputQueue::Kind::kKeyDown:
            ImGui_ImplGlfw_KeyCallback(g_window, e.key, e.scancode, GLFW_PRESS, e.mods);
            break;
        case InputQueue::Kind::kKeyUp:
            ImGui_ImplGlfw_KeyCallback(g_window, e.key, e.scancode, GLFW_RELEASE, e.mods);
            break;
        case InputQueue::Kind::kKeyRepeat:
            ImGui_ImplGlfw_KeyCallback(g_window, e.key, e.scancode, GLFW_REPEAT, e.mods);
            break;
    }
}

void on_mouse_button(GLFWwindow* w, int button, int action, int mods) {
    g_event = true;
    ImGui_ImplGlfw_MouseButtonCallback(w, button, action, mods);
}
void on_scroll(GLFWwindow* w, double x, double y) {
    g_event = true;
    ImGui_ImplGlfw_ScrollCallback(w, x, y);
}
void on_cursor(GLFWwindow* /*w*/, double /*x*/, double /*y*/) {
    g_event = true;  // the backend reads the position itself each frame; hover needs a frame
}
void on_enter(GLFWwindow* w, int entered) {
    g_event = true;
    ImGui_ImplGlfw_CursorEnterCallback(w, entered);
}
void on_focus(GLFWwindow* w, int focused) {
    g_event = true;
    ImGui_ImplGlfw_WindowFocusCallback(w, focused);
}
void on_size(GLFWwindow* /*w*/, int /*width*/, int /*height*/) {
    g_event = true;
}
void on_refresh(GLFWwindow* /*w*/) {
    g_event = true;
}

std::string last_glfw_error() {
    const char* desc = nullptr;
    glfwGetError(&desc);
    return desc != nullptr ? desc : "unknown GLFW error";
}

}  // namespace

Result<std::unique_ptr<Window>> Window::create(const std::string& title, int width, int height) {
    if (glfwInit() == GLFW_FALSE) {
        return Status::error(errc::kInternal, "cannot open a window (is a display available?): " + last_glfw_error());
    }
    glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
    glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 3);
    glfwWindowHint(GLFW_OPENGL_PROFILE, GLFW_OPENGL_CORE_PROFILE);
    glfwWindowHint(GLFW_SCALE_TO_MONITOR, GLFW_TRUE);
    GLFWwindow* w = glfwCreateWindow(width, height, title.c_str(), nullptr, nullptr);
    if (w == nullptr) {
        Status s = Status::error(errc::kInternal, "cannot create a window: " + last_glfw_error());
        glfwTerminate();
        return s;
    }
    glfwMakeContextCurrent(w);
    glfwSwapInterval(1);
    // The backend's callbacks, chained through ours: each notes that an event arrived; keys and typed
    // characters go through the input queue (input_queue.h), characters through the char filter.
    g_window = w;
    ImGui_ImplGlfw_InitForOpenGL(w, false);
    glfwSetCharCallback(w, on_char);
    glfwSetKeyCallback(w, on_key);
    glfwSetMouseButtonCallback(w, on_mouse_button);
    glfwSetScrollCallback(w, on_scroll);
    glfwSetCursorPosCallback(w, on_cursor);
    glfwSetCursorEnterCallback(w, on_enter);
    glfwSetWindowFocusCallback(w, on_focus);
    glfwSetFramebufferSizeCallback(w, on_size);
    glfwSetWindowRefreshCallback(w, on_refresh);
    glfwSetMonitorCallback(ImGui_ImplGlfw_MonitorCallback);
    ImGui_ImplOpenGL3_Init("#version 330");
    return std::unique_ptr<Window>(new Window(w));
}

Window::~Window() {
    ImGui_ImplOpenGL3_Shutdown();
    ImGui_ImplGlfw_Shutdown();
    glfwDestroyWindow(m_window);
    glfwTerminate();
}

bool Window::should_close() const {
    return glfwWindowShouldClose(m_window) != 0;
}

bool Window::wait_for_events(int timeout_ms) {
    if (!g_event && !g_input.pending()) {
        glfwWaitEventsTimeout(static_cast<double>(std::max(timeout_ms, 1)) / 1000.0);
    }
    return g_event || g_input.pending();
}

bool Window::begin_frame() {
    glfwPollEvents();
    if (g_input.deliver_frame(&deliver) > 0 || g_input.pending()) {
        g_event = true;  // more frames follow until every held event has been seen
    }
    ImGui_ImplOpenGL3_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    const bool event = g_event;
    g_event = false;
    return event;
}

void Window::wake() {
    glfwPostEmptyEvent();
}

void Window::set_char_filter(unsigned int (*filter)(unsigned int)) {
    g_char_filter = filter;
}

void Window::render() {
    int w = 0;
    int h = 0;
    glfwGetFramebufferSize(m_window, &w, &h);
    glViewport(0, 0, w, h);
    glClearColor(0.12F, 0.13F, 0.15F, 1.0F);
    glClear(GL_COLOR_BUFFER_BIT);
    ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
}

void Window::swap() {
    glfwSwapBuffers(m_window);
}

float Window::content_scale() const {
    float x = 1.0F;
    float y = 1.0F;
    glfwGetWindowContentScale(m_window, &x, &y);
    return x > 0.0F ? x : 1.0F;
}

Status Window::save_screenshot(const std::filesystem::path& png) const {
    int w = 0;
    int h = 0;
    glfwGetFramebufferSize(m_window, &w, &h);
    if (w <= 0 || h <= 0) {
        return Status::error(errc::kInternal, "window has no framebuffer");
    }
    std::vector<unsigned char> pixels(static_cast<std::size_t>(w) * static_cast<std::size_t>(h) * 4U);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadBuffer(GL_BACK);
    glReadPixels(0, 0, w, h, GL_RGBA, GL_UNSIGNED_BYTE, pixels.data());
    stbi_flip_vertically_on_write(1);
    if (stbi_write_png(path_to_utf8(png).c_str(), w, h, 4, pixels.data(), w * 4) == 0) {
        return Status::error(errc::kIo, "cannot write screenshot " + path_to_utf8(png));
    }
    return Status::ok();
}

void* Window::make_texture(const unsigned char* rgba, int width, int height) {
    GLuint tex = 0;
    glGenTextures(1, &tex);
    if (tex == 0) {
        return nullptr;
    }
    glBindTexture(GL_TEXTURE_2D, tex);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA, width, height, 0, GL_RGBA, GL_UNSIGNED_BYTE, rgba);
    return reinterpret_cast<void*>(static_cast<std::uintptr_t>(tex));
}

void Window::free_texture(void* texture) {
    const auto tex = static_cast<GLuint>(reinterpret_cast<std::uintptr_t>(texture));
    if (tex != 0) {
        glDeleteTextures(1, &tex);
    }
}

void Window::reload_fonts() {
    ImGui_ImplOpenGL3_DestroyFontsTexture();
    ImGui_ImplOpenGL3_CreateFontsTexture();
}

void Window::set_title(const std::string& title) {
    glfwSetWindowTitle(m_window, title.c_str());
}

std::string Window::clipboard() const {
    const char* text = glfwGetClipboardString(m_window);
    return text != nullptr ? text : "";
}

void Window::set_clipboard(const std::string& text) {
    glfwSetClipboardString(m_window, text.c_str());
}

}  // namespace outpost::platform
