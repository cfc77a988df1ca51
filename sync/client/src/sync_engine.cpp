#include "outpost/sync/sync_engine.h"

#include <sodium.h>
#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <future>

#include "outpost/core/digest.h"
#include "outpost/core/error_codes.h"
#include "outpost/core/records/attachments.h"
#include "outpost/core/sql_stmt.h"
#include "outpost/core/store/schema_steps.h"
#include "outpost/core/store/transaction.h"
#include "outpost/sync/messages.h"
#include "outpost/sync/sync_messages.h"

namespace outpost::sync {
namespace {

constexpr const char* kTablesSql = R"sql(
CREATE TABLE IF NOT EXISTS sync_state(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sync_refused(seq INTEGER PRIMARY KEY, record TEXT NOT NULL, field TEXT NOT NULL,
                                        code TEXT NOT NULL, message TEXT NOT NULL, at_ms INTEGER NOT NULL);
)sql";

// A statement prepared for one use on the store's connection, finalized when it goes out of scope.
class Query : public sql::StmtRef {
public:
    Query(Store& store, const char* sql) : StmtRef(StmtRef::owned(store.handle(), sql)), m_store(store) {}
    Status error(int rc, std::string_view what) { return m_store.sql_status(rc, what); }

private:
    Store& m_store;
};

Status put_state(Store& store, std::string_view key, std::string_view value) {
    Query q(store,
            "INSERT INTO sync_state(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    q.text(1, key).text(2, value);
    const int rc = q.step();
    return rc == SQLITE_DONE ? Status::ok() : q.error(rc, "saving sync state");
}

// A value from sync_state (the table exists); empty when unset.
Result<std::string> read_state(Store& store, const std::string& key) {
    Query q(store, "SELECT value FROM sync_state WHERE key = ?");
    q.text(1, key);
    const int rc = q.step();
    if (rc == SQLITE_ROW) {
        return q.col_text(0);
    }
    if (rc == SQLITE_DONE) {
        return std::string();
    }
    return q.error(rc, "reading sync state");
}

std::int64_t to_i64(const std::string& s) {
    std::int64_t v = 0;
    (void)std::from_chars(s.data(), s.data() + s.size(), v);
    return v;
}

// An HTTP error answer as a Status with the server's code (or a generic one for a body we cannot read).
// A 503 (the server's disk is full or failing) is sync.server.unavailable, so the worker is not told
// that this laptop's disk is full; the server's own code stays in the message.
Status http_error(const HttpResponse& res) {
    Status s = decode_error(res.body);
    if (s.is_ok() || !errc::is_well_formed(s.code())) {
        return Status::error(res.status == 503 ? errc::kSyncServerUnavailable : errc::kSyncServerError,
                             "the server answered HTTP " + std::to_string(res.status));
    }
    if (res.status == 503) {
        return Status::error(errc::kSyncServerUnavailable,
                             "the server answered 503 (" + std::string(s.code()) + "): " + std::string(s.message()));
    }
    return s;
}

bool is_network(const Status& s) {
    return s.code() == errc::kSyncNetworkUnreachable;
}

}  // namespace

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

Status save_credentials(Store& store, const Credentials& c) {
    OUTPOST_TRY(store.exec(kTablesSql));
    Result<Transaction> txn = Transaction::begin(store);  // rolled back unless committed
    OUTPOST_TRY(txn);
    // A new device for this store (enrolled again): the changes the old one had not sent yet are
    // this device's to send now (the outbox is a device's own changes past pushed_upto).
    Status s = Status::ok();
    Result<std::string> old_device = read_state(store, "device_id");
    Result<std::string> upto = read_state(store, "pushed_upto");
    if (!old_device.is_ok() || !upto.is_ok()) {
        s = !old_device.is_ok() ? old_device.status() : upto.status();
    } else if (!old_device->empty() && *old_device != c.device_id) {
        Query q(store, "UPDATE changes SET device = ? WHERE device = ? AND seq > ?");
        q.text(1, c.device_id).text(2, *old_device).i64(3, to_i64(*upto));
        const int rc = q.step();
        s = rc == SQLITE_DONE ? Status::ok() : q.error(rc, "handing the waiting changes to the new device");
    }
    if (s.is_ok()) {
        s = put_state(store, "device_id", c.device_id);
    }
    for (const auto& [k, v] : {std::pair<const char*, const std::string*>{"token", &c.token},
                               {"user", &c.user},
                               {"team", &c.team},
                               {"role", &c.role}}) {
        if (s.is_ok()) {
            s = put_state(store, k, *v);
        }
    }
    return txn->finish(std::move(s));
}

Result<Credentials> load_credentials(Store& store) {
    OUTPOST_TRY(store.exec(kTablesSql));
    Query q(store, "SELECT key, value FROM sync_state WHERE key IN ('device_id','token','user','team','role')");
    Credentials c;
    int rc = 0;
    while ((rc = q.step()) == SQLITE_ROW) {
        const std::string k = q.col_text(0);
        std::string v = q.col_text(1);
        (k == "device_id" ? c.device_id
         : k == "token"   ? c.token
         : k == "user"    ? c.user
         : k == "team"    ? c.team
                          : c.role) = std::move(v);
    }
    if (rc != SQLITE_DONE) {
        return q.error(rc, "reading the enrolment");
    }
    if (c.device_id.empty() || c.token.empty()) {
        return Status::error(errc::kSyncNotEnrolled, "this profile is not enrolled with a server");
    }
    return c;
}

SyncEngine::SyncEngine(Store& store, records::RecordEngine& records, std::mutex& store_mutex, Transport& transport,
                       Credentials creds, SyncOptions options, const Clock& clock)
    : m_store(store),
      m_records(records),
      m_store_mutex(store_mutex),
      m_transport(transport),
      m_creds(std::move(creds)),
      m_options(std::move(options)),
      m_clock(clock) {
    m_options.push_batch = std::clamp(m_options.push_batch, 1, static_cast<int>(kMaxPushBatch));
    m_options.pull_limit = std::clamp(m_options.pull_limit, 1, 5000);
}

SyncEngine::~SyncEngine() {
    stop();
}

Result<std::unique_ptr<SyncEngine>> SyncEngine::open(Store& store, records::RecordEngine& records,
                                                     std::mutex& store_mutex, Transport& transport, Credentials creds,
                                                     SyncOptions options, const Clock& clock) {
    {
        std::lock_guard lock(store_mutex);
        // Schema versions (outpost_store_meta 'schema.sync'): 1 is kTablesSql.
        OUTPOST_TRY(migrate_schema(store, "sync", {{1, [](Store& s) { return s.exec(kTablesSql); }}}));
    }
    std::unique_ptr<SyncEngine> e(
        new SyncEngine(store, records, store_mutex, transport, std::move(creds), std::move(options), clock));
    {
        std::lock_guard lock(store_mutex);
        Result<std::unique_ptr<BlobStore>> blobs = BlobStore::open(store);
        OUTPOST_TRY(blobs);
        e->m_blobs = std::move(*blobs);
    }
    // The waiting count is left to the first sync or waiting(): counting reads the outbox, which is
    // long on a laptop that has been offline (175 ms at 600,000 changes), and open() is on the path
    // from unlock to the first screen.
    std::lock_guard lock(store_mutex);
    Result<std::string> last = e->get_state("last_success_ms");
    std::lock_guard state_lock(e->m_state_mutex);
    e->m_state.last_success_ms = last.is_ok() ? to_i64(*last) : 0;
    return e;
}

Result<std::string> sync_state_value(Store& store, const std::string& key) {
    OUTPOST_TRY(store.exec(kTablesSql));
    return read_state(store, key);
}

Result<std::string> SyncEngine::get_state(const std::string& key) {
    return read_state(m_store, key);
}

Result<std::int64_t> SyncEngine::waiting() {
    // Under the store mutex like every other use of the store from outside (it once read without it,
    // racing the sync thread on the one connection when a UI asked while a sync ran).
    std::lock_guard lock(m_store_mutex);
    return count_waiting();
}

Result<std::int64_t> SyncEngine::count_waiting() {
    Result<std::string> upto = get_state("pushed_upto");
    OUTPOST_TRY(upto);
    Query q(m_store, "SELECT count(*) FROM changes WHERE seq > ? AND device = ?");
    q.i64(1, to_i64(*upto)).text(2, m_creds.device_id);
    const int rc = q.step();
    if (rc != SQLITE_ROW) {
        return q.error(rc, "counting waiting changes");
    }
    return q.col_i64(0);
}

Result<SyncEngine::RecordSyncStatus> SyncEngine::record_status(const std::vector<std::string>& ids) {
    std::lock_guard lock(m_store_mutex);
    Result<std::string> upto = get_state("pushed_upto");
    OUTPOST_TRY(upto);
    RecordSyncStatus out;
    Query q(m_store, "SELECT 1 FROM changes WHERE record = ? AND seq > ? AND device = ? LIMIT 1");
    int rc = 0;
    for (const std::string& id : ids) {
        q.text(1, id).i64(2, to_i64(*upto)).text(3, m_creds.device_id);
        rc = q.step();
        if (rc == SQLITE_ROW) {
            out.waiting.insert(id);
        } else if (rc != SQLITE_DONE) {
            return q.error(rc, "reading which records wait to be sent");
        }
        q.reset();
    }
    Query r(m_store, "SELECT DISTINCT record FROM sync_refused");
    while ((rc = r.step()) == SQLITE_ROW) {
        out.refused.insert(r.col_text(0));
    }
    if (rc != SQLITE_DONE) {
        return r.error(rc, "reading refused changes");
    }
    return out;
}

Result<std::string> SyncEngine::pull_cursor() {
    std::lock_guard lock(m_store_mutex);
    return get_state("pull_cursor");
}

Status SyncEngine::set_prefetch_attachments(bool on) {
    std::lock_guard lock(m_store_mutex);
    return put_state(m_store, "prefetch_attachments", on ? "1" : "0");
}

bool SyncEngine::prefetch_attachments() {
    std::lock_guard lock(m_store_mutex);
    Result<std::string> v = get_state("prefetch_attachments");
    return v.is_ok() && *v == "1";
}

std::int64_t SyncEngine::max_attachment_bytes() {
    std::lock_guard lock(m_store_mutex);
    Result<std::string> v = get_state("max_blob_bytes");
    const std::int64_t n = v.is_ok() ? to_i64(*v) : 0;
    return n > 0 ? n : records::kDefaultMaxAttachmentBytes;
}

Result<std::vector<RefusedChange>> SyncEngine::refused() {
    std::lock_guard lock(m_store_mutex);
    Query q(m_store, "SELECT seq, record, field, code, message FROM sync_refused ORDER BY seq");
    std::vector<RefusedChange> out;
    int rc = 0;
    while ((rc = q.step()) == SQLITE_ROW) {
        out.push_back({q.col_i64(0), q.col_text(1), q.col_text(2), q.col_text(3), q.col_text(4)});
    }
    if (rc != SQLITE_DONE) {
        return q.error(rc, "reading refused changes");
    }
    return out;
}

SyncState SyncEngine::state() const {
    std::lock_guard lock(m_state_mutex);
    return m_state;
}

void SyncEngine::publish() {
    SyncState copy = state();
    if (m_options.on_state) {
        m_options.on_state(copy);
    }
}

void SyncEngine::set_phase(SyncPhase phase, const Status& why) {
    {
        std::lock_guard lock(m_state_mutex);
        m_state.phase = phase;
        m_state.code = why.is_ok() ? "" : why.code();
        m_state.reason = why.is_ok() ? "" : std::string(errc::explain(why.code()));
    }
    publish();
}

Result<SyncSummary> SyncEngine::sync_now() {
    SyncSummary summary;
    {
        std::lock_guard lock(m_store_mutex);
        Result<std::int64_t> w = count_waiting();
        std::lock_guard state_lock(m_state_mutex);
        m_state.pushed = 0;
        m_state.pulled = 0;
        m_state.to_push = w.is_ok() ? *w : 0;
    }
    set_phase(SyncPhase::kSyncing);
    m_prefetch = m_options.prefetch_attachments || prefetch_attachments();
    // Forms the laptop cannot read are not kept, and do not stop the cases syncing: that is said
    // once the rest is done.
    const Status forms = fetch_schemas(summary);
    Status s = forms.code() == errc::kSyncSchemasInvalid ? Status::ok() : forms;
    if (s.is_ok()) {
        s = push_all(summary);
    }
    if (s.is_ok()) {
        s = pull_all(summary);
    }
    if (s.is_ok()) {
        s = transfer_blobs(summary);
    }
    {
        std::lock_guard lock(m_store_mutex);
        if (s.is_ok()) {
            const std::int64_t now = m_clock.now_ms();
            s = put_state(m_store, "last_success_ms", std::to_string(now));
            std::lock_guard state_lock(m_state_mutex);
            m_state.last_success_ms = now;
        }
        Result<std::int64_t> w = count_waiting();
        Query q(m_store, "SELECT count(*) FROM sync_refused");
        const std::int64_t refused_total = q.step() == SQLITE_ROW ? q.col_i64(0) : 0;
        std::lock_guard state_lock(m_state_mutex);
        m_state.waiting = w.is_ok() ? *w : m_state.waiting;
        m_state.refused_total = refused_total;
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

Status SyncEngine::fetch_schemas(SyncSummary& summary) {
    std::string etag;
    {
        std::lock_guard lock(m_store_mutex);
        Result<std::string> e = get_state("schemas_etag");
        OUTPOST_TRY(e);
        etag = std::move(*e);
    }
    Result<HttpResponse> res = m_transport.request({.method = "GET",
                                                    .path = "/v1/schemas",
                                                    .bearer_token = m_creds.token,
                                                    .if_none_match = etag,
                                                    .max_response_bytes = kMaxSchemasBytes});
    ++summary.requests;
    OUTPOST_TRY(res);
    if (const auto max = res->headers.find("Outpost-Max-Blob-Bytes"); max != res->headers.end()) {
        std::lock_guard lock(m_store_mutex);
        Result<std::string> held = get_state("max_blob_bytes");
        if (held.is_ok() && *held != max->second && to_i64(max->second) > 0) {
            OUTPOST_TRY(put_state(m_store, "max_blob_bytes", max->second));
        }
    }
    if (res->status == 304) {
        return Status::ok();
    }
    if (res->status != 200) {
        return http_error(*res);
    }
    // Checked before it is kept: an answer this build cannot read must never reach the store, where
    // every unlock would read it.
    if (Result<std::vector<records::Schema>> forms = decode_schemas(res->body); !forms.is_ok()) {
        return forms.status();
    }
    std::lock_guard lock(m_store_mutex);
    Result<Transaction> txn = Transaction::begin(m_store);  // rolled back unless committed
    OUTPOST_TRY(txn);
    Status s = put_state(m_store, "schemas_json", res->body);
    if (s.is_ok()) {
        s = put_state(m_store, "schemas_etag", res->etag);
    }
    return txn->finish(std::move(s));
}

Status SyncEngine::push_all(SyncSummary& summary) {
    std::int64_t upto = 0;  // the outbox position: every change up to it is answered
    {
        std::lock_guard lock(m_store_mutex);
        Result<std::string> stored = get_state("pushed_upto");
        OUTPOST_TRY(stored);
        upto = to_i64(*stored);
    }
    // A batch read from the outbox and encoded. When its first change is too large for the protocol
    // the batch is that change alone, with no body: it is refused here, so it never traps the queue,
    // and a batch otherwise stops before such a change (the changes before it go first; refusing it
    // early would move the position past them).
    struct Prepared {
        Status status = Status::ok();
        std::vector<records::Change> batch;
        std::string body;
    };
    // Any thread: takes the store only to read.
    auto prepare = [this](std::int64_t after, int size) {
        Prepared p;
        {
            std::lock_guard lock(m_store_mutex);
            Result<std::vector<records::Change>> out = m_records.outbox_after(m_creds.device_id, after, size);
            if (!out.is_ok()) {
                p.status = out.status();
                return p;
            }
            p.batch = std::move(*out);
        }
        auto oversized = std::find_if(p.batch.begin(), p.batch.end(),
                                      [](const records::Change& c) { return c.value.size() > kMaxValueBytes; });
        if (oversized == p.batch.begin() && !p.batch.empty()) {
            p.batch.resize(1);
            return p;
        }
        p.batch.erase(oversized, p.batch.end());
        if (!p.batch.empty()) {
            p.body = encode_batch(p.batch);
        }
        return p;
    };
    // A batch's answers are written on a helper thread while the next batch is on the wire, and the
    // batch after is read and encoded meanwhile too, so the laptop's work overlaps the server's. One
    // commit at most is in flight; it is settled (awaited, its counts and progress published on this
    // thread) before anything else touches the outbox position, and before returning.
    struct Committing {
        std::future<Status> done;
        SyncSummary counts;
        std::int64_t changes = 0;
    };
    std::unique_ptr<Committing> committing;
    auto settle = [&]() -> Status {
        if (!committing) {
            return Status::ok();
        }
        Status s = committing->done.get();
        if (s.is_ok()) {
            summary.applied += committing->counts.applied;
            summary.superseded += committing->counts.superseded;
            summary.conflicts += committing->counts.conflicts;
            summary.rejected += committing->counts.rejected;
            summary.pushed += committing->changes;
            {
                std::lock_guard state_lock(m_state_mutex);
                m_state.pushed += committing->changes;
            }
            publish();
        }
        committing.reset();
        return s;
    };
    auto refuse = [&](const records::Change& c, std::string_view code, std::string message) -> Status {
        OUTPOST_TRY(settle());
        std::lock_guard lock(m_store_mutex);
        OUTPOST_TRY(refuse_locally(c, code, std::move(message)));
        ++summary.rejected;
        upto = c.seq;
        return Status::ok();
    };
    int batch_size = m_options.push_batch;
    Prepared next = prepare(upto, batch_size);
    for (;;) {
        if (!next.status.is_ok()) {
            Status settled = settle();
            return settled.is_ok() ? next.status : settled;
        }
        if (next.batch.empty()) {
            return settle();
        }
        Prepared current = std::move(next);
        if (current.body.empty()) {
            const records::Change& c = current.batch.front();
            OUTPOST_TRY(
                refuse(c, errc::kSyncValueTooLarge,
                       "this answer is larger than the server accepts (" + std::to_string(c.value.size()) + " bytes)"));
            next = prepare(upto, batch_size);
            continue;
        }
        std::future<Prepared> ahead =
            std::async(std::launch::async, prepare, current.batch.back().seq, m_options.push_batch);
        Result<PushResponse> answer = post_batch(std::move(current.body), current.batch, summary);
        Prepared following = ahead.get();
        OUTPOST_TRY(settle());
        if (answer.is_ok()) {
            upto = current.batch.back().seq;
            batch_size = m_options.push_batch;
            next = std::move(following);
            committing = std::make_unique<Committing>();
            committing->changes = static_cast<std::int64_t>(current.batch.size());
            Committing* c = committing.get();
            c->done = std::async(std::launch::async, [this, c, b = std::move(current.batch), a = std::move(*answer)] {
                std::lock_guard lock(m_store_mutex);
                return commit_batch(b, a, c->counts);
            });
            continue;
        }
        const Status& s = answer.status();
        const std::string& code = s.code();
        const bool whole_batch_refused = code == errc::kSyncBatchTooLarge || code == errc::kSyncValueTooLarge ||
                                         code == errc::kSyncBodyTooLarge || code == errc::kProtocolMalformed;
        if (!whole_batch_refused) {
            return s;
        }
        if (current.batch.size() > 1) {
            batch_size = std::max(1, static_cast<int>(current.batch.size() / 2));  // find the change at fault
        } else {
            OUTPOST_TRY(refuse(current.batch.front(), code, s.message()));
        }
        next = prepare(upto, batch_size);
    }
}

// Marks one change refused and moves the outbox past it, in one transaction.
Status SyncEngine::refuse_locally(const records::Change& c, std::string_view code, std::string message) {
    Result<Transaction> txn = Transaction::begin(m_store);  // rolled back unless committed
    OUTPOST_TRY(txn);
    Query q(m_store,
            "INSERT OR REPLACE INTO sync_refused(seq, record, field, code, message, at_ms) VALUES(?,?,?,?,?,?)");
    q.i64(1, c.seq).text(2, c.record).text(3, c.field).text(4, code).text(5, message).i64(6, m_clock.now_ms());
    int rc = q.step();
    Status s = rc == SQLITE_DONE ? put_state(m_store, "pushed_upto", std::to_string(c.seq))
                                 : q.error(rc, "recording a refused change");
    return txn->finish(std::move(s));
}

std::string SyncEngine::encode_batch(const std::vector<records::Change>& batch) const {
    PushRequest req;
    req.device_id = m_creds.device_id;
    req.from_seq = batch.front().seq;
    req.to_seq = batch.back().seq;
    req.changes.reserve(batch.size());
    for (const records::Change& c : batch) {
        WireChange w;
        w.seq = c.seq;
        w.record = c.record;
        w.type = c.type;
        w.team = c.team;
        w.field = c.field;
        w.value = c.value;
        w.hlc = c.hlc.to_string();
        w.base = c.base.to_string();
        req.changes.push_back(std::move(w));
    }
    return encode(req);
}

Result<PushResponse> SyncEngine::post_batch(std::string body, const std::vector<records::Change>& batch,
                                            SyncSummary& summary) {
    Result<HttpResponse> res = m_transport.request(
        {.method = "POST", .path = "/v1/push", .body = std::move(body), .bearer_token = m_creds.token});
    ++summary.requests;
    OUTPOST_TRY(res);
    if (res->status != 200) {
        return http_error(*res);
    }
    Result<PushResponse> answer = decode_push_response(res->body);
    OUTPOST_TRY(answer);
    if (answer->results.size() != batch.size()) {
        return Status::error(errc::kSyncServerError, "the server answered a different number of changes");
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
        if (answer->results[i].seq != batch[i].seq) {
            return Status::error(errc::kSyncServerError, "the server answered changes out of order");
        }
    }
    return answer;
}

Status SyncEngine::commit_batch(const std::vector<records::Change>& batch, const PushResponse& answer,
                                SyncSummary& counts) {
    Result<Transaction> txn = Transaction::begin(m_store);  // rolled back unless committed
    OUTPOST_TRY(txn);
    Status s = Status::ok();
    {
        Query q(m_store,
                "INSERT OR REPLACE INTO sync_refused(seq, record, field, code, message, at_ms) VALUES(?,?,?,?,?,?)");
        for (std::size_t i = 0; i < batch.size() && s.is_ok(); ++i) {
            const ChangeResult& r = answer.results[i];
            switch (r.outcome) {
                case ChangeOutcome::kApplied:
                    ++counts.applied;
                    break;
                case ChangeOutcome::kSuperseded:
                    ++counts.superseded;
                    break;
                case ChangeOutcome::kConflict:
                    ++counts.conflicts;
                    break;
                case ChangeOutcome::kRejected: {
                    ++counts.rejected;
                    q.i64(1, r.seq).text(2, batch[i].record).text(3, batch[i].field).text(4, r.code);
                    q.text(5, r.message).i64(6, m_clock.now_ms());
                    if (int rc = q.step(); rc != SQLITE_DONE) {
                        s = q.error(rc, "recording a refused change");
                    }
                    q.reset();
                    break;
                }
            }
        }
    }
    if (s.is_ok()) {
        s = put_state(m_store, "pushed_upto", std::to_string(batch.back().seq));
    }
    return txn->finish(std::move(s));
}

namespace {

constexpr int kMaxPullPages = 100'000;                      // one sync's pull pages (5,000 changes each at most)
constexpr int kMaxThinPages = 50;                           // "more" pages in a row with under 1% of a page in them
constexpr std::size_t kMaxPageBytes = 64U * 1024U * 1024U;  // a pull or snapshot page (the server makes 8 MiB)

// A position in the server's log: 1 to 20 decimal digits.
bool log_position(std::string_view c) {
    return !c.empty() && c.size() <= 20 &&
           std::all_of(c.begin(), c.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
}

// Whether position `a` is past `b` ("" is the start).
bool position_after(std::string_view a, std::string_view b) {
    auto trim = [](std::string_view s) {
        while (s.size() > 1 && s.front() == '0') {
            s.remove_prefix(1);
        }
        return s;
    };
    a = trim(a);
    b = trim(b);
    if (b.empty()) {
        return true;
    }
    return a.size() != b.size() ? a.size() > b.size() : a > b;
}

}  // namespace

Status SyncEngine::pull_all(SyncSummary& summary) {
    std::string cursor;  // as committed
    {
        std::lock_guard lock(m_store_mutex);
        Result<std::string> c = get_state("pull_cursor");
        OUTPOST_TRY(c);
        cursor = std::move(*c);
    }
    if (cursor.empty()) {
        OUTPOST_TRY(snapshot_all(summary, cursor));
    }
    bool restarted = false;  // after the server said it does not know the cursor
    int thin = 0;            // pages in a row that said "more" with next to nothing in them
    for (int pages = 0;; ++pages) {
        if (pages >= kMaxPullPages) {
            return Status::error(errc::kProtocolMalformed, "the server kept saying there was more to pull");
        }
        const std::string path = "/v1/pull?limit=" + std::to_string(m_options.pull_limit) +
                                 (cursor.empty() ? std::string() : "&cursor=" + cursor);
        Result<HttpResponse> res = m_transport.request(
            {.method = "GET", .path = path, .bearer_token = m_creds.token, .max_response_bytes = kMaxPageBytes});
        ++summary.requests;
        OUTPOST_TRY(res);
        if (res->status != 200) {
            Status s = http_error(*res);
            if (s.code() == errc::kSyncCursorInvalid && !restarted) {
                // As the code's words promise: start again from a snapshot (a restored server, say).
                restarted = true;
                {
                    std::lock_guard lock(m_store_mutex);
                    OUTPOST_TRY(put_state(m_store, "pull_cursor", ""));
                }
                cursor.clear();
                OUTPOST_TRY(snapshot_all(summary, cursor));
                continue;
            }
            return s;
        }
        Result<PullResponse> page = decode_pull_response(res->body);
        OUTPOST_TRY(page);
        // A cursor is a position in the server's log: digits, moving forward while there is more.
        if (!log_position(page->cursor)) {
            return Status::error(errc::kProtocolMalformed, "the server sent a pull cursor that is not a position");
        }
        if (page->more && !position_after(page->cursor, cursor)) {
            // A server that says "more" without moving on would keep this laptop pulling forever.
            return Status::error(errc::kSyncServerError, "the server's pull cursor did not move");
        }
        thin = page->more && page->changes.size() * 100 < static_cast<std::size_t>(m_options.pull_limit) ? thin + 1 : 0;
        if (thin > kMaxThinPages) {
            return Status::error(errc::kProtocolMalformed,
                                 "the server kept saying there was more, with almost nothing in each page");
        }
        std::vector<records::Change> changes;
        changes.reserve(page->changes.size());
        for (WireChange& w : page->changes) {
            Result<records::Hlc> hlc = records::Hlc::parse(w.hlc);
            Result<records::Hlc> base = records::Hlc::parse(w.base);
            if (!hlc.is_ok() || !base.is_ok()) {
                return Status::error(errc::kSyncServerError, "the server sent a change with a bad timestamp");
            }
            records::Change c;
            c.record = std::move(w.record);
            c.type = std::move(w.type);
            c.team = std::move(w.team);
            c.field = std::move(w.field);
            c.value = std::move(w.value);  // apply_remote stores its canonical spelling
            c.hlc = *hlc;
            c.base = *base;
            c.device = std::move(w.device);
            c.author = std::move(w.author);
            changes.push_back(std::move(c));
        }
        if (!changes.empty() || page->cursor != cursor) {  // a no-op sync writes nothing
            std::lock_guard lock(m_store_mutex);
            Result<Transaction> txn = Transaction::begin(m_store);  // rolled back unless committed
            OUTPOST_TRY(txn);
            Status s = Status::ok();
            if (!changes.empty()) {
                s = m_records.apply_remote(changes).status();
            }
            if (s.is_ok() && m_prefetch) {
                for (const records::Change& c : changes) {
                    if (Status w = want_attachments(c.type, c.field, c.value); !w.is_ok()) {
                        s = w;
                        break;
                    }
                }
            }
            if (s.is_ok()) {
                s = put_state(m_store, "pull_cursor", page->cursor);
            }
            OUTPOST_TRY(txn->finish(std::move(s)));
            cursor = page->cursor;
        }
        summary.pulled += static_cast<std::int64_t>(changes.size());
        {
            std::lock_guard state_lock(m_state_mutex);
            m_state.pulled += static_cast<std::int64_t>(changes.size());
        }
        publish();
        if (!page->more) {
            return Status::ok();
        }
    }
}

std::vector<records::PulledRecord> to_pulled_records(SnapshotResponse& page) {
    std::vector<records::PulledRecord> out;
    out.reserve(page.records.size());
    for (SnapshotRecord& r : page.records) {
        records::PulledRecord& rec = out.emplace_back();
        rec.id = std::move(r.id);
        rec.type = std::move(r.type);
        rec.team = page.team;
        rec.created_by = std::move(r.created_by);
        rec.versions.reserve(r.fields.size());
        for (SnapshotVersion& v : r.fields) {
            const auto& [device, author] = r.writers[v.writer];  // index checked by the decoder
            rec.versions.push_back(records::Head{std::move(v.field), std::move(v.value), records::Hlc{v.hlc},
                                                 records::Hlc{v.base}, device, author, false});
        }
    }
    page.records.clear();
    return out;
}

namespace {

// One snapshot page, fetched and decoded off the store's thread (see snapshot_all).
struct SnapshotPage {
    Status status = Status::ok();
    bool unsupported = false;  // the server has no /v1/snapshot: pull the log from the start instead
    SnapshotResponse wire;
    std::vector<records::PulledRecord> records;
    std::int64_t versions = 0;
};

SnapshotPage fetch_snapshot(Transport& transport, const records::RecordEngine& engine, const std::string& token,
                            const std::string& after, int limit) {
    SnapshotPage out;
    std::string path = "/v1/snapshot?limit=" + std::to_string(limit);
    if (!after.empty()) {
        path += "&after=" + after;  // record ids are [0-9a-f-]: nothing to escape
    }
    Result<HttpResponse> res =
        transport.request({.method = "GET", .path = path, .bearer_token = token, .max_response_bytes = kMaxPageBytes});
    if (!res.is_ok()) {
        out.status = res.status();
        return out;
    }
    if (res->status == 404) {
        out.unsupported = true;
        return out;
    }
    if (res->status != 200) {
        out.status = http_error(*res);
        return out;
    }
    Result<SnapshotResponse> page = decode_snapshot_response(res->body);
    if (!page.is_ok()) {
        out.status = page.status();
        return out;
    }
    out.wire = std::move(*page);
    out.records = to_pulled_records(out.wire);
    for (const records::PulledRecord& rec : out.records) {
        out.versions += static_cast<std::int64_t>(rec.versions.size());
    }
    engine.prepare_snapshot(out.records);  // off the store's thread (see records::RecordEngine)
    return out;
}

}  // namespace

Status SyncEngine::snapshot_all(SyncSummary& summary, std::string& cursor) {
    std::string after;
    std::string snapshot_cursor;  // the pull cursor once every page is in (the first page's)
    {
        std::lock_guard lock(m_store_mutex);
        Result<std::string> a = get_state("snapshot_after");
        Result<std::string> c = get_state("snapshot_cursor");
        if (!a.is_ok() || !c.is_ok()) {
            return !a.is_ok() ? a.status() : c.status();
        }
        after = std::move(*a);
        snapshot_cursor = std::move(*c);
    }
    // The next page downloads and decodes on a helper thread while this one writes the last. The
    // helper also frees the page written before it (`spent`): its memory came from the helper's
    // allocator, and two million small frees are better made there than on the thread that writes.
    auto fetch = [this](std::string from, SnapshotPage spent) {
        return std::async(std::launch::async, [this, from = std::move(from), spent = std::move(spent)]() mutable {
            spent = SnapshotPage{};
            return fetch_snapshot(m_transport, m_records, m_creds.token, from, m_options.pull_limit);
        });
    };
    std::future<SnapshotPage> next = fetch(after, {});
    SnapshotPage spent;
    // A first sync writes the whole team at once: bulk mode while it runs (Store::set_bulk_mode), a
    // rollback journal, so the pages it adds are written and encrypted once instead of going to the
    // WAL and again to the database at each checkpoint. Every page still commits durably. The
    // store returns to WAL before the sync reports back, whether it succeeded or failed (`restore`),
    // and at the next open should that fail.
    // Bulk mode only saves time: a store that cannot enter it (a statement left open) syncs without.
    {
        std::lock_guard lock(m_store_mutex);
        (void)m_store.set_bulk_mode(true);
    }
    struct Restore {
        SyncEngine* self;
        ~Restore() {
            std::lock_guard lock(self->m_store_mutex);
            (void)self->m_store.set_bulk_mode(false);
        }
    } restore{this};
    for (;;) {
        SnapshotPage page = next.get();
        ++summary.requests;
        if (page.unsupported) {
            return Status::ok();  // cursor stays empty: the log from the start
        }
        OUTPOST_TRY(page.status);
        const SnapshotResponse& wire = page.wire;
        if (wire.cursor.empty() || (wire.more && page.records.empty() && wire.next == after)) {
            return Status::error(errc::kSyncServerError, "the server's snapshot did not move on");
        }
        if (wire.more) {
            next = fetch(wire.next, std::move(spent));
        }
        if (snapshot_cursor.empty()) {
            snapshot_cursor = wire.cursor;
        }
        {
            std::lock_guard lock(m_store_mutex);
            Result<Transaction> txn = Transaction::begin(m_store);  // rolled back unless committed
            OUTPOST_TRY(txn);
            Status s = Status::ok();
            if (m_prefetch) {
                for (const records::PulledRecord& r : page.records) {
                    for (const records::Head& h : r.versions) {
                        if (s.is_ok()) {
                            s = want_attachments(r.type, h.field, h.value);
                        }
                    }
                }
            }
            if (s.is_ok() && !page.records.empty()) {
                s = m_records.apply_snapshot(page.records).status();
            }
            if (s.is_ok() && wire.more) {
                s = put_state(m_store, "snapshot_after", wire.next);
                if (s.is_ok()) {
                    s = put_state(m_store, "snapshot_cursor", snapshot_cursor);
                }
            } else if (s.is_ok()) {
                s = put_state(m_store, "pull_cursor", snapshot_cursor);
            }
            OUTPOST_TRY(txn->finish(std::move(s)));
            if (!wire.more) {
                // Everything is committed: a failure to return to WAL now is no failed sync (the
                // guard below tries again, and the next open always returns the store to WAL).
                (void)m_store.set_bulk_mode(false);
            }
        }
        after = wire.next;
        summary.pulled += page.versions;
        {
            std::lock_guard state_lock(m_state_mutex);
            m_state.pulled += page.versions;
        }
        publish();
        if (!wire.more) {
            cursor = snapshot_cursor;
            return Status::ok();
        }
        spent = std::move(page);
    }
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
        std::chrono::milliseconds delay = m_options.interval;
        if (!ok) {
            // Exponential backoff with full jitter in [delay/2, delay]: a fleet coming back online
            // together does not hammer the server in step.
            const auto base = m_options.backoff_min.count() << std::min(failures - 1, 20);
            const auto capped = std::min<std::int64_t>(base, m_options.backoff_max.count());
            const auto jitter =
                static_cast<std::int64_t>(randombytes_uniform(static_cast<std::uint32_t>(capped / 2 + 1)));
            delay = std::chrono::milliseconds(capped / 2 + jitter);
        }
        std::unique_lock lock(m_worker_mutex);
        m_wake.wait_for(lock, delay, [this] { return m_stopping || m_requested; });
    }
}

}  // namespace outpost::sync

// ---- attachments -------------------------------------------------------------------------------

namespace outpost::sync {
namespace {

std::int64_t header_i64(const HttpResponse& r, const char* name, std::int64_t fallback) {
    const auto it = r.headers.find(name);
    if (it == r.headers.end()) {
        return fallback;
    }
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
    return ec == std::errc() && end == it->second.data() + it->second.size() && v >= 0 ? v : fallback;
}

}  // namespace

std::int64_t SyncEngine::blob_retry_at(int attempts) const {
    const auto min = m_options.blob_backoff_min.count();
    const auto max = m_options.blob_backoff_max.count();
    std::int64_t wait = min;
    for (int i = 0; i < attempts && wait < max; ++i) {
        wait *= 2;
    }
    return m_clock.now_ms() + std::min<std::int64_t>(wait, max);
}

Status SyncEngine::want_attachments(std::string_view type, std::string_view field, std::string_view canonical) {
    const records::Schema* sch = m_records.schema(type);
    const records::FieldDef* def = sch != nullptr ? sch->field(field) : nullptr;
    if (def == nullptr || def->kind != records::FieldKind::kAttachments) {
        return Status::ok();
    }
    Result<records::FieldValue> v = records::decode_value(def->kind, canonical);
    const std::string* text = v.is_ok() ? std::get_if<std::string>(&*v) : nullptr;
    if (text == nullptr) {
        return Status::ok();
    }
    Result<std::vector<records::Attachment>> list = records::parse_attachments(*text);
    if (!list.is_ok()) {
        return Status::ok();
    }
    for (const records::Attachment& a : *list) {
        OUTPOST_TRY(m_blobs->want(a));
    }
    return Status::ok();
}

Status SyncEngine::transfer_blobs(SyncSummary& summary) {
    std::vector<BlobStore::Upload> ups;
    std::vector<BlobStore::Download> downs;
    {
        std::lock_guard lock(m_store_mutex);
        Result<std::vector<BlobStore::Upload>> u = m_blobs->uploads();
        Result<std::vector<BlobStore::Download>> d = m_blobs->downloads();
        OUTPOST_TRY(u);
        OUTPOST_TRY(d);
        ups = std::move(*u);
        downs = std::move(*d);
    }
    const std::int64_t now = m_clock.now_ms();
    for (const BlobStore::Upload& up : ups) {
        if (up.state != BlobStore::UploadState::kWaiting || up.next_try_ms > now) {
            continue;
        }
        Status s = upload_blob(up, summary);
        if (is_network(s)) {
            return s;
        }
    }
    for (const BlobStore::Download& down : downs) {
        if (down.next_try_ms > now) {
            continue;
        }
        Status s = download_blob(down, summary);
        if (is_network(s)) {
            return s;
        }
    }
    std::lock_guard lock(m_store_mutex);
    Result<std::vector<BlobStore::Upload>> after = m_blobs->uploads();
    std::int64_t waiting = 0;
    if (after.is_ok()) {
        for (const BlobStore::Upload& u : *after) {
            waiting += u.state == BlobStore::UploadState::kWaiting ? 1 : 0;
        }
    }
    std::lock_guard state_lock(m_state_mutex);
    m_state.files_waiting = waiting;
    return Status::ok();
}

Status SyncEngine::upload_blob(const BlobStore::Upload& up, SyncSummary& summary) {
    const std::string path = "/v1/blobs/" + up.hash;
    // Each of these takes the store mutex itself: never call them with it held.
    auto failed = [&](const Status& why, bool refused) {
        ++summary.files_failed;
        std::lock_guard lock(m_store_mutex);
        (void)m_blobs->upload_failed(up.hash, why, blob_retry_at(up.attempts), refused);
        return why;
    };
    // Whole on the server only when it says so, with the right size (a captive portal's 200 is not).
    auto done_if_whole = [&](const HttpResponse& r) -> std::optional<Status> {
        if (header_i64(r, "Outpost-Size", -1) != up.size) {
            return std::nullopt;
        }
        ++summary.files_uploaded;
        std::lock_guard lock(m_store_mutex);
        return m_blobs->upload_done(up.hash);
    };
    auto unexpected = [&](const HttpResponse& r) {
        return failed(Status::error(errc::kSyncServerError, "the server answered an upload with HTTP " +
                                                                std::to_string(r.status) + " and no usable position"),
                      false);
    };
    // Where the server's copy stops.
    Result<HttpResponse> head = m_transport.request({.method = "HEAD", .path = path, .bearer_token = m_creds.token});
    ++summary.requests;
    OUTPOST_TRY(head);
    if (head->status == 200) {
        if (std::optional<Status> d = done_if_whole(*head)) {
            return *d;
        }
        return unexpected(*head);
    }
    if (head->status != 404) {
        return failed(http_error(*head), false);
    }
    if (head->headers.count("Outpost-Received") == 0) {
        // No record of this team names it on the server yet (its record was refused, or not sent).
        return failed(Status::error(errc::kBlobMissing, "the server has no record naming this file yet"), false);
    }
    std::int64_t offset = header_i64(*head, "Outpost-Received", 0);
    int damaged = 0;
    int stalled = 0;  // answers in a row that moved nothing on
    // Pieces start small and double while each goes quickly (a weak link keeps them small, so a cut
    // costs little; loopback reaches the largest in a few requests), and halve when one is slow.
    constexpr std::size_t kFirstPiece = 256U * 1024U;
    std::size_t piece = std::min(kFirstPiece, m_options.blob_put_bytes);
    while (offset >= 0 && offset <= up.size && stalled < 5) {
        std::string bytes;
        Status read_problem = Status::ok();
        {
            std::lock_guard lock(m_store_mutex);
            Result<std::string> part = m_blobs->read(up.hash, offset, static_cast<std::int64_t>(piece));
            if (part.is_ok()) {
                bytes = std::move(*part);
            } else {
                read_problem = part.status();
            }
        }
        if (!read_problem.is_ok()) {
            return failed(read_problem, false);  // this laptop's store: tried again later
        }
        const std::int64_t last = offset + static_cast<std::int64_t>(bytes.size()) - 1;
        HttpRequest put{
            .method = "PUT", .path = path, .content_type = "application/octet-stream", .bearer_token = m_creds.token};
        put.headers = {{"Content-Range",
                        "bytes " + std::to_string(offset) + "-" + std::to_string(last) + "/" + std::to_string(up.size)},
                       {"Outpost-Chunk-Sha256", sha256_hex(bytes)}};
        put.body = std::move(bytes);
        const auto sent_at = std::chrono::steady_clock::now();
        Result<HttpResponse> res = m_transport.request(put);
        const auto took = std::chrono::steady_clock::now() - sent_at;
        ++summary.requests;
        if (took < std::chrono::seconds(1)) {
            piece = std::min(piece * 2, m_options.blob_put_bytes);
        } else if (took > std::chrono::seconds(4)) {
            piece = std::max(piece / 2, std::min(kFirstPiece, m_options.blob_put_bytes));
        }
        if (!res.is_ok()) {
            return res.status();  // the network: the next sync resumes from the server's copy
        }
        if (res->status == 200 || res->status == 201) {
            if (std::optional<Status> d = done_if_whole(*res)) {
                return *d;
            }
            return unexpected(*res);
        }
        if (res->status == 202 || res->status == 409) {
            const std::int64_t at = header_i64(*res, "Outpost-Received", -1);
            if (at < 0 || at > up.size) {
                return unexpected(*res);
            }
            stalled = at > offset ? 0 : stalled + 1;
            offset = at;
            if (res->status == 202) {
                std::lock_guard lock(m_store_mutex);
                OUTPOST_TRY(m_blobs->upload_progress(up.hash, offset));
            }
            continue;
        }
        const Status why = http_error(*res);
        if (res->status == 422 && ++damaged <= 3) {
            // Damaged on the way (this piece, or the whole, which the server then dropped): again.
            if (why.code() == errc::kBlobHashMismatch) {
                offset = 0;
            }
            continue;
        }
        return failed(why, res->status == 413 || res->status == 400);
    }
    return failed(Status::error(errc::kSyncServerError, "the upload made no progress; it is tried again later"), false);
}

Status SyncEngine::download_blob(const BlobStore::Download& down, SyncSummary& summary) {
    const std::string path = "/v1/blobs/" + down.hash;
    // Takes the store mutex itself: never call it with the mutex held.
    auto failed = [&](const Status& why) {
        ++summary.files_failed;
        std::lock_guard lock(m_store_mutex);
        (void)m_blobs->download_failed(down.hash, why, blob_retry_at(down.attempts));
        return why;
    };
    // The size the server holds, not the one a record claims.
    Result<HttpResponse> head = m_transport.request({.method = "HEAD", .path = path, .bearer_token = m_creds.token});
    ++summary.requests;
    OUTPOST_TRY(head);
    if (head->status != 200) {
        return failed(head->status == 404
                          ? Status::error(errc::kBlobMissing, "the server does not have this file whole yet")
                          : http_error(*head));
    }
    const std::int64_t size = header_i64(*head, "Outpost-Size", -1);
    if (size != down.size) {
        return failed(Status::error(errc::kBlobHashMismatch,
                                    "the server's copy is not the size the record gives; it is not fetched"));
    }
    std::int64_t offset = down.received;
    if (size == 0) {
        std::lock_guard lock(m_store_mutex);
        OUTPOST_TRY(m_blobs->append(down.hash, 0, ""));  // an empty file: nothing to fetch
    }
    while (offset < size) {
        const std::int64_t last = std::min(size, offset + static_cast<std::int64_t>(m_options.blob_get_bytes)) - 1;
        HttpRequest get{.method = "GET",
                        .path = path,
                        .bearer_token = m_creds.token,
                        .max_response_bytes = m_options.blob_get_bytes + 64 * 1024};  // the piece, or an error
        get.headers = {{"Range", "bytes=" + std::to_string(offset) + "-" + std::to_string(last)}};
        Result<HttpResponse> res = m_transport.request(get);
        ++summary.requests;
        if (!res.is_ok()) {
            return res.status();  // resumes from what is here at the next sync
        }
        const auto range = res->headers.find("Content-Range");
        const bool placed = (res->status == 206 && range != res->headers.end() &&
                             range->second.rfind("bytes " + std::to_string(offset) + "-", 0) == 0) ||
                            (res->status == 200 && offset == 0);  // a whole answer is only usable from the start
        if (!placed) {
            return failed(res->status >= 400
                              ? http_error(*res)
                              : Status::error(errc::kSyncServerError, "the server answered a range with other bytes"));
        }
        if (res->body.empty() || static_cast<std::int64_t>(res->body.size()) > size - offset) {
            return failed(Status::error(errc::kSyncServerError, "the server sent a range of the wrong size"));
        }
        Status appended = Status::ok();
        {
            std::lock_guard lock(m_store_mutex);
            appended = m_blobs->append(down.hash, offset, res->body);
        }
        if (!appended.is_ok()) {
            return failed(appended);
        }
        offset += static_cast<std::int64_t>(res->body.size());
    }
    Status finished = Status::ok();
    {
        std::lock_guard lock(m_store_mutex);
        finished = m_blobs->finish_download(down.hash);
    }
    if (!finished.is_ok()) {
        return failed(finished);  // thrown away; fetched again later
    }
    ++summary.files_downloaded;
    return Status::ok();
}

}  // namespace outpost::sync
