// POSIX implementation of outpost/platform/os.h (Linux, macOS).
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "outpost/platform/os.h"
#include "outpost/platform/utf8.h"

namespace outpost {

std::filesystem::path path_from_utf8(std::string_view text) {
    return std::filesystem::path(std::string(text));
}

std::string path_to_utf8(const std::filesystem::path& p) {
    return p.native();
}

namespace os {

std::wstring widen(std::string_view utf8) {
    std::wstring out;
    for (std::size_t i = 0; i < utf8.size();) {
        const auto b = static_cast<unsigned char>(utf8[i]);
        const std::size_t len = b < 0x80 ? 1 : (b >> 5) == 0x6 ? 2 : (b >> 4) == 0xE ? 3 : (b >> 3) == 0x1E ? 4 : 0;
        if (len == 0 || i + len > utf8.size()) {
            out += L'\uFFFD';
            ++i;
            continue;
        }
        char32_t c = len == 1 ? b : b & (0x7F >> len);
        for (std::size_t k = 1; k < len; ++k) {
            c = (c << 6) | (static_cast<unsigned char>(utf8[i + k]) & 0x3F);
        }
        out += static_cast<wchar_t>(c);
        i += len;
    }
    return out;
}

std::string narrow(std::wstring_view wide) {
    std::string out;
    for (const wchar_t w : wide) {
        const auto c = static_cast<char32_t>(w);
        if (c < 0x80) {
            out += static_cast<char>(c);
        } else if (c < 0x800) {
            out += static_cast<char>(0xC0 | (c >> 6));
            out += static_cast<char>(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            out += static_cast<char>(0xE0 | (c >> 12));
            out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (c & 0x3F));
        } else {
            out += static_cast<char>(0xF0 | (c >> 18));
            out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
            out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
            out += static_cast<char>(0x80 | (c & 0x3F));
        }
    }
    return out;
}

}  // namespace os
}  // namespace outpost

namespace outpost::os {
namespace {

std::error_code last_error() {
    return {errno, std::generic_category()};
}

// Writes all of `bytes` to `fd` and flushes it; does not close it.
std::error_code write_all_and_flush(int fd, std::span<const std::uint8_t> bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return n < 0 ? last_error() : std::make_error_code(std::errc::io_error);
        }
        done += static_cast<std::size_t>(n);
    }
    return ::fsync(fd) == 0 ? std::error_code() : last_error();
}

std::error_code sync_path(const std::filesystem::path& p, int flags) {
    const int fd = ::open(p.c_str(), flags | O_CLOEXEC);
    if (fd < 0) {
        return last_error();
    }
    const std::error_code ec = ::fsync(fd) == 0 ? std::error_code() : last_error();
    ::close(fd);
    return ec;
}

}  // namespace

std::error_code replace_file(const std::filesystem::path& target, std::span<const std::uint8_t> bytes) {
    std::filesystem::path tmp = target;
    tmp += ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        return last_error();
    }
    run_replace_step_hook(ReplaceStep::kTempCreated);
    std::error_code ec = write_all_and_flush(fd, bytes);
    ::close(fd);
    if (!ec) {
        run_replace_step_hook(ReplaceStep::kTempWritten);
        if (::rename(tmp.c_str(), target.c_str()) != 0) {
            ec = last_error();
        }
    }
    if (ec) {
        ::unlink(tmp.c_str());
        return ec;
    }
    run_replace_step_hook(ReplaceStep::kRenamed);
    const std::filesystem::path folder = target.parent_path();
    ec = sync_folder(folder.empty() ? std::filesystem::path(".") : folder);
    if (!ec) {
        run_replace_step_hook(ReplaceStep::kFolderFlushed);
    }
    return ec;
}

std::error_code create_new_file(const std::filesystem::path& path, std::span<const std::uint8_t> bytes) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        return errno == ELOOP ? std::make_error_code(std::errc::file_exists) : last_error();
    }
    const std::error_code ec = write_all_and_flush(fd, bytes);
    ::close(fd);
    return ec;
}

std::error_code append_file(const std::filesystem::path& path, std::span<const std::uint8_t> bytes) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        return last_error();
    }
    struct stat st {};
    std::error_code ec = ::fstat(fd, &st) == 0 ? std::error_code() : last_error();
    if (!ec) {
        ec = write_all_and_flush(fd, bytes);
        if (ec) {
            (void)::ftruncate(fd, st.st_size);  // best effort: the caller reports `ec`
        }
    }
    ::close(fd);
    return ec;
}

std::error_code FileLock::try_acquire(const std::filesystem::path& path, std::unique_ptr<FileLock>& out) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        return last_error();
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const std::error_code ec =
            errno == EWOULDBLOCK ? std::make_error_code(std::errc::resource_unavailable_try_again) : last_error();
        ::close(fd);
        return ec;
    }
    out.reset(new FileLock(fd));
    return {};
}

FileLock::~FileLock() {
    ::close(static_cast<int>(m_handle));  // releases the lock
}

std::error_code sync_folder(const std::filesystem::path& folder) {
    return sync_path(folder, O_RDONLY | O_DIRECTORY);
}

std::error_code sync_file(const std::filesystem::path& path) {
    return sync_path(path, O_RDONLY);
}

std::optional<std::filesystem::path> executable_path() {
#if defined(__linux__)
    std::error_code ec;
    std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        return exe;
    }
#endif
    return std::nullopt;
}

long process_id() {
    return static_cast<long>(::getpid());
}

std::error_code restrict_to_owner(const std::filesystem::path& path) {
    std::error_code ec;
    const bool folder = std::filesystem::is_directory(path, ec);
    std::filesystem::permissions(path,
                                 folder ? std::filesystem::perms::owner_all
                                        : std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                                 std::filesystem::perm_options::replace, ec);
    return ec;
}

std::optional<std::string> environment(const char* name) {
    const char* value = std::getenv(name);  // NOLINT(concurrency-mt-unsafe): read-only use
    if (value == nullptr || *value == '\0') {
        return std::nullopt;
    }
    return std::string(value);
}

}  // namespace outpost::os
