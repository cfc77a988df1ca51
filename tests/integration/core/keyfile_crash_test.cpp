// Store: the key file is replaced atomically and durably. A child process changes the passphrase and
// is killed after each step of the key file's replacement (the temporary file created, written and
// flushed, renamed over the old one, the folder flushed), several times per step. After every kill
// exactly one of the old and the new passphrase opens the store, which one is right for the step,
// the database is whole, and a leftover temporary file does not stop the next change. The same code
// runs on Linux (SIGKILL) and on Windows under Wine (TerminateProcess).
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <chrono>
#include <string>
#include <thread>

#include "child_process.h"
#include "outpost/core/store.h"
#include "outpost/platform/os.h"
#include "outpost/platform/utf8.h"
#include "store_helpers.h"
#include "temp_dir.h"

using namespace outpost;
using namespace outpost::testing;

namespace {

constexpr const char* kOld = "old passphrase, the one she knew";
constexpr const char* kNew = "new passphrase, the one she chose";

os::ReplaceStep g_stop_at = os::ReplaceStep::kTempCreated;

// Encrypted, WAL, with libsodium's INTERACTIVE key derivation (the tests' floor).
StoreOptions options() {
    return options_for(all_store_modes().at(0));
}

// In the child: at the chosen step, tell the parent and wait to be killed.
void stop_here(os::ReplaceStep step) {
    if (step == g_stop_at) {
        report_ready();
        for (;;) {
            std::this_thread::sleep_for(std::chrono::seconds(1));
        }
    }
}

}  // namespace

OUTPOST_CHILD_ROLE(rekey) {
    // args: database path, step
    g_stop_at = static_cast<os::ReplaceStep>(std::stoi(args.at(1)));
    auto s = Store::open(path_from_utf8(args.at(0)), kOld, options());
    if (!s.is_ok()) {
        os::exit_now(3);
    }
    os::set_replace_step_hook(stop_here);
    (void)(*s)->change_passphrase(kOld, kNew);
    os::exit_now(4);  // the hook never returned at the step: the step was not reached
}

TEST_CASE("Store: a kill at any step of a passphrase change leaves the old or the new passphrase working") {
    constexpr int kRounds = 3;
    const std::pair<os::ReplaceStep, bool> steps[] = {
        // the step, and whether the new passphrase is the one in force after a kill there
        {os::ReplaceStep::kTempCreated, false},
        {os::ReplaceStep::kTempWritten, false},
        {os::ReplaceStep::kRenamed, true},
        {os::ReplaceStep::kFolderFlushed, true},
    };
    int kills = 0;
    for (const auto& [step, new_in_force] : steps) {
        for (int round = 0; round < kRounds; ++round) {
            CAPTURE(static_cast<int>(step));
            CAPTURE(round);
            TempDir tmp;
            const auto path = tmp / "case.db";
            {
                auto s = Store::create(path, kOld, options());
                REQUIRE(s.is_ok());
                REQUIRE((*s)->exec("CREATE TABLE t(x); INSERT INTO t VALUES('kept');").is_ok());
            }
            Child child = Child::start("rekey", {path_to_utf8(path), std::to_string(static_cast<int>(step))});
            child.wait_ready();
            child.kill();
            const os::ChildProcess::Exit exit = child.wait();
            REQUIRE(exit.killed);
            ++kills;

            auto with_old = Store::open(path, kOld, options());
            auto with_new = Store::open(path, kNew, options());
            CHECK(with_old.is_ok() != with_new.is_ok());  // exactly one works
            CHECK(with_new.is_ok() == new_in_force);
            auto& opened = with_new.is_ok() ? with_new : with_old;
            REQUIRE(opened.is_ok());
            CHECK(query_text((*opened)->handle(), "PRAGMA integrity_check") == "ok");
            CHECK(query_text((*opened)->handle(), "SELECT x FROM t") == "kept");
            // A temporary file left by the kill does not stop the next change.
            const char* current = with_new.is_ok() ? kNew : kOld;
            REQUIRE((*opened)->change_passphrase(current, "and a third passphrase after that").is_ok());
        }
    }
    CHECK(kills == 4 * kRounds);
}
