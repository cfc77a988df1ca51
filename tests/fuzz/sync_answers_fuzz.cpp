// Fuzz target: a hostile server, as the laptop's sync engine meets it. A real encrypted store (in
// $TMPDIR, made once per process) with a case waiting to be sent syncs through a fake transport that
// answers each request, in order, with the next answer of the input; when the answers run out the
// network is gone. Answers are separated by the line "~~~"; an answer's first byte picks its status
// (200 most often, then 304, 400, 401, 404, 409, 410, 413, 416, 429, 500, 503, 206, 202, 201) and the rest
// is its body. An answer larger than the request allows is refused as the real transport refuses it.
// Whatever the server says:
//   - the sync ends (with a summary or a code), within a bounded number of requests;
//   - the profile still opens afterwards: the forms it keeps read back (profile_schemas), so no
//     answer can stop the next unlock;
//   - the pull cursor it keeps is a log position (digits) or nothing.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz_target.h"
#include "outpost/core/clock.h"
#include "outpost/core/error_codes.h"
#include "outpost/core/records/engine.h"
#include "outpost/core/records/schema.h"
#include "outpost/core/store.h"
#include "outpost/sync/profile.h"
#include "outpost/sync/sync_engine.h"
#include "outpost/sync/transport.h"

namespace {

using namespace outpost;

constexpr int kStatuses[] = {200, 200, 200, 200, 304, 400, 401, 404, 409, 410, 413, 416, 429, 500, 503, 206, 202, 201};
constexpr std::size_t kMaxRequests = 10'000;

class Answers final : public sync::Transport {
public:
    explicit Answers(std::string_view input) {
        constexpr std::string_view kSep = "\n~~~\n";
        for (std::size_t at = 0; at <= input.size();) {
            std::size_t end = input.find(kSep, at);
            if (end == std::string_view::npos) {
                end = input.size();
            }
            std::string_view a = input.substr(at, end - at);
            if (!a.empty()) {
                const auto pick = static_cast<unsigned char>(a.front());
                m_answers.emplace_back(kStatuses[pick % std::size(kStatuses)], std::string(a.substr(1)));
            }
            at = end + kSep.size();
        }
    }
    Result<sync::HttpResponse> request(const sync::HttpRequest& req) override {
        if (++m_requests > kMaxRequests) {
            std::abort();  // the engine kept asking: a sync must end
        }
        if (m_next >= m_answers.size()) {
            return Status::error(errc::kSyncNetworkUnreachable, "the fuzz input has no more answers");
        }
        auto& [status, body] = m_answers[m_next++];
        const std::size_t max = req.max_response_bytes != 0 ? req.max_response_bytes : sync::kMaxAnswerBytes;
        if (body.size() > max) {
            return Status::error(errc::kSyncAnswerTooLarge, "the answer is larger than the request allows");
        }
        sync::HttpResponse r;
        r.status = status;
        r.body = std::move(body);
        r.etag = "\"fuzz\"";
        return r;
    }

private:
    std::vector<std::pair<int, std::string>> m_answers;
    std::size_t m_next = 0;
    std::size_t m_requests = 0;
};

struct Laptop {
    std::filesystem::path dir;
    std::unique_ptr<Store> store;
    std::unique_ptr<records::RecordEngine> records;
    std::unique_ptr<BlobStore> blobs;
    sync::StoreMutex mutex;
    sync::Credentials creds{"dev-fuzz", std::string(64, 'a'), "ann", "north", "worker"};
    ~Laptop() {
        blobs.reset();
        records.reset();
        if (store) {
            store->lock();
        }
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
};

Laptop& laptop() {
    static Laptop l;
    if (l.store) {
        return l;
    }
    namespace fs = std::filesystem;
    l.dir = fs::temp_directory_path() / ("outpost-sync-answers-fuzz-" + std::to_string(::getpid()));
    fs::remove_all(l.dir);
    fs::create_directories(l.dir);
    StoreOptions so;
    so.kdf = KdfPolicy::kInteractiveFloor;
    auto st = Store::create(l.dir / "profile.db", "correct horse battery", so);
    auto forms = records::load_schemas(records::bundled_forms_dir());
    if (!st.is_ok() || !forms.is_ok()) {
        std::abort();
    }
    l.store = std::move(*st);
    auto r = records::RecordEngine::open(*l.store, std::move(*forms), SystemClock::instance());
    if (!r.is_ok() || !sync::save_credentials(*l.store, l.creds).is_ok()) {
        std::abort();
    }
    l.records = std::move(*r);
    auto b = BlobStore::open(*l.store);
    if (!b.is_ok()) {
        std::abort();
    }
    l.blobs = std::move(*b);
    return l;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* raw, std::size_t size) {
    Laptop& l = laptop();
    {
        // Something to send, so the push's answers are read too.
        std::lock_guard lock(l.mutex);
        const records::Actor ann{l.creds.user, l.creds.device_id, l.creds.role, l.creds.team};
        (void)l.records->create(ann, "home_visit",
                                {{"household", std::string("Flat 3")},
                                 {"visit_date", std::string("2026-11-30")},
                                 {"visit_type", std::string("planned")},
                                 {"concerns_identified", false}});
    }
    Answers server(std::string_view(reinterpret_cast<const char*>(raw), size));
    auto engine = sync::SyncEngine::open(*l.store, *l.records, *l.blobs, l.mutex, server, l.creds, {});
    if (!engine.is_ok()) {
        std::abort();
    }
    (void)(*engine)->sync_now();  // a summary or a code; both are fine
    auto cursor = (*engine)->pull_cursor();
    if (!cursor.is_ok()) {
        std::abort();
    }
    for (const char c : *cursor) {
        if (c < '0' || c > '9') {
            std::abort();  // a kept cursor is a log position
        }
    }
    engine->reset();
    // The next unlock: the forms kept must read back.
    if (!sync::profile_schemas(*l.store).is_ok()) {
        std::abort();
    }
    return 0;
}
