// Local writes: create, update, remove and put. Each write is validated first (every problem at once,
// nothing stored on failure), stamped with the hybrid logical clock, appended to the change log and
// saved with its search row, in one savepoint. And taking back writes the server refused (take_back).
#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "engine_impl.h"
#include "outpost/core/error_codes.h"
#include "outpost/core/records/logic.h"
#include "outpost/core/records/review.h"
#include "outpost/core/store/transaction.h"
#include "value_codec.h"

namespace outpost::records {

Result<Record> RecordEngine::Impl::create(const Actor& who, std::string_view type, const Values& values,
                                          std::vector<FieldError>* errors) {
    const Schema* s = schema(type);
    if (s == nullptr) {
        return Status::error(errc::kRecordTypeUnknown, "no form called '" + std::string(type) + "'");
    }
    Row row;
    row.rec.type = std::string(type);
    row.rec.team = who.team;
    row.rec.created_by = who.user;
    return write(who, *s, std::move(row), values, /*creating=*/true, errors);
}

Result<Record> RecordEngine::Impl::update(const Actor& who, std::string_view id, const Values& changes,
                                          std::vector<FieldError>* errors) {
    const Schema* s = nullptr;
    Result<Row> row = existing(id, s);
    OUTPOST_TRY(row);
    return write(who, *s, std::move(*row), changes, /*creating=*/false, errors);
}

Status RecordEngine::Impl::remove(const Actor& who, std::string_view id) {
    const Schema* s = nullptr;
    Result<Row> row = existing(id, s);
    OUTPOST_TRY(row);
    Values del{{"_deleted", true}};
    return write(who, *s, std::move(*row), del, /*creating=*/false, nullptr).status();
}

Result<Record> RecordEngine::Impl::put(const Actor& who, std::string_view id, std::string_view type,
                                       const Values& values, std::vector<FieldError>* errors) {
    const Schema* s = schema(type);
    if (s == nullptr) {
        return Status::error(errc::kRecordTypeUnknown, "no form called '" + std::string(type) + "'");
    }
    if (id.empty() || id.size() > 128) {
        return Status::error(errc::kRecordNotFound, "a record id is 1 to 128 bytes");
    }
    Result<std::optional<Row>> row = read_row(id);
    OUTPOST_TRY(row);
    if (!row->has_value()) {
        Row fresh;
        fresh.rec.id = std::string(id);
        fresh.rec.type = std::string(type);
        fresh.rec.team = who.team;
        fresh.rec.created_by = who.user;
        Result<Record> made = write(who, *s, std::move(fresh), values, /*creating=*/true, errors);
        OUTPOST_TRY(made);
        // Another laptop of this person (or team) may have deleted this very record, unseen here: say
        // it lives, in a later write, so the server takes its target first (to check the id) and this
        // newer intent wins over the older deletion.
        Result<std::optional<Row>> again = read_row(id);
        if (!again.is_ok() || !again->has_value()) {
            return again.is_ok() ? Status::error(errc::kRecordNotFound, "the record just written is gone")
                                 : again.status();
        }
        return write(who, *s, std::move(**again), {{"_deleted", false}}, /*creating=*/false, errors);
    }
    if ((*row)->rec.type != type) {
        return Status::error(errc::kRecordReadOnly, "record " + std::string(id) + " is a '" + (*row)->rec.type + "'");
    }
    Values changes = values;
    if ((*row)->rec.deleted) {
        changes["_deleted"] = false;
    }
    return write(who, *s, std::move(**row), changes, /*creating=*/false, errors);
}

Result<RecordEngine::Impl::Row> RecordEngine::Impl::existing(std::string_view id, const Schema*& s) {
    Result<std::optional<Row>> row = read_row(id);
    OUTPOST_TRY(row);
    if (!row->has_value() || (*row)->rec.deleted) {
        return Status::error(errc::kRecordNotFound, "record " + std::string(id) + " was not found or was deleted");
    }
    s = schema((*row)->rec.type);
    if (s == nullptr) {
        return Status::error(errc::kRecordTypeUnknown, "no form called '" + (*row)->rec.type + "'");
    }
    return std::move(**row);
}

Result<Record> RecordEngine::Impl::write(const Actor& who, const Schema& schema, Row row, const Values& changes,
                                         bool creating, std::vector<FieldError>* errors) {
    if (m_store.handle() == nullptr) {
        return Status::error(errc::kStoreLocked, "the store is locked");
    }
    if (!creating && row.rec.team != who.team) {
        return Status::error(
            errc::kRecordReadOnly,
            "this record belongs to " +
                (row.rec.team == kLibraryTeam ? std::string("the practice library") : "team " + row.rec.team) +
                " and is read-only here");
    }
    Record& rec = row.rec;
    Values merged = rec.values;
    std::vector<std::string> changed;
    Values writes = changes;
    if (creating) {
        // A new record starts from the form's defaults, under what the writer gave.
        for (const FieldDef& f : schema.fields) {
            if (!f.default_json.empty() && f.repeat.empty() && writes.find(f.name) == writes.end()) {
                if (Result<FieldValue> v = decode_value(f.kind, f.default_json); v.is_ok()) {
                    writes[f.name] = std::move(*v);
                }
            }
        }
    }
    for (const auto& [k, v] : writes) {
        changed.push_back(k);
        if (k == "_deleted") {
            continue;
        }
        if (std::holds_alternative<std::monostate>(v)) {
            merged.erase(k);
        } else {
            merged[k] = v;
        }
    }
    const std::string today = today_of(m_clock.now_ms());
    const bool deleting = writes.size() == 1 && writes.count("_deleted") == 1;
    if (!deleting) {
        // Calculations follow the answers, and a question no longer asked keeps no answer.
        for (auto& [k, v] : settle(schema, merged, today)) {
            if (std::holds_alternative<std::monostate>(v)) {
                merged.erase(k);
            } else {
                merged[k] = v;
            }
            if (std::find(changed.begin(), changed.end(), k) == changed.end()) {
                changed.push_back(k);
            }
            writes[k] = std::move(v);
        }
    }
    std::vector<FieldError> problems = validate(schema, merged, changed, who.role, rec.values, today);
    for (const std::string& field : changed) {
        if (std::optional<FieldError> e = review_write_rule(schema.type, rec.values, who.role, field)) {
            problems.push_back(std::move(*e));
            break;
        }
    }
    if (!problems.empty()) {
        const std::size_t n = problems.size();
        if (errors != nullptr) {
            *errors = std::move(problems);
        }
        return Status::error(errc::kRecordInvalid, std::to_string(n) + " answer(s) need attention");
    }
    const std::int64_t now = m_clock.now_ms();
    if (creating) {
        if (rec.id.empty()) {
            rec.id = make_uuid_v7(now);
        }
        rec.created_ms = now;
    }
    // A savepoint: its own transaction when called alone, or part of the caller's BEGIN...COMMIT.
    Result<Transaction> sp = Transaction::savepoint(m_store, "record_write");  // rolled back unless committed
    OUTPOST_TRY(sp);
    Stmt log = prepare(kLogChangeSql);
    remember_search(row, &schema);
    for (const auto& [field, value] : writes) {
        const Head* cur = find_head(row.heads, field);
        const Hlc base = cur != nullptr ? cur->hlc : Hlc{};
        Head h{field, encode_value(value), m_hlc.now(), base, who.device, who.user, /*logged=*/true};
        // Each change remembers the version of the form it was written under.
        const Change entry{0,     rec.id,     rec.type, rec.team, field, h.value,
                           h.hlc, who.device, base,     who.user, now,   schema.version};
        OUTPOST_TRY(log_displaced(log, rec, put_head(row.heads, std::move(h))));
        if (int rc = log_change(log, entry, entry.value, now); rc != SQLITE_DONE) {
            return m_store.sql_status(rc, "logging a change");
        }
    }
    OUTPOST_TRY(save_local_hlc());
    if (const auto del = writes.find("_deleted"); del != writes.end()) {
        const bool* b = std::get_if<bool>(&del->second);
        rec.deleted = b == nullptr || *b;
    }
    rec.updated_ms = now;
    rec.values = std::move(merged);
    OUTPOST_TRY(save_row(row, &schema, !creating));
    OUTPOST_TRY(sp->commit());
    return std::move(row.rec);
}

Status RecordEngine::Impl::take_back(std::string_view id, const std::vector<std::int64_t>& seqs) {
    Result<std::optional<Row>> read = read_row(id);
    OUTPOST_TRY(read);
    if (!read->has_value()) {
        return Status::error(errc::kRecordNotFound, "record " + std::string(id) + " is not on this laptop");
    }
    Row& row = **read;
    Result<std::vector<Change>> log = read_changes("record = ?1 AND seq > ?2", id, 0, 1'000'000);
    OUTPOST_TRY(log);
    const std::set<std::int64_t> dropping(seqs.begin(), seqs.end());
    std::set<std::string> touched;
    std::set<Stamp> dropped;  // the versions taken back
    for (const Change& c : *log) {
        if (dropping.count(c.seq) != 0) {
            touched.insert(c.field);
            dropped.insert(Stamp{c.hlc, c.device});
        }
    }
    if (touched.empty()) {
        return Status::ok();
    }
    const Schema* sch = schema(row.rec.type);
    Result<Transaction> sp = Transaction::savepoint(m_store, "take_back");  // rolled back unless committed
    OUTPOST_TRY(sp);
    remember_search(row, sch);
    for (const std::string& field : touched) {
        const Head* cur = find_head(row.heads, field);
        if (cur == nullptr || dropped.count(Stamp{cur->hlc, cur->device}) == 0) {
            continue;  // a newer version holds the field already (one still to send, or pulled)
        }
        // The newest version left is what the server holds, as far as this laptop knows (the merge
        // rule's winner: the largest stamp).
        const Change* best = nullptr;
        for (const Change& c : *log) {
            if (c.field == field && dropping.count(c.seq) == 0 &&
                (best == nullptr || Stamp{best->hlc, best->device} < Stamp{c.hlc, c.device})) {
                best = &c;
            }
        }
        if (best == nullptr) {
            row.heads.erase(row.heads.begin() + (cur - row.heads.data()));
        } else {
            put_head(row.heads, Head{field, best->value, best->hlc, best->base, best->device, best->author, true});
        }
    }
    Stmt del = prepare("DELETE FROM changes WHERE seq = ? AND record = ?");
    for (const std::int64_t seq : dropping) {
        del.i64(1, seq).text(2, id);
        const int rc = del.step();
        del.reset();
        if (rc != SQLITE_DONE) {
            return m_store.sql_status(rc, "taking back a change");
        }
    }
    const bool gone =
        std::none_of(row.heads.begin(), row.heads.end(), [](const Head& h) { return h.field != kFormVersionField; });
    if (gone) {
        // Nothing of it left that the server took: it leaves this laptop, search row and all.
        OUTPOST_TRY(drop_record(row, sch));
        return sp->commit();
    }
    const Head* del_head = find_head(row.heads, "_deleted");
    row.rec.deleted = del_head != nullptr && del_head->value == "true";
    row.rec.values = values_of(sch, row.heads);
    OUTPOST_TRY(save_row(row, sch, /*exists=*/true));
    return sp->commit();
}

Status RecordEngine::Impl::save_local_hlc() {
    Stmt meta = prepare(
        "INSERT INTO engine_meta(key, value) VALUES('local_hlc', ?1) "
        "ON CONFLICT(key) DO UPDATE SET value = max(value, ?1)");
    meta.i64(1, static_cast<std::int64_t>(m_hlc.last().packed));
    if (int rc = meta.step(); rc != SQLITE_DONE) {
        return m_store.sql_status(rc, "saving the clock");
    }
    return Status::ok();
}

}  // namespace outpost::records
