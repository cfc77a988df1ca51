// Remote apply: changes pulled from the server and pages of its snapshot, merged into the heads with
// the merge rule (merge.h), in one savepoint. A version that loses goes to the history only; one that
// wins displaces the head, which joins the log if it came by sync.
#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine_impl.h"
#include "outpost/core/error_codes.h"
#include "outpost/core/records/merge.h"
#include "outpost/core/store/transaction.h"
#include "search.h"
#include "value_codec.h"

namespace outpost::records {

Status RecordEngine::Impl::insert_prepared(const PulledRecord& rec, Hlc newest) {
    // Created when its earliest version was, by its author unless the server says otherwise.
    const auto first = std::min_element(rec.versions.begin(), rec.versions.end(),
                                        [](const Head& a, const Head& b) { return a.hlc < b.hlc; });
    NewRow r{rec.id,
             rec.type,
             rec.team,
             rec.created_by.empty() ? std::string_view(first->author) : std::string_view(rec.created_by),
             static_cast<std::int64_t>(first->hlc.ms()),
             static_cast<std::int64_t>(newest.ms()),
             rec.prepared_deleted,
             std::nullopt,
             rec.prepared_heads};
    if (const Schema* sch = schema(rec.type); !r.deleted && sch != nullptr) {
        PendingSearch change;
        change.new_rowid = r.fts_rowid = ++m_last_fts_rowid;
        if (rec.prepared_search) {
            change.body_ref = &*rec.prepared_search;  // rec outlives flush_search (header)
        } else {
            change.body = fts_body(*sch, rec.versions);
        }
        m_pending_search.push_back(std::move(change));
    }
    std::int64_t rid = 0;
    return insert_row(r, rid);
}

Result<bool> RecordEngine::Impl::merge_version(Row& row, Head incoming, const Schema* sch, sql::StmtRef& log,
                                               std::int64_t now, RemoteStats& stats) {
    incoming.value = canonical(sch, incoming.field, std::move(incoming.value));
    incoming.logged = false;
    const Head* cur = find_head(row.heads, incoming.field);
    const Stamp stamp{incoming.hlc, incoming.device};
    if (cur != nullptr && Stamp{cur->hlc, cur->device} >= stamp) {
        ++stats.superseded;
        if (Stamp{cur->hlc, cur->device} > stamp) {  // older: history only (equal: held already)
            const Change c{0,
                           row.rec.id,
                           row.rec.type,
                           row.rec.team,
                           incoming.field,
                           incoming.value,
                           incoming.hlc,
                           incoming.device,
                           incoming.base,
                           incoming.author,
                           now};
            if (int rc = log_change(log, c, c.value, now); rc != SQLITE_DONE) {
                return m_store.sql_status(rc, "logging a pulled change");
            }
        }
        return false;
    }
    if (incoming.field == "_deleted") {
        row.rec.deleted = incoming.value == "true";
    }
    row.rec.updated_ms = std::max(row.rec.updated_ms, static_cast<std::int64_t>(incoming.hlc.ms()));
    remember_search(row, sch);
    OUTPOST_TRY(log_displaced(log, row.rec, put_head(row.heads, std::move(incoming))));
    ++stats.applied;
    return true;
}

Status RecordEngine::Impl::save_seen_hlc() {
    if (m_seen_hlc == m_saved_seen_hlc) {
        return Status::ok();
    }
    Stmt meta = prepare(
        "INSERT INTO engine_meta(key, value) VALUES('seen_hlc', ?1) "
        "ON CONFLICT(key) DO UPDATE SET value = max(value, ?1)");
    meta.i64(1, static_cast<std::int64_t>(m_seen_hlc));
    if (int rc = meta.step(); rc != SQLITE_DONE) {
        return m_store.sql_status(rc, "saving the clock");
    }
    m_saved_seen_hlc = m_seen_hlc;
    return Status::ok();
}

template <typename Group>
Result<RecordEngine::Impl::RemoteStats> RecordEngine::Impl::apply_groups(std::size_t n, Group&& group,
                                                                         std::set<std::string, std::less<>>* present) {
    if (m_store.handle() == nullptr) {
        return Status::error(errc::kStoreLocked, "the store is locked");
    }
    RemoteStats stats;
    const std::int64_t now = m_clock.now_ms();
    Result<Transaction> sp = Transaction::savepoint(m_store, "remote_apply");  // rolled back unless committed
    OUTPOST_TRY(sp);
    m_batch_search = true;
    // However this returns (an allocation that throws included), no queued search row outlives the
    // call: insert_prepared's rows point into the caller's records.
    struct PendingReset {
        Impl& e;
        ~PendingReset() {
            e.m_batch_search = false;
            e.m_pending_search.clear();
        }
    } pending_reset{*this};
    auto fail = [&](Status s) {
        m_saved_seen_hlc = 0;  // the savepoint's rollback may undo it
        return s;
    };
    Stmt log = prepare(kLogChangeSql);
    m_pending_search.reserve(n);
    // Ids inserted whole by insert_prepared, as views of the caller's records, ascending: a page comes
    // in id order, so each is appended and found in O(1); the same id twice is still caught.
    std::vector<std::string_view> added;
    auto was_added = [&](std::string_view id) {
        return !added.empty() && id <= added.back() && std::binary_search(added.begin(), added.end(), id);
    };
    for (std::size_t g = 0; g < n; ++g) {
        // group(g) gives the record's identity and its incoming versions, which this may consume.
        PulledRecord& rec = group(g);
        if (rec.versions.empty()) {
            continue;
        }
        const bool unknown = present != nullptr && present->count(rec.id) == 0 && !was_added(rec.id);
        Result<std::optional<Row>> found = unknown
                                               ? Result<std::optional<Row>>(std::optional<Row>())
                                               : read_row(rec.id, /*with_values=*/false);  // the search row reads heads
        if (!found.is_ok()) {
            return fail(found.status());
        }
        const bool exists = found->has_value();
        if (!exists && !rec.prepared) {
            prepare_one(rec);
        }
        Hlc newest;
        for (const Head& v : rec.versions) {
            newest = std::max(newest, v.hlc);
        }
        (void)m_hlc.observe(newest);  // a far-ahead stamp was refused by the server's clock check
        m_seen_hlc = std::max(m_seen_hlc, newest.packed);
        if (!exists && rec.prepared) {
            // New, one version per field (the whole of a first sync): the row as prepare_one() made
            // it, written from `rec` without a copy.
            if (Status s = insert_prepared(rec, newest); !s.is_ok()) {
                return fail(s);
            }
            stats.applied += static_cast<int>(rec.versions.size());
            if (present != nullptr) {  // the same id again in this call merges into it
                const std::string_view id = rec.id;
                if (added.empty() || id.compare(added.back()) > 0) {
                    added.push_back(id);
                } else {
                    added.insert(std::lower_bound(added.begin(), added.end(), id), id);
                }
            }
            continue;
        }
        Row row;
        if (exists) {
            row = std::move(**found);
        } else {
            // New to this laptop (the whole of a first sync): created when its earliest version was.
            const auto first = std::min_element(rec.versions.begin(), rec.versions.end(),
                                                [](const Head& a, const Head& b) { return a.hlc < b.hlc; });
            row.rec.id = std::move(rec.id);
            row.rec.type = std::move(rec.type);
            row.rec.team = std::move(rec.team);
            row.rec.created_by = rec.created_by.empty() ? first->author : std::move(rec.created_by);
            row.rec.created_ms = static_cast<std::int64_t>(first->hlc.ms());
            row.rec.updated_ms = row.rec.created_ms;
        }
        const Schema* sch = schema(row.rec.type);
        bool changed = false;
        for (Head& v : rec.versions) {
            Result<bool> took = merge_version(row, std::move(v), sch, log, now, stats);
            if (!took.is_ok()) {
                return fail(took.status());
            }
            changed = changed || *took;
        }
        if (changed) {
            if (Status s = save_row(row, sch, exists); !s.is_ok()) {
                return fail(s);
            }
            if (present != nullptr && !exists) {
                present->insert(row.rec.id);  // the same id again in this page merges into it
            }
        }
    }
    m_batch_search = false;
    if (Status s = flush_search(); !s.is_ok()) {
        return fail(s);
    }
    if (Status s = save_seen_hlc(); !s.is_ok()) {
        return fail(s);
    }
    if (Status s = sp->commit(); !s.is_ok()) {
        return fail(s);
    }
    return stats;
}

Result<RecordEngine::Impl::RemoteStats> RecordEngine::Impl::apply_remote(const std::vector<Change>& changes) {
    // Changes arrive grouped by record more often than not; each run is one read and one write.
    std::vector<std::pair<std::size_t, std::size_t>> runs;
    for (std::size_t i = 0; i < changes.size();) {
        std::size_t end = i;
        while (end < changes.size() && changes[end].record == changes[i].record) {
            ++end;
        }
        runs.emplace_back(i, end);
        i = end;
    }
    std::vector<PulledRecord> records;  // alive for the whole apply (insert_prepared borrows from them)
    records.reserve(runs.size());
    for (const auto& [begin, end] : runs) {
        const Change& first = changes[begin];
        PulledRecord& rec = records.emplace_back(PulledRecord{first.record, first.type, first.team, {}, {}});
        rec.versions.reserve(end - begin);
        for (std::size_t k = begin; k < end; ++k) {
            const Change& c = changes[k];
            rec.versions.push_back(Head{c.field, c.value, c.hlc, c.base, c.device, c.author, false});
        }
    }
    return apply_groups(records.size(), [&](std::size_t g) -> PulledRecord& { return records[g]; });
}

void RecordEngine::Impl::prepare_one(PulledRecord& rec) const {
    for (std::size_t k = 1; k < rec.versions.size(); ++k) {
        if (!(rec.versions[k - 1].field < rec.versions[k].field)) {
            return;  // not one version per field in name order: the merge rule sorts it out
        }
    }
    if (rec.versions.empty()) {
        return;
    }
    const Schema* sch = schema(rec.type);
    bool deleted = false;
    for (Head& v : rec.versions) {
        v.value = canonical(sch, v.field, std::move(v.value));
        v.logged = false;
        deleted = v.field == "_deleted" ? v.value == "true" : deleted;
    }
    rec.prepared_heads = encode_heads(rec.versions);
    if (!deleted && sch != nullptr) {
        rec.prepared_search = fts_body(*sch, rec.versions);
    }
    rec.prepared_deleted = deleted;
    rec.prepared = true;
}

void RecordEngine::Impl::prepare_snapshot(std::vector<PulledRecord>& records) const {
    for (PulledRecord& rec : records) {
        prepare_one(rec);
    }
}

Result<RecordEngine::Impl::RemoteStats> RecordEngine::Impl::apply_snapshot(std::vector<PulledRecord>& records) {
    if (records.empty()) {
        return RemoteStats{};
    }
    // A snapshot page covers a range of ids: one range read finds which of them this laptop already
    // has (usually none), instead of one lookup per record.
    auto [lo, hi] = std::minmax_element(records.begin(), records.end(),
                                        [](const PulledRecord& a, const PulledRecord& b) { return a.id < b.id; });
    std::set<std::string, std::less<>> present;
    {
        Stmt st = prepare("SELECT id FROM records WHERE id BETWEEN ? AND ?");
        st.text(1, lo->id).text(2, hi->id);
        int rc = 0;
        while ((rc = st.step()) == SQLITE_ROW) {
            present.insert(st.col_text(0));
        }
        if (rc != SQLITE_DONE) {
            return m_store.sql_status(rc, "reading records");
        }
    }
    return apply_groups(
        records.size(), [&](std::size_t g) -> PulledRecord& { return records[g]; }, &present);
}

}  // namespace outpost::records
