// Windows implementation of outpost/platform/os.h. Built by the Windows cross build only.
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include <algorithm>

#include "outpost/platform/os.h"

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
    std::error_code ec = write_file(tmp, CREATE_ALWAYS, bytes);
    if (!ec && !::MoveFileExW(tmp.c_str(), target.c_str(), MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
        ec = last_error();
    }
    if (ec) {
        ::DeleteFileW(tmp.c_str());
    }
    return ec;
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

std::error_code sync_folder(const std::filesystem::path&) {
    return {};  // MOVEFILE_WRITE_THROUGH already flushed the rename
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

}  // namespace outpost::os
