// Child processes for the crash tests, the same on Linux and Windows: the test program starts
// itself again in a named role instead of its tests (tests/doctest_main.cpp dispatches), the child
// reports to the parent on its standard output, and the parent kills it at a moment of its choosing
// (SIGKILL; TerminateProcess). Underneath is outpost/platform/child_process.h.
//
//   OUTPOST_CHILD_ROLE(writer) { ...; report_value(n); ...; }   // args: the strings given to start()
//   Child c = Child::start("writer", {path, "7"});
//   c.wait_ready(); c.kill(); CHECK(c.wait().killed);
//
// A role must not return into doctest: returning ends the child with exit code 99, a thrown failure
// (a REQUIRE) with 98, an unknown role with 97.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "outpost/platform/child_process.h"
#include "outpost/platform/os.h"
#include "outpost/platform/utf8.h"

namespace outpost::testing {

using ChildRole = void (*)(const std::vector<std::string>& args);

inline std::map<std::string, ChildRole>& child_roles() {
    static std::map<std::string, ChildRole> roles;
    return roles;
}

struct ChildRoleRegistration {
    ChildRoleRegistration(const char* name, ChildRole role) { child_roles()[name] = role; }
};

#define OUTPOST_CHILD_ROLE(name)                                                              \
    static void outpost_child_role_##name(const std::vector<std::string>& args);              \
    static const ::outpost::testing::ChildRoleRegistration outpost_child_registration_##name( \
        #name, outpost_child_role_##name);                                                    \
    static void outpost_child_role_##name([[maybe_unused]] const std::vector<std::string>& args)

inline constexpr const char* kChildRoleFlag = "--outpost-child-role";

// The child's side: argv is [program, kChildRoleFlag, role, args...].
[[noreturn]] inline void run_child_role(const std::vector<std::string>& argv) {
    const auto it = child_roles().find(argv.at(2));
    if (it == child_roles().end()) {
        os::exit_now(97);
    }
    // No test runs in the child: without a context doctest would crash on a failed assertion (which
    // the parent would take for a kill); with this one it ends the child with 98, as a throw does.
    doctest::Context context;
    context.setAsDefaultForAssertsOutOfTestCases();
    context.setAssertHandler([](const doctest::AssertData&) { os::exit_now(98); });
    try {
        it->second(std::vector<std::string>(argv.begin() + 3, argv.end()));
    } catch (...) {
        os::exit_now(98);
    }
    os::exit_now(99);
}

// In the child: sends `value`'s bytes to the parent at once.
template <class T>
void report_value(const T& value) {
    if (os::write_standard_output(std::span(reinterpret_cast<const std::uint8_t*>(&value), sizeof value))) {
        os::exit_now(8);
    }
}

// In the child: one byte, "the part worth killing begins".
inline void report_ready() {
    report_value(std::uint8_t{1});
}

class Child {
public:
    static Child start(const std::string& role, const std::vector<std::string>& args = {}) {
        const std::optional<std::filesystem::path> self = os::executable_path();
        REQUIRE(self.has_value());
        std::vector<std::string> argv{path_to_utf8(*self), kChildRoleFlag, role};
        argv.insert(argv.end(), args.begin(), args.end());
        Child c;
        // Wine now and then fails a CreateProcess with ERROR_INTERNAL_ERROR under load; a second
        // try starts it. (Linux and Windows itself start it the first time.)
        std::error_code ec;
        for (int attempt = 0; attempt < 3; ++attempt) {
            ec = os::ChildProcess::start(argv, {.merge_stderr = false}, c.m_process);
            if (!ec) {
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
        REQUIRE_FALSE(ec);
        return c;
    }

    // Reads exactly sizeof(T) bytes of reports; false once the child's output has ended.
    template <class T>
    bool read_value(T& value) {
        auto* bytes = reinterpret_cast<std::uint8_t*>(&value);
        std::size_t got = 0;
        while (got < sizeof value) {
            const std::size_t n = m_process->read(bytes + got, sizeof value - got);
            if (n == 0) {
                return false;
            }
            got += n;
        }
        return true;
    }

    // Waits for the child's report_ready().
    void wait_ready() {
        std::uint8_t byte = 0;
        REQUIRE(read_value(byte));
    }

    void kill() { m_process->kill(); }
    os::ChildProcess::Exit wait() { return m_process->wait(); }

private:
    std::unique_ptr<os::ChildProcess> m_process;
};

}  // namespace outpost::testing
