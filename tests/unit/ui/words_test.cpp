// Words: what the client says, in plain language.
#include "outpost/client/words.h"

#include <doctest/doctest.h>

#include <fstream>

#include "outpost/client/settings.h"
#include "outpost/core/error_codes.h"
#include "temp_dir.h"

using namespace outpost;
using namespace outpost::client;

TEST_CASE("Words: passphrase strength grows with length and variety, and common ones are weak") {
    CHECK(passphrase_strength("short").score == 0);
    CHECK(passphrase_strength("short").label == "Too short");
    CHECK(passphrase_strength("password").score == 1);
    CHECK(passphrase_strength("aaaaaaaaaaaa").score == 1);
    CHECK(passphrase_strength("blue kettle").score == 1);
    CHECK(passphrase_strength("Blue kettle 42!").score >= 2);
    CHECK(passphrase_strength("correct horse battery staple").score == 4);
    // Characters, not bytes: eight accented letters are long enough.
    CHECK(passphrase_strength("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9").score == 0);
    CHECK(passphrase_strength("\xc3\xa9\xc3\xa8\xc3\xaa\xc3\xab\xc3\xa9\xc3\xa8\xc3\xaa\xc3\xabz").score >= 1);
}

TEST_CASE("Words: times read as a person says them") {
    const std::int64_t now = 1'764'600'000'000;
    CHECK(relative_time(0, now) == "never");
    CHECK(relative_time(now - 10'000, now) == "just now");
    CHECK(relative_time(now - 70'000, now) == "a minute ago");
    CHECK(relative_time(now - 5 * 60'000, now) == "5 minutes ago");
    CHECK(relative_time(now - 3 * 86'400'000LL, now).find("2025") != std::string::npos);
}

TEST_CASE("Words: values, titles and problems in plain words") {
    CHECK(humanise("parent_or_carer") == "Parent or carer");
    CHECK(display_value(records::FieldValue{true}) == "Yes");
    CHECK(display_value(records::FieldValue{std::vector<std::string>{"child", "young_person"}}) ==
          "Child, Young person");
    CHECK(display_value(records::FieldValue{2.5}) == "2.5");
    CHECK(display_encoded(nullptr, "\"Bob's spelling\"") == "Bob's spelling");
    CHECK(problem_words(Status::error(errc::kStorePassphraseWrong, "x")).find("passphrase is not right") !=
          std::string::npos);
    CHECK(problem_words(Status::ok()).empty());
    // Never a bare code, even for one this build does not know.
    CHECK(problem_words(Status::error("some.new.code", "x")).find("some.new.code") == std::string::npos);
}

TEST_CASE("Settings: saved and loaded; bad values fall back to the defaults") {
    outpost::testing::TempDir tmp;
    UiSettings s;
    s.theme = Theme::kHighContrast;
    s.font_scale = 1.6F;
    s.auto_lock_minutes = 5;
    s.last_profile = "ann";
    REQUIRE(s.save(tmp / "settings.txt").is_ok());
    CHECK(UiSettings::load(tmp / "settings.txt") == s);
    { std::ofstream(tmp / "bad.txt") << "theme=purple\nfont_scale=9\nauto_lock_minutes=-3\ngarbage\n"; }
    const UiSettings bad = UiSettings::load(tmp / "bad.txt");
    CHECK(bad.theme == Theme::kDark);
    CHECK(bad.font_scale == doctest::Approx(2.0F));  // clamped
    CHECK(bad.auto_lock_minutes == 1);
    CHECK(UiSettings::load(tmp / "missing.txt") == UiSettings{});
}
