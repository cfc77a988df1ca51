#include "conflicts_controller.h"

#include <algorithm>
#include <optional>
#include <vector>

#include "app_context.h"
#include "outpost/client/words.h"
#include "worker.h"

namespace outpost::ui {

void ConflictsController::load() {
    if (!m_ctx.session) {
        return;
    }
    client::Session* session = m_ctx.session.get();  // a lock waits for the reader before the session goes
    m_ctx.reader.post([this, q = m_ctx.queue, session, gen = m_ctx.generation] {
        records::ListQuery lq;
        lq.type = "conflict";
        lq.limit = 500;
        Result<records::Page> page = session->with_records([&](records::RecordEngine& e) { return e.list(lq); });
        if (!page.is_ok()) {
            return;
        }
        auto text = [](const records::Record& r, const char* field) {
            const auto it = r.values.find(field);
            if (it != r.values.end()) {
                if (const auto* v = std::get_if<std::string>(&it->second)) {
                    return *v;
                }
            }
            return std::string();
        };
        auto when = [](const std::string& hlc) {
            Result<records::Hlc> h = records::Hlc::parse(hlc);
            return h.is_ok() ? static_cast<std::int64_t>(h->ms()) : std::int64_t{0};
        };
        std::vector<ConflictRow> rows;
        for (const records::Record& r : page->records) {
            if (text(r, "status") == "resolved") {
                continue;
            }
            ConflictRow c;
            c.id = r.id;
            c.record_id = text(r, "record");
            c.field = text(r, "field");
            c.record_type = text(r, "record_type");
            const records::Schema* sch = session->schema(c.record_type);
            const records::FieldDef* f = sch != nullptr ? sch->field(c.field) : nullptr;
            c.question = f != nullptr ? f->label : client::humanise(c.field);
            Result<records::Record> target =
                session->with_records([&](records::RecordEngine& e) { return e.get(c.record_id); });
            c.record_title = target.is_ok() ? client::record_title(sch, *target) : "A record not on this laptop";
            c.kept_encoded = text(r, "kept_value");
            c.other_encoded = text(r, "other_value");
            c.kept_value = client::display_encoded(f, c.kept_encoded);
            c.other_value = client::display_encoded(f, c.other_encoded);
            c.kept_author = text(r, "kept_author");
            c.other_author = text(r, "other_author");
            c.kept_ms = when(text(r, "kept_hlc"));
            c.other_ms = when(text(r, "other_hlc"));
            rows.push_back(std::move(c));
        }
        q->post(m_ctx.for_session(gen, [rows = std::move(rows)](AppState& s) mutable {
            // Keep what the worker is typing into a conflict that is still open.
            for (ConflictRow& c : rows) {
                for (const ConflictRow& old : s.conflicts) {
                    if (old.id == c.id) {
                        c.new_value = old.new_value;
                    }
                }
            }
            s.conflicts = std::move(rows);
        }));
    });
}

void ConflictsController::resolve(const ResolveConflictIntent& intent) {
    client::Session* session = m_ctx.session.get();
    if (session == nullptr) {
        return;
    }
    const std::vector<ConflictRow>& conflicts = m_ctx.state.conflicts;
    const auto it = std::find_if(conflicts.begin(), conflicts.end(),
                                 [&](const ConflictRow& c) { return c.id == intent.conflict_id; });
    if (it == conflicts.end()) {
        return;
    }
    const ConflictRow& c = *it;
    const records::Schema* sch = session->schema(c.record_type);
    const records::FieldDef* f = sch != nullptr ? sch->field(c.field) : nullptr;
    if (f == nullptr) {
        m_ctx.toast("This laptop does not have the form for that record yet. Sync, then try again.");
        return;
    }
    records::FieldValue value;
    if (intent.keep == Keep::kNew) {
        if (intent.new_value.find_first_not_of(" \t\r\n") == std::string::npos) {
            m_ctx.toast("Type the answer to keep first.");
            return;
        }
        std::optional<records::FieldError> problem;
        value = client::FormModel::parse(*f, intent.new_value, problem);
        if (problem) {
            m_ctx.toast(problem->message);
            return;
        }
    } else {
        Result<records::FieldValue> decoded =
            records::decode_value(f->kind, intent.keep == Keep::kKept ? c.kept_encoded : c.other_encoded);
        if (!decoded.is_ok()) {
            m_ctx.toast(client::problem_words(decoded.status()));
            return;
        }
        value = *decoded;
    }
    // A normal write that has seen both values supersedes them; then the conflict is marked resolved.
    const records::Actor actor = session->actor();
    std::vector<records::FieldError> errors;
    const Status s = session->in_transaction([&](records::RecordEngine& e) -> Status {
        Result<records::Record> w = e.update(actor, c.record_id, {{c.field, value}}, &errors);
        OUTPOST_TRY(w);
        return e.update(actor, c.id, {{"status", std::string("resolved")}}, &errors).status();
    });
    if (!s.is_ok()) {
        m_ctx.toast(errors.empty() ? client::problem_words(s) : errors.front().message);
        return;
    }
    session->request_sync();
    m_ctx.toast("Resolved. Everyone gets the value you chose at their next sync.");
    load();
}

}  // namespace outpost::ui
