#include "outpost/platform/os.h"

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include "../../support/child_process.h"
#include "../../support/temp_dir.h"
#include "outpost/platform/utf8.h"

#if defined(_WIN32)
#include <process.h>
#else
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace {

std::span<const std::uint8_t> bytes_of(std::string_view s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

std::string read_all(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// Test plumbing the product has no use for, so it is not in platform/: this process's id as the C
// runtime gives it, and setting (or, with nullptr, removing) one of its environment variables (UTF-8).
long own_process_id() {
#if defined(_WIN32)
    return static_cast<long>(::_getpid());
#else
    return static_cast<long>(::getpid());
#endif
}

bool set_environment(const char* name, const char* value) {
#if defined(_WIN32)
    // Windows keeps no empty variables: an empty value removes it, as nullptr does.
    const std::wstring wide_value = value != nullptr ? outpost::os::widen(value) : std::wstring();
    return ::_wputenv_s(outpost::os::widen(name).c_str(), wide_value.c_str()) == 0;
#else
    return value != nullptr ? ::setenv(name, value, 1) == 0 : ::unsetenv(name) == 0;
#endif
}

#if !defined(_WIN32)
// The permission bits of `p` (POSIX only: a Windows file has an access list instead).
unsigned mode_bits(const std::filesystem::path& p) {
    struct stat st {};
    REQUIRE(::stat(p.c_str(), &st) == 0);
    return st.st_mode & 0777;
}
#endif

}  // namespace

// The child of the file-lock case: tries the lock at args[0]; ends with 1 when it is refused as held
// elsewhere, 0 otherwise.
OUTPOST_CHILD_ROLE(try_lock) {
    std::unique_ptr<outpost::os::FileLock> mine;
    outpost::os::exit_now(outpost::os::FileLock::try_acquire(outpost::path_from_utf8(args.at(0)), mine) ==
                                  std::errc::resource_unavailable_try_again
                              ? 1
                              : 0);
}

namespace os = outpost::os;

TEST_CASE("Os: replace_file replaces the whole file, owner-only, and leaves no temporary file") {
    outpost::testing::TempDir dir;
    const auto target = dir / "key";
    REQUIRE_FALSE(os::replace_file(target, bytes_of("first version, longer than the second")));
    CHECK(read_all(target) == "first version, longer than the second");
    REQUIRE_FALSE(os::replace_file(target, bytes_of("second")));
    CHECK(read_all(target) == "second");
    CHECK_FALSE(std::filesystem::exists(dir / "key.tmp"));
#if !defined(_WIN32)
    CHECK(mode_bits(target) == 0600);
#endif
}

TEST_CASE("Os: replace_file into a missing folder fails and creates nothing") {
    outpost::testing::TempDir dir;
    const std::error_code ec = os::replace_file(dir / "missing" / "key", bytes_of("x"));
    CHECK(ec == std::errc::no_such_file_or_directory);
    CHECK_FALSE(std::filesystem::exists(dir / "missing"));
}

TEST_CASE("Os: create_new_file never writes over a file or through a symbolic link") {
    outpost::testing::TempDir dir;
    const auto path = dir / "export.csv";
    REQUIRE_FALSE(os::create_new_file(path, bytes_of("a,b\n")));
    CHECK(read_all(path) == "a,b\n");
    CHECK(os::create_new_file(path, bytes_of("other")) == std::errc::file_exists);
    CHECK(read_all(path) == "a,b\n");

#if !defined(_WIN32)
    // POSIX only: a symbolic link on Windows needs a privilege, and mingw's libstdc++ makes none.
    const auto victim = dir / "victim";
    { std::ofstream(victim) << "keep"; }
    std::filesystem::create_symlink(victim, dir / "link");
    CHECK(os::create_new_file(dir / "link", bytes_of("overwrite")) == std::errc::file_exists);
    CHECK(read_all(victim) == "keep");
#endif
}

TEST_CASE("Os: sync_folder and sync_file report a missing path") {
    outpost::testing::TempDir dir;
    CHECK_FALSE(os::sync_folder(dir.path()));
    CHECK(os::sync_folder(dir / "nope") == std::errc::no_such_file_or_directory);
    { std::ofstream(dir / "f") << "x"; }
    CHECK_FALSE(os::sync_file(dir / "f"));
    CHECK(os::sync_file(dir / "nope") == std::errc::no_such_file_or_directory);
}

TEST_CASE("Os: the executable's path, the process id and the environment are this process's") {
    const std::optional<std::filesystem::path> exe = os::executable_path();
    REQUIRE(exe.has_value());
    CHECK(exe->stem() == "test_platform_os");  // test_platform_os.exe on Windows
    CHECK(os::process_id() == own_process_id());

    REQUIRE(set_environment("OUTPOST_OS_TEST_VALUE", "Llŷr"));
    CHECK(os::environment("OUTPOST_OS_TEST_VALUE") == std::optional<std::string>("Llŷr"));
    REQUIRE(set_environment("OUTPOST_OS_TEST_VALUE", ""));
    CHECK_FALSE(os::environment("OUTPOST_OS_TEST_VALUE").has_value());
    REQUIRE(set_environment("OUTPOST_OS_TEST_VALUE", nullptr));
    CHECK_FALSE(os::environment("OUTPOST_OS_TEST_VALUE").has_value());
}

TEST_CASE("Os: append_file appends, flushed, and creates the file owner-only") {
    outpost::testing::TempDir dir;
    const auto part = dir / "partial";
    REQUIRE_FALSE(os::append_file(part, bytes_of("first ")));
    REQUIRE_FALSE(os::append_file(part, bytes_of("second")));
    CHECK(read_all(part) == "first second");
#if !defined(_WIN32)
    CHECK(mode_bits(part) == 0600);
#endif
    CHECK(os::append_file(dir / "missing" / "x", bytes_of("x")) == std::errc::no_such_file_or_directory);
}

TEST_CASE("Os: a file lock is held against another process until released") {
    outpost::testing::TempDir dir;
    const auto path = dir / "serve.lock";
    std::unique_ptr<os::FileLock> held;
    REQUIRE_FALSE(os::FileLock::try_acquire(path, held));
    REQUIRE(held != nullptr);
    // flock locks belong to the open file: a child process (its own open) must be refused.
    auto child_can_lock = [&] {
        const os::ChildProcess::Exit exit =
            outpost::testing::Child::start("try_lock", {outpost::path_to_utf8(path)}).wait();
        return !exit.killed && exit.code == 0;
    };
    CHECK_FALSE(child_can_lock());
    held.reset();
    CHECK(child_can_lock());
}
