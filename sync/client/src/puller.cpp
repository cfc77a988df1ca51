#include "puller.h"

#include <algorithm>
#include <string_view>
#include <utility>

#include "blob_transfer.h"
#include "outpost/core/error_codes.h"
#include "outpost/core/store/transaction.h"
#include "server_answer.h"
#include "snapshot_puller.h"

namespace outpost::sync {
namespace {

constexpr int kMaxPullPages = 100'000;  // one sync's pull pages (5,000 changes each at most)
constexpr int kMaxThinPages = 50;       // "more" pages in a row with under 1% of a page in them

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

Status Puller::run() {
    std::string cursor;  // as committed
    {
        std::lock_guard lock(m_ctx.store_mutex);
        Result<std::string> c = m_ctx.client.get("pull_cursor");
        OUTPOST_TRY(c);
        cursor = std::move(*c);
    }
    if (cursor.empty()) {
        OUTPOST_TRY(snapshot(cursor));
    }
    bool restarted = false;  // after the server said it does not know the cursor
    int thin = 0;            // pages in a row that said "more" with next to nothing in them
    for (int pages = 0;; ++pages) {
        if (pages >= kMaxPullPages) {
            return Status::error(errc::kProtocolMalformed, "the server kept saying there was more to pull");
        }
        const std::string path = "/v1/pull?limit=" + std::to_string(m_ctx.options.pull_limit) +
                                 (cursor.empty() ? std::string() : "&cursor=" + cursor);
        Result<HttpResponse> res = m_ctx.transport.request(
            {.method = "GET", .path = path, .bearer_token = m_ctx.creds.token, .max_response_bytes = kMaxPageBytes});
        ++m_summary.requests;
        OUTPOST_TRY(res);
        if (res->status != 200) {
            Status s = http_error(*res);
            if (s.code() == errc::kSyncCursorInvalid && !restarted) {
                // As the code's words promise: start again from a snapshot (a restored server, say).
                restarted = true;
                {
                    std::lock_guard lock(m_ctx.store_mutex);
                    OUTPOST_TRY(m_ctx.client.put("pull_cursor", ""));
                }
                cursor.clear();
                OUTPOST_TRY(snapshot(cursor));
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
        thin = page->more && page->changes.size() * 100 < static_cast<std::size_t>(m_ctx.options.pull_limit) ? thin + 1
                                                                                                             : 0;
        if (thin > kMaxThinPages) {
            return Status::error(errc::kProtocolMalformed,
                                 "the server kept saying there was more, with almost nothing in each page");
        }
        Result<std::vector<records::Change>> changes = to_changes(*page);
        OUTPOST_TRY(changes);
        if (!changes->empty() || page->cursor != cursor) {  // a no-op sync writes nothing
            OUTPOST_TRY(commit_page(*changes, page->cursor));
            cursor = page->cursor;
        }
        m_summary.pulled += static_cast<std::int64_t>(changes->size());
        m_ctx.board.add_pulled(static_cast<std::int64_t>(changes->size()));
        if (!page->more) {
            return Status::ok();
        }
    }
}

Result<std::vector<records::Change>> Puller::to_changes(PullResponse& page) {
    std::vector<records::Change> changes;
    changes.reserve(page.changes.size());
    for (WireChange& w : page.changes) {
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
    return changes;
}

Status Puller::commit_page(const std::vector<records::Change>& changes, const std::string& cursor) {
    std::lock_guard lock(m_ctx.store_mutex);
    Result<Transaction> txn = Transaction::begin(m_ctx.store);  // rolled back unless committed
    OUTPOST_TRY(txn);
    Status s = Status::ok();
    if (!changes.empty()) {
        s = m_ctx.records.apply_remote(changes).status();
    }
    if (s.is_ok() && m_prefetch) {
        for (const records::Change& c : changes) {
            if (Status w = want_attachments(m_ctx.records, m_ctx.blobs, c.type, c.field, c.value); !w.is_ok()) {
                s = w;
                break;
            }
        }
    }
    if (s.is_ok()) {
        s = m_ctx.client.put("pull_cursor", cursor);
    }
    return txn->finish(std::move(s));
}

Status Puller::snapshot(std::string& cursor) {
    return SnapshotPuller(m_ctx, m_summary, m_prefetch).run(cursor);
}

}  // namespace outpost::sync
