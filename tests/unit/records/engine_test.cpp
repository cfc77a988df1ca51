// RecordEngine on a real encrypted store: CRUD, validation, roles, history, search and keyset paging.
#include "outpost/core/records/engine.h"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <limits>
#include <map>
#include <random>
#include <set>

#include "fake_clock.h"
#include "outpost/core/error_codes.h"
#include "outpost/core/records/merge.h"
#include "store_helpers.h"
#include "temp_dir.h"

using namespace outpost;
using namespace outpost::records;
using outpost::testing::FakeClock;
using outpost::testing::TempDir;

namespace {

const Actor kWorker{"ann", "laptop-1", "worker", "team-a"};
const Actor kLead{"lee", "laptop-2", "lead", "team-a"};

struct Fixture {
    TempDir tmp;
    FakeClock clock{1'763'900'000'000};
    std::unique_ptr<Store> store;
    std::unique_ptr<RecordEngine> engine;

    explicit Fixture(bool encrypted = true) {
        StoreOptions o = outpost::testing::options_for(outpost::testing::all_store_modes()[encrypted ? 0 : 2]);
        auto s = Store::create(tmp / "profile.db", "correct horse battery staple", o);
        REQUIRE(s.is_ok());
        store = std::move(*s);
        auto schemas = load_schemas(OUTPOST_FORMS_DIR);
        REQUIRE(schemas.is_ok());
        auto e = RecordEngine::open(*store, *schemas, clock);
        REQUIRE(e.is_ok());
        engine = std::move(*e);
    }
    std::int64_t count(const char* sql) { return outpost::testing::query_int(store->handle(), sql); }
};

Values visit(const std::string& household, const std::string& date = "2026-11-20") {
    return {{"visit_date", date},
            {"household", household},
            {"visit_type", std::string("planned")},
            {"concerns_identified", false},
            {"people_seen", std::vector<std::string>{"parent_or_carer", "child"}}};
}

std::vector<std::string> error_codes(const std::vector<FieldError>& errors) {
    std::vector<std::string> out;
    for (const auto& e : errors) {
        out.push_back(e.field + ":" + e.code);
    }
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

TEST_CASE("Records: create, get and update a home visit; ids are UUIDv7") {
    Fixture f;
    auto r = f.engine->create(kWorker, "home_visit", visit("Family R"));
    REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
    CHECK(r->id.size() == 36);
    CHECK(r->id[14] == '7');
    CHECK(r->team == "team-a");
    auto got = f.engine->get(r->id);
    REQUIRE(got.is_ok());
    CHECK(got->values == visit("Family R"));
    f.clock.advance(1000);
    auto up = f.engine->update(kWorker, r->id,
                               {{"concerns_identified", true},
                                {"concerns", std::string("Damp in the kitchen")},
                                {"location", Location{51.5, -0.1, 12}}});
    REQUIRE_MESSAGE(up.is_ok(), up.status().to_string());
    got = f.engine->get(r->id);
    REQUIRE(got.is_ok());
    CHECK(std::get<std::string>(got->values.at("concerns")) == "Damp in the kitchen");
    CHECK(std::get<Location>(got->values.at("location")) == Location{51.5, -0.1, 12});
    CHECK(got->updated_ms == r->created_ms + 1000);
    // Clearing an optional field.
    REQUIRE(f.engine->update(kWorker, r->id, {{"location", std::monostate{}}}).is_ok());
    CHECK(f.engine->get(r->id)->values.count("location") == 0);
    CHECK(f.engine->get("00000000-0000-7000-8000-000000000000").status().code() == "record.lookup.not_found");
    CHECK(f.engine->create(kWorker, "no_such_form", {}).status().code() == "record.type.unknown");
}

TEST_CASE("Records: an invalid write returns every problem and changes nothing") {
    Fixture f;
    auto ok = f.engine->create(kWorker, "home_visit", visit("Family S"));
    REQUIRE(ok.is_ok());
    const auto records = f.count("SELECT count(*) FROM records");
    const auto changes = f.count("SELECT count(*) FROM changes");
    const auto fts = f.count("SELECT count(*) FROM records_fts");
    std::vector<FieldError> errors;
    Values bad = {{"visit_date", std::string("2026-02-30")},
                  {"visit_type", std::string("by phone")},
                  {"concerns_identified", true}};
    auto r = f.engine->create(kWorker, "home_visit", bad, &errors);
    CHECK(r.status().code() == "record.validation.failed");
    CHECK(error_codes(errors) ==
          std::vector<std::string>{"concerns:record.field.required", "household:record.field.required",
                                   "visit_date:record.field.bad_date", "visit_type:record.field.not_a_choice"});
    errors.clear();
    auto u = f.engine->update(kWorker, ok->id, {{"household", std::string(121, 'x')}}, &errors);
    CHECK(u.status().code() == "record.validation.failed");
    CHECK(error_codes(errors) == std::vector<std::string>{"household:record.field.too_long"});
    CHECK(f.count("SELECT count(*) FROM records") == records);
    CHECK(f.count("SELECT count(*) FROM changes") == changes);
    CHECK(f.count("SELECT count(*) FROM records_fts") == fts);
    CHECK(f.engine->get(ok->id)->values == visit("Family S"));
}

TEST_CASE("Records: only a lead may change a suggestion's review fields") {
    Fixture f;
    Values idea = {{"title", std::string("Shared calendar for visits")},
                   {"problem", std::string("Double-booked families")},
                   {"proposed_change", std::string("One team calendar")},
                   {"expected_benefit", std::vector<std::string>{"time"}},
                   {"category", std::string("process")}};
    auto s = f.engine->create(kWorker, "suggestion", idea);
    REQUIRE_MESSAGE(s.is_ok(), s.status().to_string());
    std::vector<FieldError> errors;
    auto w = f.engine->update(kWorker, s->id, {{"status", std::string("accepted")}}, &errors);
    CHECK(w.status().code() == "record.validation.failed");
    const std::vector<std::string> codes = error_codes(errors);
    CHECK(std::find(codes.begin(), codes.end(), "status:record.field.not_editable") != codes.end());
    REQUIRE(f.engine->update(kLead, s->id, {{"status", std::string("under_review")}}).is_ok());
    // Under review, the worker can still edit the fields that are theirs.
    CHECK(f.engine->update(kWorker, s->id, {{"benefit_notes", std::string("2 hours a week")}}).is_ok());
    auto l = f.engine->update(kLead, s->id,
                              {{"status", std::string("accepted")}, {"decision_note", std::string("Trial in Dec")}});
    REQUIRE_MESSAGE(l.is_ok(), l.status().to_string());
    CHECK(std::get<std::string>(f.engine->get(s->id)->values.at("status")) == "accepted");
    // Decided, it is the lead's: what was accepted stays what the lead saw.
    errors.clear();
    CHECK(f.engine->update(kWorker, s->id, {{"benefit_notes", std::string("3 hours")}}, &errors).status().code() ==
          "record.validation.failed");
    CHECK(error_codes(errors) == std::vector<std::string>{"benefit_notes:record.field.not_editable"});
    CHECK(f.engine->update(kLead, s->id, {{"benefit_notes", std::string("3 hours")}}).is_ok());
}

TEST_CASE("Records: a suggestion follows its lifecycle, and accepting or declining needs a decision note") {
    Fixture f;
    const Values idea = {{"title", std::string("Shared calendar for visits")},
                         {"problem", std::string("Double-booked families")},
                         {"proposed_change", std::string("One team calendar")},
                         {"expected_benefit", std::vector<std::string>{"time"}},
                         {"category", std::string("process")}};
    const std::vector<std::string> all = {"submitted", "under_review", "needs_info",
                                          "accepted",  "declined",     "implemented"};
    const std::map<std::string, std::set<std::string>> allowed = {
        {"submitted", {"under_review"}},
        {"under_review", {"needs_info", "accepted", "declined"}},
        {"needs_info", {"under_review"}},
        {"accepted", {"implemented"}},
        {"declined", {}},
        {"implemented", {}}};
    // The shortest path to each state, from a new suggestion.
    const std::map<std::string, std::vector<std::string>> path = {
        {"submitted", {}},
        {"under_review", {"under_review"}},
        {"needs_info", {"under_review", "needs_info"}},
        {"accepted", {"under_review", "accepted"}},
        {"declined", {"under_review", "declined"}},
        {"implemented", {"under_review", "accepted", "implemented"}}};
    const Values note = {{"decision_note", std::string("Agreed at the team meeting")}};
    for (const std::string& from : all) {
        for (const std::string& to : all) {
            if (from == to) {
                continue;
            }
            CAPTURE(from);
            CAPTURE(to);
            auto s = f.engine->create(kWorker, "suggestion", idea);
            REQUIRE(s.is_ok());
            for (const std::string& step : path.at(from)) {
                Values v = {{"status", step}};
                if (step == "accepted" || step == "declined") {
                    v.insert(note.begin(), note.end());
                }
                REQUIRE(f.engine->update(kLead, s->id, v).is_ok());
            }
            Values v = {{"status", to}};
            v.insert(note.begin(), note.end());
            std::vector<FieldError> errors;
            const bool ok = f.engine->update(kLead, s->id, v, &errors).is_ok();
            CHECK(ok == (allowed.at(from).count(to) == 1));
            if (!ok) {
                REQUIRE(errors.size() == 1);
                CHECK(errors[0].code == "record.field.transition");
                CHECK(errors[0].message.find("Status cannot go from") == 0);
            }
        }
    }
    // A decision note is needed to accept or to decline, and only then.
    auto s = f.engine->create(kWorker, "suggestion", idea);
    REQUIRE(f.engine->update(kLead, s->id, {{"status", std::string("under_review")}}).is_ok());
    for (const char* decision : {"accepted", "declined"}) {
        std::vector<FieldError> errors;
        CHECK_FALSE(f.engine->update(kLead, s->id, {{"status", std::string(decision)}}, &errors).is_ok());
        REQUIRE(errors.size() == 1);
        CHECK(errors[0].field == "decision_note");
        CHECK(errors[0].code == "record.field.required");
    }
    CHECK(f.engine->update(kLead, s->id, {{"status", std::string("needs_info")}}).is_ok());
}

TEST_CASE("Records: a deleted record leaves lists and search but keeps its history") {
    Fixture f;
    auto r = f.engine->create(kWorker, "home_visit", visit("Family T"));
    REQUIRE(r.is_ok());
    REQUIRE(f.engine->remove(kWorker, r->id).is_ok());
    auto page = f.engine->list({});
    REQUIRE(page.is_ok());
    CHECK(page->records.empty());
    CHECK(f.engine->list({.search = "Family"})->records.empty());
    CHECK(f.engine->get(r->id)->deleted);
    CHECK(f.engine->history(r->id)->back().field == "_deleted");
    CHECK(f.engine->update(kWorker, r->id, {{"household", std::string("x")}}).status().code() ==
          "record.lookup.not_found");
}

TEST_CASE("Records: after random writes the change log replays to the current state") {
    Fixture f(/*encrypted=*/false);
    std::mt19937 rng(42);
    std::vector<std::string> ids;
    for (int i = 0; i < 20; ++i) {
        ids.push_back(f.engine->create(kWorker, "home_visit", visit("H" + std::to_string(i)))->id);
    }
    const std::vector<std::string> texts = {"a", "bb", "ccc", "dddd"};
    for (int n = 0; n < 500; ++n) {
        f.clock.advance(static_cast<std::int64_t>(rng() % 3));  // often the same millisecond
        const std::string& id = ids[rng() % ids.size()];
        const Actor& who = rng() % 2 == 0 ? kWorker : kLead;
        Values ch;
        switch (rng() % 4) {
            case 0:
                ch = {{"household", texts[rng() % texts.size()] + std::to_string(n)}};
                break;
            case 1:
                ch = {{"actions_agreed", std::string("call back ") + std::to_string(n)}};
                break;
            case 2:
                ch = {{"home_conditions", std::string(rng() % 2 ? "good" : "poor")}};
                break;
            default:
                ch = {{"next_visit_date", std::monostate{}}};
        }
        REQUIRE(f.engine->update(who, id, ch).is_ok());
    }
    // The outbox view sees every change once, in order, in pages.
    std::vector<Change> outbox;
    for (std::int64_t after = 0;;) {
        auto batch = f.engine->changes_after(after, 64);
        REQUIRE(batch.is_ok());
        if (batch->empty()) {
            break;
        }
        outbox.insert(outbox.end(), batch->begin(), batch->end());
        after = batch->back().seq;
    }
    CHECK(static_cast<std::int64_t>(outbox.size()) == f.count("SELECT count(*) FROM changes"));
    CHECK(std::is_sorted(outbox.begin(), outbox.end(), [](const Change& a, const Change& b) { return a.seq < b.seq; }));
    CHECK(std::adjacent_find(outbox.begin(), outbox.end(),
                             [](const Change& a, const Change& b) { return a.seq == b.seq; }) == outbox.end());
    const Schema* schema = f.engine->schema("home_visit");
    for (const std::string& id : ids) {
        auto log = f.engine->history(id);
        REQUIRE(log.is_ok());
        std::map<std::string, FieldState> state;
        for (const Change& c : *log) {
            state[c.field] = merge(state[c.field], FieldVersion{c.value, {c.hlc, c.device}, c.base, c.author});
        }
        Values replayed;
        for (const auto& [field, st] : state) {
            CHECK(losers(st).empty());  // one device, sequential writes: never a conflict
            auto v = decode_value(schema->field(field)->kind, winner(st).value);
            REQUIRE(v.is_ok());
            if (!std::holds_alternative<std::monostate>(*v)) {
                replayed[field] = *v;
            }
        }
        CHECK(replayed == f.engine->get(id)->values);
    }
}

TEST_CASE("Records: full-text search matches a brute-force scan, and hostile queries are safe") {
    Fixture f(/*encrypted=*/false);
    std::mt19937 rng(7);
    const std::vector<std::string> vocab = {"damp",    "mould",   "kitchen", "school",  "referral", "carer",
                                            "benefit", "heating", "rent",    "arrears", "garden",   "stairs"};
    std::map<std::string, std::set<std::string>> words_of;  // id -> words in its text fields
    // The same token rule as FTS5's unicode61 tokenizer for ASCII: runs of letters and digits.
    auto add_words = [](std::set<std::string>& out, const std::string& text) {
        std::string cur;
        for (char c : text + " ") {
            if (std::isalnum(static_cast<unsigned char>(c)) != 0) {
                cur.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
            } else if (!cur.empty()) {
                out.insert(cur);
                cur.clear();
            }
        }
    };
    for (int i = 0; i < 300; ++i) {
        std::string notes;
        std::set<std::string> words = {"h" + std::to_string(i)};
        for (int w = 0; w < 4; ++w) {
            const std::string& word = vocab[rng() % vocab.size()];
            notes += word + (w % 2 ? ", " : " ");
            words.insert(word);
        }
        Values v = visit("h" + std::to_string(i));
        v["actions_agreed"] = notes;
        auto r = f.engine->create(kWorker, "home_visit", v);
        REQUIRE(r.is_ok());
        add_words(words, "planned parent_or_carer child");
        words_of[r->id] = words;
    }
    for (int q = 0; q < 200; ++q) {
        const std::string a = vocab[rng() % vocab.size()];
        const std::string b = vocab[rng() % vocab.size()];
        const std::string typed = q % 2 ? a + " " + b + " " : a + " " + b.substr(0, 3);  // second: still typing
        std::set<std::string> expected;
        for (const auto& [id, words] : words_of) {
            const bool has_a = words.count(a) != 0;
            const bool has_b =
                q % 2 ? words.count(b) != 0 : std::any_of(words.begin(), words.end(), [&](const std::string& w) {
                    return w.rfind(b.substr(0, 3), 0) == 0;
                });
            if (has_a && has_b) {
                expected.insert(id);
            }
        }
        std::set<std::string> got;
        ListQuery lq{.search = typed, .limit = 500};
        auto page = f.engine->list(lq);
        REQUIRE(page.is_ok());
        for (const Record& r : page->records) {
            got.insert(r.id);
        }
        CAPTURE(typed);
        CHECK(got == expected);
    }
    // Paging through a search returns every match exactly once, newest write first.
    for (const std::string& word : {std::string("damp"), std::string("kitchen heating")}) {
        std::set<std::string> expected;
        for (const auto& [id, words] : words_of) {
            bool all = true;
            std::set<std::string> q;
            add_words(q, word);
            for (const auto& w : q) {
                all = all && words.count(w) != 0;
            }
            if (all) {
                expected.insert(id);
            }
        }
        ListQuery pq{.search = word + " ", .limit = 7};
        std::vector<std::string> seen;
        std::int64_t last_updated = std::numeric_limits<std::int64_t>::max();
        for (int guard = 0; guard < 200; ++guard) {
            auto page = f.engine->list(pq);
            REQUIRE(page.is_ok());
            for (const Record& r : page->records) {
                seen.push_back(r.id);
                CHECK(r.updated_ms <= last_updated);
                last_updated = r.updated_ms;
            }
            if (!page->next) {
                break;
            }
            pq.after = page->next;
        }
        CAPTURE(word);
        CHECK(seen.size() == expected.size());
        CHECK(std::set<std::string>(seen.begin(), seen.end()) == expected);
    }
    // An edit moves a record to the front of a search, and a cursor from another list is refused.
    auto edited =
        f.engine->update(kWorker, words_of.begin()->first, {{"actions_agreed", std::string("zebra crossing")}});
    REQUIRE(edited.is_ok());
    auto zebra = f.engine->list({.search = "zebra"});
    REQUIRE(zebra.is_ok());
    REQUIRE(zebra->records.size() == 1);
    CHECK(zebra->records.front().id == words_of.begin()->first);
    ListQuery wrong{.search = "damp", .after = Cursor{"i:12", false, "x"}};
    CHECK(f.engine->list(wrong).status().code() == "core.argument.invalid");
    for (const char* hostile : {"\"", "\"\"", "'; DROP TABLE records; --", "NEAR(", "a OR", "* * *", "body:x",
                                "damp AND", "(((", "^", "\\", "damp\"kitchen", "-damp", "\xff\xfe", ""}) {
        CAPTURE(hostile);
        auto page = f.engine->list({.search = hostile, .limit = 500});
        REQUIRE(page.is_ok());
    }
    CHECK(f.count("SELECT count(*) FROM records") == 300);
    CHECK(fts_query("damp\"kitchen") == "\"damp\" \"kitchen\"*");
    CHECK(fts_query("'; DROP TABLE records; --") == "\"DROP\" \"TABLE\" \"records\"");
    CHECK(fts_query("***").empty());
}

TEST_CASE("Records: keyset paging returns every record exactly once under every sort") {
    Fixture f(/*encrypted=*/false);
    std::mt19937 rng(11);
    std::set<std::string> all;
    for (int i = 0; i < 137; ++i) {
        f.clock.advance(static_cast<std::int64_t>(rng() % 2));  // many ties on created/updated
        Values v = visit("hh" + std::to_string(rng() % 40), "2026-11-" + std::to_string(10 + rng() % 9));
        if (rng() % 3 != 0) {
            v["next_visit_date"] = "2026-12-0" + std::to_string(1 + rng() % 9);  // some records lack it
        }
        auto r = f.engine->create(kWorker, "home_visit", v);
        REQUIRE(r.is_ok());
        all.insert(r->id);
    }
    auto inspection = f.engine->create(kWorker, "inspection",
                                       {{"inspection_date", std::string("2026-11-01")},
                                        {"premises_name", std::string("Cafe")},
                                        {"regime", std::string("food_hygiene")},
                                        {"inspection_type", std::string("programmed")},
                                        {"outcome", std::string("satisfactory")},
                                        {"rating", std::int64_t{4}},
                                        {"findings", std::string("Clean")},
                                        {"follow_up_required", false}});
    REQUIRE_MESSAGE(inspection.is_ok(), inspection.status().to_string());
    all.insert(inspection->id);
    struct Sort {
        SortBy by;
        const char* field;
    };
    for (Sort s : {Sort{SortBy::kUpdated, ""}, Sort{SortBy::kCreated, ""}, Sort{SortBy::kField, "household"},
                   Sort{SortBy::kField, "visit_date"}, Sort{SortBy::kField, "next_visit_date"},
                   Sort{SortBy::kField, "rating"}}) {
        for (bool desc : {true, false}) {
            CAPTURE(s.field);
            CAPTURE(desc);
            ListQuery q{.sort = s.by, .sort_field = s.field, .descending = desc, .limit = 7};
            std::vector<std::string> seen;
            for (int guard = 0; guard < 100; ++guard) {
                auto page = f.engine->list(q);
                REQUIRE(page.is_ok());
                for (const Record& r : page->records) {
                    seen.push_back(r.id);
                }
                if (!page->next) {
                    break;
                }
                q.after = page->next;
            }
            CHECK(seen.size() == all.size());
            CHECK(std::set<std::string>(seen.begin(), seen.end()) == all);
        }
    }
    // Filters combine with paging.
    auto visits = f.engine->list({.type = "home_visit", .limit = 500});
    REQUIRE(visits.is_ok());
    CHECK(visits->records.size() == 137);
    CHECK(f.engine->list({.team = "team-b"})->records.empty());
}

TEST_CASE("Records: values round-trip through their canonical encoding, and bad encodings are refused") {
    struct Case {
        FieldKind kind;
        FieldValue value;
    };
    const Case cases[] = {{FieldKind::kText, std::string("plain")},
                          {FieldKind::kText, std::string("quote \" backslash \\ tab \t")},
                          {FieldKind::kLongText, std::string("line\nline \xC3\xA9")},
                          {FieldKind::kInteger, std::int64_t{-42}},
                          {FieldKind::kInteger, std::int64_t{9'007'199'254'740'993}},
                          {FieldKind::kDecimal, 3.25},
                          {FieldKind::kDecimal, std::int64_t{3}},
                          {FieldKind::kYesNo, false},
                          {FieldKind::kMultiChoice, std::vector<std::string>{"a", "b\"c"}},
                          {FieldKind::kLocation, Location{-33.86, 151.2, 4.5}},
                          {FieldKind::kDate, std::string("2026-11-23")}};
    for (const Case& c : cases) {
        const std::string enc = encode_value(c.value);
        CAPTURE(enc);
        auto back = decode_value(c.kind, enc);
        REQUIRE(back.is_ok());
        CHECK(*back == c.value);
    }
    for (const char* bad : {"-", "", "[", "\"unterminated", "1e999999", "{\"lat\":1}", "tru"}) {
        CAPTURE(bad);
        CHECK_FALSE(decode_value(FieldKind::kInteger, bad).is_ok());
    }
    CHECK(decode_value(FieldKind::kYesNo, "1").status().code() == "record.field.wrong_kind");
}

namespace {

Change pulled(const std::string& record, const std::string& field, const std::string& value, std::uint64_t hlc_ms,
              const std::string& device = "laptop-9", const std::string& author = "kim") {
    return {0, record, "home_visit", "team-a", field, value, Hlc{hlc_ms << 16}, device, Hlc{}, author, 0};
}

std::vector<std::string> history_values(RecordEngine& e, const std::string& id, const std::string& field) {
    std::vector<std::string> out;
    auto h = e.history(id);
    REQUIRE(h.is_ok());
    for (const auto& c : *h) {
        if (c.field == field) {
            out.push_back(c.value);
        }
    }
    return out;
}

}  // namespace

TEST_CASE("Records: a pulled version lives in the heads, and joins the log when something displaces it") {
    Fixture f;
    const std::string id = make_uuid_v7(1'763'900'000'000);
    std::vector<Change> first;
    std::uint64_t ms = 1'763'900'000'100;
    for (const auto& [field, v] : visit("A")) {
        first.push_back(pulled(id, field, encode_value(v), ms++));
    }
    auto a = f.engine->apply_remote(first);
    REQUIRE(a.is_ok());
    CHECK(a->applied == 5);
    CHECK(f.count("SELECT count(*) FROM changes") == 0);  // a first sync copies no history rows
    CHECK(history_values(*f.engine, id, "household") == std::vector<std::string>{"\"A\""});
    CHECK(f.engine->get(id)->created_by == "kim");

    // A newer pulled version displaces A, which moves to the log.
    auto displaced = f.engine->apply_remote({pulled(id, "household", "\"B\"", 1'763'900'000'200)});
    REQUIRE_MESSAGE(displaced.is_ok(), displaced.status().to_string());
    CHECK(f.count("SELECT count(*) FROM changes") == 1);
    CHECK(history_values(*f.engine, id, "household") == std::vector<std::string>{"\"A\"", "\"B\""});

    // An older one is history only; the same one again changes nothing.
    auto old = f.engine->apply_remote(
        {pulled(id, "household", "\"OLD\"", 1'763'900'000'150), pulled(id, "household", "\"B\"", 1'763'900'000'200)});
    REQUIRE(old.is_ok());
    CHECK(old->applied == 0);
    CHECK(old->superseded == 2);
    CHECK(std::get<std::string>(f.engine->get(id)->values.at("household")) == "B");
    CHECK(history_values(*f.engine, id, "household") == std::vector<std::string>{"\"A\"", "\"OLD\"", "\"B\""});

    // A local edit over a pulled head logs the head first; the outbox holds only the local write.
    f.clock.advance(1000);
    REQUIRE(f.engine->update(kWorker, id, {{"household", std::string("C")}}).is_ok());
    CHECK(history_values(*f.engine, id, "household") == std::vector<std::string>{"\"A\"", "\"OLD\"", "\"B\"", "\"C\""});
    auto outbox = f.engine->outbox_after(kWorker.device, 0, 100);
    REQUIRE(outbox.is_ok());
    REQUIRE(outbox->size() == 1);
    CHECK(outbox->front().value == "\"C\"");
    CHECK(outbox->front().base == Hlc{1'763'900'000'200ULL << 16});
    auto heads = f.engine->heads(id);
    REQUIRE(heads.is_ok());
    CHECK(find_head(*heads, "household")->logged);
    CHECK_FALSE(find_head(*heads, "visit_date")->logged);
}

TEST_CASE("Records: the clock is restored from pulled versions that are only in the heads") {
    TempDir tmp;
    FakeClock clock{1'763'900'000'000};
    auto schemas = load_schemas(OUTPOST_FORMS_DIR);
    REQUIRE(schemas.is_ok());
    const std::uint64_t ahead_ms = 1'763'900'000'000 + 60'000;
    {
        auto s = Store::create(tmp / "p.db", "correct horse battery staple",
                               outpost::testing::options_for(outpost::testing::all_store_modes()[0]));
        REQUIRE(s.is_ok());
        auto e = RecordEngine::open(**s, *schemas, clock);
        REQUIRE(e.is_ok());
        REQUIRE((*e)->apply_remote({pulled(make_uuid_v7(1), "household", "\"A\"", ahead_ms)}).is_ok());
        (*e).reset();
        (*s)->lock();
    }
    auto s = Store::open(tmp / "p.db", "correct horse battery staple");
    REQUIRE(s.is_ok());
    auto e = RecordEngine::open(**s, *schemas, clock);
    REQUIRE(e.is_ok());
    auto rec = (*e)->create(kWorker, "home_visit", visit("after a restart"));
    REQUIRE(rec.is_ok());
    auto h = (*e)->history(rec->id);
    REQUIRE(h.is_ok());
    CHECK(h->front().hlc.ms() >= ahead_ms);  // never stamps below a version it has already seen
    (*e).reset();
    (*s)->lock();
}

TEST_CASE("Records: the clock goes on from this laptop's last write after a restart, even a backward one") {
    TempDir tmp;
    auto schemas = load_schemas(OUTPOST_FORMS_DIR);
    REQUIRE(schemas.is_ok());
    const StoreOptions options = outpost::testing::options_for(outpost::testing::all_store_modes()[0]);
    FakeClock clock{1'763'900'000'000};
    Hlc last;
    {
        auto s = Store::create(tmp / "p.db", "correct horse battery staple", options);
        REQUIRE(s.is_ok());
        auto e = RecordEngine::open(**s, *schemas, clock);
        REQUIRE(e.is_ok());
        auto rec = (*e)->create(kWorker, "home_visit", visit("before the restart"));
        REQUIRE(rec.is_ok());
        last = (*e)->history(rec->id)->back().hlc;
        (*e).reset();
        (*s)->lock();
    }
    auto reopen_and_write = [&](const char* name) {
        auto s = Store::open(tmp / "p.db", "correct horse battery staple", options);
        REQUIRE(s.is_ok());
        auto e = RecordEngine::open(**s, *schemas, clock);
        REQUIRE(e.is_ok());
        auto rec = (*e)->create(kWorker, "home_visit", visit(name));
        REQUIRE(rec.is_ok());
        const Hlc next = (*e)->history(rec->id)->front().hlc;
        (*e).reset();
        (*s)->lock();
        return next;
    };
    clock.set(1'763'900'000'000 - 3'600'000);  // the laptop's clock went back an hour
    const Hlc after = reopen_and_write("after the restart");
    CHECK(after > last);
    // A store written before the clock was kept in engine_meta: it is found from the log, once.
    {
        auto s = Store::open(tmp / "p.db", "correct horse battery staple", options);
        REQUIRE(s.is_ok());
        REQUIRE((*s)->exec("DELETE FROM engine_meta WHERE key = 'local_hlc'").is_ok());
        (*s)->lock();
    }
    CHECK(reopen_and_write("an old store") > after);
}

TEST_CASE("Records: a store in the per-field layout moves to heads when opened, keeping values and history") {
    Fixture f;
    f.engine.reset();
    // The session-1 layout: one row per field in field_values, no heads column, and (like every
    // store before issue #9) no schema version.
    REQUIRE(f.store
                ->exec("DELETE FROM outpost_store_meta WHERE key = 'schema.records';"
                       "DROP TABLE records; DROP TABLE engine_meta; CREATE TABLE records("
                       "rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, team TEXT NOT NULL,"
                       "created_by TEXT NOT NULL, created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL,"
                       "deleted INTEGER NOT NULL DEFAULT 0, fts_rowid INTEGER);"
                       "CREATE TABLE field_values(rid INTEGER NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL,"
                       " sort_value, hlc INTEGER NOT NULL, device TEXT NOT NULL, base INTEGER NOT NULL,"
                       " author TEXT NOT NULL, PRIMARY KEY(rid, field)) WITHOUT ROWID;"
                       "INSERT INTO records VALUES(1, 'r-1', 'home_visit', 'team-a', 'ann', 5, 6, 0, NULL);"
                       "INSERT INTO field_values VALUES(1, 'household', '\"Old layout\"', 'Old layout', 7, 'd1', 0,"
                       " 'ann'), (1, 'visit_date', '\"2026-01-02\"', '2026-01-02', 8, 'd1', 0, 'ann'),"
                       " (1, 'visit_type', '\"planned\"', 'planned', 8, 'd1', 0, 'ann'),"
                       " (1, 'concerns_identified', 'false', 0, 8, 'd1', 0, 'ann');"
                       "INSERT INTO changes(record, type, team, field, value, hlc, device, base, author, at_ms)"
                       " VALUES('r-1', 'home_visit', 'team-a', 'household', '\"Old layout\"', 7, 'd1', 0, 'ann', 5),"
                       " ('r-1', 'home_visit', 'team-a', 'visit_date', '\"2026-01-02\"', 8, 'd1', 0, 'ann', 5)")
                .is_ok());
    auto schemas = load_schemas(OUTPOST_FORMS_DIR);
    auto e = RecordEngine::open(*f.store, *schemas, f.clock);
    REQUIRE(e.is_ok());
    CHECK(f.count("SELECT count(*) FROM sqlite_master WHERE name = 'field_values'") == 0);
    auto rec = (*e)->get("r-1");
    REQUIRE(rec.is_ok());
    CHECK(std::get<std::string>(rec->values.at("household")) == "Old layout");
    auto h = (*e)->history("r-1");
    REQUIRE(h.is_ok());
    CHECK(h->size() == 2);  // the log already held both versions: nothing doubled
    std::vector<FieldError> problems;
    auto updated = (*e)->update(kWorker, "r-1", {{"household", std::string("New")}}, &problems);
    for (const auto& problem : problems) {
        MESSAGE(std::string(problem.field + ": " + problem.code));
    }
    REQUIRE(updated.is_ok());
    CHECK((*e)->history("r-1")->size() == 3);
}

TEST_CASE("Records: sorting by a field walks that field's own index") {
    Fixture f;
    for (int i = 0; i < 20; ++i) {
        REQUIRE(f.engine->create(kWorker, "home_visit", visit("House " + std::to_string(i % 7))).is_ok());
    }
    ListQuery q;
    q.sort = SortBy::kField;
    q.sort_field = "household";
    q.descending = false;
    auto page = f.engine->list(q);
    REQUIRE(page.is_ok());
    CHECK(f.count("SELECT count(*) FROM sqlite_master WHERE name = 'records_sort_household'") == 1);
    std::string plan;
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(f.store->handle(),
                               "EXPLAIN QUERY PLAN SELECT r.id FROM records r WHERE r.deleted = 0 "
                               "ORDER BY outpost_sort(r.heads, 'household'), r.id LIMIT 5",
                               -1, &st, nullptr) == SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
        plan += reinterpret_cast<const char*>(sqlite3_column_text(st, 3));
        plan += " | ";
    }
    sqlite3_finalize(st);
    MESSAGE(plan);
    CHECK(plan.find("records_sort_household") != std::string::npos);
    q.sort_field = "household'; DROP TABLE records; --";
    CHECK(f.engine->list(q).status().code() == errc::kInvalidArgument);
}

TEST_CASE("Records: the fast list reader agrees with the full JSON reader, and refuses what it refuses") {
    using List = std::vector<std::string>;
    auto list = [](std::string_view text) -> std::optional<List> {
        auto v = decode_value(FieldKind::kMultiChoice, text);
        if (!v.is_ok()) {
            return std::nullopt;
        }
        return std::get<List>(*v);
    };
    CHECK(list(R"(["a","b"])") == List{"a", "b"});
    CHECK(list(R"([ "a" , "b" ])") == List{"a", "b"});  // not canonical: the full reader takes it
    CHECK(list(R"(["a\"b"])") == List{"a\"b"});
    CHECK(list("[]") == List{});
    CHECK(list(R"([""])") == List{""});
    CHECK_FALSE(list(R"(["a",])").has_value());
    CHECK_FALSE(list(R"(["a""b"])").has_value());
    CHECK_FALSE(list(R"(["a",1])").has_value());
    CHECK_FALSE(list(R"(["a")").has_value());
    CHECK_FALSE(list(R"([")").has_value());
    CHECK(encode_value(FieldValue{List{"x", "y z"}}) == R"(["x","y z"])");
}

TEST_CASE("Records: search under another sort finds an edited record (regression: rid compared to the search rowid)") {
    Fixture f;
    std::vector<std::string> ids;
    for (const char* name : {"Alpha house", "Beta house", "Gamma house", "Delta house"}) {
        ids.push_back(f.engine->create(kWorker, "home_visit", visit(name))->id);
        f.clock.advance(10);
    }
    REQUIRE(f.engine->update(kWorker, ids[0], {{"household", std::string("Zebra crossing")}}).is_ok());
    REQUIRE(f.engine->update(kWorker, ids[2], {{"household", std::string("Gamma zebra")}}).is_ok());
    for (SortBy sort : {SortBy::kCreated, SortBy::kField, SortBy::kUpdated}) {
        for (bool descending : {false, true}) {
            ListQuery q;
            q.search = "zebra";
            q.sort = sort;
            q.sort_field = "household";
            q.descending = descending;
            auto page = f.engine->list(q);
            REQUIRE(page.is_ok());
            std::set<std::string> got;
            for (const auto& r : page->records) {
                got.insert(r.id);
            }
            CHECK(got == std::set<std::string>{ids[0], ids[2]});
            q.search = "alpha";
            CHECK(f.engine->list(q)->records.empty());  // the old text left the index
        }
    }
}

TEST_CASE("Records: the search index follows edits, pulls and deletions exactly, and is rebuilt when forms change") {
    Fixture f;
    std::mt19937 rng(21);
    const std::vector<std::string> vocab = {"damp",     "mould",   "kitchen", "school",
                                            "referral", "heating", "rent",    "stairs"};
    std::map<std::string, std::string> text_of;  // live record id -> its actions_agreed words
    std::set<std::string> deleted;
    auto words = [&] {
        std::string s;
        for (int w = 0; w < 3; ++w) {
            s += vocab[rng() % vocab.size()] + " ";
        }
        return s;
    };
    std::uint64_t remote_ms = 1'763'900'000'000;
    for (int step = 0; step < 400; ++step) {
        f.clock.advance(3);
        const int op = static_cast<int>(rng() % 5);
        if (op == 0 || text_of.empty()) {
            Values v = visit("n" + std::to_string(step));
            const std::string t = words();
            v["actions_agreed"] = t;
            text_of[f.engine->create(kWorker, "home_visit", v)->id] = t;
        } else {
            auto it = text_of.begin();
            std::advance(it, static_cast<long>(rng() % text_of.size()));
            const std::string id = it->first;
            const std::string t = words();
            if (op == 1) {
                REQUIRE(f.engine->update(kWorker, id, {{"actions_agreed", t}}).is_ok());
                it->second = t;
            } else if (op == 2) {  // a newer pulled version
                remote_ms += 1'000'000;
                Change c{0,
                         id,
                         "home_visit",
                         "team-a",
                         "actions_agreed",
                         encode_value(FieldValue{t}),
                         Hlc{remote_ms << 16},
                         "laptop-9",
                         Hlc{},
                         "kim",
                         0};
                REQUIRE(f.engine->apply_remote({c}).is_ok());
                it->second = t;
            } else if (op == 3) {  // an older pulled version: no change to the text
                Change c{0,
                         id,
                         "home_visit",
                         "team-a",
                         "actions_agreed",
                         "\"ignored old words\"",
                         Hlc{1ULL << 16},
                         "laptop-9",
                         Hlc{},
                         "kim",
                         0};
                REQUIRE(f.engine->apply_remote({c}).is_ok());
            } else {
                REQUIRE(f.engine->remove(kWorker, id).is_ok());
                deleted.insert(id);
                text_of.erase(it);
            }
        }
    }
    auto check_index = [&](RecordEngine& e) {
        for (const std::string& w : vocab) {
            std::set<std::string> expected;
            for (const auto& [id, t] : text_of) {
                if (t.find(w) != std::string::npos) {
                    expected.insert(id);
                }
            }
            std::set<std::string> got;
            ListQuery q{.search = w + " ", .limit = 500};
            for (;;) {
                auto page = e.list(q);
                REQUIRE(page.is_ok());
                for (const auto& r : page->records) {
                    got.insert(r.id);
                }
                if (!page->next) {
                    break;
                }
                q.after = page->next;
            }
            CAPTURE(w);
            CHECK(got == expected);
            // The index itself holds no stale rows: replaced text was taken out, not just hidden.
            const std::string raw = "SELECT count(*) FROM records_fts WHERE records_fts MATCH '" + w + "'";
            CHECK(outpost::testing::query_int(f.store->handle(), raw.c_str()) ==
                  static_cast<std::int64_t>(expected.size()));
        }
        ListQuery old{.search = "ignored", .limit = 500};
        CHECK(e.list(old)->records.empty());
        CHECK(f.store->exec("INSERT INTO records_fts(records_fts, rank) VALUES('integrity-check', 0)").is_ok());
    };
    check_index(*f.engine);
    CHECK(deleted.size() > 10);

    // New forms change what is searchable: the index is rebuilt on open, with the same answers.
    auto schemas = load_schemas(OUTPOST_FORMS_DIR);
    REQUIRE(schemas.is_ok());
    f.engine.reset();
    auto extra = *schemas;
    Schema note = extra.front();
    note.type = "site_note";
    extra.push_back(note);
    auto e2 = RecordEngine::open(*f.store, extra, f.clock);
    REQUIRE(e2.is_ok());
    check_index(**e2);
    e2->reset();
    // A store whose index still holds its own copy of the text (the session-2 layout) is moved over.
    REQUIRE(f.store
                ->exec("DROP TABLE records_fts; CREATE VIRTUAL TABLE records_fts USING fts5(body, "
                       "tokenize='unicode61 remove_diacritics 2')")
                .is_ok());
    auto e3 = RecordEngine::open(*f.store, *schemas, f.clock);
    REQUIRE(e3.is_ok());
    CHECK(outpost::testing::query_text(f.store->handle(), "SELECT sql FROM sqlite_master WHERE name = 'records_fts'")
              .find("content=''") != std::string::npos);
    check_index(**e3);
}

TEST_CASE("Records: a pull touching one record in two runs keeps the search index whole (regression: FTS5 corrupt)") {
    Fixture f;
    const std::string a = f.engine->create(kWorker, "home_visit", visit("Alder house"))->id;
    const std::string b = f.engine->create(kWorker, "home_visit", visit("Birch house"))->id;
    const std::uint64_t ms = 1'763'900'100'000;
    auto text = [&](const std::string& id, const std::string& v, std::uint64_t at) {
        return Change{
            0,          id,    "home_visit", "team-a", "household", encode_value(FieldValue{v}), Hlc{at << 16},
            "laptop-9", Hlc{}, "kim",        0};
    };
    // A, B, A: the same record in two runs of one page.
    auto r = f.engine->apply_remote(
        {text(a, "Cedar house", ms), text(b, "Damson house", ms + 1), text(a, "Elm house", ms + 2)});
    REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
    CHECK(f.count("SELECT count(*) FROM records_fts WHERE records_fts MATCH 'elm'") == 1);
    CHECK(f.count("SELECT count(*) FROM records_fts WHERE records_fts MATCH 'cedar'") == 0);
    CHECK(f.count("SELECT count(*) FROM records_fts WHERE records_fts MATCH 'alder'") == 0);
    CHECK(f.count("SELECT count(*) FROM records_fts WHERE records_fts MATCH 'house'") == 2);
    CHECK(f.store->exec("INSERT INTO records_fts(records_fts, rank) VALUES('integrity-check', 0)").is_ok());
}
