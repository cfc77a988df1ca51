// For tests of the sync client's pieces (sync/client/src/: Pusher, BlobTransfer, ClientState, ...):
// a laptop's real store, records engine and BlobStore in a SyncContext, over a scripted Transport
// that answers each request from a function the test gives and keeps every request it saw.
#pragma once

#include <doctest/doctest.h>

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "client_state.h"
#include "fake_clock.h"
#include "outpost/core/blob_store.h"
#include "outpost/core/error_codes.h"
#include "outpost/core/records/engine.h"
#include "outpost/core/records/schema.h"
#include "outpost/core/store.h"
#include "outpost/sync/messages.h"
#include "outpost/sync/sync_engine.h"
#include "outpost/sync/transport.h"
#include "sync_context.h"
#include "temp_dir.h"

namespace outpost::testing {

// Answers with `answer` (a lost network when it is unset); keeps each request. One thread at a time.
struct ScriptedTransport final : sync::Transport {
    std::function<Result<sync::HttpResponse>(const sync::HttpRequest&)> answer;
    std::vector<sync::HttpRequest> requests;

    Result<sync::HttpResponse> request(const sync::HttpRequest& req) override {
        requests.push_back(req);
        if (!answer) {
            return Status::error(errc::kSyncNetworkUnreachable, "scripted: no network");
        }
        return answer(req);
    }
};

// The server's answer to GET /v1/whoami for a device (the first request of every sync).
inline sync::HttpResponse whoami_answer(std::string_view device, std::string_view team, std::string_view role) {
    return {.status = 200,
            .body = "{\"device_id\":\"" + std::string(device) + "\",\"user\":\"ann\",\"team\":\"" + std::string(team) +
                    "\",\"role\":\"" + std::string(role) + "\"}"};
}

// An error answer as the server writes it.
inline sync::HttpResponse error_answer(int http_status, std::string_view code, std::string message) {
    return {.status = http_status, .body = sync::encode_error(Status::error(code, std::move(message)))};
}

// A laptop enrolled as ann of team "a" (a worker), with the shipped forms and any `extra_forms`.
struct PiecesLaptop {
    TempDir dir;
    FakeClock clock;
    std::unique_ptr<Store> store;
    std::unique_ptr<records::RecordEngine> records;
    std::unique_ptr<BlobStore> blobs;
    sync::StoreMutex mutex;
    ScriptedTransport transport;
    std::vector<sync::SyncState> published;  // every state the board published
    std::unique_ptr<sync::SyncContext> ctx;

    explicit PiecesLaptop(sync::SyncOptions options = {}, std::vector<records::Schema> extra_forms = {}) {
        StoreOptions so;
        so.encrypted = false;
        so.kdf = KdfPolicy::kInteractiveFloor;
        auto st = Store::create(dir / "laptop.db", "correct horse battery", so);
        REQUIRE_MESSAGE(st.is_ok(), st.status().to_string());
        store = std::move(*st);
        auto forms = records::load_schemas(records::bundled_forms_dir());
        REQUIRE(forms.is_ok());
        forms->insert(forms->end(), extra_forms.begin(), extra_forms.end());
        auto r = records::RecordEngine::open(*store, std::move(*forms), clock);
        REQUIRE(r.is_ok());
        records = std::move(*r);
        auto b = BlobStore::open(*store);
        REQUIRE(b.is_ok());
        blobs = std::move(*b);
        const sync::Credentials creds{"dev-ann", "token-ann", "ann", "a", "worker"};
        REQUIRE(sync::ClientState::migrate(*store).is_ok());
        REQUIRE(sync::save_credentials(*store, creds).is_ok());
        ctx.reset(new sync::SyncContext{*store, *records, *blobs, mutex, transport, clock, creds, std::move(options),
                                        sync::StateBoard([this](const sync::SyncState& s) { published.push_back(s); }),
                                        sync::ClientState(*store)});
    }
    ~PiecesLaptop() {
        ctx.reset();
        blobs.reset();
        records.reset();
        store->lock();
    }
    PiecesLaptop(const PiecesLaptop&) = delete;
    PiecesLaptop& operator=(const PiecesLaptop&) = delete;

    [[nodiscard]] records::Actor actor() const { return {"ann", "dev-ann", "worker", "a"}; }
    // A new home visit; returns its id.
    std::string visit(const std::string& household) {
        std::lock_guard lock(mutex);
        auto r = records->create(actor(), "home_visit",
                                 {{"household", household},
                                  {"visit_date", std::string("2026-11-30")},
                                  {"visit_type", std::string("planned")},
                                  {"concerns_identified", false}});
        REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
        return r->id;
    }
    // Every change waiting in the outbox, in order.
    std::vector<records::Change> outbox() {
        std::lock_guard lock(mutex);
        auto out = records->outbox_after("dev-ann", 0, 100000);
        REQUIRE(out.is_ok());
        return *out;
    }
};

}  // namespace outpost::testing
