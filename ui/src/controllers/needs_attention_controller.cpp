#include "needs_attention_controller.h"

#include <map>
#include <set>
#include <vector>

#include "app_context.h"
#include "cases_controller.h"
#include "outpost/client/words.h"
#include "outpost/core/error_codes.h"
#include "worker.h"

namespace outpost::ui {

void NeedsAttentionController::load() {
    if (!m_ctx.session) {
        return;
    }
    client::Session* session = m_ctx.session.get();  // a lock waits for the reader before the session goes
    m_ctx.reader.post([this, q = m_ctx.queue, session, gen = m_ctx.generation] {
        Result<std::vector<sync::RefusedItem>> items = session->needs_attention();
        Result<std::vector<sync::RefusedChange>> refused = session->refused();
        if (!items.is_ok() || !refused.is_ok()) {
            return;
        }
        std::set<std::int64_t> refused_seqs;
        for (const sync::RefusedChange& r : *refused) {
            refused_seqs.insert(r.seq);
        }
        std::vector<RefusedRow> rows;
        for (const sync::RefusedItem& item : *items) {
            RefusedRow row;
            row.record = item.record;
            row.field = item.field;
            const std::string plain(errc::explain(item.code));
            // The server names the field first ("concerns: ..."); the screen names it already.
            std::string said = item.message;
            if (!item.field.empty() && said.rfind(item.field + ": ", 0) == 0) {
                said.erase(0, item.field.size() + 2);
            }
            row.reason = plain.empty() ? said : plain;
            if (said != row.reason) {
                row.server_said = said;
            }
            const records::Schema* sch = item.type.empty() ? nullptr : session->schema(item.type);
            row.form = sch != nullptr ? sch->title : client::humanise(item.type);
            Result<records::Record> rec =
                session->with_records([&](records::RecordEngine& e) { return e.get(item.record); });
            row.on_laptop = rec.is_ok() && !rec->deleted;
            row.record_title = rec.is_ok() ? client::record_title(sch, *rec) : "A record no longer on this laptop";
            if (item.field.empty()) {
                row.question = "The whole record";
                row.value = "A new record, not on the server";
                rows.push_back(std::move(row));
                continue;
            }
            const records::FieldDef* f = sch != nullptr ? sch->field(item.field) : nullptr;
            row.question = f != nullptr ? f->label : client::humanise(item.field);
            // This laptop's value, and the newest version the server took (the one a discard goes back to).
            Result<std::vector<records::Change>> history =
                session->with_records([&](records::RecordEngine& e) { return e.history(item.record); });
            Result<std::vector<records::Head>> heads =
                session->with_records([&](records::RecordEngine& e) { return e.heads(item.record); });
            if (heads.is_ok()) {
                for (const records::Head& h : *heads) {
                    if (h.field == item.field) {
                        row.value = client::display_encoded(f, h.value);
                    }
                }
            }
            if (history.is_ok()) {
                const records::Change* best = nullptr;
                for (const records::Change& c : *history) {
                    if (c.field == item.field && (c.seq == 0 || refused_seqs.count(c.seq) == 0) &&
                        (best == nullptr ||
                         records::Stamp{best->hlc, best->device} < records::Stamp{c.hlc, c.device})) {
                        best = &c;
                    }
                }
                if (best != nullptr) {
                    row.server_value = client::display_encoded(f, best->value);
                }
            }
            rows.push_back(std::move(row));
        }
        q->post(m_ctx.for_session(gen, [rows = std::move(rows)](AppState& s) mutable {
            NeedsAttention& a = s.attention;
            bool still_asked = false;
            for (const RefusedRow& r : rows) {
                still_asked = still_asked || r.key() == a.confirm;
            }
            if (!still_asked) {
                a.confirm.clear();
            }
            a.rows = std::move(rows);
            a.loaded = true;
        }));
    });
}

void NeedsAttentionController::confirm(const std::string& key) {
    m_ctx.state.attention.confirm = key;
    m_ctx.state.attention.focus = true;  // the button pressed is gone: the keyboard needs a new place
}

void NeedsAttentionController::discard(const std::string& record, const std::string& field) {
    client::Session* session = m_ctx.session.get();
    if (session == nullptr) {
        return;
    }
    m_ctx.state.attention.confirm.clear();
    m_ctx.state.attention.focus = true;
    const Status s = session->discard_refused(record, field);
    if (!s.is_ok()) {
        m_ctx.toast(client::problem_words(s));
        load();
        return;
    }
    // Shown at once; the reader's list follows.
    std::vector<RefusedRow>& rows = m_ctx.state.attention.rows;
    std::erase_if(rows, [&](const RefusedRow& r) { return r.record == record && (field.empty() || r.field == field); });
    m_ctx.toast(field.empty() ? "Discarded. The record is no longer on this laptop."
                              : "Discarded. This laptop has the server's answer again.");
    load();
    if (m_ctx.state.screen == Screen::kCases || field.empty()) {
        m_ctx.cases->query(false);
    }
}

}  // namespace outpost::ui
