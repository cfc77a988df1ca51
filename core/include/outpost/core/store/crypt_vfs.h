// CryptVfs: a pure SQLite VFS shim over the system's default VFS that encrypts every page of one
// database, its rollback journal and its WAL (docs/STORAGE_FORMAT.md). It is never the default VFS:
// each instance registers under its own name and is selected with `vfs=` in the open URI.
//
// Ownership: the CryptVfs owns the subkeys (sodium_malloc'd, read-only). It must outlive every
// connection opened through it; destroying it unregisters it and wipes the keys.
// Threads: SQLite may call the shim from any thread that uses the connection; the shared state is
// immutable after creation, except the atomically updated failure record.
// Failure: authentication failure on database page 1 gives SQLITE_NOTADB, on any other database page
// SQLITE_IOERR_DATA (the page number is kept in last_bad_page()). A failure while SQLite replays a
// journal or recovers a WAL is treated like a torn write (logged through sqlite3_log), so an ordinary
// crash can never leave the database unopenable. Temp, sub-journal and super-journal files are refused.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "outpost/core/secure_buffer.h"
#include "outpost/core/status.h"
#include "outpost/core/store/format.h"

struct sqlite3_vfs;

namespace outpost::store {

// Counters of the shim's work, for benchmarks and tests. Relaxed atomics; approximate under races.
struct CryptStats {
    std::uint64_t pages_encrypted = 0;
    std::uint64_t pages_decrypted = 0;
    std::uint64_t frame_cache_hits = 0;  // WAL page reads served from the frame cache
    std::uint64_t context_reads = 0;     // extra small reads of page numbers, salts or nonces
    std::uint64_t sealed_reused = 0;     // checkpoint writes that used a page sealed by the worker
};

class FrameCache;

class CryptVfs {
public:
    ~CryptVfs();
    CryptVfs(const CryptVfs&) = delete;
    CryptVfs& operator=(const CryptVfs&) = delete;

    // Derives the page and mask subkeys from `dek` and registers a uniquely named VFS.
    [[nodiscard]] static Result<std::unique_ptr<CryptVfs>> create(const SecureBuffer& dek, const DbTag& db_tag);

    [[nodiscard]] const std::string& name() const { return m_name; }
    // Wipes the subkeys now; every later page operation fails authentication (fail closed).
    void wipe_keys();
    [[nodiscard]] const PageKeys& keys() const { return m_keys; }
    // The last database or WAL page that failed authentication (0: none).
    [[nodiscard]] std::uint32_t last_bad_page() const { return m_last_bad_page.load(); }
    void clear_bad_page() { m_last_bad_page = 0; }

    [[nodiscard]] CryptStats stats() const {
        return {m_encrypted.load(std::memory_order_relaxed), m_decrypted.load(std::memory_order_relaxed),
                m_cache_hits.load(std::memory_order_relaxed), m_context_reads.load(std::memory_order_relaxed),
                m_sealed_reused.load(std::memory_order_relaxed)};
    }

    // Internal: used by the shim's callbacks.
    void record_bad_page(std::uint32_t pgno) { m_last_bad_page = pgno; }
    void count_encrypt() { m_encrypted.fetch_add(1, std::memory_order_relaxed); }
    void count_decrypt() { m_decrypted.fetch_add(1, std::memory_order_relaxed); }
    void count_cache_hit() { m_cache_hits.fetch_add(1, std::memory_order_relaxed); }
    void count_context_read() { m_context_reads.fetch_add(1, std::memory_order_relaxed); }
    void count_sealed_reuse() { m_sealed_reused.fetch_add(1, std::memory_order_relaxed); }
    // The open WAL's frame cache (one WAL per database), or nullptr. Connection thread only.
    [[nodiscard]] FrameCache* active_frames() const { return m_active_frames; }
    void set_active_frames(FrameCache* frames) { m_active_frames = frames; }
    [[nodiscard]] sqlite3_vfs* base() const { return m_base; }

private:
    CryptVfs() = default;

    std::string m_name;
    SecureBuffer m_page_key;
    SecureBuffer m_mask_key;
    PageKeys m_keys;
    std::atomic<std::uint32_t> m_last_bad_page{0};
    std::atomic<std::uint64_t> m_encrypted{0};
    std::atomic<std::uint64_t> m_decrypted{0};
    std::atomic<std::uint64_t> m_cache_hits{0};
    std::atomic<std::uint64_t> m_context_reads{0};
    std::atomic<std::uint64_t> m_sealed_reused{0};
    FrameCache* m_active_frames = nullptr;
    sqlite3_vfs* m_base = nullptr;
    std::unique_ptr<sqlite3_vfs> m_vfs;
};

}  // namespace outpost::store
