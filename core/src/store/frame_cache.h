// FrameCache: what the encryption shim remembers about the WAL frames its connection wrote since the
// WAL last restarted (internal to core/store).
//
// 1. The plaintext of each frame's page. SQLite reads frames back at checkpoint and on cache misses;
//    serving them from memory saves a read and a decryption. It holds no more than SQLite's own page
//    cache would, and is wiped when released.
// 2. A "sealed" copy: the same page already encrypted as a *database* page, made by a worker thread
//    on the second core while SQLite carries on. When the checkpoint then writes that page into the
//    database file, the shim can write the sealed copy instead of encrypting again, but only if the
//    plaintext is byte-for-byte the one that was sealed. Otherwise it encrypts as usual.
// Both are optimisations only: every miss falls back to the file and full authentication.
//
// Threads: all public methods are called from the connection's thread; the worker thread is owned
// and joined by the cache. Shared state is guarded by one mutex.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

#include "outpost/core/store/format.h"

namespace outpost::store {

class FrameCache {
public:
    static constexpr std::uint64_t kMaxFrames = 2048;  // 8 MiB of plaintext + 8 MiB of sealed pages
    static constexpr std::size_t kWakeBatch = 32;      // frames queued before an idle worker is woken

    explicit FrameCache(const PageKeys& keys) : m_keys(keys) {}
    ~FrameCache();
    FrameCache(const FrameCache&) = delete;
    FrameCache& operator=(const FrameCache&) = delete;

    // After SQLite wrote `plain` as page `pgno` in WAL frame `frame`.
    void put(std::uint64_t frame, std::uint32_t pgno, const std::uint8_t* plain);
    // Copies the cached plaintext of `frame` into `out`; false on a miss.
    [[nodiscard]] bool read(std::uint64_t frame, std::uint8_t* out);
    // When SQLite writes page `pgno` to the database right after reading it from a cached frame, and a
    // sealed database page of exactly `plain` is ready, copies it into `out` (a full encrypted page).
    [[nodiscard]] bool take_sealed(std::uint32_t pgno, const std::uint8_t* plain, std::uint8_t* out);
    // Forgets frames from `frame` on (a new WAL generation, a truncation, an unusual write).
    void invalidate_from(std::uint64_t frame);
    // SQLite synced the WAL (a commit): wake the worker for whatever is still queued, because a
    // checkpoint may follow at once.
    void flush();
    // The keys are about to be wiped (CryptVfs::wipe_keys): stops and joins the worker, which holds
    // pointers to them, wipes the cached plaintext and forgets every frame. The cache stays empty.
    void forget_keys();

private:
    enum class Slot : std::uint8_t { kEmpty, kPending, kSealed };
    void worker();
    [[nodiscard]] bool ensure_buffers();

    PageKeys m_keys;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::thread m_thread;
    bool m_stop = false;                                          // guarded by m_mutex
    bool m_forgotten = false;                                     // guarded; forget_keys() was called
    bool m_idle = false;                                          // guarded; the worker is waiting
    std::deque<std::pair<std::uint64_t, std::uint64_t>> m_queue;  // (frame, generation), guarded
    std::uint8_t* m_plain = nullptr;                              // guarded
    std::uint8_t* m_sealed = nullptr;                             // guarded
    std::uint32_t m_pgno[kMaxFrames] = {};                        // guarded
    std::uint64_t m_gen[kMaxFrames] = {};                         // guarded
    Slot m_slot[kMaxFrames] = {};                                 // guarded
    std::uint64_t m_last_read = kMaxFrames;                       // guarded; frame last served by read()
};

}  // namespace outpost::store
