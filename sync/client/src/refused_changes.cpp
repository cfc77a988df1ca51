// SyncEngine's refused changes, as the worker acts on them: the list by record and field, taking a
// change back (the laptop holds the server's version again), and sending a fixed record again.
#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "client_state.h"
#include "outpost/core/error_codes.h"
#include "outpost/core/store/transaction.h"
#include "outpost/sync/sync_engine.h"
#include "sync_context.h"

namespace outpost::sync {

Result<std::vector<RefusedItem>> SyncEngine::needs_attention() {
    std::lock_guard lock(m_ctx->store_mutex);
    Result<std::vector<RefusedChange>> refused = m_ctx->client.refused();
    OUTPOST_TRY(refused);
    std::vector<std::string> order;  // records, in the order of their first refusal
    std::map<std::string, std::vector<const RefusedChange*>> by_record;
    for (const RefusedChange& r : *refused) {
        auto& list = by_record[r.record];
        if (list.empty()) {
            order.push_back(r.record);
        }
        list.push_back(&r);
    }
    std::vector<RefusedItem> out;
    for (const std::string& id : order) {
        const std::vector<const RefusedChange*>& list = by_record[id];
        std::set<std::int64_t> seqs;
        for (const RefusedChange* r : list) {
            seqs.insert(r->seq);
        }
        Result<records::Record> rec = m_ctx->records.get(id);
        Result<std::vector<records::Change>> history = m_ctx->records.history(id);
        // Whole: the server took none of it (every version here is a refused one), or it is gone.
        bool whole = !rec.is_ok() || !history.is_ok();
        if (!whole) {
            whole = std::all_of(history->begin(), history->end(),
                                [&](const records::Change& c) { return c.seq > 0 && seqs.count(c.seq) != 0; });
        }
        const std::string type = rec.is_ok() ? rec->type : std::string();
        if (whole) {
            // The first refusal of an answer says why (a record's own fields come first by name).
            const auto why = std::find_if(list.begin(), list.end(), [](const RefusedChange* r) {
                return r->field != records::kFormVersionField && r->field != "_deleted";
            });
            const RefusedChange& r = why != list.end() ? **why : *list.front();
            out.push_back({id, type, "", r.code, r.message, static_cast<int>(list.size())});
            continue;
        }
        std::vector<RefusedItem> fields;
        for (const RefusedChange* r : list) {
            auto same =
                std::find_if(fields.begin(), fields.end(), [&](const RefusedItem& f) { return f.field == r->field; });
            if (same == fields.end()) {
                fields.push_back({id, type, r->field, r->code, r->message, 1});
            } else {
                same->code = r->code;  // the latest refusal speaks for the field
                same->message = r->message;
                ++same->changes;
            }
        }
        out.insert(out.end(), fields.begin(), fields.end());
    }
    return out;
}

Status SyncEngine::discard_refused(const std::string& record, const std::string& field) {
    Status s = Status::ok();
    {
        std::lock_guard lock(m_ctx->store_mutex);
        Result<std::vector<RefusedChange>> refused = m_ctx->client.refused_of(record, field);
        OUTPOST_TRY(refused);
        if (refused->empty()) {
            return Status::error(errc::kRecordNotFound, "no refused change of this record is left to discard");
        }
        std::vector<std::int64_t> seqs;
        for (const RefusedChange& r : *refused) {
            seqs.push_back(r.seq);
        }
        Result<Transaction> txn = Transaction::begin(m_ctx->store);  // rolled back unless committed
        OUTPOST_TRY(txn);
        s = m_ctx->records.take_back(record, seqs);
        if (s.code() == errc::kRecordNotFound) {
            s = Status::ok();  // not on this laptop any more: only the list is left to clear
        }
        if (s.is_ok()) {
            s = m_ctx->client.forget_refused(seqs);
        }
        s = txn->finish(std::move(s));
        Result<std::int64_t> left = m_ctx->client.refused_count();
        if (left.is_ok()) {
            m_ctx->board.update([&left](SyncState& st) { st.refused_total = *left; });
        }
    }
    m_ctx->board.publish();
    return s;
}

Status SyncEngine::resend_refused(const records::Actor& who, const std::string& record) {
    std::lock_guard lock(m_ctx->store_mutex);
    Result<std::vector<RefusedChange>> refused = m_ctx->client.refused_of(record, "");
    OUTPOST_TRY(refused);
    if (refused->empty()) {
        return Status::ok();
    }
    Result<records::Record> rec = m_ctx->records.get(record);
    OUTPOST_TRY(rec);
    const records::Schema* sch = m_ctx->records.schema(rec->type);
    if (sch == nullptr) {
        return Status::error(errc::kRecordTypeUnknown, "no form called '" + rec->type + "'");
    }
    records::Values again;
    for (const RefusedChange& r : *refused) {
        const records::FieldDef* def = sch->field(r.field);
        if (def == nullptr || def->retired ||
            (!def->editable_by.empty() &&
             std::find(def->editable_by.begin(), def->editable_by.end(), who.role) == def->editable_by.end())) {
            continue;  // not an answer `who` can give (a lead's, or one the form no longer asks)
        }
        const auto held = rec->values.find(r.field);
        again[r.field] = held != rec->values.end() ? held->second : records::FieldValue{};
    }
    if (again.empty()) {
        return Status::ok();
    }
    return m_ctx->records.update(who, record, again).status();
}

}  // namespace outpost::sync
