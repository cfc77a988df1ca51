// Sync protocol messages: round trips, and every kind of bad input refused with its code.
#include "outpost/sync/sync_messages.h"

#include <doctest/doctest.h>

#include <string>

using namespace outpost::sync;

namespace {

WireChange change(std::int64_t seq, std::string value = R"("Damp in the kitchen")") {
    return {seq,
            "0190f2a4-7b1c-7d3e-8f00-123456789abc",
            "home_visit",
            "team-a",
            "concerns",
            std::move(value),
            "0000018d2b3c4d5e",
            "0000000000000000",
            "",
            ""};
}

std::string push_body(const std::string& changes, std::int64_t from = 1, std::int64_t to = 1) {
    return R"({"device_id":"dev-1","from_seq":)" + std::to_string(from) + R"(,"to_seq":)" + std::to_string(to) +
           R"(,"changes":[)" + changes + "]}";
}

const std::string kChange =
    R"({"seq":1,"record":"r1","type":"home_visit","team":"team-a","field":"concerns","value":"x",)"
    R"("hlc":"0000018d2b3c4d5e","base":"0000000000000000"})";

}  // namespace

TEST_CASE("Sync messages: every message round-trips") {
    EnrollRequest er{"K7Q3-9XPA", "Ann's laptop"};
    CHECK(*decode_enroll_request(encode(er)) == er);
    EnrollResponse es{"dev-1", "t0k3n", "ann", "team-a", "worker"};
    CHECK(*decode_enroll_response(encode(es)) == es);
    PushRequest p{
        "dev-1", 7, 9, {change(7), change(8, "[\"a\",\"b\"]"), change(9, R"({"lat":51.5,"lon":-0.1,"acc":8})")}};
    auto back = decode_push_request(encode(p));
    REQUIRE_MESSAGE(back.is_ok(), back.status().to_string());
    // Values travel as JSON values, validated and kept as sent; each end still canonicalises a value
    // with its field kind before storing or comparing it.
    CHECK(*back == p);
    PushResponse r{{{7, ChangeOutcome::kApplied, "", ""},
                    {8, ChangeOutcome::kConflict, "", ""},
                    {9, ChangeOutcome::kRejected, "sync.scope.forbidden", "Not your team's record."}}};
    CHECK(*decode_push_response(encode(r)) == r);
    WireChange pulled = change(41);
    pulled.device = "dev-2";
    pulled.author = "lee";
    PullResponse pr{{pulled}, "c-41", true};
    CHECK(*decode_pull_response(encode(pr)) == pr);
}

TEST_CASE("Sync messages: malformed bodies, wrong types and unknown fields are refused with a code") {
    for (const std::string& bad : {std::string(""), std::string("{"), std::string("[]"), std::string("null"),
                                   std::string(R"({"code":1,"device_name":"x"})"), std::string(R"({"code":"x"})"),
                                   std::string(R"({"code":"x","device_name":"y","admin":true})")}) {
        CAPTURE(bad);
        CHECK(decode_enroll_request(bad).status().code() == "sync.protocol.malformed");
    }
    auto unknown = decode_enroll_request(R"({"code":"x","device_name":"y","admin":true})");
    CHECK(unknown.status().message().find("unknown field 'admin'") != std::string::npos);
    CHECK(decode_push_request(push_body(kChange, 2, 3)).status().code() == "sync.protocol.malformed");  // range
    // An outbox has gaps (pulled changes sit between a device's own): ascending seqs in range are fine.
    CHECK(decode_push_request(push_body(kChange, 1, 5)).is_ok());
    CHECK(decode_push_request(push_body(kChange, 0, 0)).status().code() == "sync.protocol.malformed");
    std::string bad_hlc = kChange;
    bad_hlc.replace(bad_hlc.find("0000018d2b3c4d5e"), 16, "0000018D2B3C4D5E");
    CHECK(decode_push_request(push_body(bad_hlc)).status().code() == "sync.protocol.malformed");
    std::string extra = kChange;
    extra.insert(extra.size() - 1, R"(,"role":"lead")");
    CHECK(decode_push_request(push_body(extra)).status().code() == "sync.protocol.malformed");
    std::string seq_str = kChange;
    seq_str.replace(seq_str.find("\"seq\":1"), 7, "\"seq\":\"1\"");
    CHECK(decode_push_request(push_body(seq_str)).status().code() == "sync.protocol.malformed");
    CHECK(decode_push_response(R"({"results":[{"seq":1,"result":"maybe"}]})").status().code() ==
          "sync.protocol.malformed");
    CHECK(decode_push_response(R"({"results":[{"seq":1,"result":"rejected"}]})").status().code() ==
          "sync.protocol.malformed");  // a rejection needs its code
    // Errors name the change and the member at fault.
    std::string second = kChange;
    second.replace(second.find("\"seq\":1"), 7, "\"seq\":2");
    std::string bad_record = second;
    bad_record.replace(bad_record.find("\"record\":"), 9, "\"record\":5,\"x\":");
    auto named = decode_push_request(push_body(kChange + "," + bad_record, 1, 2));
    CHECK(named.status().code() == "sync.protocol.malformed");
    CHECK_MESSAGE(named.status().message().find("'record' in change 2") != std::string::npos, named.status().message());
    auto not_object = decode_push_request(push_body(kChange + ",7", 1, 2));
    CHECK(not_object.status().message().find("change 2") != std::string::npos);
    // The push response's streaming reader is as strict as the tree it replaced.
    for (const char* bad :
         {R"({"results":[{"result":"applied"}]})", R"({"results":[{"seq":1}]})",
          R"({"results":[{"seq":1,"seq":2,"result":"applied"}]})", R"({"results":[{"seq":"1","result":"applied"}]})",
          R"({"results":[{"seq":1,"result":"applied","extra":0}]})", R"({"results":[1]})", R"({"results":[]} trailing)",
          R"({"results":[],"results":[]})", R"({})", R"([])"}) {
        CAPTURE(bad);
        CHECK(decode_push_response(bad).status().code() == "sync.protocol.malformed");
    }
    auto second_bad = decode_push_response(R"({"results":[{"seq":1,"result":"applied"},{"seq":2,"result":"maybe"}]})");
    CHECK_MESSAGE(second_bad.status().message().find("result 2") != std::string::npos, second_bad.status().message());
    const std::string long_code(kMaxIdBytes + 1, 'c');
    CHECK(decode_push_response(R"({"results":[{"seq":1,"result":"rejected","code":")" + long_code + R"("}]})")
              .status()
              .code() == "sync.protocol.malformed");
    CHECK(decode_push_response(R"( { "results" : [ { "result" : "applied" , "seq" : 3 } ] } )")->results.at(0).seq ==
          3);
    CHECK(decode_pull_response(R"({"changes":[],"cursor":"c"})").status().code() == "sync.protocol.malformed");
}

TEST_CASE("Sync messages: limits on batch size, value size, string size and nesting") {
    std::string many;
    for (std::size_t i = 1; i <= kMaxPushBatch + 1; ++i) {
        std::string c = kChange;
        c.replace(c.find("\"seq\":1"), 7, "\"seq\":" + std::to_string(i));
        many += (i > 1 ? "," : "") + c;
    }
    auto big_batch = decode_push_request(push_body(many, 1, static_cast<std::int64_t>(kMaxPushBatch + 1)));
    CHECK(big_batch.status().code() == "sync.push.batch_too_large");
    std::string huge = kChange;
    huge.replace(huge.find("\"value\":\"x\""), 11, "\"value\":\"" + std::string(kMaxValueBytes, 'x') + "\"");
    CHECK(decode_push_request(push_body(huge)).status().code() == "sync.push.value_too_large");
    CHECK(
        decode_enroll_request(R"({"code":")" + std::string(10'000, 'A') + R"(","device_name":"x"})").status().code() ==
        "sync.protocol.malformed");
    std::string deep = std::string(10'000, '[') + std::string(10'000, ']');
    CHECK(decode_push_request(R"({"device_id":"d","from_seq":1,"to_seq":1,"changes":)" + deep + "}").status().code() ==
          "sync.protocol.malformed");
}

TEST_CASE("Sync messages: the bulk reader refuses bad JSON, bad UTF-8 and repeated fields inside changes") {
    auto with_value = [](const std::string& v) {
        std::string c = kChange;
        c.replace(c.find("\"x\""), 3, v);
        return push_body(c);
    };
    for (const std::string& v :
         {std::string("01"), std::string("1."), std::string("tru"), std::string("\"\\q\""), std::string("\"\xc3\x28\""),
          std::string("\"\\ud800\""), std::string("[1,]"), std::string("{\"a\"1}"), std::string("\"a\x01\"")}) {
        CAPTURE(v);
        CHECK(decode_push_request(with_value(v)).status().code() == "sync.protocol.malformed");
    }
    for (const std::string& v : {std::string("-0.5e+3"), std::string("\"\\ud83d\\ude00 caf\xc3\xa9\""),
                                 std::string("[\"a\",{\"b\":null}]"), std::string("true")}) {
        CAPTURE(v);
        auto ok = decode_push_request(with_value(v));
        REQUIRE(ok.is_ok());
        CHECK(ok->changes.front().value == v);
    }
    std::string twice = kChange;
    twice.insert(twice.size() - 1, R"(,"seq":2)");
    CHECK(decode_push_request(push_body(twice)).status().code() == "sync.protocol.malformed");
    CHECK(decode_push_request(push_body(kChange) + "x").status().code() == "sync.protocol.malformed");
    CHECK(decode_pull_response(R"({"changes":[],"cursor":"1","more":false,"more":true})").status().code() ==
          "sync.protocol.malformed");
}

namespace {

SnapshotResponse sample_snapshot() {
    SnapshotResponse m;
    m.team = "team-a";
    SnapshotRecord r;
    r.id = "0190f2a4-7b1c-7d3e-8f00-123456789abc";
    r.type = "home_visit";
    r.created_by = "ann";
    r.writers = {{"dev-1", "ann"}, {"dev-2", "lee"}};
    r.fields = {{"concerns", R"("Damp in the kitchen")", 0x18d2b3c4d5e0000ULL, 0, 0},
                {"household", R"("Flat 3, \"B\"")", 0x18d2b3c4d5e0001ULL, 0x18d2b3c4d5e0000ULL, 1},
                {"household", R"("Flat 3")", 0x18d2b3c4d5f0000ULL, 0x18d2b3c4d5e0000ULL, 0},
                {"people_seen", R"(["child"])", 0x18d2b3c4d5e0002ULL, 0, 0}};
    m.records = {r};
    r.id = "0190f2a4-7b1c-7d3e-8f00-123456789abd";
    r.fields = {{"_deleted", "true", 0x18d2b3c4e000000ULL, 0, 0}};
    r.writers = {{"dev-2", "lee"}};  // only the writers its versions name, in order of first use
    m.records.push_back(r);
    m.next = r.id;
    m.cursor = "4711";
    m.more = true;
    return m;
}

}  // namespace

TEST_CASE("Sync messages: a snapshot page round-trips, with offsets, writers and bases") {
    const SnapshotResponse m = sample_snapshot();
    const std::string body = encode(m);
    auto back = decode_snapshot_response(body);
    REQUIRE_MESSAGE(back.is_ok(), back.status().to_string());
    CHECK(*back == m);
    // Compact: a version is [field, value, hlc offset, writer] plus a base only when it has one.
    CHECK(body.find(R"(["concerns","Damp in the kitchen",0,0])") != std::string::npos);
    CHECK(body.find(R"(,"hlc":"018d2b3c4d5e0000")") != std::string::npos);
    SnapshotResponse empty;
    empty.team = "team-a";
    empty.cursor = "0";
    CHECK(*decode_snapshot_response(encode(empty)) == empty);
}

TEST_CASE("Sync messages: a bad snapshot is refused with a code, never trusted") {
    const std::string good = encode(sample_snapshot());
    auto refused = [](std::string body) {
        auto r = decode_snapshot_response(body);
        return r.is_ok() ? std::string("accepted") : std::string(r.status().code());
    };
    auto swap = [&](const std::string& from, const std::string& to) {
        std::string b = good;
        REQUIRE(b.find(from) != std::string::npos);
        b.replace(b.find(from), from.size(), to);
        return b;
    };
    CHECK(refused(swap(R"("Damp in the kitchen",0,0])", R"("Damp in the kitchen",0,7])")) ==
          "sync.protocol.malformed");  // no writer 7
    CHECK(refused(swap(R"("Damp in the kitchen",0,0])", R"("Damp in the kitchen",-1,0])")) ==
          "sync.protocol.malformed");  // negative offset
    CHECK(refused(swap(R"("hlc":"018d2b3c4d5e0000")", R"("hlc":"018D2B3C4D5E0000")")) == "sync.protocol.malformed");
    CHECK(refused(swap(R"("created_by":"ann")", R"("created_by":"ann","admin":true)")) == "sync.protocol.malformed");
    CHECK(refused(swap(R"("type":"home_visit",)", "")) == "sync.protocol.malformed");
    CHECK(refused(swap(R"(["dev-1","ann"])", R"(["dev-1"])")) == "sync.protocol.malformed");
    // A pulled value over the limit is the server's fault, named as a pull's (it read "push").
    CHECK(refused(swap(R"("Damp in the kitchen")", "\"" + std::string(kMaxValueBytes, 'x') + "\"")) ==
          "sync.pull.value_too_large");
    CHECK(refused(swap(R"("Damp in the kitchen")", R"("Damp\u0000 in the kitchen")")) == "sync.protocol.malformed");
    CHECK(refused(swap(R"("Damp in the kitchen")", "\"bad \xff utf8\"")) == "sync.protocol.malformed");
    CHECK(refused(good + " x") == "sync.protocol.malformed");
    CHECK(refused(R"({"team":"a","records":[],"next":"","more":false})") == "sync.protocol.malformed");
    // Every truncation is refused.
    for (std::size_t n = 0; n < good.size(); n += 7) {
        CHECK(refused(good.substr(0, n)) == "sync.protocol.malformed");
    }
}
