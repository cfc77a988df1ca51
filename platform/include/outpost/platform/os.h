// The operating-system calls core itself needs: replacing a file atomically with its data flushed,
// creating a file only this user may read, flushing a folder, the running executable's path, the
// process id and the environment.
//
// This is platform's lowest layer (the target outpost_platform_os). It sits below core, so it knows
// nothing of Status: failures are std::error_code values, which callers turn into their own codes.
// Everything else in platform/ builds on core and returns Status.
//
// One implementation per OS: src/os_posix.cpp (Linux, macOS) and src/os_windows.cpp, chosen by
// platform/CMakeLists.txt; no #ifdef reaches the callers.
// Thread-safety: every function may be called from any thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <system_error>

namespace outpost::os {

// Writes `bytes` to `<target>.tmp` (owner read/write only), flushes it to the disk, renames it over
// `target` and flushes the folder, so that after a crash `target` holds either its old or its new
// contents, never a mix. The temporary file is removed on failure.
[[nodiscard]] std::error_code replace_file(const std::filesystem::path& target, std::span<const std::uint8_t> bytes);

// The steps of replace_file, for tests that kill a process between any two of them (a fault-
// injection seam): a hook set here runs after each step, on the calling thread. Null (the
// default) runs nothing.
enum class ReplaceStep { kTempCreated, kTempWritten, kRenamed, kFolderFlushed };
using ReplaceStepHook = void (*)(ReplaceStep);
void set_replace_step_hook(ReplaceStepHook hook);
void run_replace_step_hook(ReplaceStep step);

// Creates `path` readable by its owner alone (on Windows, as the folder's access list allows) and
// writes `bytes`, flushed to the disk. Never writes
// over a file or through a symbolic link: std::errc::file_exists when anything is already there.
[[nodiscard]] std::error_code create_new_file(const std::filesystem::path& path, std::span<const std::uint8_t> bytes);

// Appends `bytes` to `path` (created owner-only when missing) and flushes it to the disk. On any
// failure the file is cut back to the size it had, so a retried append lines up.
[[nodiscard]] std::error_code append_file(const std::filesystem::path& path, std::span<const std::uint8_t> bytes);

// Flushes a folder's entries (names created, renamed or removed in it) to the disk. A no-op where
// the OS has no such call.
[[nodiscard]] std::error_code sync_folder(const std::filesystem::path& folder);

// Makes `path` (a file or a folder) readable and writable by the current user alone: mode 0600 or
// 0700 on POSIX; on Windows a protected access list naming only the user, which the files later
// created in a folder inherit.
[[nodiscard]] std::error_code restrict_to_owner(const std::filesystem::path& path);

// Flushes an existing file's data to the disk.
[[nodiscard]] std::error_code sync_file(const std::filesystem::path& path);

// An exclusive advisory lock on a file (created when missing), held by this process until the
// FileLock is destroyed or the process ends, whichever is first.
class FileLock {
public:
    // std::errc::resource_unavailable_try_again when another process holds it.
    [[nodiscard]] static std::error_code try_acquire(const std::filesystem::path& path, std::unique_ptr<FileLock>& out);
    ~FileLock();
    FileLock(const FileLock&) = delete;
    FileLock& operator=(const FileLock&) = delete;

private:
    explicit FileLock(std::intptr_t handle) : m_handle(handle) {}
    std::intptr_t m_handle;
};

// The path of the running executable, or nothing when the OS cannot say.
[[nodiscard]] std::optional<std::filesystem::path> executable_path();

// This process's id.
[[nodiscard]] long process_id();

// The value of environment variable `name`, or nothing when it is unset or empty.
[[nodiscard]] std::optional<std::string> environment(const char* name);

}  // namespace outpost::os
