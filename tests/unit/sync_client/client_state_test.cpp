// ClientState and RefusedLog: the sync client's own tables (sync_state, sync_refused) and the outbox
// questions they answer, on a real store.
#include "client_state.h"

#include <doctest/doctest.h>

#include "outpost/core/store/schema_steps.h"
#include "sync_pieces.h"

using namespace outpost;
using namespace outpost::sync;
using outpost::testing::PiecesLaptop;

TEST_CASE("ClientState: the tables are at schema version 1, and migrating again changes nothing") {
    PiecesLaptop l;
    auto v = schema_version(*l.store, "sync");
    REQUIRE(v.is_ok());
    CHECK(*v == 1);
    REQUIRE(l.ctx->client.put("pull_cursor", "17").is_ok());
    REQUIRE(ClientState::migrate(*l.store).is_ok());
    REQUIRE(ClientState::create_tables(*l.store).is_ok());
    CHECK(*l.ctx->client.get("pull_cursor") == "17");
}

TEST_CASE("ClientState: a value is kept by key, empty when unset, and read as the number it starts with") {
    PiecesLaptop l;
    ClientState& state = l.ctx->client;
    CHECK(*state.get("snapshot_after") == "");
    CHECK(*state.get_i64("snapshot_after") == 0);
    REQUIRE(state.put("max_blob_bytes", "1048576").is_ok());
    REQUIRE(state.put("max_blob_bytes", "2048abc").is_ok());  // replaced, not added
    CHECK(*state.get("max_blob_bytes") == "2048abc");
    CHECK(*state.get_i64("max_blob_bytes") == 2048);
    CHECK(leading_i64("not a number") == 0);
    CHECK(leading_i64("-12") == -12);
    // The enrolment lives in the same table, and sync_state_value reads any key of it.
    CHECK(*sync_state_value(*l.store, "team") == "a");
    auto creds = load_credentials(*l.store);
    REQUIRE(creds.is_ok());
    CHECK(creds->device_id == "dev-ann");
    CHECK(creds->token == "token-ann");
}

TEST_CASE("ClientState: what waits is this device's changes past pushed_upto, per record too") {
    PiecesLaptop l;
    const std::string first = l.visit("The Okafor family");
    const std::string second = l.visit("Flat 3");
    const std::vector<records::Change> all = l.outbox();
    REQUIRE(all.size() >= 2);
    ClientState& state = l.ctx->client;
    CHECK(*state.count_waiting("dev-ann") == static_cast<std::int64_t>(all.size()));
    CHECK(*state.count_waiting("someone-else") == 0);
    CHECK(*state.waiting_records({first, second, "no-such-record"}, "dev-ann") == std::set<std::string>{first, second});

    // Every change of the first record answered: only the second waits.
    std::int64_t last_of_first = 0;
    for (const records::Change& c : all) {
        last_of_first = c.record == first ? c.seq : last_of_first;
    }
    REQUIRE(state.put("pushed_upto", std::to_string(last_of_first)).is_ok());
    CHECK(*state.waiting_records({first, second}, "dev-ann") == std::set<std::string>{second});
    std::int64_t after = 0;
    for (const records::Change& c : all) {
        after += c.seq > last_of_first ? 1 : 0;
    }
    CHECK(*state.count_waiting("dev-ann") == after);
}

TEST_CASE("ClientState: enrolled again, the old device's waiting changes become the new one's, and no others") {
    PiecesLaptop l;
    l.visit("The Okafor family");
    l.visit("Flat 3");
    const std::vector<records::Change> all = l.outbox();
    const std::int64_t upto = all.front().seq;  // the first change was answered
    REQUIRE(l.ctx->client.put("pushed_upto", std::to_string(upto)).is_ok());
    REQUIRE(save_credentials(*l.store, {"dev-ann-2", "token-2", "ann", "a", "worker"}).is_ok());
    ClientState& state = l.ctx->client;
    CHECK(*state.count_waiting("dev-ann-2") == static_cast<std::int64_t>(all.size()) - 1);
    CHECK(*state.get("device_id") == "dev-ann-2");
    CHECK(*state.get("token") == "token-2");
    REQUIRE(l.ctx->client.put("pushed_upto", "0").is_ok());
    CHECK(*state.count_waiting("dev-ann") == 1);  // the answered one stays the old device's
}

TEST_CASE("RefusedLog: refusals are kept by seq, a second one for a seq replaces the first") {
    PiecesLaptop l;
    ClientState& state = l.ctx->client;
    CHECK(state.refused()->empty());
    CHECK(*state.refused_count() == 0);
    {
        RefusedLog log(*l.store);
        REQUIRE(log.add(7, "rec-b", "household", errc::kSyncValueTooLarge, "too large", 1).is_ok());
        REQUIRE(log.add(3, "rec-a", "visit_date", "record.field.required", "needed", 2).is_ok());
        REQUIRE(log.add(9, "rec-a", "household", "record.field.required", "needed", 3).is_ok());
        REQUIRE(log.add(7, "rec-b", "household", errc::kSyncBatchTooLarge, "again", 4).is_ok());
    }
    auto refused = state.refused();
    REQUIRE(refused.is_ok());
    REQUIRE(refused->size() == 3);
    CHECK((*refused)[0].seq == 3);
    CHECK((*refused)[1].seq == 7);
    CHECK((*refused)[1].code == errc::kSyncBatchTooLarge);
    CHECK((*refused)[1].message == "again");
    CHECK((*refused)[2].record == "rec-a");
    CHECK(*state.refused_count() == 3);
    CHECK(*state.refused_records() == std::set<std::string>{"rec-a", "rec-b"});
}
