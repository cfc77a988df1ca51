// Windows implementation of outpost/platform/os.h. Built by the Windows cross build only.
// clang-format off: <windows.h> first, the other Windows headers need its definitions.
#include <windows.h>
// clang-format on
#include <aclapi.h>
#include <sddl.h>

#include <algorithm>
#include <vector>

#include "outpost/platform/os.h"
#include "outpost/platform/utf8.h"

namespace outpost {

std::filesystem::path path_from_utf8(std::string_view text) {
    return std::filesystem::path(os::widen(text));
}

std::string path_to_utf8(const std::filesystem::path& p) {
    return os::narrow(p.native());
}

namespace os {

std::wstring widen(std::string_view utf8) {
    if (utf8.empty()) {
        return {};
    }
    const int n = ::MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), nullptr, 0);
    std::wstring out(static_cast<std::size_t>(n), L'\0');
    ::MultiByteToWideChar(CP_UTF8, 0, utf8.data(), static_cast<int>(utf8.size()), out.data(), n);
    return out;
}

std::string narrow(std::wstring_view wide) {
    if (wide.empty()) {
        return {};
    }
    const int n =
        ::WideCharToMultiByte(CP_UTF8, 0, wide.data(), static_cast<int>(wide.size()), nullptr, 0, nullptr, nullptr);
    std::string out(static_cast<std::size_t>(n), '\0');
    ::WideCharToMultiByte(CP_UTF8, 0, wide.data(), static_cast<int>(wide.size()), out.data(), n, nullptr, nullptr);
    return out;
}

}  // namespace os
}  // namespace outpost

namespace outpost::os {
namespace {

std::error_code last_error() {
    return {static_cast<int>(::GetLastError()), std::system_category()};
}

std::error_code write_all_and_flush(HANDLE h, std::span<const std::uint8_t> bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
        const DWORD want = static_cast<DWORD>(std::min<std::size_t>(bytes.size() - done, 1u << 30));
        DWORD wrote = 0;
        if (!::WriteFile(h, bytes.data() + done, want, &wrote, nullptr) || wrote == 0) {
            return last_error();
        }
        done += wrote;
    }
    return ::FlushFileBuffers(h) ? std::error_code() : last_error();
}

std::error_code write_file(const std::filesystem::path& path, DWORD disposition, std::span<const std::uint8_t> bytes) {
    HANDLE h = ::CreateFileW(path.c_str(), GENERIC_WRITE, 0, nullptr, disposition,
                             FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, nullptr);
    if (h == INVALID_HANDLE_VALUE) {
        return ::GetLastError() == ERROR_FILE_EXISTS ? std::make_error_code(std::errc::file_exists) : last_error();
    }
    const std::error_code ec = write_all_and_flush(h, bytes);
    ::CloseHandle(h);
    return ec;
}

}  // namespace

std::error_code replace_file(const std::filesystem::path& target, std::span<const std::uint8_t> bytes) {
    std::filesystem::path tmp = target;
    tmp += ".tmp";
    HANDLE h = ::CreateFileW(tmp.c_str(), GENERIC_WRITE, 0, nullptr, CREATE_ALWAYS,
                             FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT, nullptr);
    if (h == INVALID_HANDLE_VALUE) {
        return last_error();
    }
    run_replace_step_hook(ReplaceStep::kTempCreated);
    std::error_code ec = write_all_and_flush(h, bytes);
    ::CloseHandle(h);
    if (!ec) {
        run_replace_step_hook(ReplaceStep::kTempWritten);
        // One call replaces the old file and, with WRITE_THROUGH, returns only once the new name is
        // on the disk: there is no folder to flush afterwards.
        if (!::MoveFileExW(tmp.c_str(), target.c_str(), MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
            ec = last_error();
        }
    }
    if (ec) {
        ::DeleteFileW(tmp.c_str());
        return ec;
    }
    run_replace_step_hook(ReplaceStep::kRenamed);
    run_replace_step_hook(ReplaceStep::kFolderFlushed);
    return {};
}

std::error_code create_new_file(const std::filesystem::path& path, std::span<const std::uint8_t> bytes) {
    return write_file(path, CREATE_NEW, bytes);
}

std::error_code append_file(const std::filesystem::path& path, std::span<const std::uint8_t> bytes) {
    HANDLE h = ::CreateFileW(path.c_str(), FILE_APPEND_DATA | GENERIC_WRITE, 0, nullptr, OPEN_ALWAYS,
                             FILE_ATTRIBUTE_NORMAL, nullptr);
    if (h == INVALID_HANDLE_VALUE) {
        return last_error();
    }
    LARGE_INTEGER size{};
    std::error_code ec = ::GetFileSizeEx(h, &size) ? std::error_code() : last_error();
    if (!ec) {
        LARGE_INTEGER end{};
        ::SetFilePointerEx(h, end, nullptr, FILE_END);
        ec = write_all_and_flush(h, bytes);
        if (ec) {
            ::SetFilePointerEx(h, size, nullptr, FILE_BEGIN);
            ::SetEndOfFile(h);
        }
    }
    ::CloseHandle(h);
    return ec;
}

std::error_code FileLock::try_acquire(const std::filesystem::path& path, std::unique_ptr<FileLock>& out) {
    HANDLE h = ::CreateFileW(path.c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL,
                             nullptr);
    if (h == INVALID_HANDLE_VALUE) {
        return ::GetLastError() == ERROR_SHARING_VIOLATION
                   ? std::make_error_code(std::errc::resource_unavailable_try_again)
                   : last_error();
    }
    out.reset(new FileLock(reinterpret_cast<std::intptr_t>(h)));
    return {};
}

FileLock::~FileLock() {
    ::CloseHandle(reinterpret_cast<HANDLE>(m_handle));
}

std::error_code sync_folder(const std::filesystem::path& folder) {
    // Nothing to flush: MOVEFILE_WRITE_THROUGH already flushed the rename. The folder must exist.
    const DWORD attributes = ::GetFileAttributesW(folder.c_str());
    if (attributes == INVALID_FILE_ATTRIBUTES || (attributes & FILE_ATTRIBUTE_DIRECTORY) == 0) {
        return std::make_error_code(std::errc::no_such_file_or_directory);
    }
    return {};
}

std::error_code sync_file(const std::filesystem::path& path) {
    HANDLE h = ::CreateFileW(path.c_str(), GENERIC_WRITE, FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr, OPEN_EXISTING,
                             FILE_ATTRIBUTE_NORMAL, nullptr);
    if (h == INVALID_HANDLE_VALUE) {
        return last_error();
    }
    const std::error_code ec = ::FlushFileBuffers(h) ? std::error_code() : last_error();
    ::CloseHandle(h);
    return ec;
}

std::optional<std::filesystem::path> executable_path() {
    std::wstring buf(MAX_PATH, L'\0');
    for (;;) {
        const DWORD n = ::GetModuleFileNameW(nullptr, buf.data(), static_cast<DWORD>(buf.size()));
        if (n == 0) {
            return std::nullopt;
        }
        if (n < buf.size()) {
            buf.resize(n);
            return std::filesystem::path(buf);
        }
        buf.resize(buf.size() * 2);
    }
}

long process_id() {
    return static_cast<long>(::GetCurrentProcessId());
}

std::error_code restrict_to_owner(const std::filesystem::path& path) {
    HANDLE token = nullptr;
    if (!::OpenProcessToken(::GetCurrentProcess(), TOKEN_QUERY, &token)) {
        return last_error();
    }
    DWORD size = 0;
    ::GetTokenInformation(token, TokenUser, nullptr, 0, &size);
    std::vector<std::uint8_t> buf(size);
    const bool got = ::GetTokenInformation(token, TokenUser, buf.data(), size, &size) != 0;
    ::CloseHandle(token);
    if (!got) {
        return last_error();
    }
    PSID user = reinterpret_cast<TOKEN_USER*>(buf.data())->User.Sid;
    EXPLICIT_ACCESSW access{};
    access.grfAccessPermissions = GENERIC_ALL;
    access.grfAccessMode = SET_ACCESS;
    access.grfInheritance = SUB_CONTAINERS_AND_OBJECTS_INHERIT;
    access.Trustee.TrusteeForm = TRUSTEE_IS_SID;
    access.Trustee.TrusteeType = TRUSTEE_IS_USER;
    access.Trustee.ptstrName = reinterpret_cast<LPWSTR>(user);
    PACL acl = nullptr;
    if (const DWORD rc = ::SetEntriesInAclW(1, &access, nullptr, &acl); rc != ERROR_SUCCESS) {
        return {static_cast<int>(rc), std::system_category()};
    }
    std::wstring name = path.native();
    // PROTECTED: nothing is inherited from the folder above (Users, Administrators), so the user's
    // entry is the only one.
    const DWORD rc = ::SetNamedSecurityInfoW(name.data(), SE_FILE_OBJECT,
                                             DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION, nullptr,
                                             nullptr, acl, nullptr);
    ::LocalFree(acl);
    return rc == ERROR_SUCCESS ? std::error_code() : std::error_code(static_cast<int>(rc), std::system_category());
}

std::optional<std::string> environment(const char* name) {
    const std::wstring wide_name = widen(name);
    const DWORD n = ::GetEnvironmentVariableW(wide_name.c_str(), nullptr, 0);
    if (n <= 1) {
        return std::nullopt;
    }
    std::wstring value(n, L'\0');
    const DWORD got = ::GetEnvironmentVariableW(wide_name.c_str(), value.data(), n);
    value.resize(got);
    return narrow(value);
}

}  // namespace outpost::os
