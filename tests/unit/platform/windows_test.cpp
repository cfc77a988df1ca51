// The Windows platform layer, under Wine: known folders, the profile folder's access list, UTF-8
// paths with Welsh letters, the site policy's place, and an encrypted store in a folder named
// "Siân Llŷr". Built by the Windows suite only (tests/windows/CMakeLists.txt).
// clang-format off: <windows.h> first, the other Windows headers need its definitions.
#include <windows.h>
// clang-format on
#include <aclapi.h>
#include <doctest/doctest.h>

#include <fstream>

#include "outpost/client/site_policy.h"
#include "outpost/core/store.h"
#include "outpost/platform/app_dirs.h"
#include "outpost/platform/os.h"
#include "outpost/platform/process.h"
#include "outpost/platform/utf8.h"
#include "temp_dir.h"

using namespace outpost;

namespace {

constexpr const char* kWelshName = "Si\xc3\xa2n Ll\xc5\xb7r";  // Siân Llŷr

// The number of entries in `p`'s access list, and whether it inherits none from its folder.
std::pair<DWORD, bool> acl_of(const std::filesystem::path& p) {
    PACL dacl = nullptr;
    PSECURITY_DESCRIPTOR sd = nullptr;
    REQUIRE(::GetNamedSecurityInfoW(p.c_str(), SE_FILE_OBJECT, DACL_SECURITY_INFORMATION, nullptr, nullptr, &dacl,
                                    nullptr, &sd) == ERROR_SUCCESS);
    SECURITY_DESCRIPTOR_CONTROL control = 0;
    DWORD revision = 0;
    ::GetSecurityDescriptorControl(sd, &control, &revision);
    ACL_SIZE_INFORMATION info{};
    ::GetAclInformation(dacl, &info, sizeof info, AclSizeInformation);
    ::LocalFree(sd);
    return {info.AceCount, (control & SE_DACL_PROTECTED) != 0};
}

// Wine names itself through an export of ntdll that Windows does not have.
bool running_under_wine() {
    HMODULE ntdll = ::GetModuleHandleW(L"ntdll.dll");
    return ntdll != nullptr && ::GetProcAddress(ntdll, "wine_get_version") != nullptr;
}

}  // namespace

TEST_CASE("Windows: profiles live under Local AppData\\Outpost, the policy under ProgramData\\Outpost") {
    Result<platform::AppDirs> dirs = platform::user_app_dirs("outpost");
    REQUIRE(dirs.is_ok());
    const std::string data = path_to_utf8(dirs->data);
    CHECK(data.find("AppData\\Local\\Outpost\\data") != std::string::npos);
    const std::string policy = path_to_utf8(client::default_policy_path());
    CHECK(policy.size() > std::string("ProgramData\\Outpost\\client.json").size());
    CHECK(policy.ends_with("ProgramData\\Outpost\\client.json"));
    CHECK(platform::downloads_folder().filename() == "Downloads");
}

TEST_CASE("Windows: a missing site policy is no policy; a malformed one is an error") {
    testing::TempDir dir;
    Result<client::SitePolicy> none = client::load_site_policy(dir / "client.json");
    REQUIRE(none.is_ok());
    CHECK(none->source.empty());
    std::ofstream(dir / "client.json") << "{\"max_auto_lock_minutes\": \"ten\"}";
    Result<client::SitePolicy> bad = client::load_site_policy(dir / "client.json");
    CHECK_FALSE(bad.is_ok());
}

TEST_CASE("Windows: UTF-8 paths keep Welsh letters both ways") {
    const std::filesystem::path p = path_from_utf8(kWelshName);
    CHECK(p.native() == std::wstring(L"Si\u00e2n Ll\u0177r"));
    CHECK(path_to_utf8(p) == kWelshName);
    CHECK(os::narrow(os::widen("caf\xc3\xa9 \xe2\x82\xac")) == "caf\xc3\xa9 \xe2\x82\xac");
}

TEST_CASE("Windows: the app folders are this user's alone (a protected access list with one entry)") {
    testing::TempDir dir;
    const platform::AppDirs dirs{dir.path() / "data", dir.path() / "config", dir.path() / "state"};
    REQUIRE(platform::ensure_app_dirs(dirs).is_ok());
    const auto [entries, protected_list] = acl_of(dirs.data);
    if (running_under_wine()) {
        // Wine accepts the access list (ensure_app_dirs checked the call) but keeps none on its
        // files: it reports one made up from the Unix mode. Checked on Windows itself.
        MESSAGE("Wine keeps no access lists on files; the list read back has " << entries << " entries");
    } else {
        CHECK(entries == 1);
        CHECK(protected_list);
    }
}

TEST_CASE(
    "Windows: an encrypted store in a folder named Siân Llŷr is created, reopened and refuses a wrong "
    "passphrase") {
    testing::TempDir dir;
    const std::filesystem::path home = dir.path() / path_from_utf8(kWelshName);
    std::filesystem::create_directories(home);
    const std::filesystem::path db = home / path_from_utf8("achosion-\xc5\xb5.db");  // achosion-ŵ.db
    {
        Result<std::unique_ptr<Store>> s = Store::create(db, "correct horse battery staple");
        REQUIRE(s.is_ok());
        REQUIRE((*s)->exec("CREATE TABLE t(x); INSERT INTO t VALUES('Llŷr')").is_ok());
    }
    CHECK(std::filesystem::exists(db));
    Result<std::unique_ptr<Store>> again = Store::open(db, "correct horse battery staple");
    REQUIRE(again.is_ok());
    Result<std::unique_ptr<Store>> wrong = Store::open(db, "not the passphrase");
    CHECK_FALSE(wrong.is_ok());
    // Nothing was written beside it under a mangled (ANSI) name.
    int files = 0;
    for (const auto& e : std::filesystem::directory_iterator(home)) {
        files += path_to_utf8(e.path().filename()).starts_with("achosion-\xc5\xb5.db") ? 1 : 0;
        CHECK(path_to_utf8(e.path().filename()).find("\xc3\x85") == std::string::npos);
    }
    CHECK(files >= 2);  // the database and its key file
}

TEST_CASE("Windows: crash dumps are switched off and the computer has a name") {
    REQUIRE(platform::disable_core_dumps().is_ok());
    CHECK(platform::core_dumps_disabled());
    CHECK_FALSE(platform::computer_name().empty());
}
