// Push, pull and schemas through a real server on 127.0.0.1: idempotency, scope and roles, the clock
// bound, conflict records, bad input. (Enrolment codes: enrol_test.cpp.)
#include <doctest/doctest.h>
#include <httplib.h>

#include <map>
#include <set>

#include "outpost/core/error_codes.h"
#include "outpost/core/json.h"
#include "outpost/core/records/hlc.h"
#include "outpost/sync/sync_service.h"
#include "sync_harness.h"

using namespace outpost;
using namespace outpost::sync;
using outpost::testing::SyncServerHarness;

namespace {

struct Fixture : SyncServerHarness {
    Credentials ann, bob, lee, zed;  // ann, bob: workers of team a; lee: lead of team a; zed: worker of team b
    std::unique_ptr<httplib::Client> http;
    Fixture() {
        add_team("a");
        add_team("b");
        add_user("ann", "a", "worker");
        add_user("bob", "a", "worker");
        add_user("lee", "a", "lead");
        add_user("zed", "b", "worker");
        ann = enrol("ann");
        bob = enrol("bob");
        lee = enrol("lee");
        zed = enrol("zed");
        http = std::make_unique<httplib::Client>("127.0.0.1", server->port());
    }
    httplib::Result post(const std::string& path, const std::string& body, const std::string& token) {
        httplib::Headers h;
        if (!token.empty()) {
            h.emplace("Authorization", "Bearer " + token);
        }
        return http->Post(path, h, body, "application/json");
    }
    httplib::Result get(const std::string& path, const std::string& token, httplib::Headers h = {}) {
        if (!token.empty()) {
            h.emplace("Authorization", "Bearer " + token);
        }
        return http->Get(path, h);
    }
    PushResponse push_ok(const Credentials& who, const PushRequest& req) {
        auto res = post("/v1/push", encode(req), who.token);
        REQUIRE(res);
        REQUIRE(res->status == 200);
        auto out = decode_push_response(res->body);
        REQUIRE(out.is_ok());
        return *out;
    }
    PullResponse pull_all(const Credentials& who) {
        PullResponse all;
        std::string cursor;
        for (;;) {
            auto res = get("/v1/pull?limit=3" + (cursor.empty() ? "" : "&cursor=" + cursor), who.token);
            REQUIRE(res);
            REQUIRE(res->status == 200);
            auto page = decode_pull_response(res->body);
            REQUIRE(page.is_ok());
            all.changes.insert(all.changes.end(), page->changes.begin(), page->changes.end());
            cursor = page->cursor;
            all.cursor = cursor;
            if (!page->more) {
                return all;
            }
        }
    }
};

std::string now_hlc(std::int64_t offset_ms = 0, std::uint16_t counter = 0) {
    return records::Hlc::from(static_cast<std::uint64_t>(SystemClock::instance().now_ms() + offset_ms), counter)
        .to_string();
}
const std::string kZero = records::Hlc{}.to_string();

WireChange change(std::int64_t seq, const std::string& record, const std::string& field, const std::string& value,
                  const std::string& hlc, const std::string& base = kZero, const std::string& team = "a",
                  const std::string& type = "home_visit") {
    WireChange c;
    c.seq = seq;
    c.record = record;
    c.type = type;
    c.team = team;
    c.field = field;
    c.value = value;
    c.hlc = hlc;
    c.base = base;
    return c;
}

PushRequest batch(const Credentials& who, std::vector<WireChange> changes) {
    PushRequest r;
    r.device_id = who.device_id;
    r.from_seq = changes.empty() ? 1 : changes.front().seq;
    r.to_seq = changes.empty() ? 0 : changes.back().seq;
    r.changes = std::move(changes);
    return r;
}

std::string code_of(const httplib::Result& r) {
    return decode_error(r->body).code();
}

}  // namespace

TEST_CASE("Push: the same batch sent three times is applied once, with identical answers") {
    Fixture f;
    const PushRequest req = batch(f.ann, {change(1, "r1", "household", "\"Smith\"", now_hlc(0, 1)),
                                          change(2, "r1", "visit_type", "\"planned\"", now_hlc(0, 2)),
                                          change(3, "r1", "no_such_field", "\"x\"", now_hlc(0, 3))});
    const PushResponse first = f.push_ok(f.ann, req);
    REQUIRE(first.results.size() == 3);
    CHECK(first.results[0].outcome == ChangeOutcome::kApplied);
    CHECK(first.results[1].outcome == ChangeOutcome::kApplied);
    CHECK(first.results[2].outcome == ChangeOutcome::kRejected);
    CHECK(first.results[2].code == errc::kFieldUnknown);
    CHECK(f.push_ok(f.ann, req) == first);
    CHECK(f.push_ok(f.ann, req) == first);
    auto logged = f.storage->logged_changes(f.ann.device_id);
    REQUIRE(logged.is_ok());
    CHECK(*logged == 2);
    CHECK(f.pull_all(f.bob).changes.size() == 2);
}

TEST_CASE("Push: a rejected change never blocks the changes behind it") {
    Fixture f;
    const PushResponse out =
        f.push_ok(f.ann, batch(f.ann, {change(1, "r1", "visit_type", "\"not-a-choice\"", now_hlc(0, 1)),
                                       change(2, "r1", "household", "42", now_hlc(0, 2)),
                                       change(3, "r1", "household", "\"Jones\"", now_hlc(0, 3))}));
    REQUIRE(out.results.size() == 3);
    CHECK(out.results[0].code == errc::kFieldNotAChoice);
    CHECK(out.results[1].code == errc::kFieldWrongKind);
    CHECK(out.results[2].outcome == ChangeOutcome::kApplied);
    CHECK_FALSE(out.results[0].message.empty());
}

TEST_CASE("Push: scope and roles are enforced field by field, and nothing refused leaks into a pull") {
    Fixture f;
    // zed (team b) creates a record in b; ann (team a) may neither write it nor write into team b.
    REQUIRE(f.push_ok(f.zed, batch(f.zed, {change(1, "rb", "household", "\"B house\"", now_hlc(0, 1), kZero, "b")}))
                .results[0]
                .outcome == ChangeOutcome::kApplied);
    const PushResponse cross = f.push_ok(
        f.ann,
        batch(f.ann, {change(1, "rb", "household", "\"hijack\"", now_hlc(0, 5), kZero, "b"),
                      change(2, "rb", "household", "\"hijack\"", now_hlc(0, 6), kZero, "a"),
                      change(3, "s1", "status", "\"accepted\"", now_hlc(0, 7), kZero, "a", "suggestion"),
                      change(4, "s1", "title", "\"Fewer forms please\"", now_hlc(0, 8), kZero, "a", "suggestion")}));
    CHECK(cross.results[0].code == errc::kSyncScopeForbidden);
    CHECK(cross.results[1].code == errc::kSyncScopeForbidden);
    CHECK(cross.results[2].code == errc::kFieldNotEditable);
    CHECK(cross.results[3].outcome == ChangeOutcome::kApplied);
    // The lead may set the review field (its first step: under review).
    CHECK(f.push_ok(f.lee, batch(f.lee, {change(1, "s1", "status", "\"under_review\"", now_hlc(0, 9), kZero, "a",
                                                "suggestion")}))
              .results[0]
              .outcome == ChangeOutcome::kApplied);
    // What zed pulls is team b's only; what bob pulls is team a's, with no hijack and the lead's status.
    for (const WireChange& c : f.pull_all(f.zed).changes) {
        CHECK(c.team == "b");
    }
    const PullResponse a = f.pull_all(f.bob);
    bool saw_status = false;
    for (const WireChange& c : a.changes) {
        CHECK(c.team == "a");
        CHECK(c.value != "\"hijack\"");
        if (c.field == "status") {
            CHECK(c.author == "lee");
            saw_status = true;
        }
    }
    CHECK(saw_status);
    auto audit = f.storage->audit_log(50);
    REQUIRE(audit.is_ok());
    int refused = 0;
    for (const auto& e : *audit) {
        refused += e.event == "change.refused" ? 1 : 0;
    }
    CHECK(refused == 3);
}

TEST_CASE("Push: a timestamp two days in the future is refused with record.clock.ahead") {
    Fixture f;
    const PushResponse out =
        f.push_ok(f.ann, batch(f.ann, {change(1, "r1", "household", "\"Later\"", now_hlc(2 * 86'400'000)),
                                       change(2, "r1", "household", "\"Now\"", now_hlc(0, 1))}));
    CHECK(out.results[0].code == errc::kRecordClockAhead);
    CHECK(out.results[1].outcome == ChangeOutcome::kApplied);
    for (const WireChange& c : f.pull_all(f.bob).changes) {
        CHECK(c.value != "\"Later\"");
    }
}

TEST_CASE("Push: no token, a bad token, a revoked device and another device's batch are refused") {
    Fixture f;
    const std::string body = encode(batch(f.ann, {change(1, "r1", "household", "\"x\"", now_hlc())}));
    auto none = f.post("/v1/push", body, "");
    REQUIRE(none);
    CHECK(none->status == 401);
    CHECK(code_of(none) == errc::kAuthMissing);
    auto bad = f.post("/v1/push", body, "not-a-token");
    REQUIRE(bad);
    CHECK(bad->status == 401);
    CHECK(code_of(bad) == errc::kAuthInvalid);
    auto other = f.post("/v1/push", body, f.bob.token);
    REQUIRE(other);
    CHECK(other->status == 403);
    CHECK(code_of(other) == errc::kSyncDeviceMismatch);
    REQUIRE(f.storage->revoke_device(f.ann.device_id, 1).is_ok());
    auto revoked = f.post("/v1/push", body, f.ann.token);
    REQUIRE(revoked);
    CHECK(revoked->status == 403);
    CHECK(code_of(revoked) == errc::kAuthRevoked);
    auto revoked_pull = f.get("/v1/pull", f.ann.token);
    REQUIRE(revoked_pull);
    CHECK(code_of(revoked_pull) == errc::kAuthRevoked);
    auto logged = f.storage->logged_changes(f.ann.device_id);
    REQUIRE(logged.is_ok());
    CHECK(*logged == 0);
}

TEST_CASE("Push: concurrent writes to one field keep both values in a conflict record for the team") {
    Fixture f;
    const auto ms = static_cast<std::uint64_t>(SystemClock::instance().now_ms());
    auto at = [ms](std::uint16_t counter) { return records::Hlc::from(ms, counter).to_string(); };
    const std::string t0 = at(1);
    REQUIRE(f.push_ok(f.ann, batch(f.ann, {change(1, "r1", "household", "\"Original\"", t0)})).results[0].outcome ==
            ChangeOutcome::kApplied);
    // Both saw "Original" (base t0) and wrote different values.
    CHECK(f.push_ok(f.ann, batch(f.ann, {change(2, "r1", "household", "\"Ann's\"", at(5), t0)})).results[0].outcome ==
          ChangeOutcome::kApplied);
    CHECK(f.push_ok(f.bob, batch(f.bob, {change(1, "r1", "household", "\"Bob's\"", at(3), t0)})).results[0].outcome ==
          ChangeOutcome::kConflict);
    // A write that saw both resolves it without a new conflict.
    CHECK(
        f.push_ok(f.lee, batch(f.lee, {change(1, "r1", "household", "\"Agreed\"", at(9), at(8))})).results[0].outcome ==
        ChangeOutcome::kApplied);
    std::map<std::string, std::map<std::string, std::string>> conflicts;
    for (const WireChange& c : f.pull_all(f.zed).changes) {
        CHECK(c.type != "conflict");  // another team never sees it
    }
    for (const WireChange& c : f.pull_all(f.lee).changes) {
        if (c.type == "conflict") {
            CHECK(c.device == kServerDevice);
            conflicts[c.record][c.field] = c.value;
        }
    }
    REQUIRE(conflicts.size() == 1);
    auto& fields = conflicts.begin()->second;
    CHECK(fields["record"] == "\"r1\"");
    CHECK(fields["field"] == "\"household\"");
    CHECK(fields["kept_value"] == records::encode_value(std::string("\"Ann's\"")));
    CHECK(fields["kept_author"] == "\"ann\"");
    CHECK(fields["other_value"] == records::encode_value(std::string("\"Bob's\"")));
    CHECK(fields["other_author"] == "\"bob\"");
    CHECK(fields["status"] == "\"open\"");
}

TEST_CASE("Pull: pages with a cursor, skips the device's own writes, and refuses a forged cursor") {
    Fixture f;
    std::vector<WireChange> cs;
    for (int i = 1; i <= 7; ++i) {
        cs.push_back(
            change(i, "r" + std::to_string(i), "household", "\"H\"", now_hlc(0, static_cast<std::uint16_t>(i))));
    }
    f.push_ok(f.ann, batch(f.ann, cs));
    // The device's own 7 writes are skipped in one request, even with a page of 3.
    auto own = f.get("/v1/pull?limit=3", f.ann.token);
    REQUIRE(own);
    auto own_page = decode_pull_response(own->body);
    REQUIRE(own_page.is_ok());
    CHECK(own_page->changes.empty());
    CHECK_FALSE(own_page->more);
    CHECK(own_page->cursor != "0");
    const PullResponse all = f.pull_all(f.bob);
    CHECK(all.changes.size() == 7);
    for (std::size_t i = 1; i < all.changes.size(); ++i) {
        CHECK(all.changes[i].seq > all.changes[i - 1].seq);
    }
    // Nothing new after the final cursor.
    auto again = f.get("/v1/pull?cursor=" + all.cursor, f.bob.token);
    REQUIRE(again);
    auto page = decode_pull_response(again->body);
    REQUIRE(page.is_ok());
    CHECK(page->changes.empty());
    CHECK_FALSE(page->more);
    for (const char* bad : {"abc", "-5", "12x", "99999999999999999999999"}) {
        auto r = f.get(std::string("/v1/pull?cursor=") + bad, f.bob.token);
        REQUIRE(r);
        CHECK(r->status == 400);
        CHECK(code_of(r) == errc::kSyncCursorInvalid);
    }
    auto zero_limit = f.get("/v1/pull?limit=0", f.bob.token);
    REQUIRE(zero_limit);
    CHECK(zero_limit->status == 400);
}

TEST_CASE("Schemas: served with an ETag, and 304 when the device already has them") {
    Fixture f;
    auto res = f.get("/v1/schemas", f.ann.token);
    REQUIRE(res);
    CHECK(res->status == 200);
    const std::string etag = res->get_header_value("ETag");
    CHECK(etag.size() > 8);
    CHECK(res->body.find("\"home_visit\"") != std::string::npos);
    CHECK(res->body.find("\"conflict\"") != std::string::npos);
    auto same = f.get("/v1/schemas", f.ann.token, {{"If-None-Match", etag}});
    REQUIRE(same);
    CHECK(same->status == 304);
    auto anon = f.get("/v1/schemas", "");
    REQUIRE(anon);
    CHECK(anon->status == 401);
}

TEST_CASE("Push: bad input gets a clear 4xx with a code, and the server keeps serving") {
    Fixture f;
    const std::string huge(100'000, 'x');
    std::string deep(10'000, '[');
    deep += std::string(10'000, ']');
    std::vector<WireChange> too_many;
    for (int i = 1; i <= static_cast<int>(kMaxPushBatch) + 1; ++i) {
        too_many.push_back(change(i, "r", "household", "\"x\"", now_hlc(0, static_cast<std::uint16_t>(i))));
    }
    struct Case {
        const char* name;
        std::string body;
        int status;
        std::string_view code;
    };
    const std::vector<Case> cases = {
        {"malformed JSON", "{\"device_id\":", 400, errc::kProtocolMalformed},
        {"wrong types", R"({"device_id":5,"from_seq":"1","to_seq":1,"changes":[]})", 400, errc::kProtocolMalformed},
        {"unknown field", R"({"device_id":"d","from_seq":1,"to_seq":1,"changes":[],"admin":true})", 400,
         errc::kProtocolMalformed},
        {"nesting 10,000 deep", deep, 400, errc::kProtocolMalformed},
        {"a huge value", encode(batch(f.ann, {change(1, "r1", "household", "\"" + huge + "\"", now_hlc())})), 422,
         errc::kSyncValueTooLarge},
        {"too many changes", encode(batch(f.ann, too_many)), 413, errc::kSyncBatchTooLarge},
        {"a body over the limit", std::string(9U * 1024U * 1024U, ' '), 413, errc::kSyncBodyTooLarge},
        {"seqs out of order",
         encode(batch(f.ann, {change(2, "r1", "household", "\"a\"", now_hlc()),
                              change(1, "r1", "household", "\"b\"", now_hlc())})),
         400, errc::kProtocolMalformed},
    };
    for (const Case& c : cases) {
        CAPTURE(c.name);
        auto res = f.post("/v1/push", c.body, f.ann.token);
        REQUIRE(res);
        CHECK(res->status == c.status);
        CHECK(code_of(res) == c.code);
        auto next = f.get("/v1/pull", f.ann.token);
        REQUIRE(next);
        CHECK(next->status == 200);
    }
    auto logged = f.storage->logged_changes(f.ann.device_id);
    REQUIRE(logged.is_ok());
    CHECK(*logged == 0);
}

TEST_CASE("Push: regression F10 - NUL cut a value short ('a\\u0000b' stored as 'a'); now refused with a code") {
    Fixture f;
    // The value travels as JSON text; each of these holds NUL escaped, as a hostile laptop would send it.
    for (const auto& [field, value] : std::vector<std::pair<std::string, std::string>>{
             {"household", R"("a\u0000b")"}, {"visit_type", R"("planned\u0000xyz")"}, {"household", R"("\u0000")"}}) {
        CAPTURE(value);
        auto res = f.post("/v1/push", encode(batch(f.ann, {change(1, "r1", field, value, now_hlc())})), f.ann.token);
        REQUIRE(res);
        CHECK(res->status == 400);
        CHECK(code_of(res) == errc::kProtocolMalformed);
        CHECK(res->body.find("NUL") != std::string::npos);
    }
    // Nothing of them was kept, and "\\u0000" (a backslash, then text) is text, not NUL.
    auto logged = f.storage->logged_changes(f.ann.device_id);
    REQUIRE(logged.is_ok());
    CHECK(*logged == 0);
    const PushResponse ok = f.push_ok(f.ann, batch(f.ann, {change(1, "r1", "household", R"("a\\u0000b")", now_hlc())}));
    REQUIRE(ok.results.size() == 1);
    CHECK(ok.results[0].outcome == ChangeOutcome::kApplied);
    const PullResponse all = f.pull_all(f.bob);
    REQUIRE(all.changes.size() == 1);
    CHECK(all.changes[0].value == R"("a\\u0000b")");
}

TEST_CASE("Pull: regression F13 - a cursor past the end of the log was echoed back; now 400") {
    Fixture f;
    f.push_ok(f.ann, batch(f.ann, {change(1, "r1", "household", "\"H\"", now_hlc())}));
    const PullResponse all = f.pull_all(f.bob);
    const std::int64_t end = std::stoll(all.cursor);
    auto at_end = f.get("/v1/pull?cursor=" + all.cursor, f.bob.token);
    REQUIRE(at_end);
    CHECK(at_end->status == 200);
    for (std::int64_t past : {end + 1, end + 1000, std::int64_t{999'999'999'999}}) {
        auto r = f.get("/v1/pull?cursor=" + std::to_string(past), f.bob.token);
        REQUIRE(r);
        CHECK(r->status == 400);
        CHECK(code_of(r) == errc::kSyncCursorInvalid);
        CHECK(r->body.find(std::to_string(past)) == std::string::npos);  // never echoed back
    }
}

TEST_CASE("Pull: a page of large answers stops at its byte budget and the rest follows, nothing skipped") {
    Fixture f;
    // The service directly, with a 64 KiB page budget, over the fixture's storage.
    auto forms = load_forms(records::bundled_forms_dir());
    REQUIRE(forms.is_ok());
    SyncService service(*f.storage, forms->schemas, forms->json, SystemClock::instance(), 64 * 1024);
    REQUIRE(service.start().is_ok());
    std::string big;
    for (int i = 0; i < 6000; ++i) {
        big += "\xe2\x82\xac";  // 18,000 bytes
    }
    std::vector<WireChange> cs;
    for (int i = 1; i <= 12; ++i) {
        cs.push_back(change(i, "r" + std::to_string(i), "concerns", records::encode_value(big),
                            now_hlc(0, static_cast<std::uint16_t>(i))));
    }
    const DeviceAuth ann{f.ann.device_id, "ann", "a", "worker"};
    const DeviceAuth bob{f.bob.device_id, "bob", "a", "worker"};
    auto pushed = service.push(ann, batch(f.ann, cs));
    REQUIRE(pushed.is_ok());
    for (const ChangeResult& r : pushed->results) {
        CHECK(r.outcome == ChangeOutcome::kApplied);
    }
    std::string cursor;
    std::vector<std::int64_t> seqs;
    int pages = 0;
    for (;;) {
        auto page = service.pull(bob, cursor, 1000);
        REQUIRE(page.is_ok());
        ++pages;
        std::size_t bytes = 0;
        for (const WireChange& c : page->changes) {
            bytes += c.value.size();
            seqs.push_back(c.seq);
        }
        CHECK(bytes <= 64U * 1024U);
        cursor = page->cursor;
        if (!page->more) {
            break;
        }
    }
    CHECK(pages >= 4);
    REQUIRE(seqs.size() == 12);
    for (std::size_t i = 1; i < seqs.size(); ++i) {
        CHECK(seqs[i] > seqs[i - 1]);
    }
}

TEST_CASE("Snapshot: a team's records in pages, each once, with every version of a clash; other teams see none") {
    Fixture f;
    const auto ms = static_cast<std::uint64_t>(SystemClock::instance().now_ms());
    auto at = [ms](std::uint16_t counter) { return records::Hlc::from(ms, counter).to_string(); };
    std::vector<WireChange> mine;
    for (int i = 1; i <= 7; ++i) {
        mine.push_back(change(i, "r" + std::to_string(i), "household", "\"House " + std::to_string(i) + "\"", at(1)));
    }
    f.push_ok(f.ann, batch(f.ann, mine));
    // Ann and Bob both change r1 from the same base: the server keeps both versions (and a conflict record).
    f.push_ok(f.ann, batch(f.ann, {change(8, "r1", "household", "\"Ann's\"", at(5), at(1))}));
    CHECK(
        f.push_ok(f.bob, batch(f.bob, {change(1, "r1", "household", "\"Bob's\"", at(3), at(1))})).results[0].outcome ==
        ChangeOutcome::kConflict);

    std::map<std::string, SnapshotRecord> seen;
    std::string after;
    std::string first_cursor;
    int pages = 0;
    for (;;) {
        auto res = f.get("/v1/snapshot?limit=3" + (after.empty() ? "" : "&after=" + after), f.lee.token);
        REQUIRE(res);
        REQUIRE(res->status == 200);
        auto page = decode_snapshot_response(res->body);
        REQUIRE(page.is_ok());
        // The team's records, then the practice library's (none here), each page naming its team.
        CHECK(page->team == (after.rfind('*', 0) == 0 ? "*" : "a"));
        CHECK(page->records.size() <= 3);
        ++pages;
        if (first_cursor.empty()) {
            first_cursor = page->cursor;
        }
        for (const auto& r : page->records) {
            CHECK(seen.count(r.id) == 0);  // each record once
            seen[r.id] = r;
        }
        after = page->next;
        if (!page->more) {
            break;
        }
    }
    CHECK(pages >= 3);
    CHECK(seen.size() == 8);  // r1..r7 and the conflict record
    REQUIRE(seen.count("r1") == 1);
    std::set<std::string> r1_values;
    for (const auto& v : seen["r1"].fields) {
        if (v.field == "household") {
            r1_values.insert(v.value);
        }
    }
    CHECK(r1_values == std::set<std::string>{"\"Ann's\"", "\"Bob's\""});
    // The cursor names the log's end when the snapshot began: the pull goes on from there.
    CHECK(first_cursor == f.pull_all(f.lee).cursor);

    auto other = f.get("/v1/snapshot", f.zed.token);
    REQUIRE(other);
    auto other_page = decode_snapshot_response(other->body);
    REQUIRE(other_page.is_ok());
    CHECK(other_page->records.empty());
    CHECK(other_page->more);  // the library's page follows
    CHECK(other_page->next == "*");
    auto library = f.get("/v1/snapshot?after=*", f.zed.token);
    REQUIRE(library);
    auto library_page = decode_snapshot_response(library->body);
    REQUIRE(library_page.is_ok());
    CHECK(library_page->team == "*");
    CHECK(library_page->records.empty());
    CHECK_FALSE(library_page->more);
    auto anon = f.get("/v1/snapshot", "");
    REQUIRE(anon);
    CHECK(anon->status == 401);
    auto bad_limit = f.get("/v1/snapshot?limit=-1", f.lee.token);
    REQUIRE(bad_limit);
    CHECK(bad_limit->status == 400);
}

TEST_CASE(
    "Push: a second value under one stamp is refused and the record stays readable (regression: it stored an "
    "unreadable record)") {
    Fixture f;
    const std::string at = now_hlc();
    auto first = f.push_ok(f.ann, batch(f.ann, {change(1, "r1", "household", "\"A\"", at)}));
    REQUIRE(first.results.at(0).outcome == ChangeOutcome::kApplied);
    // The same stamp with another value, in a later batch and within one batch.
    auto later = f.push_ok(f.ann, batch(f.ann, {change(2, "r1", "household", "\"B\"", at)}));
    CHECK(later.results.at(0).outcome == ChangeOutcome::kRejected);
    CHECK(later.results.at(0).code == "record.clock.invalid");
    const std::string at2 = now_hlc(0, 5);
    auto same_batch = f.push_ok(
        f.ann, batch(f.ann, {change(3, "r2", "household", "\"C\"", at2), change(4, "r2", "household", "\"D\"", at2)}));
    CHECK(same_batch.results.at(0).outcome == ChangeOutcome::kApplied);
    CHECK(same_batch.results.at(1).code == "record.clock.invalid");
    // The exact same change again is harmless (not a clash).
    auto again = f.push_ok(f.ann, batch(f.ann, {change(5, "r1", "household", "\"A\"", at)}));
    CHECK(again.results.at(0).outcome != ChangeOutcome::kRejected);

    // Both records still read back whole: the snapshot and further writes work.
    auto res = f.get("/v1/snapshot", f.lee.token);
    REQUIRE(res);
    REQUIRE(res->status == 200);
    auto page = decode_snapshot_response(res->body);
    REQUIRE(page.is_ok());
    std::map<std::string, std::string> household;
    for (const auto& r : page->records) {
        for (const auto& v : r.fields) {
            household[r.id] += v.value;
        }
    }
    CHECK(household["r1"] == "\"A\"");
    CHECK(household["r2"] == "\"C\"");
    auto next = f.push_ok(f.ann, batch(f.ann, {change(6, "r1", "household", "\"E\"", now_hlc(0, 9), at)}));
    CHECK(next.results.at(0).outcome == ChangeOutcome::kApplied);
}

TEST_CASE(
    "Push: a refusal that quotes a value cut mid-character is still valid UTF-8 (regression: it stalled the device's "
    "queue)") {
    Fixture f;
    std::string accents = "\"";
    for (int i = 0; i < 30; ++i) {
        accents += "\xC3\xA9";  // é: byte 40 of the quoted value falls inside one
    }
    accents += "\"";
    const std::vector<WireChange> changes = {change(1, "r1", "seen_alone", accents, now_hlc())};
    auto answer = f.push_ok(f.ann, batch(f.ann, changes));  // push_ok requires a decodable answer
    REQUIRE(answer.results.at(0).outcome == ChangeOutcome::kRejected);
    const std::string& message = answer.results.at(0).message;
    CHECK(json::valid_utf8(message) == message);
    CHECK_MESSAGE(message.find("\xC3\xA9") != std::string::npos, message);
    // The stored copy answers the retry the same way.
    CHECK(f.push_ok(f.ann, batch(f.ann, changes)).results == answer.results);
}

TEST_CASE("Push: a suggestion's lifecycle is enforced on the server, step by step, by role and by team") {
    Fixture f;
    f.add_user("lyn", "b", "lead");
    const Credentials lyn = f.enrol("lyn");
    std::map<std::string, std::int64_t> seqs;  // per device: batches use fresh seq ranges
    std::uint16_t counter = 1;
    auto push = [&](const Credentials& who, std::vector<WireChange> changes) {
        for (WireChange& c : changes) {
            c.seq = ++seqs[who.device_id];
        }
        return f.push_ok(who, batch(who, std::move(changes)));
    };
    std::map<std::string, std::string> last_status_hlc;  // per record: what the lead saw
    auto idea = [&](const std::string& id) {
        std::vector<WireChange> cs;
        for (const auto& [field, value] :
             std::vector<std::pair<std::string, std::string>>{{"category", "\"process\""},
                                                              {"expected_benefit", "[\"time\"]"},
                                                              {"problem", "\"Double-booked families\""},
                                                              {"proposed_change", "\"One team calendar\""},
                                                              {"title", "\"Shared calendar for visits\""}}) {
            cs.push_back(change(0, id, field, value, now_hlc(0, counter++), kZero, "a", "suggestion"));
        }
        for (const ChangeResult& r : push(f.ann, cs).results) {
            REQUIRE(r.outcome == ChangeOutcome::kApplied);
        }
    };
    // A lead's step: the status (after the decision note, as a device sends them), seen from the last.
    auto step = [&](const Credentials& who, const std::string& id, const std::string& to, bool with_note) {
        std::vector<WireChange> cs;
        if (with_note) {
            cs.push_back(change(0, id, "decision_note", "\"Agreed at the team meeting\"", now_hlc(0, counter++), kZero,
                                who.team, "suggestion"));
        }
        const std::string h = now_hlc(0, counter++);
        const std::string base = last_status_hlc.count(id) != 0 ? last_status_hlc[id] : kZero;
        cs.push_back(change(0, id, "status", "\"" + to + "\"", h, base, who.team, "suggestion"));
        const ChangeResult r = push(who, cs).results.back();
        if (r.outcome == ChangeOutcome::kApplied) {
            last_status_hlc[id] = h;
        }
        return r;
    };
    const std::vector<std::string> all = {"submitted", "under_review", "needs_info",
                                          "accepted",  "declined",     "implemented"};
    const std::map<std::string, std::set<std::string>> allowed = {
        {"submitted", {"under_review"}},
        {"under_review", {"needs_info", "accepted", "declined"}},
        {"needs_info", {"under_review"}},
        {"accepted", {"implemented"}},
        {"declined", {}},
        {"implemented", {}}};
    const std::map<std::string, std::vector<std::string>> path = {
        {"submitted", {}},
        {"under_review", {"under_review"}},
        {"needs_info", {"under_review", "needs_info"}},
        {"accepted", {"under_review", "accepted"}},
        {"declined", {"under_review", "declined"}},
        {"implemented", {"under_review", "accepted", "implemented"}}};
    int n = 0;
    for (const std::string& from : all) {
        for (const std::string& to : all) {
            if (from == to) {
                continue;
            }
            CAPTURE(from);
            CAPTURE(to);
            const std::string id = "idea-" + std::to_string(++n);
            idea(id);
            for (const std::string& s : path.at(from)) {
                REQUIRE(step(f.lee, id, s, s == "accepted" || s == "declined").outcome == ChangeOutcome::kApplied);
            }
            const ChangeResult r = step(f.lee, id, to, true);
            if (allowed.at(from).count(to) == 1) {
                CHECK(r.outcome == ChangeOutcome::kApplied);
            } else {
                CHECK(r.outcome == ChangeOutcome::kRejected);
                CHECK(r.code == errc::kFieldTransition);
            }
        }
    }
    // Accepting or declining without a decision note is refused, naming the note.
    idea("idea-note");
    REQUIRE(step(f.lee, "idea-note", "under_review", false).outcome == ChangeOutcome::kApplied);
    for (const char* decision : {"accepted", "declined"}) {
        const ChangeResult r = step(f.lee, "idea-note", decision, false);
        CHECK(r.outcome == ChangeOutcome::kRejected);
        CHECK(r.code == errc::kFieldRequired);
        CHECK(r.message.find("Decision note") == 0);
    }
    // Only a lead, and only of the suggestion's team, may take a step.
    idea("idea-roles");
    CHECK(step(f.bob, "idea-roles", "under_review", false).code == errc::kFieldNotEditable);
    CHECK(step(f.ann, "idea-roles", "under_review", false).code == errc::kFieldNotEditable);
    CHECK(step(lyn, "idea-roles", "under_review", false).code == errc::kSyncScopeForbidden);
    CHECK(step(f.lee, "idea-roles", "under_review", false).outcome == ChangeOutcome::kApplied);
    // Nothing refused reached the pull.
    for (const WireChange& c : f.pull_all(f.bob).changes) {
        if (c.record == "idea-note" && c.field == "status") {
            CHECK(c.value == "\"under_review\"");
        }
    }
}
