#include "outpost/platform/os.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include "../../support/temp_dir.h"

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

}  // namespace

namespace os = outpost::os;

TEST_CASE("Os: replace_file replaces the whole file, owner-only, and leaves no temporary file") {
    outpost::testing::TempDir dir;
    const auto target = dir / "key";
    REQUIRE_FALSE(os::replace_file(target, bytes_of("first version, longer than the second")));
    CHECK(read_all(target) == "first version, longer than the second");
    REQUIRE_FALSE(os::replace_file(target, bytes_of("second")));
    CHECK(read_all(target) == "second");
    CHECK_FALSE(std::filesystem::exists(dir / "key.tmp"));
    struct stat st {};
    REQUIRE(::stat(target.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
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

    const auto victim = dir / "victim";
    { std::ofstream(victim) << "keep"; }
    std::filesystem::create_symlink(victim, dir / "link");
    CHECK(os::create_new_file(dir / "link", bytes_of("overwrite")) == std::errc::file_exists);
    CHECK(read_all(victim) == "keep");
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
    CHECK(exe->filename() == "test_platform_os");
    CHECK(os::process_id() == static_cast<long>(::getpid()));

    REQUIRE(::setenv("OUTPOST_OS_TEST_VALUE", "Llŷr", 1) == 0);
    CHECK(os::environment("OUTPOST_OS_TEST_VALUE") == std::optional<std::string>("Llŷr"));
    REQUIRE(::setenv("OUTPOST_OS_TEST_VALUE", "", 1) == 0);
    CHECK_FALSE(os::environment("OUTPOST_OS_TEST_VALUE").has_value());
    REQUIRE(::unsetenv("OUTPOST_OS_TEST_VALUE") == 0);
    CHECK_FALSE(os::environment("OUTPOST_OS_TEST_VALUE").has_value());
}

TEST_CASE("Os: append_file appends, flushed, and creates the file owner-only") {
    outpost::testing::TempDir dir;
    const auto part = dir / "partial";
    REQUIRE_FALSE(os::append_file(part, bytes_of("first ")));
    REQUIRE_FALSE(os::append_file(part, bytes_of("second")));
    CHECK(read_all(part) == "first second");
    struct stat st {};
    REQUIRE(::stat(part.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
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
        const pid_t pid = ::fork();
        if (pid == 0) {
            std::unique_ptr<os::FileLock> mine;
            ::_exit(os::FileLock::try_acquire(path, mine) == std::errc::resource_unavailable_try_again ? 1 : 0);
        }
        int status = 0;
        ::waitpid(pid, &status, 0);
        return WIFEXITED(status) && WEXITSTATUS(status) == 0;
    };
    CHECK_FALSE(child_can_lock());
    held.reset();
    CHECK(child_can_lock());
}
