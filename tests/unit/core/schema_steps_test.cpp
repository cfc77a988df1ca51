// Local schema versions (core/store/schema_steps.h): steps run once, in order, from the stored
// version; a failing step changes nothing; a newer store is refused.
#include "outpost/core/store/schema_steps.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "outpost/core/error_codes.h"
#include "outpost/core/store.h"
#include "store_helpers.h"
#include "temp_dir.h"

using namespace outpost;
using namespace outpost::testing;

namespace {

std::unique_ptr<Store> plain_store(const TempDir& tmp) {
    StoreOptions o;
    o.encrypted = false;
    auto s = Store::create(tmp / "p.db", "", o);
    REQUIRE_MESSAGE(s.is_ok(), s.status().to_string());
    return std::move(*s);
}

int count_rows(Store& s, const std::string& table) {
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(s.handle(), ("SELECT count(*) FROM " + table).c_str(), -1, &st, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(st) == SQLITE_ROW);
    const int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n;
}

}  // namespace

TEST_CASE("Schema steps: run once each, in order, from the stored version") {
    TempDir tmp;
    auto store = plain_store(tmp);
    std::vector<int> ran;
    std::vector<SchemaStep> steps = {
        {1,
         [&](Store& s) {
             ran.push_back(1);
             return s.exec("CREATE TABLE t(a)");
         }},
        {2,
         [&](Store& s) {
             ran.push_back(2);
             return s.exec("INSERT INTO t VALUES(1)");
         }},
    };
    auto v0 = schema_version(*store, "demo");
    REQUIRE(v0.is_ok());
    CHECK(*v0 == 0);
    REQUIRE(migrate_schema(*store, "demo", steps).is_ok());
    CHECK(ran == std::vector<int>{1, 2});
    REQUIRE(migrate_schema(*store, "demo", steps).is_ok());
    CHECK(ran == std::vector<int>{1, 2});  // nothing ran twice
    steps.push_back({3, [&](Store& s) {
                         ran.push_back(3);
                         return s.exec("INSERT INTO t VALUES(2)");
                     }});
    REQUIRE(migrate_schema(*store, "demo", steps).is_ok());
    CHECK(ran == std::vector<int>{1, 2, 3});
    CHECK(count_rows(*store, "t") == 2);
    auto v = schema_version(*store, "demo");
    REQUIRE(v.is_ok());
    CHECK(*v == 3);
    auto other = schema_version(*store, "other");
    REQUIRE(other.is_ok());
    CHECK(*other == 0);  // versions are per component
}

TEST_CASE("Schema steps: a failing step is rolled back and the version stays") {
    TempDir tmp;
    auto store = plain_store(tmp);
    std::vector<SchemaStep> steps = {
        {1, [](Store& s) { return s.exec("CREATE TABLE t(a)"); }},
        {2,
         [](Store& s) {
             Status st = s.exec("INSERT INTO t VALUES(1)");
             return st.is_ok() ? s.exec("INSERT INTO no_such_table VALUES(1)") : st;
         }},
    };
    Status s = migrate_schema(*store, "demo", steps);
    REQUIRE_FALSE(s.is_ok());
    CHECK(s.code() == errc::kStoreSql);
    auto v = schema_version(*store, "demo");
    REQUIRE(v.is_ok());
    CHECK(*v == 1);                       // step 1 stands
    CHECK(count_rows(*store, "t") == 0);  // step 2's first insert was rolled back
    steps[1].apply = [](Store& st) { return st.exec("INSERT INTO t VALUES(1)"); };
    REQUIRE(migrate_schema(*store, "demo", steps).is_ok());
    CHECK(count_rows(*store, "t") == 1);
}

TEST_CASE("Schema steps: a store from a newer build is refused, and steps out of order are a bug") {
    TempDir tmp;
    auto store = plain_store(tmp);
    REQUIRE(store->exec("INSERT INTO outpost_store_meta VALUES('schema.demo', '5')").is_ok());
    bool ran = false;
    Status s = migrate_schema(*store, "demo", {{1, [&](Store&) {
                                                    ran = true;
                                                    return Status::ok();
                                                }}});
    CHECK(s.code() == errc::kStoreSchemaTooNew);
    CHECK_FALSE(ran);
    Status bad = migrate_schema(*store, "x", {{2, [](Store&) { return Status::ok(); }}});
    CHECK(bad.code() == errc::kInternal);
    REQUIRE(store->exec("INSERT INTO outpost_store_meta VALUES('schema.junk', 'x1')").is_ok());
    CHECK(schema_version(*store, "junk").status().code() == errc::kStoreRecordCorrupt);
}
