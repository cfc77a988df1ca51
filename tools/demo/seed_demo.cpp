// outpost-demo-seed: fills the demo team that `scripts/run` makes with invented, realistic work, so the
// first window a newcomer unlocks shows what Outpost does. Run once, on a fresh run-data folder, after
// both demo profiles are enrolled:
//   outpost-demo-seed --data-dir DIR --passphrase-file FILE --worker ann --lead lee
// It writes through the same records engine and sync engine as the field client, as the two people
// would: the worker's cases and ideas over the last three weeks (some edited later, so they have a
// history), the lead's own visits, then the lead's review (one idea accepted and shared to the practice
// library, one declined, one waiting for information, one under review with a comment thread, one
// untouched), and a last sync of the worker's laptop, where the decisions arrive. Everyone and
// everything in it is made up.
// Exit status: 0 done, 1 failed (the message on stderr), 2 usage.
#include <sodium.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "outpost/core/error_codes.h"
#include "outpost/core/records/engine.h"
#include "outpost/core/records/review.h"
#include "outpost/core/time_format.h"
#include "outpost/sync/profile.h"
#include "outpost/sync/sync_engine.h"

namespace {

using namespace outpost;
using records::Values;

// Time as the demo tells it: starts three weeks ago and moves on a few hours with each step.
class StoryClock final : public Clock {
public:
    explicit StoryClock(std::int64_t start_ms) : m_now(start_ms) {}
    [[nodiscard]] std::int64_t now_ms() const override { return m_now.load(); }
    void advance_hours(double h) { m_now += static_cast<std::int64_t>(h * 3'600'000.0); }

private:
    std::atomic<std::int64_t> m_now;
};

[[noreturn]] void die(const std::string& what, const Status& s) {
    std::cerr << "outpost-demo-seed: " << what << ": " << s.message() << " [" << s.code() << "]\n";
    std::exit(1);
}

// One demo person's laptop: profile store, records engine and sync engine, closed in order.
struct Laptop {
    std::unique_ptr<Store> store;
    std::unique_ptr<records::RecordEngine> records;
    std::unique_ptr<sync::Transport> transport;
    std::unique_ptr<BlobStore> blobs;
    sync::StoreMutex mutex;
    std::unique_ptr<sync::SyncEngine> engine;
    records::Actor me;

    Laptop(const std::filesystem::path& root, const std::string& name, const std::string& pass, const Clock& clock) {
        auto dir = sync::profile_dir(root, name);
        auto info = dir.is_ok() ? sync::read_profile_info(*dir) : Result<sync::ProfileInfo>(dir.status());
        if (!info.is_ok()) {
            die("profile " + name, info.status());
        }
        auto st = sync::open_profile_store(*dir, pass);
        if (!st.is_ok()) {
            die("unlocking " + name, st.status());
        }
        store = std::move(*st);
        auto schemas = sync::profile_schemas(*store);
        auto creds = sync::load_credentials(*store);
        auto t = sync::profile_transport(*dir, *info);
        if (!schemas.is_ok() || !creds.is_ok() || !t.is_ok()) {
            die("opening " + name, !schemas.is_ok() ? schemas.status() : !creds.is_ok() ? creds.status() : t.status());
        }
        transport = std::move(*t);
        me = {creds->user, creds->device_id, creds->role, creds->team};
        auto r = records::RecordEngine::open(*store, std::move(*schemas), clock);
        if (!r.is_ok()) {
            die("records of " + name, r.status());
        }
        records = std::move(*r);
        auto b = BlobStore::open(*store);
        if (!b.is_ok()) {
            die("attachments of " + name, b.status());
        }
        blobs = std::move(*b);
        auto e = sync::SyncEngine::open(*store, *records, *blobs, mutex, *transport, *creds, {}, clock);
        if (!e.is_ok()) {
            die("sync of " + name, e.status());
        }
        engine = std::move(*e);
    }
    ~Laptop() {
        engine.reset();
        records.reset();
        if (store) {
            store->lock();
        }
    }
    Laptop(const Laptop&) = delete;
    Laptop& operator=(const Laptop&) = delete;

    std::string create(const std::string& type, const Values& v) {
        std::vector<records::FieldError> errors;
        auto r = records->create(me, type, v, &errors);
        if (!r.is_ok()) {
            die("writing a " + type + (errors.empty() ? "" : " (" + errors.front().field + ")"), r.status());
        }
        return r->id;
    }
    void update(const std::string& id, const Values& v) {
        std::vector<records::FieldError> errors;
        auto r = records->update(me, id, v, &errors);
        if (!r.is_ok()) {
            die("changing " + id + (errors.empty() ? "" : " (" + errors.front().field + ")"), r.status());
        }
    }
    void sync() {
        auto s = engine->sync_now();
        if (!s.is_ok()) {
            die("syncing " + me.user, s.status());
        }
        if (s->rejected > 0) {
            std::string why;
            if (auto refused = engine->refused(); refused.is_ok()) {
                for (const auto& r : *refused) {
                    why += " " + r.field + ": " + r.message + " [" + r.code + "];";
                }
            }
            die("syncing " + me.user, Status::error(errc::kInternal, std::to_string(s->rejected) + " refused:" + why));
        }
    }
};

std::string iso(std::int64_t ms) {
    return iso_utc(ms);
}

std::string day(std::int64_t ms) {
    return iso_date_utc(ms);
}

using Strings = std::vector<std::string>;

}  // namespace

int main(int argc, char** argv) {
    std::string data_dir;
    std::string pass_file;
    std::string worker = "ann";
    std::string lead = "lee";
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--data-dir") {
            data_dir = argv[i + 1];
        } else if (a == "--passphrase-file") {
            pass_file = argv[i + 1];
        } else if (a == "--worker") {
            worker = argv[i + 1];
        } else if (a == "--lead") {
            lead = argv[i + 1];
        }
    }
    if (data_dir.empty() || pass_file.empty()) {
        std::cerr << "usage: outpost-demo-seed --data-dir DIR --passphrase-file FILE [--worker ann] [--lead lee]\n";
        return 2;
    }
    if (sodium_init() < 0) {
        return 1;
    }
    std::string pass;
    if (std::ifstream in(pass_file); !in || !std::getline(in, pass)) {
        std::cerr << "outpost-demo-seed: cannot read " << pass_file << "\n";
        return 1;
    }
    const std::filesystem::path root = std::filesystem::path(data_dir) / "profiles";
    StoryClock clock(SystemClock::instance().now_ms() - 21LL * 86'400'000);

    {
        Laptop ann(root, worker, pass, clock);
        // Three weeks of visits and inspections; some revisited later.
        auto t = [&](double h) {
            clock.advance_hours(h);
            return clock.now_ms();
        };
        const std::string okafor =
            ann.create("home_visit", {{"visit_date", day(t(2))},
                                      {"household", std::string("The Okafor family")},
                                      {"visit_type", std::string("planned")},
                                      {"people_seen", Strings{"parent_or_carer", "child"}},
                                      {"people_seen_notes", std::string("Mum and both children at home. The youngest "
                                                                        "had a cough; the GP appointment is booked.")},
                                      {"seen_alone", false},
                                      {"concerns_identified", false},
                                      {"home_conditions", std::string("adequate")},
                                      {"actions_agreed", std::string("Check the nursery place is confirmed.")},
                                      {"next_visit_date", day(clock.now_ms() + 14LL * 86'400'000)}});
        const std::string davies = ann.create(
            "home_visit", {{"visit_date", day(t(20))},
                           {"household", std::string("Mr Davies, Flat 4")},
                           {"visit_type", std::string("unannounced")},
                           {"people_seen", Strings{"adult_at_risk"}},
                           {"people_seen_notes", std::string("Mr Davies answered after a while. The flat was "
                                                             "cold and the fridge nearly empty.")},
                           {"seen_alone", true},
                           {"concerns_identified", true},
                           {"concerns", std::string("Self-neglect; heating not on in December.")},
                           {"home_conditions", std::string("poor")},
                           {"actions_agreed", std::string("Food parcel today; ask the energy team.")}});
        ann.create("inspection", {{"inspection_date", day(t(26))},
                                  {"premises_name", std::string("Corner Café, High Street")},
                                  {"premises_reference", std::string("FH-20391")},
                                  {"regime", std::string("food_hygiene")},
                                  {"inspection_type", std::string("programmed")},
                                  {"outcome", std::string("advice_given")},
                                  {"rating", std::int64_t{3}},
                                  {"findings", std::string("Clean kitchen. Fridge at 9°C: advised a new seal and a "
                                                           "daily log.")},
                                  {"samples_taken", false},
                                  {"follow_up_required", true},
                                  {"follow_up_date", day(clock.now_ms() + 28LL * 86'400'000)}});
        ann.create("safeguarding_concern", {{"raised_at", iso(t(30))},
                                            {"subject", std::string("Child J (Okafor household)")},
                                            {"subject_type", std::string("child")},
                                            {"category", Strings{"neglect"}},
                                            {"risk_level", std::string("medium")},
                                            {"description", std::string("School reports J arriving hungry three days "
                                                                        "this week.")},
                                            {"immediate_action", std::string("Spoke with mum, who agreed to a "
                                                                             "breakfast club place.")},
                                            {"referral_made", true},
                                            {"referral_to", std::string("mash")},
                                            {"referral_reference", std::string("MASH-4471")},
                                            {"manager_informed", true},
                                            {"linked_case", okafor}});
        ann.create("home_visit", {{"visit_date", day(t(44))},
                                  {"household", std::string("Ms Patel")},
                                  {"visit_type", std::string("follow_up")},
                                  {"people_seen", Strings{"parent_or_carer", "young_person"}},
                                  {"concerns_identified", false},
                                  {"home_conditions", std::string("good")}});
        ann.create("inspection", {{"inspection_date", day(t(50))},
                                  {"premises_name", std::string("Green Street Launderette")},
                                  {"regime", std::string("health_and_safety")},
                                  {"inspection_type", std::string("complaint")},
                                  {"outcome", std::string("written_warning")},
                                  {"findings", std::string("Blocked fire exit behind the dryers.")},
                                  {"follow_up_required", false}});
        ann.create("home_visit", {{"visit_date", day(t(70))},
                                  {"household", std::string("Teulu Jones, Llanelwy")},
                                  {"visit_type", std::string("joint_visit")},
                                  {"people_seen", Strings{"parent_or_carer", "professional"}},
                                  {"people_seen_notes", std::string("Visited with the health visitor. The family "
                                                                    "asked for letters in Welsh.")},
                                  {"concerns_identified", false}});
        ann.create("home_visit", {{"visit_date", day(t(30))},
                                  {"household", std::string("Mrs Kowalska")},
                                  {"visit_type", std::string("planned")},
                                  {"concerns_identified", false},
                                  {"home_conditions", std::string("adequate")}});
        // Later visits add to what was written: each case then has a history.
        ann.update(okafor, {{"actions_agreed", std::string("Nursery place confirmed from January. Review in a "
                                                           "month.")}});
        t(50);
        ann.update(davies, {{"home_conditions", std::string("adequate")},
                            {"actions_agreed", std::string("Heating repaired by the energy team; weekly call "
                                                           "from the neighbourhood scheme.")}});

        // Ideas, at every stage the lead will take them to.
        auto idea = [&](const std::string& title, const std::string& problem, const std::string& change,
                        const Strings& benefit, const std::string& category) {
            t(6);
            return ann.create("suggestion", {{"title", title},
                                             {"problem", problem},
                                             {"proposed_change", change},
                                             {"expected_benefit", benefit},
                                             {"category", category}});
        };
        idea("Text families the day before a planned visit",
             "Families are often out when we arrive, and a visit is wasted.",
             "A text from the office the afternoon before each planned visit.", {"time", "outcomes"}, "process");
        idea("One referral form for housing and social care",
             "The same family details are typed twice, into two forms that ask the same questions.",
             "A single referral form that both teams read.", {"time"}, "paperwork");
        idea("Laptop bags with a dry pocket for paperwork", "Consent forms get wet between the car and the door.",
             "Buy bags with a waterproof pocket.", {"experience"}, "other");
        idea("Shared calendar for joint visits with health visitors", "Joint visits take a week of emails to arrange.",
             "A calendar both teams can see, with free slots marked.", {"time", "outcomes"}, "partnership");
        idea("Leaflets in Welsh and Polish in the car", "Families ask for information in their own language.",
             "Keep a few printed leaflets in each language in every pool car.", {"experience"},
             "service_user_experience");
        ann.sync();
    }
    {
        Laptop lee(root, lead, pass, clock);
        lee.sync();  // the ideas arrive
        auto t = [&](double h) { clock.advance_hours(h); };
        t(20);
        lee.create("home_visit", {{"visit_date", day(clock.now_ms())},
                                  {"household", std::string("The Hughes family")},
                                  {"visit_type", std::string("planned")},
                                  {"concerns_identified", false}});
        lee.create("home_visit", {{"visit_date", day(clock.now_ms())},
                                  {"household", std::string("Mr Ahmed")},
                                  {"visit_type", std::string("follow_up")},
                                  {"concerns_identified", false}});
        // The review, as the lead does it.
        records::ListQuery q;
        q.type = "suggestion";
        q.limit = 100;
        auto page = lee.records->list(q);
        if (!page.is_ok()) {
            die("reading the ideas", page.status());
        }
        auto find = [&](const std::string& prefix) -> std::string {
            for (const records::Record& r : page->records) {
                if (records::text_of(r, "title").rfind(prefix, 0) == 0) {
                    return r.id;
                }
            }
            die("finding an idea", Status::error(errc::kInvalidArgument, "no idea titled " + prefix));
        };
        auto decide = [&](const std::string& id, const std::string& status, const std::string& note) {
            t(3);
            lee.update(id, {{"status", std::string("under_review")}});
            if (status == "under_review") {
                return;
            }
            Values v{{"status", status}, {"reviewed_by", lee.me.user}, {"reviewed_at", iso(clock.now_ms())}};
            if (!note.empty()) {
                v["decision_note"] = note;
            }
            lee.update(id, v);
        };
        const std::string text = find("Text families");
        decide(text, "accepted", "Yes. The office will text families from the rota, starting next month.");
        lee.update(text, {{"shared_to_library", true}});
        decide(find("Laptop bags"), "declined",
               "Not this year: the budget for equipment is spent. Plastic wallets are in the office meanwhile.");
        decide(find("Shared calendar"), "needs_info", "Which health visiting team, and how many visits a month?");
        const std::string referral = find("One referral form");
        decide(referral, "under_review", "");
        lee.create("comment", {{"suggestion", referral},
                               {"body", std::string("Good idea. I will ask housing whether they would use it.")}});
        const std::string leaflets = find("Leaflets in Welsh");
        if (auto e = lee.records->put(lee.me, records::endorsement_id(leaflets, lee.me.user), "endorsement",
                                      {{"suggestion", leaflets}});
            !e.is_ok()) {
            die("endorsing", e.status());
        }
        t(2);
        lee.create("suggestion", {{"title", std::string("Fortnightly fifteen-minute case huddles")},
                                  {"problem", std::string("Workers hear about each other's families only by chance.")},
                                  {"proposed_change", std::string("A short standing meeting every other Monday.")},
                                  {"expected_benefit", Strings{"outcomes", "safety"}},
                                  {"category", std::string("process")}});
        lee.sync();
    }
    {
        Laptop ann(root, worker, pass, clock);
        ann.sync();  // the decisions arrive, and the practice in the library
    }
    std::cout << "Demo team seeded: 10 cases, 6 ideas at every stage, a shared practice.\n";
    return 0;
}
