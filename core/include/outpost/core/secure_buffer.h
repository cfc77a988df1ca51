// SecureBuffer: a fixed-size byte buffer for keys and passphrases, held in sodium_malloc'd memory
// (guard pages, mlock where permitted) and wiped with sodium_free when destroyed.
//
// Ownership: move-only; the buffer owns its memory. Thread-safety: none; one owner at a time.
// Failure: create() returns an error Status when libsodium cannot allocate (e.g. RLIMIT_MEMLOCK).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "outpost/core/status.h"

namespace outpost {

class SecureBuffer {
public:
    SecureBuffer() = default;
    ~SecureBuffer();
    SecureBuffer(SecureBuffer&& other) noexcept;
    SecureBuffer& operator=(SecureBuffer&& other) noexcept;
    SecureBuffer(const SecureBuffer&) = delete;
    SecureBuffer& operator=(const SecureBuffer&) = delete;

    // Zero-filled buffer of `size` bytes (size > 0).
    [[nodiscard]] static Result<SecureBuffer> create(std::size_t size);
    // Copies `bytes` into a new secure buffer. The caller wipes its own copy.
    [[nodiscard]] static Result<SecureBuffer> copy_of(std::span<const std::uint8_t> bytes);

    [[nodiscard]] std::uint8_t* data() { return m_data; }
    [[nodiscard]] const std::uint8_t* data() const { return m_data; }
    [[nodiscard]] std::size_t size() const { return m_size; }
    [[nodiscard]] bool empty() const { return m_data == nullptr; }
    [[nodiscard]] std::span<const std::uint8_t> bytes() const { return {m_data, m_size}; }
    [[nodiscard]] std::span<std::uint8_t> writable() { return {m_data, m_size}; }

    // Protect the memory against writes (a stray write faults) / allow writes again.
    void make_read_only();
    void make_writable();
    // Wipes and frees now; empty() is true afterwards.
    void wipe();

private:
    std::uint8_t* m_data = nullptr;
    std::size_t m_size = 0;
};

}  // namespace outpost
