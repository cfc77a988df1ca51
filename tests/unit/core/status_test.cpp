#include "outpost/core/status.h"

#include <doctest/doctest.h>

#include <set>
#include <string>

#include "outpost/core/error_codes.h"

using outpost::Result;
using outpost::Status;
namespace errc = outpost::errc;

namespace {

Result<int> parse_positive(int v) {
    if (v <= 0) {
        return Status::error(errc::kInvalidArgument, "must be positive");
    }
    return v;
}

Status chain(int v) {
    OUTPOST_TRY(parse_positive(v).status());
    return Status::ok();
}

// A Result unwrapped in one line, and an OUTPOST_TRY inside a lambda inside another (which must
// compile under -Wshadow -Werror).
Result<int> doubled(int v) {
    Result<int> parsed = parse_positive(v);
    OUTPOST_TRY(parsed);
    OUTPOST_TRY([&]() -> Status {
        OUTPOST_TRY(parse_positive(*parsed - 1));
        return Status::ok();
    }());
    return *parsed * 2;
}

}  // namespace

TEST_CASE("Status: ok by default, error carries code and message") {
    Status ok;
    CHECK(ok.is_ok());
    CHECK(ok.code().empty());
    CHECK(ok.to_string() == "ok");

    Status bad = Status::error(errc::kStorePassphraseWrong, "try again");
    CHECK_FALSE(bad.is_ok());
    CHECK(bad.code() == "store.passphrase.wrong");
    CHECK(bad.is(errc::kStorePassphraseWrong));
    CHECK(bad.to_string() == "store.passphrase.wrong: try again");
    CHECK(bad.with_context("unlocking").message() == "unlocking: try again");
    CHECK(bad.with_context("unlocking").code() == "store.passphrase.wrong");
}

TEST_CASE("Status: an error with an empty code still fails") {
    Status s = Status::error("", "oops");
    CHECK_FALSE(s.is_ok());
    CHECK(s.code() == "core.internal.error");
}

TEST_CASE("Result: holds a value or a failed status") {
    Result<int> good = parse_positive(5);
    REQUIRE(good.is_ok());
    CHECK(*good == 5);
    CHECK(good.status().is_ok());

    Result<int> bad = parse_positive(-1);
    CHECK_FALSE(bad.is_ok());
    CHECK(bad.status().code() == "core.argument.invalid");
    CHECK(bad.value_or(7) == 7);
}

TEST_CASE("Status: OUTPOST_TRY returns the first failure") {
    CHECK(chain(3).is_ok());
    CHECK(chain(0).code() == "core.argument.invalid");
}

TEST_CASE("Status: OUTPOST_TRY unwraps a Result, and nests") {
    Result<int> four = doubled(2);
    REQUIRE(four.is_ok());
    CHECK(*four == 4);
    CHECK(doubled(0).status().code() == "core.argument.invalid");  // the outer unwrap
    CHECK(doubled(1).status().code() == "core.argument.invalid");  // the nested one
}

TEST_CASE("Error codes: every code is well formed, unique, and explained in plain words") {
    std::set<std::string_view> seen;
    for (const auto& info : errc::all_codes()) {
        INFO(std::string(info.code));
        CHECK(errc::is_well_formed(info.code));
        CHECK(seen.insert(info.code).second);
        CHECK(info.explanation.size() > 20);
        // A worker never sees a code inside the explanation.
        CHECK(info.explanation.find(info.code) == std::string_view::npos);
        CHECK(errc::explain(info.code) == info.explanation);
    }
    CHECK(seen.count("store.passphrase.wrong") == 1);
    CHECK(seen.count("store.page.tampered") == 1);
}

TEST_CASE("Error codes: shape check rejects malformed codes") {
    CHECK(errc::is_well_formed("store.passphrase.wrong"));
    CHECK(errc::is_well_formed("sync.push.value_too_large"));
    CHECK_FALSE(errc::is_well_formed("store.passphrase"));
    CHECK_FALSE(errc::is_well_formed("Store.passphrase.wrong"));
    CHECK_FALSE(errc::is_well_formed("store..wrong"));
    CHECK_FALSE(errc::is_well_formed("store.passphrase.wrong."));
    CHECK_FALSE(errc::is_well_formed("store.pass phrase.wrong"));
    CHECK_FALSE(errc::is_well_formed(""));
    CHECK(errc::explain("no.such.code").find("unexpected") != std::string_view::npos);
}
