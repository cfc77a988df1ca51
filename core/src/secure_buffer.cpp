#include "outpost/core/secure_buffer.h"

#include <sodium.h>

#include <cstring>
#include <utility>

#include "outpost/core/error_codes.h"

namespace outpost {
namespace {

bool sodium_ready() {
    static const bool ready = sodium_init() >= 0;
    return ready;
}

}  // namespace

SecureBuffer::~SecureBuffer() {
    wipe();
}

SecureBuffer::SecureBuffer(SecureBuffer&& other) noexcept
    : m_data(std::exchange(other.m_data, nullptr)), m_size(std::exchange(other.m_size, 0)) {
}

SecureBuffer& SecureBuffer::operator=(SecureBuffer&& other) noexcept {
    if (this != &other) {
        wipe();
        m_data = std::exchange(other.m_data, nullptr);
        m_size = std::exchange(other.m_size, 0);
    }
    return *this;
}

Result<SecureBuffer> SecureBuffer::create(std::size_t size) {
    if (size == 0) {
        return Status::error(errc::kInvalidArgument, "secure buffer of size 0");
    }
    if (!sodium_ready()) {
        return Status::error(errc::kInternal, "libsodium failed to initialise");
    }
    void* p = sodium_malloc(size);
    if (p == nullptr) {
        return Status::error(errc::kInternal, "cannot allocate secure memory");
    }
    std::memset(p, 0, size);
    SecureBuffer b;
    b.m_data = static_cast<std::uint8_t*>(p);
    b.m_size = size;
    return b;
}

Result<SecureBuffer> SecureBuffer::copy_of(std::span<const std::uint8_t> bytes) {
    Result<SecureBuffer> b = create(bytes.empty() ? 1 : bytes.size());
    if (!b.is_ok()) {
        return b;
    }
    if (!bytes.empty()) {
        std::memcpy(b->data(), bytes.data(), bytes.size());
    }
    return b;
}

void SecureBuffer::make_read_only() {
    if (m_data != nullptr) {
        sodium_mprotect_readonly(m_data);
    }
}

void SecureBuffer::make_writable() {
    if (m_data != nullptr) {
        sodium_mprotect_readwrite(m_data);
    }
}

void SecureBuffer::wipe() {
    if (m_data != nullptr) {
        sodium_mprotect_readwrite(m_data);
        sodium_free(m_data);  // zeroes before releasing
        m_data = nullptr;
        m_size = 0;
    }
}

}  // namespace outpost
