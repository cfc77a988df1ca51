#include "outpost/platform/app_dirs.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <map>

#include "temp_dir.h"

using namespace outpost::platform;
namespace fs = std::filesystem;

namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
        auto it = vars.find(name);
        if (it == vars.end()) {
            return std::nullopt;
        }
        return it->second;
    };
}

}  // namespace

// The XDG and macOS conventions name POSIX paths ("/home/ann" is not absolute on Windows, which
// takes its folders from the known-folder API instead: tests/unit/platform/windows_test.cpp).
#if !defined(_WIN32)
TEST_CASE("AppDirs: Linux falls back to HOME per the XDG spec") {
    auto d = resolve_app_dirs("outpost", OsFamily::kLinux, env_of({{"HOME", "/home/ann"}}));
    REQUIRE(d.is_ok());
    CHECK(d->data == fs::path("/home/ann/.local/share/outpost"));
    CHECK(d->config == fs::path("/home/ann/.config/outpost"));
    CHECK(d->state == fs::path("/home/ann/.local/state/outpost"));
}

TEST_CASE("AppDirs: Linux honours absolute XDG variables and ignores relative ones") {
    auto d = resolve_app_dirs(
        "outpost", OsFamily::kLinux,
        env_of({{"HOME", "/home/ann"}, {"XDG_DATA_HOME", "/srv/data"}, {"XDG_CONFIG_HOME", "relative/config"}}));
    REQUIRE(d.is_ok());
    CHECK(d->data == fs::path("/srv/data/outpost"));
    CHECK(d->config == fs::path("/home/ann/.config/outpost"));
}

TEST_CASE("AppDirs: macOS uses its own convention") {
    auto m = resolve_app_dirs("outpost", OsFamily::kMacOs, env_of({{"HOME", "/Users/ann"}}));
    REQUIRE(m.is_ok());
    CHECK(m->data == fs::path("/Users/ann/Library/Application Support/outpost/data"));
}

TEST_CASE("AppDirs: no home gives a clear error") {
    auto d = resolve_app_dirs("outpost", OsFamily::kLinux, env_of({}));
    CHECK_FALSE(d.is_ok());
    CHECK(d.status().code() == "platform.dirs.no_home");
}
#endif

TEST_CASE("AppDirs: Windows folders are not read from the environment") {
    auto w = resolve_app_dirs("outpost", OsFamily::kWindows, env_of({{"LOCALAPPDATA", "C:\\Users\\ann"}}));
    CHECK(w.status().code() == "platform.dirs.no_home");
}

TEST_CASE("AppDirs: ensure_app_dirs creates owner-only directories") {
    outpost::testing::TempDir tmp;
    const AppDirs d{tmp.path() / "data", tmp.path() / "config", tmp.path() / "state"};
    REQUIRE(ensure_app_dirs(d).is_ok());
    for (const fs::path& p : {d.data, d.config, d.state}) {
        REQUIRE(fs::is_directory(p));
#if !defined(_WIN32)  // Windows: an access list, checked in windows_test.cpp
        CHECK((fs::status(p).permissions() & (fs::perms::group_all | fs::perms::others_all)) == fs::perms::none);
#endif
    }
}
