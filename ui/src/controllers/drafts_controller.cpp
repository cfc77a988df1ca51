#include "drafts_controller.h"

#include <algorithm>

#include "app_context.h"
#include "outpost/client/words.h"
#include "records_controller.h"

namespace outpost::ui {

void DraftsController::save(RecordScreen& screen) {
    if (!m_ctx.session || screen.form.schema() == nullptr) {
        return;
    }
    client::Draft d{screen.draft_key, screen.form.schema()->type, screen.form.record_id(), screen.form.texts(),
                    m_ctx.clock.now_ms()};
    if (m_ctx.session->save_draft(d).is_ok()) {
        screen.draft_saved_ms = d.saved_ms;
    }
}

void DraftsController::set_aside_record() {
    std::optional<RecordScreen>& record = m_ctx.state.record;
    if (!record || !m_ctx.session) {
        return;
    }
    if (record->form.dirty()) {
        save(*record);  // unsaved answers stay, and are offered at the next unlock
    } else {
        (void)m_ctx.session->discard_draft(record->draft_key);
    }
}

void DraftsController::find() {
    AppState& s = m_ctx.state;
    client::Session& session = *m_ctx.session;
    s.drafts_found.clear();
    Result<std::vector<client::Draft>> drafts = session.drafts();
    if (!drafts.is_ok()) {
        return;
    }
    for (client::Draft& d : *drafts) {
        const bool open = (s.record && s.record->draft_key == d.key) || (s.idea && s.idea->draft_key == d.key);
        if (open) {
            continue;
        }
        const records::Schema* sch = session.schema(d.type);
        FoundDraft found{d, sch != nullptr ? sch->title : client::humanise(d.type), ""};
        client::FormModel form = sch != nullptr ? client::FormModel::blank(*sch) : client::FormModel();
        if (sch != nullptr && !d.record_id.empty()) {
            Result<records::Record> r =
                session.with_records([&](records::RecordEngine& e) { return e.get(d.record_id); });
            if (r.is_ok()) {
                form = client::FormModel::of(*sch, *r);
                found.title = client::record_title(sch, *r);
            }
        }
        form.restore(d.texts);
        // A draft that holds nothing the record does not (a place marker left by a lock, or answers
        // saved since) is not an unsaved form: it goes, unseen.
        if (sch != nullptr && !form.dirty() && (!d.record_id.empty() || d.texts.empty())) {
            (void)session.discard_draft(d.key);
            continue;
        }
        if (d.record_id.empty() && sch != nullptr) {
            records::Record typed;
            typed.type = d.type;
            for (const records::FieldDef& f : sch->fields) {
                if (f.kind == records::FieldKind::kText && !trimmed(form.text(f.name)).empty()) {
                    typed.values[f.name] = trimmed(form.text(f.name));
                }
            }
            found.title = client::record_title(sch, typed);
            if (found.title == sch->title) {
                found.title.clear();
            }
        }
        s.drafts_found.push_back(std::move(found));
    }
}

void DraftsController::continue_draft(const std::string& key) {
    AppState& s = m_ctx.state;
    const auto it = std::find_if(s.drafts_found.begin(), s.drafts_found.end(),
                                 [&](const FoundDraft& f) { return f.draft.key == key; });
    if (it == s.drafts_found.end() || !m_ctx.session) {
        return;
    }
    const client::Draft d = it->draft;
    const records::Schema* sch = m_ctx.session->schema(d.type);
    if (sch == nullptr) {
        m_ctx.toast("This form is not on this laptop any more. The draft is kept.");
        return;
    }
    if (sch->purpose == records::FormPurpose::kSuggestion && d.record_id.empty() && !s.idea) {
        m_ctx.records->open_idea();  // an idea put aside goes back where it was typed
        if (s.idea) {
            (void)m_ctx.session->discard_draft(s.idea->draft_key);
            s.idea->draft_key = d.key;
            s.idea->form.restore(d.texts);
            std::erase_if(s.drafts_found, [&](const FoundDraft& f) { return f.draft.key == key; });
        }
        return;
    }
    // A draft of a saved case reopens that case, never a new one.
    if (!d.record_id.empty()) {
        m_ctx.records->open(d.record_id);
    } else {
        m_ctx.records->create(d.type);
    }
    const bool opened_it =
        s.record && s.record->form.record_id() == d.record_id && s.record->form.schema()->type == d.type;
    if (!opened_it) {
        m_ctx.toast("That case could not be opened, so its draft is kept for later.");
        return;
    }
    (void)m_ctx.session->discard_draft(s.record->draft_key);
    s.record->draft_key = d.key;
    s.record->form.restore(d.texts);
    std::erase_if(s.drafts_found, [&](const FoundDraft& f) { return f.draft.key == key; });
}

void DraftsController::discard(const std::string& key) {
    if (m_ctx.session) {
        (void)m_ctx.session->discard_draft(key);
    }
    std::erase_if(m_ctx.state.drafts_found, [&](const FoundDraft& d) { return d.draft.key == key; });
}

std::vector<client::Draft> DraftsController::unsaved() const {
    std::vector<client::Draft> out;
    for (const std::optional<RecordScreen>* s : {&m_ctx.state.record, &m_ctx.state.idea}) {
        if (*s && (*s)->form.dirty() && (*s)->form.schema() != nullptr) {
            out.push_back(client::Draft{(*s)->draft_key, (*s)->form.schema()->type, (*s)->form.record_id(),
                                        (*s)->form.texts(), m_ctx.clock.now_ms()});
        }
    }
    return out;
}

bool DraftsController::autosave(std::int64_t now) {
    if (!m_ctx.session || now - m_last_check_ms < kEveryMs) {
        return false;
    }
    if (!due()) {
        m_last_check_ms = now;
        return false;
    }
    const std::unique_lock<sync::StoreMutex> hold = m_ctx.session->try_hold();
    if (!hold.owns_lock()) {
        m_ctx.retry_store_soon();  // a sync is writing: in a moment, still due
        return false;
    }
    m_last_check_ms = now;
    bool redraw = false;
    for (std::optional<RecordScreen>* s : {&m_ctx.state.record, &m_ctx.state.idea}) {
        if (*s && (*s)->form.dirty()) {
            redraw = redraw || (*s)->draft_saved_ms == 0;  // "kept as a draft" appears
            save(**s);
        }
    }
    return redraw;
}

std::optional<std::int64_t> DraftsController::due() const {
    for (const std::optional<RecordScreen>* s : {&m_ctx.state.record, &m_ctx.state.idea}) {
        if (*s && (*s)->form.dirty()) {
            return m_last_check_ms + kEveryMs;
        }
    }
    return std::nullopt;
}

}  // namespace outpost::ui
