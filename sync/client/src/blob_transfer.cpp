#include "blob_transfer.h"

#include <algorithm>
#include <chrono>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "outpost/core/digest.h"
#include "outpost/core/error_codes.h"
#include "outpost/core/records/attachments.h"
#include "server_answer.h"

namespace outpost::sync {

Status want_attachments(const records::RecordEngine& records, BlobStore& blobs, std::string_view type,
                        std::string_view field, std::string_view canonical) {
    const records::Schema* sch = records.schema(type);
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
        OUTPOST_TRY(blobs.want(a));
    }
    return Status::ok();
}

Status BlobTransfer::run() {
    std::vector<BlobStore::Upload> ups;
    std::vector<BlobStore::Download> downs;
    {
        std::lock_guard lock(m_ctx.store_mutex);
        Result<std::vector<BlobStore::Upload>> u = m_blobs.uploads();
        Result<std::vector<BlobStore::Download>> d = m_blobs.downloads();
        OUTPOST_TRY(u);
        OUTPOST_TRY(d);
        ups = std::move(*u);
        downs = std::move(*d);
    }
    const std::int64_t now = m_ctx.clock.now_ms();
    for (const BlobStore::Upload& up : ups) {
        if (up.state != BlobStore::UploadState::kWaiting || up.next_try_ms > now) {
            continue;
        }
        if (Status s = upload(up); is_network(s)) {
            return s;
        }
    }
    for (const BlobStore::Download& down : downs) {
        if (down.next_try_ms > now) {
            continue;
        }
        if (Status s = download(down); is_network(s)) {
            return s;
        }
    }
    std::lock_guard lock(m_ctx.store_mutex);
    Result<std::vector<BlobStore::Upload>> after = m_blobs.uploads();
    std::int64_t waiting = 0;
    if (after.is_ok()) {
        for (const BlobStore::Upload& u : *after) {
            waiting += u.state == BlobStore::UploadState::kWaiting ? 1 : 0;
        }
    }
    m_ctx.board.update([waiting](SyncState& s) { s.files_waiting = waiting; });
    return Status::ok();
}

Status BlobTransfer::upload(const BlobStore::Upload& up) {
    const std::string path = "/v1/blobs/" + up.hash;
    // Where the server's copy stops.
    Result<HttpResponse> head =
        m_ctx.transport.request({.method = "HEAD", .path = path, .bearer_token = m_ctx.creds.token});
    ++m_summary.requests;
    OUTPOST_TRY(head);
    if (head->status == 200) {
        if (std::optional<Status> d = upload_done_if_whole(up, *head)) {
            return *d;
        }
        return upload_unexpected(up, *head);
    }
    if (head->status != 404) {
        return upload_failed(up, http_error(*head), false);
    }
    if (head->headers.count("Outpost-Received") == 0) {
        // No record of this team names it on the server yet (its record was refused, or not sent).
        return upload_failed(up, Status::error(errc::kBlobMissing, "the server has no record naming this file yet"),
                             false);
    }
    std::int64_t offset = header_i64(*head, "Outpost-Received", 0);
    int damaged = 0;
    int stalled = 0;  // answers in a row that moved nothing on
    // Pieces start small and double while each goes quickly (a weak link keeps them small, so a cut
    // costs little; loopback reaches the largest in a few requests), and halve when one is slow.
    constexpr std::size_t kFirstPiece = 256U * 1024U;
    const std::size_t max_piece = m_ctx.options.blob_put_bytes;
    std::size_t piece = std::min(kFirstPiece, max_piece);
    while (offset >= 0 && offset <= up.size && stalled < 5) {
        std::string bytes;
        Status read_problem = Status::ok();
        {
            std::lock_guard lock(m_ctx.store_mutex);
            Result<std::string> part = m_blobs.read(up.hash, offset, static_cast<std::int64_t>(piece));
            if (part.is_ok()) {
                bytes = std::move(*part);
            } else {
                read_problem = part.status();
            }
        }
        if (!read_problem.is_ok()) {
            return upload_failed(up, read_problem, false);  // this laptop's store: tried again later
        }
        const std::int64_t last = offset + static_cast<std::int64_t>(bytes.size()) - 1;
        HttpRequest put{.method = "PUT",
                        .path = path,
                        .content_type = "application/octet-stream",
                        .bearer_token = m_ctx.creds.token};
        put.headers = {{"Content-Range",
                        "bytes " + std::to_string(offset) + "-" + std::to_string(last) + "/" + std::to_string(up.size)},
                       {"Outpost-Chunk-Sha256", sha256_hex(bytes)}};
        put.body = std::move(bytes);
        const auto sent_at = std::chrono::steady_clock::now();
        Result<HttpResponse> res = m_ctx.transport.request(put);
        const auto took = std::chrono::steady_clock::now() - sent_at;
        ++m_summary.requests;
        if (took < std::chrono::seconds(1)) {
            piece = std::min(piece * 2, max_piece);
        } else if (took > std::chrono::seconds(4)) {
            piece = std::max(piece / 2, std::min(kFirstPiece, max_piece));
        }
        if (!res.is_ok()) {
            return res.status();  // the network: the next sync resumes from the server's copy
        }
        if (res->status == 200 || res->status == 201) {
            if (std::optional<Status> d = upload_done_if_whole(up, *res)) {
                return *d;
            }
            return upload_unexpected(up, *res);
        }
        if (res->status == 202 || res->status == 409) {
            const std::int64_t at = header_i64(*res, "Outpost-Received", -1);
            if (at < 0 || at > up.size) {
                return upload_unexpected(up, *res);
            }
            stalled = at > offset ? 0 : stalled + 1;
            offset = at;
            if (res->status == 202) {
                std::lock_guard lock(m_ctx.store_mutex);
                OUTPOST_TRY(m_blobs.upload_progress(up.hash, offset));
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
        return upload_failed(up, why, res->status == 413 || res->status == 400);
    }
    return upload_failed(
        up, Status::error(errc::kSyncServerError, "the upload made no progress; it is tried again later"), false);
}

Status BlobTransfer::upload_failed(const BlobStore::Upload& up, const Status& why, bool refused) {
    ++m_summary.files_failed;
    std::lock_guard lock(m_ctx.store_mutex);
    (void)m_blobs.upload_failed(up.hash, why, retry_at(up.attempts), refused);
    return why;
}

Status BlobTransfer::upload_unexpected(const BlobStore::Upload& up, const HttpResponse& r) {
    return upload_failed(
        up,
        Status::error(errc::kSyncServerError, "the server answered an upload with HTTP " + std::to_string(r.status) +
                                                  " and no usable position"),
        false);
}

std::optional<Status> BlobTransfer::upload_done_if_whole(const BlobStore::Upload& up, const HttpResponse& r) {
    if (header_i64(r, "Outpost-Size", -1) != up.size) {
        return std::nullopt;
    }
    ++m_summary.files_uploaded;
    std::lock_guard lock(m_ctx.store_mutex);
    return m_blobs.upload_done(up.hash);
}

Status BlobTransfer::download(const BlobStore::Download& down) {
    const std::string path = "/v1/blobs/" + down.hash;
    // The size the server holds, not the one a record claims.
    Result<HttpResponse> head =
        m_ctx.transport.request({.method = "HEAD", .path = path, .bearer_token = m_ctx.creds.token});
    ++m_summary.requests;
    OUTPOST_TRY(head);
    if (head->status != 200) {
        return download_failed(down, head->status == 404 ? Status::error(errc::kBlobMissing,
                                                                         "the server does not have this file whole yet")
                                                         : http_error(*head));
    }
    const std::int64_t size = header_i64(*head, "Outpost-Size", -1);
    if (size != down.size) {
        return download_failed(down,
                               Status::error(errc::kBlobHashMismatch,
                                             "the server's copy is not the size the record gives; it is not fetched"));
    }
    std::int64_t offset = down.received;
    if (size == 0) {
        std::lock_guard lock(m_ctx.store_mutex);
        OUTPOST_TRY(m_blobs.append(down.hash, 0, ""));  // an empty file: nothing to fetch
    }
    const std::size_t get_bytes = m_ctx.options.blob_get_bytes;
    while (offset < size) {
        const std::int64_t last = std::min(size, offset + static_cast<std::int64_t>(get_bytes)) - 1;
        HttpRequest get{.method = "GET",
                        .path = path,
                        .bearer_token = m_ctx.creds.token,
                        .max_response_bytes = get_bytes + 64 * 1024};  // the piece, or an error
        get.headers = {{"Range", "bytes=" + std::to_string(offset) + "-" + std::to_string(last)}};
        Result<HttpResponse> res = m_ctx.transport.request(get);
        ++m_summary.requests;
        if (!res.is_ok()) {
            return res.status();  // resumes from what is here at the next sync
        }
        const auto range = res->headers.find("Content-Range");
        const bool placed = (res->status == 206 && range != res->headers.end() &&
                             range->second.rfind("bytes " + std::to_string(offset) + "-", 0) == 0) ||
                            (res->status == 200 && offset == 0);  // a whole answer is only usable from the start
        if (!placed) {
            return download_failed(
                down, res->status >= 400
                          ? http_error(*res)
                          : Status::error(errc::kSyncServerError, "the server answered a range with other bytes"));
        }
        if (res->body.empty() || static_cast<std::int64_t>(res->body.size()) > size - offset) {
            return download_failed(down,
                                   Status::error(errc::kSyncServerError, "the server sent a range of the wrong size"));
        }
        Status appended = Status::ok();
        {
            std::lock_guard lock(m_ctx.store_mutex);
            appended = m_blobs.append(down.hash, offset, res->body);
        }
        if (!appended.is_ok()) {
            return download_failed(down, appended);
        }
        offset += static_cast<std::int64_t>(res->body.size());
    }
    Status finished = Status::ok();
    {
        std::lock_guard lock(m_ctx.store_mutex);
        finished = m_blobs.finish_download(down.hash);
    }
    if (!finished.is_ok()) {
        return download_failed(down, finished);  // thrown away; fetched again later
    }
    ++m_summary.files_downloaded;
    return Status::ok();
}

Status BlobTransfer::download_failed(const BlobStore::Download& down, const Status& why) {
    ++m_summary.files_failed;
    std::lock_guard lock(m_ctx.store_mutex);
    (void)m_blobs.download_failed(down.hash, why, retry_at(down.attempts));
    return why;
}

std::int64_t BlobTransfer::retry_at(int attempts) const {
    const auto min = m_ctx.options.blob_backoff_min.count();
    const auto max = m_ctx.options.blob_backoff_max.count();
    std::int64_t wait = min;
    for (int i = 0; i < attempts && wait < max; ++i) {
        wait *= 2;
    }
    return m_ctx.clock.now_ms() + std::min<std::int64_t>(wait, max);
}

}  // namespace outpost::sync
