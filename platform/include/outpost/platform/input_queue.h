// InputQueue: keyboard events (keys and typed characters) held in arrival order and handed to Dear
// ImGui a frame at a time, so that nothing is lost or reordered when several arrive between two frames.
//
// ImGui 1.86 reads each key as "down or not" once a frame, and takes every typed character before it
// looks at keys. So a quick tap between two frames would be missed, two Tabs would count as one, and
// "ab<Backspace>c" typed in one frame would read "ab" instead of "ac". The rules, per frame:
//   - characters and plain letter keys go through together, in order;
//   - a key that moves or edits (Tab, Enter, Escape, arrows, Backspace, Delete, Home, End, Page Up and
//     Down, Space) or any key with Ctrl, Alt or Super held starts a frame of its own, and ends it;
//   - such a key's release waits for the frame after the one that saw it pressed (a letter's does not:
//     its character is what counts).
// The host keeps drawing frames while events wait (pending()).
//
// Threads: the UI thread only (the window system's callbacks run there). No allocation per event
// beyond the deque's. Pure: no window system, so tests feed it directly.
#pragma once

#include <algorithm>
#include <deque>
#include <functional>
#include <vector>

namespace outpost::platform {

class InputQueue {
public:
    enum class Kind { kKeyDown, kKeyUp, kKeyRepeat, kChar };
    struct Event {
        Kind kind = Kind::kChar;
        int key = 0;           // the window system's key code (kKey*)
        int scancode = 0;      // passed through
        int mods = 0;          // passed through
        unsigned int ch = 0;   // kChar: the code point
        bool ordered = false;  // kKeyDown / kKeyRepeat: a key that moves or edits, or with Ctrl/Alt/Super
    };

    void push(const Event& e) { m_events.push_back(e); }
    [[nodiscard]] bool pending() const { return !m_events.empty(); }

    // Hands this frame's events to `deliver`, in order, by the rules above. Returns how many.
    std::size_t deliver_frame(const std::function<void(const Event&)>& deliver) {
        std::vector<int> pressed;  // ordered keys pressed in this frame
        std::size_t n = 0;
        while (!m_events.empty()) {
            const Event& e = m_events.front();
            if (e.kind == Kind::kKeyUp && std::find(pressed.begin(), pressed.end(), e.key) != pressed.end()) {
                break;  // seen down this frame: up in the next
            }
            const bool own_frame = (e.kind == Kind::kKeyDown || e.kind == Kind::kKeyRepeat) && e.ordered;
            if (own_frame && n > 0) {
                break;  // after what came before it has been taken
            }
            const Event taken = e;
            m_events.pop_front();
            deliver(taken);
            ++n;
            if (taken.kind == Kind::kKeyDown && taken.ordered) {
                pressed.push_back(taken.key);
            }
            if (own_frame) {
                break;  // nothing after it in this frame: it acts on what is there now
            }
        }
        return n;
    }

private:
    std::deque<Event> m_events;
};

}  // namespace outpost::platform
