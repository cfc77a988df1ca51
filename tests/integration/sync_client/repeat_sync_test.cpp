// Repeat groups through sync: each item's field is a field of its own, so two laptops editing
// different items offline both keep their edits, and a clash on one item's field is kept as a
// conflict like any other. Real server on 127.0.0.1, real encrypted stores.
#include <doctest/doctest.h>

#include "outpost/core/records/logic.h"
#include "sync_harness.h"

using namespace outpost;
using outpost::testing::Device;
using outpost::testing::SyncServerHarness;

namespace {

struct Team : SyncServerHarness {
    Team() {
        add_team("a");
        add_user("ann", "a", "worker");
        add_user("bob", "a", "worker");
    }
    std::unique_ptr<Device> device(const std::string& user) {
        return std::make_unique<Device>(tmp / (user + ".db"), enrol(user), transport());
    }
};

records::Values assessment() {
    return {{"assessment_date", std::string("2026-11-30")},
            {"carer_name", std::string("Sam Evans")},
            {"hours_caring", std::int64_t{35}},
            {"own_health", std::string("good")},
            {"consent", true},
            {"people_cared_for.a0000001.person_name", std::string("Mo Evans")},
            {"people_cared_for.a0000001.relationship", std::string("parent")},
            {"people_cared_for.a0000001.age", std::int64_t{80}},
            {"people_cared_for.a0000002.person_name", std::string("Jo Evans")},
            {"people_cared_for.a0000002.relationship", std::string("child")}};
}

records::Record get(Device& d, const std::string& id) {
    std::lock_guard lock(d.mutex);
    auto r = d.records->get(id);
    REQUIRE(r.is_ok());
    return *r;
}

std::size_t conflicts(Device& d) {
    std::lock_guard lock(d.mutex);
    records::ListQuery q;
    q.type = "conflict";
    auto page = d.records->list(q);
    REQUIRE(page.is_ok());
    return page->records.size();
}

}  // namespace

TEST_CASE("Repeats: two laptops edit different items offline and both edits survive, with no conflict") {
    Team t;
    auto ann = t.device("ann");
    auto bob = t.device("bob");
    const records::Record r = ann->create("carers_assessment", assessment());
    REQUIRE(ann->sync().is_ok());
    REQUIRE(bob->sync().is_ok());
    CHECK(records::repeat_items(get(*bob, r.id).values, "people_cared_for").size() == 2);
    // Offline: Ann corrects the first person's age; Bob adds the second's and a third person.
    REQUIRE(ann->update(r.id, {{"people_cared_for.a0000001.age", std::int64_t{81}}}).is_ok());
    REQUIRE(bob->update(r.id, {{"people_cared_for.a0000002.age", std::int64_t{12}},
                               {"people_cared_for.b0000003.person_name", std::string("Al Evans")},
                               {"people_cared_for.b0000003.relationship", std::string("partner")}})
                .is_ok());
    REQUIRE(ann->sync().is_ok());
    REQUIRE(bob->sync().is_ok());
    REQUIRE(ann->sync().is_ok());
    for (Device* d : {ann.get(), bob.get()}) {
        const records::Values v = get(*d, r.id).values;
        CHECK(v.at("people_cared_for.a0000001.age") == records::FieldValue{std::int64_t{81}});
        CHECK(v.at("people_cared_for.a0000002.age") == records::FieldValue{std::int64_t{12}});
        CHECK(v.at("people_cared_for.b0000003.person_name") == records::FieldValue{std::string("Al Evans")});
        CHECK(records::repeat_items(v, "people_cared_for").size() == 3);
        CHECK(conflicts(*d) == 0);
    }
    // Removing an item is one more field: it syncs, and the item no longer counts.
    REQUIRE(bob->update(r.id, {{"people_cared_for.a0000002._removed", true}}).is_ok());
    REQUIRE(bob->sync().is_ok());
    REQUIRE(ann->sync().is_ok());
    CHECK(records::repeat_items(get(*ann, r.id).values, "people_cared_for") ==
          std::vector<std::string>{"a0000001", "b0000003"});
}

TEST_CASE("Repeats: the same item's field edited on two laptops clashes, and a conflict record is kept") {
    Team t;
    auto ann = t.device("ann");
    auto bob = t.device("bob");
    const records::Record r = ann->create("carers_assessment", assessment());
    REQUIRE(ann->sync().is_ok());
    REQUIRE(bob->sync().is_ok());
    REQUIRE(ann->update(r.id, {{"people_cared_for.a0000001.person_name", std::string("Maureen Evans")}}).is_ok());
    REQUIRE(bob->update(r.id, {{"people_cared_for.a0000001.person_name", std::string("Mo Evans-Price")}}).is_ok());
    REQUIRE(ann->sync().is_ok());
    auto b = bob->sync();
    REQUIRE(b.is_ok());
    CHECK(b->conflicts == 1);
    REQUIRE(ann->sync().is_ok());
    // Both laptops agree on the current name, and both hold the conflict record naming the item's field.
    const records::Values va = get(*ann, r.id).values;
    const records::Values vb = get(*bob, r.id).values;
    CHECK(va.at("people_cared_for.a0000001.person_name") == vb.at("people_cared_for.a0000001.person_name"));
    CHECK(conflicts(*ann) == 1);
    CHECK(conflicts(*bob) == 1);
    std::lock_guard lock(ann->mutex);
    records::ListQuery q;
    q.type = "conflict";
    auto page = ann->records->list(q);
    REQUIRE(page.is_ok());
    REQUIRE(page->records.size() == 1);
    bool names_field = false;
    for (const auto& [k, v] : page->records[0].values) {
        if (const auto* s = std::get_if<std::string>(&v)) {
            names_field = names_field || s->find("people_cared_for.a0000001.person_name") != std::string::npos;
        }
    }
    CHECK(names_field);
}
