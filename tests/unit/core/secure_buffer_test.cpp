#include "outpost/core/secure_buffer.h"

#include <doctest/doctest.h>

#include <array>

using outpost::SecureBuffer;

TEST_CASE("SecureBuffer: zero-filled, copies bytes, wipes on demand") {
    auto b = SecureBuffer::create(32);
    REQUIRE(b.is_ok());
    CHECK(b->size() == 32);
    for (std::uint8_t byte : b->bytes()) {
        CHECK(byte == 0);
    }
    std::array<std::uint8_t, 4> key{1, 2, 3, 4};
    auto c = SecureBuffer::copy_of(key);
    REQUIRE(c.is_ok());
    CHECK(c->size() == 4);
    CHECK(c->data()[3] == 4);
    c->make_read_only();
    CHECK(c->data()[0] == 1);  // still readable
    c->wipe();
    CHECK(c->empty());
    CHECK(c->size() == 0);
}

TEST_CASE("SecureBuffer: move leaves the source empty") {
    auto b = SecureBuffer::create(16);
    REQUIRE(b.is_ok());
    SecureBuffer moved = std::move(*b);
    CHECK(moved.size() == 16);
    CHECK(b->empty());  // NOLINT(bugprone-use-after-move): the contract says empty
}

TEST_CASE("SecureBuffer: refuses a zero size") {
    auto b = SecureBuffer::create(0);
    CHECK_FALSE(b.is_ok());
    CHECK(b.status().code() == "core.argument.invalid");
}
