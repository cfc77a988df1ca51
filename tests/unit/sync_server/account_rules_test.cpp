// The account rules both storage back ends share (sync/server/src/account_rules.h): names, roles,
// enrolment codes, new devices, and the codes of the refusals.
#include "account_rules.h"

#include <doctest/doctest.h>

#include "outpost/core/error_codes.h"

namespace errc = outpost::errc;
namespace accounts = outpost::sync::accounts;

TEST_CASE("AccountRules: one name rule for teams and people") {
    for (const char* good : {"north", "a", "ann.lee", "team_2", "x-y", "0day"}) {
        CHECK_MESSAGE(accounts::valid_name(good), good);
        CHECK(accounts::check_team(good).is_ok());
    }
    for (const char* bad : {"", ".", "..", "-rf", ".hidden", "_x", "a/b", "Ann", "ann lee", "é"}) {
        CHECK_FALSE_MESSAGE(accounts::valid_name(bad), bad);
        CHECK(accounts::check_team(bad).code() == errc::kAccountInvalid);
    }
    CHECK(accounts::valid_name(std::string(64, 'a')));
    CHECK_FALSE(accounts::valid_name(std::string(65, 'a')));
}

TEST_CASE("AccountRules: a user needs a valid name and one of the three roles") {
    for (std::string_view role : {outpost::sync::kRoleWorker, outpost::sync::kRoleLead, outpost::sync::kRoleAdmin}) {
        CHECK(accounts::valid_role(role));
        CHECK(accounts::check_user("ann", role).is_ok());
    }
    CHECK(accounts::check_user("ann", "boss").code() == errc::kAccountInvalid);
    CHECK(accounts::check_user("ann", "Lead").code() == errc::kAccountInvalid);
    CHECK(accounts::check_user("..", "worker").code() == errc::kAccountInvalid);
}

TEST_CASE("AccountRules: a code is refused once used, then once expired") {
    CHECK(accounts::check_code(false, 1001, 1000).is_ok());
    CHECK(accounts::check_code(false, 1000, 1000).code() == errc::kEnrolCodeExpired);
    CHECK(accounts::check_code(true, 1001, 1000).code() == errc::kEnrolCodeUsed);
    CHECK(accounts::check_code(true, 999, 1000).code() == errc::kEnrolCodeUsed);
    CHECK(accounts::no_such_code().code() == errc::kEnrolCodeInvalid);
}

TEST_CASE("AccountRules: codes read off paper hash alike however they are typed") {
    const std::string code = accounts::new_enrolment_code();
    REQUIRE(code.size() == 19);
    CHECK(code[4] == '-');
    CHECK(code[9] == '-');
    CHECK(code[14] == '-');
    CHECK(code.find_first_of("ILOU") == std::string::npos);
    CHECK(accounts::normalise_code("abcd-efgh ijkl-mnop") == "ABCDEFGH1JK1MN0P");
    CHECK(accounts::code_hash("il0o-abcd") == accounts::code_hash("1100ABCD"));
    CHECK(accounts::code_hash(code) != accounts::code_hash(accounts::new_enrolment_code()));
    CHECK(accounts::secret_hash("token").size() == 32);
}

TEST_CASE("AccountRules: a new device gets a fresh id and token, and its name as stored") {
    const auto a = accounts::new_device("ann", "north", "worker", std::string(200, 'x'));
    const auto b = accounts::new_device("ann", "north", "worker", "laptop");
    CHECK(a.enrolment.device_id.rfind("dev-", 0) == 0);
    CHECK(a.enrolment.device_id.size() == 4 + 16);
    CHECK(a.enrolment.token.size() == 64);
    CHECK(a.enrolment.device_id != b.enrolment.device_id);
    CHECK(a.enrolment.token != b.enrolment.token);
    CHECK(a.enrolment.user == "ann");
    CHECK(a.enrolment.team == "north");
    CHECK(a.enrolment.role == "worker");
    CHECK(a.stored_name == std::string(128, 'x'));
    CHECK(b.stored_name == "laptop");
}

TEST_CASE("AccountRules: every refusal carries its stable code") {
    CHECK(accounts::team_exists("north").code() == errc::kAccountExists);
    CHECK(accounts::user_exists("ann").code() == errc::kAccountExists);
    CHECK(accounts::no_team("south").code() == errc::kAccountMissing);
    CHECK(accounts::no_user("bob").code() == errc::kAccountMissing);
    CHECK(accounts::no_device("dev-1").code() == errc::kAccountMissing);
    CHECK(accounts::already_revoked("dev-1").code() == errc::kDeviceAlreadyRevoked);
    CHECK(accounts::unknown_token().code() == errc::kAuthInvalid);
    CHECK(accounts::revoked("dev-1").code() == errc::kAuthRevoked);
    CHECK(accounts::no_team("south").message() == "no team 'south'");
}
