#include "records_controller.h"

#include <sodium.h>

#include <algorithm>
#include <optional>
#include <vector>

#include "app_context.h"
#include "attachments_controller.h"
#include "cases_controller.h"
#include "drafts_controller.h"
#include "keyboard.h"
#include "outpost/client/words.h"
#include "outpost/core/error_codes.h"
#include "review_controller.h"

namespace outpost::ui {

std::string RecordsController::new_draft_key() {
    unsigned char b[12];
    randombytes_buf(b, sizeof b);
    static const char* hex = "0123456789abcdef";
    std::string out = "draft-";
    for (unsigned char c : b) {
        out += hex[c >> 4U];
        out += hex[c & 15U];
    }
    return out;
}

void RecordsController::open(const std::string& id) {
    client::Session* session = m_ctx.session.get();
    if (session == nullptr) {
        return;
    }
    Result<records::Record> r = session->with_records([&](records::RecordEngine& e) { return e.get(id); });
    if (!r.is_ok()) {
        m_ctx.toast(client::problem_words(r.status()));
        return;
    }
    const records::Schema* sch = session->schema(r->type);
    if (sch == nullptr) {
        m_ctx.toast("This record uses a form this laptop does not have yet. Sync, then try again.");
        return;
    }
    m_ctx.drafts->set_aside_record();
    release_text_input();  // Escape must not put an old field's text into this form
    RecordScreen s;
    s.form = client::FormModel::of(*sch, *r);
    s.draft_key = new_draft_key();
    s.heading = sch->title + ": " + client::record_title(sch, *r);
    Result<std::vector<records::Change>> hist =
        session->with_records([&](records::RecordEngine& e) { return e.history(id); });
    if (hist.is_ok()) {
        for (auto it = hist->rbegin(); it != hist->rend(); ++it) {
            if (it->field == "_deleted" || it->field == records::kFormVersionField) {
                continue;
            }
            const records::FieldDef* f = sch->field(it->field);
            s.history.push_back({static_cast<std::int64_t>(it->hlc.ms()), it->author,
                                 f != nullptr ? f->label : client::humanise(it->field),
                                 client::display_encoded(f, it->value)});
        }
    }
    load_link_options(s);
    m_ctx.state.record = std::move(s);
    m_ctx.state.screen = Screen::kRecord;
    m_ctx.attachments->drop_pictures();
    m_ctx.attachments->refresh();
    m_ctx.attachments->load_thumbnails();
}

void RecordsController::load_link_options(RecordScreen& screen) {
    const records::Schema* sch = screen.form.schema();
    if (sch == nullptr || !m_ctx.session) {
        return;
    }
    std::vector<std::string> types;
    bool any_type = false;
    for (const records::FieldDef& f : sch->fields) {
        if (f.kind == records::FieldKind::kRecordLink) {
            any_type = any_type || f.link_type.empty();
            types.push_back(f.link_type);
        }
    }
    if (types.empty()) {
        return;
    }
    records::ListQuery q;
    q.limit = 500;  // the most recently updated; the picker searches these by name
    if (!any_type && std::all_of(types.begin(), types.end(), [&](const std::string& t) { return t == types[0]; })) {
        q.type = types[0];
    }
    Result<records::Page> page = m_ctx.session->with_records([&](records::RecordEngine& e) { return e.list(q); });
    if (!page.is_ok()) {
        return;
    }
    for (const records::Record& r : page->records) {
        const records::Schema* rs = m_ctx.session->schema(r.type);
        if (rs == nullptr || rs->purpose != records::FormPurpose::kCase || r.id == screen.form.record_id()) {
            continue;
        }
        screen.link_options.push_back({r.id, rs->title + ": " + client::record_title(rs, r)});
    }
}

void RecordsController::create(const std::string& type) {
    if (!m_ctx.session) {
        return;
    }
    const records::Schema* sch = m_ctx.session->schema(type);
    if (sch == nullptr) {
        return;
    }
    m_ctx.drafts->set_aside_record();
    release_text_input();
    RecordScreen s;
    s.form = client::FormModel::blank(*sch);
    s.draft_key = new_draft_key();
    s.heading = "New " + sch->title;
    s.focus_first = true;
    load_link_options(s);
    m_ctx.state.record = std::move(s);
    m_ctx.state.screen = Screen::kRecord;
    m_ctx.state.cases.pick_form = false;
}

void RecordsController::save_record() {
    if (m_ctx.state.record) {
        save_form(*m_ctx.state.record, false);
    }
}

void RecordsController::close_record() {
    AppState& s = m_ctx.state;
    if (s.record && m_ctx.session) {
        (void)m_ctx.session->discard_draft(s.record->draft_key);
    }
    s.record.reset();
    s.screen = Screen::kCases;
    m_ctx.cases->query(false);
}

void RecordsController::open_idea() {
    AppState& st = m_ctx.state;
    if (m_ctx.session && !st.idea) {
        if (const records::Schema* sch = m_ctx.session->schema("suggestion")) {
            RecordScreen s;
            s.form = client::FormModel::blank(*sch);
            s.draft_key = new_draft_key();
            s.heading = "A new idea";
            s.focus_first = true;
            st.idea = std::move(s);
        }
    }
}

void RecordsController::save_idea() {
    if (m_ctx.state.idea) {
        save_form(*m_ctx.state.idea, true);
    }
}

void RecordsController::close_idea() {
    AppState& s = m_ctx.state;
    if (s.idea && m_ctx.session) {
        (void)m_ctx.session->discard_draft(s.idea->draft_key);
    }
    s.idea.reset();
}

void RecordsController::put_idea_aside() {
    AppState& s = m_ctx.state;
    if (s.idea && m_ctx.session) {
        const bool typed = s.idea->form.dirty();
        if (typed) {
            m_ctx.drafts->save(*s.idea);
        } else {
            (void)m_ctx.session->discard_draft(s.idea->draft_key);
        }
        s.idea.reset();
        if (typed) {
            m_ctx.drafts->find();
            m_ctx.toast("Your idea is kept as a draft: continue it from Cases.");
        }
    }
    s.idea.reset();
}

void RecordsController::save_form(RecordScreen& screen, bool is_idea) {
    client::Session* session = m_ctx.session.get();
    if (session == nullptr) {
        return;
    }
    client::FormModel& form = screen.form;
    screen.problem.clear();
    std::vector<records::FieldError> errors;
    const records::Actor actor = session->actor();
    records::Values values = form.values_to_write(actor.role, errors);
    if (errors.empty() && values.empty() && !form.is_new()) {
        m_ctx.toast("Nothing has changed.");
        return;
    }
    std::optional<Result<records::Record>> written;
    if (errors.empty()) {
        // The record and its files' places in the upload queue, together.
        Status s = session->in_transaction([&](records::RecordEngine& e) {
            written = form.is_new() ? e.create(actor, form.schema()->type, values, &errors)
                                    : e.update(actor, form.record_id(), values, &errors);
            if (written->is_ok() && !form.is_new()) {
                // Answers of this record the server refused go again with the fix (if it still holds
                // them; one the record cannot take yet stays refused, and the save is not undone).
                (void)session->resend_refused(form.record_id());
            }
            return written->is_ok() ? m_ctx.attachments->queue_uploads(*form.schema(), values) : written->status();
        });
        if (!written || (!s.is_ok() && written->is_ok())) {
            written = Result<records::Record>(s.is_ok() ? Status::error(errc::kInternal, "nothing was written") : s);
        }
    }
    if (!errors.empty()) {
        form.set_errors(errors);  // the record screen counts what is still to fix (record_view.cpp)
        // The keyboard goes to the first question to fix, in the form's order.
        for (const records::FieldDef& f : form.schema()->fields) {
            if (form.error(f.name) != nullptr) {
                release_text_input();
                screen.focus_field = f.name;
                break;
            }
        }
        return;
    }
    const Result<records::Record>& saved = *written;
    if (!saved.is_ok()) {
        screen.problem = client::problem_words(saved.status());
        return;
    }
    form.clear_errors();
    (void)session->discard_draft(screen.draft_key);
    session->request_sync();
    AppState& st = m_ctx.state;
    if (is_idea) {
        st.idea.reset();
        m_ctx.toast("Idea saved. It goes to your team lead at the next sync.");
        if (st.screen == Screen::kSuggestions) {
            m_ctx.review->load();
        }
        return;
    }
    const std::string id = saved->id;
    // Saved: nothing of this form is left to set aside as a draft (open() would keep a dirty form's
    // answers, and a new record's draft would come back as a second, duplicate case).
    st.record.reset();
    open(id);  // the saved record, with its history
    if (st.record) {
        st.record->saved_ms = m_ctx.clock.now_ms();
    }
    m_ctx.cases->query(false);
}

}  // namespace outpost::ui
