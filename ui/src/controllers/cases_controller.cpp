#include "cases_controller.h"

#include <map>
#include <string>
#include <vector>

#include "app_context.h"
#include "outpost/client/words.h"
#include "worker.h"

namespace outpost::ui {
namespace {

std::string status_of(const records::Record& r) {
    const auto it = r.values.find("status");
    if (it != r.values.end()) {
        if (const auto* s = std::get_if<std::string>(&it->second)) {
            return *s;
        }
    }
    return "";
}

}  // namespace

void CasesController::query_changed(const QueryChangedIntent& asked) {
    CaseList& c = m_ctx.state.cases;
    c.search = asked.search;
    c.type = asked.type;
    c.sort = asked.sort;
    c.descending = asked.descending;
    query(false);
}

void CasesController::query(bool more) {
    if (!m_ctx.session) {
        return;
    }
    CaseList& c = m_ctx.state.cases;
    if (more && (!c.next || c.loading)) {
        return;
    }
    if (!more) {
        ++c.query;
    }
    c.loading = true;
    records::ListQuery q;
    q.type = c.type;
    q.search = c.search;
    q.sort = c.sort;
    q.descending = c.descending;
    q.limit = kPageRows;
    if (more) {
        q.after = c.next;
    }
    client::Session* session = m_ctx.session.get();  // a lock waits for the reader before the session goes
    m_ctx.reader.post(
        [this, q = std::move(q), id = c.query, more, session, queue = m_ctx.queue, gen = m_ctx.generation] {
            Result<records::Page> page = session->with_records([&](records::RecordEngine& e) { return e.list(q); });
            std::vector<CaseRow> rows;
            std::optional<records::Cursor> next;
            std::string problem;
            if (page.is_ok()) {
                rows.reserve(page->records.size());
                for (const records::Record& r : page->records) {
                    const records::Schema* sch = session->schema(r.type);
                    if (q.type.empty() && !is_case_form(sch)) {
                        continue;
                    }
                    rows.push_back({r.id, r.type, sch != nullptr ? sch->title : client::humanise(r.type),
                                    client::record_title(sch, r), r.created_by, client::humanise(status_of(r)),
                                    r.created_ms, r.updated_ms});
                }
                next = page->next;
            } else {
                problem = client::problem_words(page.status());
            }
            std::vector<std::string> ids;
            for (const CaseRow& r : rows) {
                ids.push_back(r.id);
            }
            queue->post(
                m_ctx.for_session(gen, [this, rows = std::move(rows), next, problem, id, more](AppState& s) mutable {
                    if (s.cases.query != id) {
                        return;  // the search changed since: a newer answer is coming
                    }
                    s.cases.loading = false;
                    s.cases.problem = problem;
                    if (!more) {
                        s.cases.rows.assign(std::make_move_iterator(rows.begin()), std::make_move_iterator(rows.end()));
                    } else {
                        s.cases.rows.insert(s.cases.rows.end(), std::make_move_iterator(rows.begin()),
                                            std::make_move_iterator(rows.end()));
                    }
                    s.cases.next = next;
                    // "All forms" leaves suggestions and conflicts out here: a page that was mostly those
                    // fills up with the next one, so the table never shows "no cases" with more to come.
                    if (s.cases.next && s.cases.rows.size() < static_cast<std::size_t>(kPageRows)) {
                        query(true);
                    }
                }));
            // Cases have no status of their own: the column says whether each has reached the server.
            // Read after the rows are shown: it waits for the store while a sync holds it.
            Result<sync::SyncEngine::RecordSyncStatus> sent = session->record_status(ids);
            if (!sent.is_ok()) {
                return;
            }
            std::map<std::string, std::string> status;
            for (const std::string& rid : ids) {
                status[rid] = sent->refused.count(rid) != 0   ? "Refused"
                              : sent->waiting.count(rid) != 0 ? "Not sent yet"
                                                              : "Sent";
            }
            queue->post(m_ctx.for_session(gen, [status = std::move(status), id](AppState& s) {
                if (s.cases.query != id) {
                    return;
                }
                // The page's rows are the last ones in the table (pages are only ever appended).
                std::size_t found = 0;
                for (auto it = s.cases.rows.rbegin(); it != s.cases.rows.rend() && found < status.size(); ++it) {
                    if (const auto st = status.find(it->id); st != status.end()) {
                        ++found;
                        if (it->status.empty() || it->status == "Not sent yet" || it->status == "Sent" ||
                            it->status == "Refused") {
                            it->status = st->second;
                        }
                    }
                }
            }));
        });
}

}  // namespace outpost::ui
