#include "outpost/platform/process.h"

#include <array>
#include <string>

#include "outpost/core/error_codes.h"
#include "outpost/platform/child_process.h"
#include "outpost/platform/os.h"
#include "outpost/platform/utf8.h"

namespace outpost::platform {

std::tm local_time(std::int64_t ms) {
    const std::time_t t = static_cast<std::time_t>(ms / 1000);
    std::tm out{};
#if defined(_WIN32)
    localtime_s(&out, &t);
#else
    localtime_r(&t, &out);
#endif
    return out;
}

long process_id() {
    return os::process_id();
}

Status write_new_file(const std::filesystem::path& path, std::string_view text) {
    const std::error_code ec =
        os::create_new_file(path, std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
    if (ec == std::errc::file_exists) {
        return Status::error(errc::kPlatformFileExists,
                             path_to_utf8(path) + " already exists; Outpost never writes over a file");
    }
    if (ec) {
        return Status::error(errc::kIo, "cannot create " + path_to_utf8(path) + ": " + ec.message());
    }
    return Status::ok();
}

Result<ProgramResult> run_program(const std::vector<std::string>& argv) {
    if (argv.empty()) {
        return Status::error(errc::kInvalidArgument, "run_program needs a program name");
    }
    std::unique_ptr<os::ChildProcess> child;
    if (const std::error_code ec = os::ChildProcess::start(argv, {.search_path = true}, child)) {
        return Status::error(errc::kPlatformProcessFailed, "cannot run " + argv[0] + ": " + ec.message());
    }
    ProgramResult out;
    std::array<char, 8192> buf{};
    while (const std::size_t n = child->read(buf.data(), buf.size())) {
        if (out.output.size() < (1U << 20U)) {
            out.output.append(buf.data(), n);
        }
    }
    const os::ChildProcess::Exit exit = child->wait();
    // posix_spawnp reports a missing program through the child's exit status 127.
    if (!exit.killed && exit.code == 127 && out.output.empty()) {
        return Status::error(errc::kPlatformProcessFailed, "cannot run " + argv[0] + ": not found on PATH");
    }
    out.exit_code = exit.killed ? 128 + exit.code : exit.code;
    return out;
}

}  // namespace outpost::platform
