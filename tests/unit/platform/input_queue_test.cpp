// InputQueue: what a frame sees of a burst of key events that arrived between two frames.
#include "outpost/platform/input_queue.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using outpost::platform::InputQueue;

namespace {

InputQueue::Event down(int key, bool ordered = false) {
    InputQueue::Event e;
    e.kind = InputQueue::Kind::kKeyDown;
    e.key = key;
    e.ordered = ordered;
    return e;
}
InputQueue::Event up(int key) {
    InputQueue::Event e;
    e.kind = InputQueue::Kind::kKeyUp;
    e.key = key;
    return e;
}
InputQueue::Event ch(unsigned int c) {
    InputQueue::Event e;
    e.kind = InputQueue::Kind::kChar;
    e.ch = c;
    return e;
}
void type(InputQueue& q, char c) {
    q.push(down(c));
    q.push(ch(static_cast<unsigned char>(c)));
    q.push(up(c));
}

// Each frame as text: "a" a character, "+T" T down, "-T" T up.
std::vector<std::string> frames(InputQueue& q) {
    std::vector<std::string> out;
    while (q.pending()) {
        std::string f;
        q.deliver_frame([&](const InputQueue::Event& e) {
            if (e.kind == InputQueue::Kind::kChar) {
                f += static_cast<char>(e.ch);
            } else {
                f += (e.kind == InputQueue::Kind::kKeyUp ? "-" : "+") + std::string(1, static_cast<char>(e.key));
            }
        });
        out.push_back(f);
    }
    return out;
}

}  // namespace

TEST_CASE("InputQueue: a tap between two frames is seen down for a frame, then up") {
    InputQueue q;
    q.push(down('T', true));
    q.push(up('T'));
    CHECK(frames(q) == std::vector<std::string>{"+T", "-T"});
}

TEST_CASE("InputQueue: regression - two Tabs between two frames counted as one") {
    InputQueue q;
    for (int i = 0; i < 2; ++i) {
        q.push(down('T', true));
        q.push(up('T'));
    }
    CHECK(frames(q) == std::vector<std::string>{"+T", "-T", "+T", "-T"});
}

TEST_CASE("InputQueue: characters typed before and after a Tab or Backspace stay on their side of it") {
    InputQueue q;
    type(q, 'a');
    type(q, 'b');
    q.push(down('B', true));  // Backspace
    q.push(up('B'));
    type(q, 'c');
    // "ab" first; Backspace on its own; then its release and "c".
    CHECK(frames(q) == std::vector<std::string>{"+aa-a+bb-b", "+B", "-B+cc-c"});
}

TEST_CASE("InputQueue: plain typing goes through in one frame, in order") {
    InputQueue q;
    type(q, 'x');
    type(q, 'y');
    type(q, 'z');
    CHECK(frames(q) == std::vector<std::string>{"+xx-x+yy-y+zz-z"});
}

TEST_CASE("InputQueue: Ctrl held, then N: N gets a frame of its own with Ctrl already down") {
    InputQueue q;
    q.push(down('C'));        // Control itself is not an ordered key...
    q.push(down('N', true));  // ...N with Control held is
    q.push(up('N'));
    q.push(up('C'));
    CHECK(frames(q) == std::vector<std::string>{"+C", "+N", "-N-C"});
}
