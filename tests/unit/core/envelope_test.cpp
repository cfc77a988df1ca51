#include "outpost/core/store/envelope.h"

#include <doctest/doctest.h>
#include <sodium.h>

#include <array>
#include <string>

using namespace outpost;
using namespace outpost::store;

namespace {

Envelope sample() {
    Envelope env;
    env.db_tag = {'O', 'P', 'S', 'T', 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    env.slots[0].kind = SlotKind::kPassphrase;
    env.slots[0].seq = 3;
    env.slots[0].kdf = kdf_floor();
    env.slots[0].salt[0] = 9;
    return env;
}

std::vector<std::uint8_t> with_trailer(std::vector<std::uint8_t> bytes) {
    crypto_generichash(bytes.data() + kEnvelopeSize - 32, 32, bytes.data(), kEnvelopeSize - 32, nullptr, 0);
    return bytes;
}

}  // namespace

TEST_CASE("Envelope: serialise and parse round-trip") {
    REQUIRE(sodium_init() >= 0);
    const Envelope env = sample();
    const auto bytes = serialize_envelope(env);
    CHECK(bytes.size() == kEnvelopeSize);
    auto back = parse_envelope(bytes);
    REQUIRE(back.is_ok());
    CHECK(*back == env);
    CHECK(live_passphrase_slot(*back) == 0);
}

TEST_CASE("Envelope: refuses damage with store.keyfile.corrupt") {
    const auto good = serialize_envelope(sample());
    auto flipped = good;
    flipped[100] ^= 1;
    CHECK(parse_envelope(flipped).status().code() == "store.keyfile.corrupt");
    CHECK(parse_envelope(std::vector<std::uint8_t>(good.begin(), good.begin() + 419)).status().code() ==
          "store.keyfile.corrupt");
    auto weak = sample();
    weak.slots[0].kdf.memlimit = 1024;  // below INTERACTIVE
    CHECK(parse_envelope(serialize_envelope(weak)).status().code() == "store.keyfile.corrupt");
    auto huge = sample();
    huge.slots[0].kdf.opslimit = 1'000'000;  // would hang the unlock
    CHECK(parse_envelope(serialize_envelope(huge)).status().code() == "store.keyfile.corrupt");
    auto none = sample();
    none.slots[0].kind = SlotKind::kEmpty;
    CHECK(parse_envelope(serialize_envelope(none)).status().code() == "store.keyfile.corrupt");
}

TEST_CASE("Envelope: regression fuzz-envelope-1 - non-zero slot padding is refused") {
    // Found by the envelope fuzzer: the three pad bytes after a slot's kind were skipped unchecked, so
    // a file with non-zero padding parsed but did not serialise back to the same bytes.
    auto bytes = serialize_envelope(sample());
    bytes[40 + 1] = 0x01;  // first slot, first pad byte
    auto parsed = parse_envelope(with_trailer(bytes));
    CHECK(parsed.status().code() == "store.keyfile.corrupt");
    CHECK(parsed.status().message().find("padding") != std::string::npos);
}

TEST_CASE("Envelope: wrap and unwrap, bound to the envelope and the slot") {
    Envelope env = sample();
    auto dek = SecureBuffer::create(kKeySize);
    auto kek = SecureBuffer::create(kKeySize);
    auto other = SecureBuffer::create(kKeySize);
    REQUIRE((dek.is_ok() && kek.is_ok() && other.is_ok()));
    randombytes_buf(dek->data(), kKeySize);
    randombytes_buf(kek->data(), kKeySize);
    randombytes_buf(other->data(), kKeySize);
    REQUIRE(wrap_slot(env, env.slots[0], *kek, *dek).is_ok());
    auto back = unwrap_slot(env, env.slots[0], *kek);
    REQUIRE(back.is_ok());
    CHECK(std::equal(back->bytes().begin(), back->bytes().end(), dek->bytes().begin()));
    CHECK(unwrap_slot(env, env.slots[0], *other).status().code() == "store.passphrase.wrong");
    Envelope moved = env;
    moved.db_tag[5] ^= 1;  // the same slot in another database's key file
    CHECK_FALSE(unwrap_slot(moved, moved.slots[0], *kek).is_ok());
    Envelope bumped = env;
    bumped.slots[0].seq += 1;  // tampered metadata
    CHECK_FALSE(unwrap_slot(bumped, bumped.slots[0], *kek).is_ok());
}

TEST_CASE("Envelope: Argon2id never goes below INTERACTIVE and calibrates to about 0.5-1 s") {
    const std::array<std::uint8_t, 16> salt{};
    auto c = derive_calibrated_kek("a long passphrase", salt);
    REQUIRE(c.is_ok());
    CHECK(c->kdf.opslimit >= kdf_floor().opslimit);
    CHECK(c->kdf.memlimit >= kdf_floor().memlimit);
    CHECK(c->kek.size() == kKeySize);
    // The same passphrase, salt and parameters derive the same key; another passphrase does not.
    auto again = derive_passphrase_kek("a long passphrase", salt, c->kdf);
    auto wrong = derive_passphrase_kek("a long passphrasf", salt, c->kdf);
    REQUIRE((again.is_ok() && wrong.is_ok()));
    CHECK(std::equal(again->bytes().begin(), again->bytes().end(), c->kek.bytes().begin()));
    CHECK_FALSE(std::equal(wrong->bytes().begin(), wrong->bytes().end(), c->kek.bytes().begin()));
    MESSAGE("calibrated: opslimit " << c->kdf.opslimit << ", memlimit " << (c->kdf.memlimit >> 20) << " MiB, "
                                    << c->took.count() << " ms");
}

TEST_CASE("Envelope: recovery codes format and parse forgivingly") {
    std::array<std::uint8_t, 16> secret{};
    for (std::size_t i = 0; i < secret.size(); ++i) {
        secret[i] = static_cast<std::uint8_t>(i * 37 + 11);
    }
    const std::string code = format_recovery_code(secret);
    CHECK(code.size() == 32);
    CHECK(code[4] == '-');
    auto parsed = parse_recovery_code(code);
    REQUIRE(parsed.is_ok());
    CHECK(std::equal(parsed->bytes().begin(), parsed->bytes().end(), secret.begin()));
    std::string sloppy;
    for (char c : code) {
        sloppy += c == '-' ? ' ' : static_cast<char>(std::tolower(c));
    }
    auto relaxed = parse_recovery_code(sloppy);
    REQUIRE(relaxed.is_ok());
    CHECK(std::equal(relaxed->bytes().begin(), relaxed->bytes().end(), secret.begin()));
    CHECK(parse_recovery_code("ABC").status().code() == "store.recovery_code.wrong");
    CHECK(parse_recovery_code(code + "7").status().code() == "store.recovery_code.wrong");
    CHECK(parse_recovery_code(std::string(26, 'U')).status().code() == "store.recovery_code.wrong");  // no U
}

TEST_CASE("Envelope: regression recovery-window-last-digit - a code differing only in its unused bits is refused") {
    // 26 digits carry 130 bits for 128: the last digit's two low bits are unused. A code ending in '0'
    // with '1' typed instead once opened the store.
    for (int low = 0; low < 8; ++low) {  // every value of the last digit's 3 bits
        std::array<std::uint8_t, 16> secret{};
        secret.fill(0x5A);
        secret[15] = static_cast<std::uint8_t>(0x58 | low);
        const std::string code = format_recovery_code(secret);
        const std::string_view digits = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
        int refused = 0;
        int same_secret = 0;
        for (char other : digits) {
            std::string typed = code;
            typed.back() = other;
            auto parsed = parse_recovery_code(typed);
            if (!parsed.is_ok()) {
                CHECK(parsed.status().code() == "store.recovery_code.wrong");
                ++refused;
            } else if (std::equal(parsed->bytes().begin(), parsed->bytes().end(), secret.begin())) {
                ++same_secret;
            }
        }
        CHECK(same_secret == 1);  // the code itself, and no other spelling of it
        CHECK(refused == 24);     // the last digits with an unused bit set; the other 7 are other codes
    }
}
