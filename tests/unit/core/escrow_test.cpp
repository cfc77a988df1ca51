// Escrow: a laptop's recovery code sealed to the service desk's key (core/store/escrow.h). Only the
// desk's secret key opens it, and the code it yields opens the laptop's store.
#include "outpost/core/store/escrow.h"

#include <doctest/doctest.h>

#include "outpost/core/store.h"
#include "store_helpers.h"
#include "temp_dir.h"

using namespace outpost;
using namespace outpost::store;
using namespace outpost::testing;

namespace {

constexpr const char* kPass = "correct horse battery staple";

// `text` with the hex digit at `at` changed to another hex digit.
std::string flip_hex(std::string text, std::size_t at) {
    text[at] = text[at] == '0' ? '1' : '0';
    return text;
}

}  // namespace

TEST_CASE("Escrow: the desk's key recovers a laptop's store; without it, nothing does") {
    TempDir tmp;
    const auto path = tmp / "outpost.db";
    StoreOptions o;
    o.kdf = KdfPolicy::kInteractiveFloor;
    Result<EscrowKeys> desk = make_escrow_keys();
    REQUIRE(desk.is_ok());
    CHECK(desk->public_hex.size() == 64);
    std::string sealed;
    {
        auto s = Store::create(path, kPass, o);
        REQUIRE_MESSAGE(s.is_ok(), s.status().to_string());
        REQUIRE((*s)->exec("CREATE TABLE t(id INTEGER PRIMARY KEY, doc TEXT NOT NULL);"
                           "INSERT INTO t(doc) VALUES('the Okafor family')")
                    .is_ok());
        Result<std::string> code = (*s)->add_recovery_code();
        REQUIRE(code.is_ok());
        Result<std::string> text = seal_recovery_code(*code, desk->public_hex);
        REQUIRE_MESSAGE(text.is_ok(), text.status().to_string());
        sealed = *text;
        CHECK(sealed.find(*code) == std::string::npos);  // the code is not in the file in clear
        CHECK(sealed.find("\"kind\":\"outpost-sealed-recovery\"") != std::string::npos);
        CHECK(sealed.find("\"escrow_key\":\"" + desk->public_hex + "\"") != std::string::npos);
        (*s)->lock();
    }

    SUBCASE("the desk's key file, read back, opens the code, and the code opens the store") {
        const std::string key_file = encode_escrow_key_file(*desk);
        Result<EscrowKeys> again = decode_escrow_key_file(key_file);
        REQUIRE_MESSAGE(again.is_ok(), again.status().to_string());
        CHECK(again->public_hex == desk->public_hex);
        Result<std::string> code = open_sealed_recovery(sealed, *again);
        REQUIRE_MESSAGE(code.is_ok(), code.status().to_string());
        auto s = Store::open_with_recovery_code(path, *code, o);
        REQUIRE_MESSAGE(s.is_ok(), s.status().to_string());
        CHECK(query_int((*s)->handle(), "SELECT count(*) FROM t WHERE doc = 'the Okafor family'") == 1);
    }
    SUBCASE("another desk's key opens nothing, even given this desk's public key") {
        Result<EscrowKeys> other = make_escrow_keys();
        REQUIRE(other.is_ok());
        CHECK(open_sealed_recovery(sealed, *other).status().code() == "store.escrow.open_failed");
        other->public_hex = desk->public_hex;  // claims to be the desk's key: the secret half decides
        CHECK(open_sealed_recovery(sealed, *other).status().code() == "store.escrow.open_failed");
    }
    SUBCASE("a tampered sealed file opens nothing") {
        const std::size_t at = sealed.find("\"sealed\":\"") + 10;
        for (std::size_t i : {at, at + 40, sealed.size() - 4}) {
            CHECK(open_sealed_recovery(flip_hex(sealed, i), *desk).status().code() == "store.escrow.open_failed");
        }
        CHECK(open_sealed_recovery(sealed.substr(0, sealed.size() - 10) + "\"}", *desk).status().code() ==
              "store.escrow.open_failed");
        CHECK(open_sealed_recovery("{}", *desk).status().code() == "store.escrow.open_failed");
        CHECK(open_sealed_recovery("not json", *desk).status().code() == "store.escrow.open_failed");
    }
    SUBCASE("a wrong code does not open the store, and changes nothing") {
        Result<std::string> code = open_sealed_recovery(sealed, *desk);
        REQUIRE(code.is_ok());
        std::string wrong = *code;
        wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
        CHECK(Store::open_with_recovery_code(path, wrong, o).status().code() == "store.recovery_code.wrong");
        CHECK(Store::open(path, kPass, o).is_ok());
        CHECK(Store::open_with_recovery_code(path, *code, o).is_ok());
    }
}

TEST_CASE("Escrow: a key file must be whole and its halves must belong together") {
    Result<EscrowKeys> a = make_escrow_keys();
    Result<EscrowKeys> b = make_escrow_keys();
    REQUIRE((a.is_ok() && b.is_ok()));
    CHECK(a->public_hex != b->public_hex);
    const std::string file = encode_escrow_key_file(*a);
    CHECK(file.find("\"kind\":\"outpost-escrow-key\"") != std::string::npos);
    CHECK(decode_escrow_key_file(file).is_ok());
    std::string mixed = file;
    mixed.replace(mixed.find(a->public_hex), 64, b->public_hex);
    CHECK(decode_escrow_key_file(mixed).status().code() == "store.escrow.key_invalid");
    CHECK(decode_escrow_key_file("{\"kind\":\"outpost-escrow-key\"}").status().code() == "store.escrow.key_invalid");
    CHECK(decode_escrow_key_file("").status().code() == "store.escrow.key_invalid");
    Result<std::string> sealed = seal_recovery_code("ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-23", a->public_hex);
    REQUIRE(sealed.is_ok());
    CHECK(decode_escrow_key_file(*sealed).status().code() == "store.escrow.key_invalid");  // not a key file
    CHECK(seal_recovery_code("ABCD", "12").status().code() == "store.escrow.key_invalid");
    CHECK(check_escrow_public_key(a->public_hex).is_ok());
    CHECK(check_escrow_public_key(a->public_hex.substr(1)).code() == "store.escrow.key_invalid");
    CHECK(check_escrow_public_key(std::string(64, 'g')).code() == "store.escrow.key_invalid");
}
