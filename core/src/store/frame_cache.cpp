#include "frame_cache.h"

#include <sodium.h>

#include <cstdlib>
#include <cstring>

namespace outpost::store {

FrameCache::~FrameCache() {
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_wake.notify_all();
    if (m_thread.joinable()) {
        m_thread.join();
    }
    if (m_plain != nullptr) {
        sodium_memzero(m_plain, kMaxFrames * kPageSize);
        std::free(m_plain);
    }
    std::free(m_sealed);
}

bool FrameCache::ensure_buffers() {
    if (m_plain == nullptr) {
        m_plain = static_cast<std::uint8_t*>(std::malloc(kMaxFrames * kPageSize));
        m_sealed = static_cast<std::uint8_t*>(std::malloc(kMaxFrames * kPageSize));
        if (m_plain == nullptr || m_sealed == nullptr) {
            std::free(m_plain);
            std::free(m_sealed);
            m_plain = m_sealed = nullptr;
            return false;
        }
    }
    return true;
}

void FrameCache::put(std::uint64_t frame, std::uint32_t pgno, const std::uint8_t* plain) {
    if (frame >= kMaxFrames) {
        return;
    }
    bool wake = false;
    {
        std::lock_guard lock(m_mutex);
        if (m_forgotten || !ensure_buffers()) {
            return;
        }
        std::memcpy(m_plain + frame * kPageSize, plain, kPageSize);
        m_pgno[frame] = pgno;
        m_slot[frame] = Slot::kPending;
        ++m_gen[frame];
        if (m_queue.size() >= 2 * kMaxFrames) {
            m_queue.pop_front();  // the worker fell behind; that frame is simply encrypted later
        }
        m_queue.emplace_back(frame, m_gen[frame]);
        if (!m_thread.joinable()) {
            m_thread = std::thread([this] { worker(); });
        }
        // A busy worker finds new entries by itself; an idle one is woken per batch, not per frame
        // (wake-ups cost both threads a context switch).
        wake = m_idle && m_queue.size() >= kWakeBatch;
    }
    if (wake) {
        m_wake.notify_one();
    }
}

void FrameCache::flush() {
    bool wake = false;
    {
        std::lock_guard lock(m_mutex);
        wake = m_idle && !m_queue.empty();
    }
    if (wake) {
        m_wake.notify_one();
    }
}

bool FrameCache::read(std::uint64_t frame, std::uint8_t* out) {
    std::lock_guard lock(m_mutex);
    if (frame >= kMaxFrames || m_plain == nullptr || m_slot[frame] == Slot::kEmpty) {
        m_last_read = kMaxFrames;
        return false;
    }
    std::memcpy(out, m_plain + frame * kPageSize, kPageSize);
    m_last_read = frame;
    return true;
}

bool FrameCache::take_sealed(std::uint32_t pgno, const std::uint8_t* plain, std::uint8_t* out) {
    std::lock_guard lock(m_mutex);
    const std::uint64_t f = m_last_read;
    m_last_read = kMaxFrames;
    if (f >= kMaxFrames || m_slot[f] != Slot::kSealed || m_pgno[f] != pgno ||
        std::memcmp(m_plain + f * kPageSize, plain, kPageSize) != 0) {
        return false;
    }
    std::memcpy(out, m_sealed + f * kPageSize, kPageSize);
    return true;
}

void FrameCache::forget_keys() {
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
        m_forgotten = true;
    }
    m_wake.notify_all();
    if (m_thread.joinable()) {
        m_thread.join();  // it may be encrypting with the keys outside the lock
    }
    std::lock_guard lock(m_mutex);
    m_keys = PageKeys{};
    if (m_plain != nullptr) {
        sodium_memzero(m_plain, kMaxFrames * kPageSize);
    }
    for (std::uint64_t f = 0; f < kMaxFrames; ++f) {
        m_slot[f] = Slot::kEmpty;
        ++m_gen[f];
    }
    m_queue.clear();
    m_last_read = kMaxFrames;
}

void FrameCache::invalidate_from(std::uint64_t frame) {
    std::lock_guard lock(m_mutex);
    for (std::uint64_t f = frame; f < kMaxFrames; ++f) {
        if (m_slot[f] != Slot::kEmpty) {
            m_slot[f] = Slot::kEmpty;
            ++m_gen[f];
        }
    }
    m_last_read = kMaxFrames;
}

void FrameCache::worker() {
    std::uint8_t page[kPageSize];
    std::unique_lock lock(m_mutex);
    for (;;) {
        m_idle = true;
        m_wake.wait(lock, [this] { return m_stop || !m_queue.empty(); });
        m_idle = false;
        if (m_stop) {
            break;
        }
        const auto [frame, gen] = m_queue.front();
        m_queue.pop_front();
        if (m_gen[frame] != gen || m_slot[frame] != Slot::kPending) {
            continue;  // rewritten or forgotten since it was queued
        }
        const std::uint32_t pgno = m_pgno[frame];
        std::memcpy(page, m_plain + frame * kPageSize, kPageSize);
        lock.unlock();
        const bool ok = encrypt_page(m_keys, FileKind::kDatabase, pgno, 0, {page, kPageSize}) == PageError::kNone;
        lock.lock();
        if (ok && m_gen[frame] == gen && m_slot[frame] == Slot::kPending) {
            std::memcpy(m_sealed + frame * kPageSize, page, kPageSize);
            m_slot[frame] = Slot::kSealed;
        }
    }
    sodium_memzero(page, sizeof page);
}

}  // namespace outpost::store
