// Fuzz target: the server's push, pull and snapshot handlers, called in-process on a real SQLite
// server database (in $TMPDIR, made once per process), as the HTTP layer calls them after decoding.
// The first byte picks the handler and the device's role; the rest is the push body, the pull cursor
// or the snapshot's starting id. Whatever arrives, the handler answers or refuses with a stable code:
// a push that is accepted answers each change once, and the server keeps serving afterwards.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "fuzz_target.h"
#include "outpost/core/clock.h"
#include "outpost/core/records/schema.h"
#include "outpost/sync/server_storage.h"
#include "outpost/sync/sync_messages.h"
#include "outpost/sync/sync_service.h"

namespace {

using namespace outpost;

struct Server {
    std::filesystem::path dir;
    std::unique_ptr<sync::ServerStorage> storage;
    std::unique_ptr<sync::SyncService> service;
    Server() = default;
    Server(Server&&) = default;
    Server& operator=(Server&&) = delete;
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;
    ~Server() {
        service.reset();
        storage.reset();
        if (!dir.empty()) {
            std::error_code ec;
            std::filesystem::remove_all(dir, ec);
        }
    }
};

Server& server() {
    static Server s = [] {
        namespace fs = std::filesystem;
        const fs::path dir = fs::temp_directory_path() / ("outpost-push-pull-fuzz-" + std::to_string(::getpid()));
        fs::remove_all(dir);
        Server out;
        out.dir = dir;
        auto schemas = records::load_schemas(records::bundled_forms_dir());
        if (!sync::init_sqlite_data_dir(dir).is_ok() || !schemas.is_ok()) {
            std::abort();
        }
        auto st = sync::open_sqlite_storage(dir);
        if (!st.is_ok()) {
            std::abort();
        }
        out.storage = std::move(*st);
        if (!out.storage->add_team("a", 1).is_ok() || !out.storage->add_user("w", "a", "worker", 1).is_ok() ||
            !out.storage->add_user("l", "a", "lead", 1).is_ok()) {
            std::abort();
        }
        out.service =
            std::make_unique<sync::SyncService>(*out.storage, std::move(*schemas), "[]", SystemClock::instance());
        if (!out.service->start().is_ok()) {
            std::abort();
        }
        return out;
    }();
    return s;
}

void refused(const Status& s) {
    if (s.is_ok() || s.code().find('.') == std::string::npos) {
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* raw, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    Server& s = server();
    const bool lead = (raw[0] & 4U) != 0;
    const sync::DeviceAuth who{lead ? "dev-l" : "dev-w", lead ? "l" : "w", "a", lead ? "lead" : "worker"};
    const std::string_view rest(reinterpret_cast<const char*>(raw) + 1, size - 1);
    switch (raw[0] % 4) {
        case 0:
        case 1: {
            auto req = sync::decode_push_request(rest);
            if (!req.is_ok()) {
                refused(req.status());
                return 0;
            }
            if ((raw[0] & 8U) == 0) {
                req->device_id = who.device_id;  // mostly past the device check, to reach the merge
            }
            auto out = s.service->push(who, *req);
            if (!out.is_ok()) {
                refused(out.status());
            } else if (out->results.size() != req->changes.size()) {
                std::abort();
            }
            break;
        }
        case 2: {
            auto out = s.service->pull(who, rest, 1 + static_cast<int>(size % 50));
            if (!out.is_ok()) {
                refused(out.status());
            }
            break;
        }
        default: {
            auto out = s.service->snapshot(who, std::string(rest), 1 + static_cast<int>(size % 50));
            if (!out.is_ok()) {
                refused(out.status());
            }
        }
    }
    return 0;
}
