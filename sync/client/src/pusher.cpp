#include "pusher.h"

#include <algorithm>
#include <utility>

#include "outpost/core/error_codes.h"
#include "outpost/core/store/transaction.h"
#include "server_answer.h"

namespace outpost::sync {

Pusher::Pusher(SyncContext& ctx, SyncSummary& summary)
    : m_ctx(ctx), m_summary(summary), m_batch_size(ctx.options.push_batch) {
}

Status Pusher::run() {
    {
        std::lock_guard lock(m_ctx.store_mutex);
        Result<std::int64_t> stored = m_ctx.client.get_i64("pushed_upto");
        OUTPOST_TRY(stored);
        m_upto = *stored;
    }
    Prepared next = prepare(m_upto, m_batch_size);
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
            next = prepare(m_upto, m_batch_size);
            continue;
        }
        std::future<Prepared> ahead = std::async(
            std::launch::async,
            [this, after = current.batch.back().seq, size = m_ctx.options.push_batch] { return prepare(after, size); });
        Result<PushResponse> answer = post_batch(std::move(current.body), current.batch);
        Prepared following = ahead.get();
        OUTPOST_TRY(settle());
        if (answer.is_ok()) {
            m_upto = current.batch.back().seq;
            m_batch_size = m_ctx.options.push_batch;
            next = std::move(following);
            start_commit(std::move(current.batch), std::move(*answer));
            continue;
        }
        const Status& s = answer.status();
        const std::string& code = s.code();
        if (code == errc::kProtocolMalformed && m_send_versions &&
            s.message().find("'form_version'") != std::string::npos) {
            m_send_versions = false;
            next = prepare(m_upto, m_batch_size);
            continue;
        }
        const bool whole_batch_refused = code == errc::kSyncBatchTooLarge || code == errc::kSyncValueTooLarge ||
                                         code == errc::kSyncBodyTooLarge || code == errc::kProtocolMalformed;
        if (!whole_batch_refused) {
            return s;
        }
        if (current.batch.size() > 1) {
            m_batch_size = std::max(1, static_cast<int>(current.batch.size() / 2));  // find the change at fault
        } else {
            OUTPOST_TRY(refuse(current.batch.front(), code, s.message()));
        }
        next = prepare(m_upto, m_batch_size);
    }
}

Pusher::Prepared Pusher::prepare(std::int64_t after, int size) const {
    Prepared p;
    {
        std::lock_guard lock(m_ctx.store_mutex);
        Result<std::vector<records::Change>> out = m_ctx.records.outbox_after(m_ctx.creds.device_id, after, size);
        if (!out.is_ok()) {
            p.status = out.status();
            return p;
        }
        p.batch = std::move(*out);
        // A record's changes from one save go in one push where they fit: the server checks a record
        // as a whole (a new one arrives with its required answers).
        if (static_cast<int>(p.batch.size()) == size && size > 1) {
            Result<std::vector<records::Change>> next =
                m_ctx.records.outbox_after(m_ctx.creds.device_id, p.batch.back().seq, 1);
            if (next.is_ok() && !next->empty() && next->front().record == p.batch.back().record) {
                const std::string& split = p.batch.back().record;
                auto first_of_split = std::find_if(p.batch.rbegin(), p.batch.rend(),
                                                   [&](const records::Change& c) { return c.record != split; });
                if (first_of_split != p.batch.rend()) {
                    p.batch.erase(first_of_split.base(), p.batch.end());
                }
            }
        }
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
}

std::string Pusher::encode_batch(const std::vector<records::Change>& batch) const {
    PushRequest req;
    req.device_id = m_ctx.creds.device_id;
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
        w.form_version = m_send_versions ? c.form_version : 0;
        req.changes.push_back(std::move(w));
    }
    return encode(req);
}

Result<PushResponse> Pusher::post_batch(std::string body, const std::vector<records::Change>& batch) {
    Result<HttpResponse> res = m_ctx.transport.request(
        {.method = "POST", .path = "/v1/push", .body = std::move(body), .bearer_token = m_ctx.creds.token});
    ++m_summary.requests;
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

void Pusher::start_commit(std::vector<records::Change> batch, PushResponse answer) {
    m_committing = std::make_unique<Committing>();
    m_committing->changes = static_cast<std::int64_t>(batch.size());
    Committing* c = m_committing.get();
    c->done = std::async(std::launch::async, [this, c, b = std::move(batch), a = std::move(answer)] {
        std::lock_guard lock(m_ctx.store_mutex);
        return commit_batch(b, a, c->counts);
    });
}

Status Pusher::settle() {
    if (!m_committing) {
        return Status::ok();
    }
    Status s = m_committing->done.get();
    if (s.is_ok()) {
        m_summary.applied += m_committing->counts.applied;
        m_summary.superseded += m_committing->counts.superseded;
        m_summary.conflicts += m_committing->counts.conflicts;
        m_summary.rejected += m_committing->counts.rejected;
        m_summary.pushed += m_committing->changes;
        m_ctx.board.add_pushed(m_committing->changes);
    }
    m_committing.reset();
    return s;
}

Status Pusher::refuse(const records::Change& c, std::string_view code, std::string message) {
    OUTPOST_TRY(settle());
    std::lock_guard lock(m_ctx.store_mutex);
    OUTPOST_TRY(refuse_locally(c, code, message));
    ++m_summary.rejected;
    m_upto = c.seq;
    return Status::ok();
}

Status Pusher::refuse_locally(const records::Change& c, std::string_view code, const std::string& message) {
    Result<Transaction> txn = Transaction::begin(m_ctx.store);  // rolled back unless committed
    OUTPOST_TRY(txn);
    RefusedLog refused(m_ctx.store);
    Status s = refused.add(c.seq, c.record, c.field, code, message, m_ctx.clock.now_ms());
    if (s.is_ok()) {
        s = m_ctx.client.put("pushed_upto", std::to_string(c.seq));
    }
    return txn->finish(std::move(s));
}

Status Pusher::commit_batch(const std::vector<records::Change>& batch, const PushResponse& answer,
                            SyncSummary& counts) const {
    Result<Transaction> txn = Transaction::begin(m_ctx.store);  // rolled back unless committed
    OUTPOST_TRY(txn);
    Status s = Status::ok();
    {
        RefusedLog refused(m_ctx.store);
        for (std::size_t i = 0; i < batch.size() && s.is_ok(); ++i) {
            const ChangeResult& r = answer.results[i];
            switch (r.outcome) {
                case ChangeOutcome::kApplied:
                    ++counts.applied;
                    s = refused.taken(r.seq, batch[i].record, batch[i].field);
                    break;
                case ChangeOutcome::kSuperseded:
                    ++counts.superseded;
                    s = refused.taken(r.seq, batch[i].record, batch[i].field);
                    break;
                case ChangeOutcome::kConflict:
                    ++counts.conflicts;
                    s = refused.taken(r.seq, batch[i].record, batch[i].field);
                    break;
                case ChangeOutcome::kRejected:
                    ++counts.rejected;
                    s = refused.add(r.seq, batch[i].record, batch[i].field, r.code, r.message, m_ctx.clock.now_ms());
                    break;
            }
        }
    }
    if (s.is_ok()) {
        s = m_ctx.client.put("pushed_upto", std::to_string(batch.back().seq));
    }
    return txn->finish(std::move(s));
}

}  // namespace outpost::sync
