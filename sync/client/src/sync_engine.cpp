#include "outpost/sync/sync_engine.h"

#include <sodium.h>

#include <algorithm>
#include <functional>
#include <utility>

#include "blob_transfer.h"
#include "client_state.h"
#include "device_check.h"
#include "outpost/core/error_codes.h"
#include "outpost/core/records/attachments.h"
#include "outpost/core/store/transaction.h"
#include "outpost/sync/messages.h"
#include "puller.h"
#include "pusher.h"
#include "server_answer.h"
#include "sync_context.h"

namespace outpost::sync {

std::string_view phase_name(SyncPhase p) {
    switch (p) {
        case SyncPhase::kIdle:
            return "idle";
        case SyncPhase::kOffline:
            return "offline";
        case SyncPhase::kSyncing:
            return "syncing";
        case SyncPhase::kUpToDate:
            return "up_to_date";
        case SyncPhase::kError:
            return "error";
    }
    return "?";
}

SyncEngine::SyncEngine(std::unique_ptr<SyncContext> ctx) : m_ctx(std::move(ctx)) {
}

SyncEngine::~SyncEngine() {
    stop();
}

Result<std::unique_ptr<SyncEngine>> SyncEngine::open(Store& store, records::RecordEngine& records, BlobStore& blobs,
                                                     StoreMutex& store_mutex, Transport& transport, Credentials creds,
                                                     SyncOptions options, const Clock& clock) {
    {
        std::lock_guard lock(store_mutex);
        OUTPOST_TRY(ClientState::migrate(store));
    }
    options.push_batch = std::clamp(options.push_batch, 1, static_cast<int>(kMaxPushBatch));
    options.pull_limit = std::clamp(options.pull_limit, 1, 5000);
    std::function<void(const SyncState&)> on_state = options.on_state;
    std::unique_ptr<SyncContext> ctx(new SyncContext{store, records, blobs, store_mutex, transport, clock,
                                                     std::move(creds), std::move(options),
                                                     StateBoard(std::move(on_state)), ClientState(store)});
    std::unique_ptr<SyncEngine> e(new SyncEngine(std::move(ctx)));
    // The waiting count is left to the first sync or waiting(): counting reads the outbox, which is
    // long on a laptop that has been offline, and open() is on the path from unlock to the first
    // screen.
    std::lock_guard lock(store_mutex);
    Result<std::int64_t> last = e->m_ctx->client.get_i64("last_success_ms");
    e->m_ctx->board.update([&last](SyncState& st) { st.last_success_ms = last.is_ok() ? *last : 0; });
    return e;
}

Result<std::int64_t> SyncEngine::waiting() {
    // Under the store mutex like every other use of the store from outside (it once read without it,
    // racing the sync thread on the one connection when a UI asked while a sync ran).
    std::lock_guard lock(m_ctx->store_mutex);
    return m_ctx->client.count_waiting(m_ctx->creds.device_id);
}

Result<SyncEngine::RecordSyncStatus> SyncEngine::record_status(const std::vector<std::string>& ids) {
    std::lock_guard lock(m_ctx->store_mutex);
    RecordSyncStatus out;
    Result<std::set<std::string>> waiting = m_ctx->client.waiting_records(ids, m_ctx->creds.device_id);
    OUTPOST_TRY(waiting);
    out.waiting = std::move(*waiting);
    Result<std::set<std::string>> refused = m_ctx->client.refused_records();
    OUTPOST_TRY(refused);
    out.refused = std::move(*refused);
    return out;
}

Result<std::string> SyncEngine::pull_cursor() {
    std::lock_guard lock(m_ctx->store_mutex);
    return m_ctx->client.get("pull_cursor");
}

Status SyncEngine::set_prefetch_attachments(bool on) {
    std::lock_guard lock(m_ctx->store_mutex);
    return m_ctx->client.put("prefetch_attachments", on ? "1" : "0");
}

bool SyncEngine::prefetch_attachments() {
    std::lock_guard lock(m_ctx->store_mutex);
    Result<std::string> v = m_ctx->client.get("prefetch_attachments");
    return v.is_ok() && *v == "1";
}

std::int64_t SyncEngine::max_attachment_bytes() {
    std::lock_guard lock(m_ctx->store_mutex);
    Result<std::int64_t> n = m_ctx->client.get_i64("max_blob_bytes");
    return n.is_ok() && *n > 0 ? *n : records::kDefaultMaxAttachmentBytes;
}

Result<std::vector<RefusedChange>> SyncEngine::refused() {
    std::lock_guard lock(m_ctx->store_mutex);
    return m_ctx->client.refused();
}

SyncState SyncEngine::state() const {
    return m_ctx->board.get();
}

void SyncEngine::set_phase(SyncPhase phase, const Status& why) {
    m_ctx->board.update([&](SyncState& st) {
        st.phase = phase;
        st.code = why.is_ok() ? "" : why.code();
        st.reason = why.is_ok() ? "" : std::string(errc::explain(why.code()));
    });
    m_ctx->board.publish();
}

Result<SyncSummary> SyncEngine::sync_now() {
    SyncContext& ctx = *m_ctx;
    SyncSummary summary;
    {
        std::lock_guard lock(ctx.store_mutex);
        Result<std::int64_t> w = ctx.client.count_waiting(ctx.creds.device_id);
        ctx.board.update([&w](SyncState& st) {
            st.pushed = 0;
            st.pulled = 0;
            st.to_push = w.is_ok() ? *w : 0;
        });
    }
    if (!ctx.options.blocked.is_ok()) {
        set_phase(SyncPhase::kError, ctx.options.blocked);
        return ctx.options.blocked;
    }
    set_phase(SyncPhase::kSyncing);
    m_prefetch = ctx.options.prefetch_attachments || prefetch_attachments();
    // Who this laptop is now (role, team, token) before anything moves: a refusal ends the sync here.
    Status s = DeviceCheck(ctx, summary).run();
    // An answer of forms the laptop cannot read at all is not kept, and does not stop the cases
    // syncing: that is said once the rest is done. (One form it cannot read is no failure: a notice.)
    Status forms = Status::ok();
    if (s.is_ok()) {
        forms = fetch_schemas(summary);
        s = forms.code() == errc::kSyncSchemasInvalid ? Status::ok() : forms;
    }
    if (s.is_ok()) {
        s = Pusher(ctx, summary).run();
    }
    if (s.is_ok()) {
        s = Puller(ctx, summary, m_prefetch).run();
    }
    if (s.is_ok()) {
        s = BlobTransfer(ctx, summary).run();
    }
    {
        std::lock_guard lock(ctx.store_mutex);
        if (s.is_ok()) {
            const std::int64_t now = ctx.clock.now_ms();
            s = ctx.client.put("last_success_ms", std::to_string(now));
            ctx.board.update([now](SyncState& st) { st.last_success_ms = now; });
        }
        Result<std::int64_t> w = ctx.client.count_waiting(ctx.creds.device_id);
        Result<std::int64_t> refused = ctx.client.refused_count();
        ctx.board.update([&](SyncState& st) {
            st.waiting = w.is_ok() ? *w : st.waiting;
            st.refused_total = refused.is_ok() ? *refused : 0;
        });
    }
    if (s.is_ok() && !forms.is_ok()) {
        s = forms;  // the cases went; the forms did not
    }
    if (!s.is_ok()) {
        set_phase(is_network(s) ? SyncPhase::kOffline : SyncPhase::kError, s);
        return s;
    }
    set_phase(SyncPhase::kUpToDate);
    return summary;
}

std::shared_ptr<const LaptopForms> SyncEngine::forms() const {
    std::lock_guard lock(m_forms_mutex);
    return m_forms;
}

Status SyncEngine::fetch_schemas(SyncSummary& summary) {
    SyncContext& ctx = *m_ctx;
    std::string etag;
    {
        std::lock_guard lock(ctx.store_mutex);
        Result<std::string> e = ctx.client.get("schemas_etag");
        OUTPOST_TRY(e);
        Result<std::string> notices = ctx.client.get("form_notices");
        OUTPOST_TRY(notices);
        // While a form waits for a newer Outpost, the forms are asked for whole: this laptop may have
        // been updated since, and the server's unchanged answer would say nothing new.
        etag = notices->empty() ? std::move(*e) : std::string();
    }
    Result<HttpResponse> res = ctx.transport.request({.method = "GET",
                                                      .path = "/v1/schemas",
                                                      .bearer_token = ctx.creds.token,
                                                      .if_none_match = etag,
                                                      .max_response_bytes = kMaxSchemasBytes});
    ++summary.requests;
    OUTPOST_TRY(res);
    if (const auto max = res->headers.find("Outpost-Max-Blob-Bytes"); max != res->headers.end()) {
        std::lock_guard lock(ctx.store_mutex);
        Result<std::string> held = ctx.client.get("max_blob_bytes");
        if (held.is_ok() && *held != max->second && leading_i64(max->second) > 0) {
            OUTPOST_TRY(ctx.client.put("max_blob_bytes", max->second));
        }
    }
    if (res->status == 304) {
        return Status::ok();
    }
    if (res->status != 200) {
        return http_error(*res);
    }
    // Checked as a message before anything is kept; then each form on its own: one this build cannot
    // read keeps the version the laptop had, and never costs it the others (form_rollout.h).
    Result<std::vector<std::string>> docs = decode_schema_documents(res->body);
    OUTPOST_TRY(docs);
    std::lock_guard lock(ctx.store_mutex);
    Result<LaptopForms> held = profile_forms(ctx.store);
    OUTPOST_TRY(held);
    Result<LaptopForms> rolled = roll_out_forms(*docs, held->forms);
    OUTPOST_TRY(rolled);
    if (rolled->forms.empty()) {
        return Status::error(errc::kSyncSchemasInvalid, "the server sent no form this build can read");
    }
    const std::string forms_json = rolled->schemas_json();
    const std::string notices_json = rolled->notices_json();
    const bool forms_moved = forms_json != held->schemas_json();
    const bool notices_moved = rolled->notices != held->notices;
    if (forms_moved) {
        // Into the running records engine first (it rebuilds its search index in its own transaction
        // when the searchable fields moved), under the store mutex and between a sync's pieces, so no
        // snapshot page is being prepared meanwhile. Kept below, or put back.
        OUTPOST_TRY(ctx.records.replace_schemas(rolled->schemas()));
    }
    Result<Transaction> txn = Transaction::begin(ctx.store);  // rolled back unless committed
    Status s = txn.status();
    if (s.is_ok()) {
        s = ctx.client.put("schemas_json", forms_json);
    }
    if (s.is_ok()) {
        s = ctx.client.put("form_notices", notices_json);
    }
    if (s.is_ok()) {  // the ETag only with the set it stands for
        s = ctx.client.put("schemas_etag", res->etag);
    }
    if (txn.is_ok()) {
        s = txn->finish(std::move(s));
    }
    if (!s.is_ok()) {
        if (forms_moved) {
            (void)ctx.records.replace_schemas(held->schemas());  // as the store still has them
        }
        return s;
    }
    if (!forms_moved && !notices_moved) {
        return Status::ok();
    }
    {
        std::lock_guard forms_lock(m_forms_mutex);
        m_forms = std::make_shared<const LaptopForms>(std::move(*rolled));
    }
    ctx.board.update([](SyncState& st) { ++st.forms_changed; });
    return Status::ok();
}

void SyncEngine::start() {
    std::lock_guard lock(m_worker_mutex);
    if (m_worker.joinable()) {
        return;
    }
    m_stopping = false;
    m_requested = true;
    m_worker = std::thread([this] { run(); });
}

void SyncEngine::request_sync() {
    {
        std::lock_guard lock(m_worker_mutex);
        m_requested = true;
    }
    m_wake.notify_all();
}

void SyncEngine::stop() {
    {
        std::lock_guard lock(m_worker_mutex);
        m_stopping = true;
    }
    m_wake.notify_all();
    if (m_worker.joinable()) {
        m_worker.join();
    }
}

void SyncEngine::run() {
    int failures = 0;
    for (;;) {
        {
            std::unique_lock lock(m_worker_mutex);
            if (m_stopping) {
                return;
            }
            m_requested = false;
        }
        const bool ok = sync_now().is_ok();
        failures = ok ? 0 : std::min(failures + 1, 30);
        std::chrono::milliseconds delay = m_ctx->options.interval;
        if (!ok) {
            // Exponential backoff with full jitter in [delay/2, delay]: a fleet coming back online
            // together does not hammer the server in step.
            const auto base = m_ctx->options.backoff_min.count() << std::min(failures - 1, 20);
            const auto capped = std::min<std::int64_t>(base, m_ctx->options.backoff_max.count());
            const auto jitter =
                static_cast<std::int64_t>(randombytes_uniform(static_cast<std::uint32_t>(capped / 2 + 1)));
            delay = std::chrono::milliseconds(capped / 2 + jitter);
        }
        std::unique_lock lock(m_worker_mutex);
        m_wake.wait_for(lock, delay, [this] { return m_stopping || m_requested; });
    }
}

}  // namespace outpost::sync
