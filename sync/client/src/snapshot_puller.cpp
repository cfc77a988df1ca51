#include "snapshot_puller.h"

#include <utility>

#include "blob_transfer.h"
#include "outpost/core/error_codes.h"
#include "outpost/core/store/transaction.h"
#include "server_answer.h"

namespace outpost::sync {
namespace {

// Bulk mode for as long as it lives (Store::set_bulk_mode), taking the store mutex to enter and to
// leave. Bulk mode only saves time: a store that cannot enter it (a statement left open) syncs
// without, and one that cannot leave it now is returned to WAL at its next open.
class BulkMode {
public:
    BulkMode(Store& store, StoreMutex& store_mutex) : m_store(store), m_store_mutex(store_mutex) {
        std::lock_guard lock(m_store_mutex);
        (void)m_store.set_bulk_mode(true);
    }
    ~BulkMode() {
        std::lock_guard lock(m_store_mutex);
        (void)m_store.set_bulk_mode(false);
    }
    BulkMode(const BulkMode&) = delete;
    BulkMode& operator=(const BulkMode&) = delete;

private:
    Store& m_store;
    StoreMutex& m_store_mutex;
};

}  // namespace

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

Status SnapshotPuller::run(std::string& cursor) {
    std::string after;
    std::string snapshot_cursor;  // the pull cursor once every page is in (the first page's)
    {
        std::lock_guard lock(m_ctx.store_mutex);
        Result<std::string> a = m_ctx.client.get("snapshot_after");
        OUTPOST_TRY(a);
        Result<std::string> c = m_ctx.client.get("snapshot_cursor");
        OUTPOST_TRY(c);
        after = std::move(*a);
        snapshot_cursor = std::move(*c);
    }
    std::future<Page> next = fetch_ahead(after, {});
    Page spent;
    // A first sync writes the whole team at once: bulk mode while it runs, a rollback journal, so the
    // pages it adds are written and encrypted once instead of going to the WAL and again to the
    // database at each checkpoint. Every page still commits durably. The store returns to WAL before
    // the sync reports back, whether it succeeded or failed (`bulk`, left before the page ahead is
    // awaited), and at the next open should that fail.
    BulkMode bulk(m_ctx.store, m_ctx.store_mutex);
    for (;;) {
        Page page = next.get();
        ++m_summary.requests;
        if (page.unsupported) {
            return Status::ok();  // cursor stays empty: the log from the start
        }
        OUTPOST_TRY(page.status);
        const SnapshotResponse& wire = page.wire;
        if (wire.cursor.empty() || (wire.more && page.records.empty() && wire.next == after)) {
            return Status::error(errc::kSyncServerError, "the server's snapshot did not move on");
        }
        if (wire.more) {
            next = fetch_ahead(wire.next, std::move(spent));
        }
        if (snapshot_cursor.empty()) {
            snapshot_cursor = wire.cursor;
        }
        OUTPOST_TRY(commit_page(page, snapshot_cursor));
        after = wire.next;
        m_summary.pulled += page.versions;
        m_ctx.board.add_pulled(page.versions);
        if (!wire.more) {
            cursor = snapshot_cursor;
            return Status::ok();
        }
        spent = std::move(page);
    }
}

std::future<SnapshotPuller::Page> SnapshotPuller::fetch_ahead(std::string after, Page spent) const {
    return std::async(std::launch::async, [this, after = std::move(after), spent = std::move(spent)]() mutable {
        spent = Page{};
        return fetch(after);
    });
}

SnapshotPuller::Page SnapshotPuller::fetch(const std::string& after) const {
    Page out;
    std::string path = "/v1/snapshot?limit=" + std::to_string(m_ctx.options.pull_limit);
    if (!after.empty()) {
        path += "&after=" + after;  // record ids are [0-9a-f-]: nothing to escape
    }
    Result<HttpResponse> res = m_ctx.transport.request(
        {.method = "GET", .path = path, .bearer_token = m_ctx.creds.token, .max_response_bytes = kMaxPageBytes});
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
    m_ctx.records.prepare_snapshot(out.records);  // off the store's thread (see records::RecordEngine)
    return out;
}

Status SnapshotPuller::commit_page(Page& page, const std::string& snapshot_cursor) {
    const SnapshotResponse& wire = page.wire;
    std::lock_guard lock(m_ctx.store_mutex);
    Result<Transaction> txn = Transaction::begin(m_ctx.store);  // rolled back unless committed
    OUTPOST_TRY(txn);
    Status s = Status::ok();
    if (m_prefetch) {
        for (const records::PulledRecord& r : page.records) {
            for (const records::Head& h : r.versions) {
                if (s.is_ok()) {
                    s = want_attachments(m_ctx.records, m_ctx.blobs, r.type, h.field, h.value);
                }
            }
        }
    }
    if (s.is_ok() && !page.records.empty()) {
        s = m_ctx.records.apply_snapshot(page.records).status();
    }
    if (s.is_ok() && wire.more) {
        s = m_ctx.client.put("snapshot_after", wire.next);
        if (s.is_ok()) {
            s = m_ctx.client.put("snapshot_cursor", snapshot_cursor);
        }
    } else if (s.is_ok()) {
        s = m_ctx.client.put("pull_cursor", snapshot_cursor);
    }
    OUTPOST_TRY(txn->finish(std::move(s)));
    if (!wire.more) {
        // Everything is committed: a failure to return to WAL now is no failed sync (BulkMode tries
        // again, and the next open always returns the store to WAL).
        (void)m_ctx.store.set_bulk_mode(false);
    }
    return Status::ok();
}

}  // namespace outpost::sync
