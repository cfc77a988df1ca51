// BlobStore: a laptop's attachment bytes, inside the encrypted store, so they are encrypted
// like everything else and no plaintext reaches the disk.
//  - Content-addressed: a file is named by the SHA-256 of its bytes and kept once, however many
//    records attach it.
//  - Kept as chunks of 256 KiB (blob_chunks), so a file is never one huge value and a download can
//    be resumed where it stopped.
//  - An upload queue (blob_uploads): each file waiting to go to the server, with how much the server
//    has confirmed, its attempts, when to try next, and the reason it last failed or was refused.
//  - A download list (blob_downloads): files a record names that this laptop wants (opened, or
//    prefetched), with how much has arrived. A download's bytes are verified against the hash before
//    the file counts as present; a mismatch is thrown away.
//
// Ownership: borrows the Store, which must outlive it.
// Threads: not thread-safe; callers hold the store's mutex (the App's Session and the sync engine
// share one).
// Failure: Status/Result with stable codes: blob.file.too_large (with the limit in words), blob.lookup.missing,
// blob.verify.hash_mismatch, core.io for a file that cannot be read or written, store.* from SQLite.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "outpost/core/records/attachments.h"
#include "outpost/core/status.h"
#include "outpost/core/store.h"

namespace outpost {

class BlobStore {
public:
    static constexpr std::size_t kChunkBytes = 256 * 1024;

    // Creates the tables if needed.
    [[nodiscard]] static Result<std::unique_ptr<BlobStore>> open(Store& store);

    // Adds a file from disk: refused before reading when it is bigger than `max_bytes`
    // (blob.file.too_large). The file is read twice (hash, then store) and must not change in between.
    // A file already here is not stored again. Returns what a record's attachments field holds.
    [[nodiscard]] Result<records::Attachment> add_file(const std::filesystem::path& file, std::int64_t max_bytes);
    [[nodiscard]] Result<records::Attachment> add_bytes(std::string_view bytes, std::string name, std::string mime,
                                                        std::int64_t max_bytes);

    struct Info {
        std::int64_t size = 0;
        std::int64_t stored = 0;  // bytes here (== size when complete)
        bool complete = false;
    };
    [[nodiscard]] Result<std::optional<Info>> info(std::string_view hash);
    // Up to `len` bytes from `offset` of a file here (complete or as far as it has arrived).
    [[nodiscard]] Result<std::string> read(std::string_view hash, std::int64_t offset, std::int64_t len);
    // Writes a complete file to `path` (a temporary name, then renamed): the worker's own export.
    [[nodiscard]] Status export_to(std::string_view hash, const std::filesystem::path& path);

    // ---- uploads ----
    enum class UploadState { kWaiting, kDone, kRefused };
    struct Upload {
        std::string hash;
        std::int64_t size = 0;
        std::int64_t sent = 0;  // bytes the server has confirmed
        int attempts = 0;
        std::int64_t next_try_ms = 0;
        UploadState state = UploadState::kWaiting;
        std::string code;    // the last failure's stable code
        std::string reason;  // ...in words
    };
    // Queues a file here for upload (nothing when it is queued or done already).
    [[nodiscard]] Status queue_upload(std::string_view hash);
    [[nodiscard]] Result<std::vector<Upload>> uploads();  // every one, waiting first
    [[nodiscard]] Result<std::optional<Upload>> upload(std::string_view hash);
    [[nodiscard]] Status upload_progress(std::string_view hash, std::int64_t sent);
    [[nodiscard]] Status upload_done(std::string_view hash);
    // A failure: retried from `next_try_ms`, or never again when `refused`.
    [[nodiscard]] Status upload_failed(std::string_view hash, const Status& why, std::int64_t next_try_ms,
                                       bool refused);

    // ---- downloads ----
    // Wants a file a record names (size from the record): it is fetched at the next sync.
    [[nodiscard]] Status want(const records::Attachment& a);
    struct Download {
        std::string hash;
        std::int64_t size = 0;
        std::int64_t received = 0;
        int attempts = 0;
        std::int64_t next_try_ms = 0;
        std::string code;
        std::string reason;
    };
    [[nodiscard]] Result<std::vector<Download>> downloads();  // wanted and not yet complete
    // Appends bytes that arrived at `offset` (must equal what is here; else blob.upload.out_of_order).
    [[nodiscard]] Status append(std::string_view hash, std::int64_t offset, std::string_view bytes);
    // Verifies a download that has all its bytes: present when the hash matches, else thrown away
    // (blob.verify.hash_mismatch).
    [[nodiscard]] Status finish_download(std::string_view hash);
    [[nodiscard]] Status download_failed(std::string_view hash, const Status& why, std::int64_t next_try_ms);

    // Chunks and distinct files stored (for tests and the settings screen).
    [[nodiscard]] Result<std::int64_t> file_count();
    [[nodiscard]] Result<std::int64_t> chunk_count();

private:
    explicit BlobStore(Store& store) : m_store(store) {}
    Status store_chunks(std::string_view hash, std::int64_t size, std::istream& in, std::string_view expect);
    Store& m_store;
};

}  // namespace outpost
