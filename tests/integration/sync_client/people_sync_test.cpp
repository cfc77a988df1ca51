// IT's people admin reaching laptops, through a real outpost-server on loopback and real profiles:
// a disabled user's laptop is refused at once and keeps its work; a role change is taken at the next
// sync; a team move lets go of the old team's records (keeping unsettled work) and brings the new
// team's.
#include <doctest/doctest.h>

#include <set>

#include "outpost/client/session.h"
#include "outpost/core/error_codes.h"
#include "outpost/sync/profile.h"
#include "sync_harness.h"

using namespace outpost;
using namespace outpost::testing;
namespace fs = std::filesystem;

namespace {

constexpr const char* kPass = "correct horse battery";

struct Office {
    SyncServerHarness t;
    TempDir root;
    Office() {
        t.add_team("north");
        t.add_team("south");
        t.add_user("ann", "north", "worker");
        t.add_user("lee", "north", "lead");
        t.add_user("sam", "south", "worker");
    }
    std::unique_ptr<client::Session> laptop(const std::string& user) {
        if (!fs::exists(root.path() / user / "profile.json")) {
            auto code = t.storage->create_enrolment_code(user, 86'400'000, SystemClock::instance().now_ms());
            REQUIRE(code.is_ok());
            auto team = t.storage->user_team(user);
            REQUIRE(team.is_ok());
            StoreOptions so;
            so.kdf = KdfPolicy::kInteractiveFloor;
            auto info = sync::enrol_profile(
                root.path(), user, kPass,
                {.server_url = t.server->base_url(), .code = *code, .user = user, .team = *team}, "laptop", so);
            REQUIRE_MESSAGE(info.is_ok(), info.status().to_string());
        }
        auto s = client::Session::open(root.path(), user, kPass, SystemClock::instance(), {}, 8 * 1024);
        REQUIRE_MESSAGE(s.is_ok(), s.status().to_string());
        return std::move(*s);
    }
};

std::string write(client::Session& s, const std::string& household) {
    return s.with_records([&](records::RecordEngine& e) {
        auto r = e.create(s.actor(), "home_visit", home_visit(household));
        REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
        return r->id;
    });
}

void sync_ok(client::Session& s) {
    auto r = s.sync_now();
    REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
}

std::set<std::string> ids(client::Session& s) {
    return s.with_records([&](records::RecordEngine& e) {
        records::ListQuery q;
        q.limit = 500;
        auto page = e.list(q);
        REQUIRE(page.is_ok());
        std::set<std::string> out;
        for (const records::Record& r : page->records) {
            out.insert(r.id);
        }
        return out;
    });
}

std::int64_t now() {
    return SystemClock::instance().now_ms();
}

// The office with Ann's and Lee's laptops, each synced once.
struct AnnAndLeeSynced {
    Office o;
    std::unique_ptr<client::Session> ann = o.laptop("ann");
    std::unique_ptr<client::Session> lee = o.laptop("lee");
    AnnAndLeeSynced() {
        sync_ok(*ann);
        sync_ok(*lee);
    }
};

}  // namespace

TEST_CASE_FIXTURE(AnnAndLeeSynced,
                  "People: a disabled user's laptop is refused at once and keeps its work until enabled") {
    REQUIRE(o.t.storage->set_user_disabled("ann", true, now()).is_ok());
    const std::string kept = write(*ann, "Written while disabled");
    auto refused = ann->sync_now();
    REQUIRE_FALSE(refused.is_ok());
    CHECK(refused.status().code() == errc::kAuthDisabled);
    CHECK(*ann->waiting() > 0);
    sync_ok(*lee);  // the other laptop of the team is not touched
    CHECK(ids(*lee).count(kept) == 0);
    REQUIRE(o.t.storage->set_user_disabled("ann", false, now()).is_ok());
    sync_ok(*ann);
    CHECK(*ann->waiting() == 0);
    sync_ok(*lee);
    CHECK(ids(*lee).count(kept) == 1);
}

TEST_CASE_FIXTURE(AnnAndLeeSynced, "People: a role change takes effect at the laptop's next sync") {
    CHECK(ann->actor().role == "worker");
    CHECK(lee->actor().role == "lead");
    REQUIRE(o.t.storage->set_user_role("ann", "lead", now()).is_ok());
    REQUIRE(o.t.storage->set_user_role("lee", "worker", now()).is_ok());
    CHECK(ann->actor().role == "worker");  // not before the sync
    sync_ok(*ann);
    sync_ok(*lee);
    CHECK(ann->actor().role == "lead");  // a new lead gets the review queue
    CHECK(ann->sync_state().role == "lead");
    CHECK(lee->actor().role == "worker");  // a former lead loses it
    // Kept in the store: the next unlock starts with the new role.
    lee.reset();
    auto lee_again = o.laptop("lee");
    CHECK(lee_again->actor().role == "worker");  // before any sync
}

TEST_CASE("People: a team move lets go of the old team's records, keeps unsent work, and pulls the new team's") {
    Office o;
    auto ann = o.laptop("ann");
    auto lee = o.laptop("lee");
    auto sam = o.laptop("sam");
    const std::string anns = write(*ann, "North case by Ann");
    sync_ok(*ann);
    const std::string lees = write(*lee, "North case by Lee");
    sync_ok(*lee);
    const std::string sams = write(*sam, "South case by Sam");
    sync_ok(*sam);
    sync_ok(*ann);
    REQUIRE(ids(*ann) == std::set<std::string>{anns, lees});
    // Unsent work on a north case, then IT moves Ann to the south team.
    ann->with_records([&](records::RecordEngine& e) {
        REQUIRE(e.update(ann->actor(), lees, {{"household", std::string("Edited before the move")}}).is_ok());
    });
    REQUIRE(o.t.storage->move_user("ann", "south", now()).is_ok());
    sync_ok(*ann);
    CHECK(ann->actor().team == "south");
    const std::set<std::string> after = ids(*ann);
    CHECK(after.count(sams) == 1);  // the new team's
    CHECK(after.count(anns) == 0);  // the old team's, settled: let go
    CHECK(after.count(lees) == 1);  // unsent work stays until it is sent or refused
    ann->with_records([&](records::RecordEngine& e) {
        records::ListQuery q;
        q.search = "North case by Ann";  // its search row went with it
        auto found = e.list(q);
        REQUIRE(found.is_ok());
        CHECK(found->records.empty());
        q.search = "South case by Sam";
        found = e.list(q);
        REQUIRE(found.is_ok());
        CHECK(found->records.size() == 1);
        CHECK(e.history(anns)->empty());  // and its change log
    });
    auto refused = ann->refused();
    REQUIRE(refused.is_ok());
    REQUIRE_FALSE(refused->empty());
    CHECK(refused->front().record == lees);
    CHECK(refused->front().code == errc::kSyncScopeForbidden);
    // New work goes to the new team; the old team never sees it.
    const std::string fresh = write(*ann, "South case by Ann");
    sync_ok(*ann);
    sync_ok(*sam);
    CHECK(ids(*sam).count(fresh) == 1);
    sync_ok(*lee);
    CHECK(ids(*lee).count(fresh) == 0);
    CHECK(lee->with_records([&](records::RecordEngine& e) {
        auto r = e.get(lees);
        REQUIRE(r.is_ok());
        return std::get<std::string>(r->values.at("household"));
    }) == "North case by Lee");
}
