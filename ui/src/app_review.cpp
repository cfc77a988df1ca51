// App: the review loop (records/review.h). Reading happens on the reader worker after every sync and
// every action; writes are single records-engine calls on the UI thread, like saving a form, and
// reach the server with the next sync (requested at once).
#include <algorithm>
#include <ctime>

#include "outpost/core/error_codes.h"
#include "outpost/core/time_format.h"
#include "outpost/ui/app.h"
#include "outpost/ui/words.h"
#include "worker.h"

namespace outpost::ui {
namespace {

// Every record of one form on this laptop (the engine's pages, followed to the end).
Result<std::vector<records::Record>> all_of(records::RecordEngine& e, const char* type) {
    std::vector<records::Record> out;
    records::ListQuery q;
    q.type = type;
    q.limit = 500;
    for (;;) {
        Result<records::Page> page = e.list(q);
        OUTPOST_TRY(page);
        std::move(page->records.begin(), page->records.end(), std::back_inserter(out));
        if (!page->next) {
            return out;
        }
        q.after = page->next;
    }
}

// The answers of `r` worth reading in a detail pane, as (label, words), in form order.
std::vector<std::pair<std::string, std::string>> answers(const records::Schema* sch, const records::Record& r,
                                                         std::initializer_list<const char*> fields) {
    std::vector<std::pair<std::string, std::string>> out;
    if (sch == nullptr) {
        return out;
    }
    for (const char* name : fields) {
        const records::FieldDef* f = sch->field(name);
        const auto v = r.values.find(name);
        if (f == nullptr || v == r.values.end()) {
            continue;
        }
        const auto* choice = std::get_if<std::string>(&v->second);
        out.emplace_back(f->label, f->kind == records::FieldKind::kChoice && choice != nullptr
                                       ? humanise(*choice)
                                       : display_value(v->second));
    }
    return out;
}

}  // namespace

void App::load_suggestions() {
    if (!m_session) {
        return;
    }
    Session* session = m_session.get();  // lock() waits for the reader before the session goes
    m_reader->post([this, q = m_queue, session, gen = m_generation] {
        struct Read {
            std::vector<records::Record> suggestions, endorsements, comments, practices, adoptions;
        } read;
        Status s = session->with_records([&](records::RecordEngine& e) -> Status {
            for (auto [type, into] :
                 {std::pair{"suggestion", &read.suggestions}, std::pair{"endorsement", &read.endorsements},
                  std::pair{"comment", &read.comments}, std::pair{"practice", &read.practices},
                  std::pair{"adoption", &read.adoptions}}) {
                Result<std::vector<records::Record>> got = all_of(e, type);
                OUTPOST_TRY(got);
                *into = std::move(*got);
                if (into == &read.practices) {  // the library is team "*"; nothing else is a practice
                    std::erase_if(*into, [](const records::Record& p) { return p.team != records::kLibraryTeam; });
                }
            }
            return Status::ok();
        });
        Result<std::set<std::string>> read_keys = session->read_notices();
        if (!s.is_ok() || !read_keys.is_ok()) {
            return;
        }
        const sync::ProfileInfo& me = session->info();
        ReviewState r;
        r.all = records::summarise(read.suggestions, read.endorsements, read.comments, me.user);
        r.notices = records::notices(r.all, me.user, *read_keys);
        r.dashboard = records::dashboard(r.all, read.practices, read.adoptions, me.team);
        const records::Schema* sug = session->schema("suggestion");
        for (const records::Record& rec : read.suggestions) {
            r.details[rec.id].answers = answers(sug, rec,
                                                {"problem", "proposed_change", "expected_benefit", "benefit_notes",
                                                 "category", "decision_note", "reviewed_by"});
        }
        std::sort(read.comments.begin(), read.comments.end(),
                  [](const auto& a, const auto& b) { return a.created_ms < b.created_ms; });
        for (const records::Record& c : read.comments) {
            const auto it = r.details.find(records::text_of(c, "suggestion"));
            if (!c.deleted && it != r.details.end()) {
                it->second.comments.push_back({c.id, c.created_by, records::text_of(c, "body"), c.created_ms});
            }
        }
        std::set<std::string> adopted_here;
        for (const records::Record& a : read.adoptions) {
            if (!a.deleted && a.team == me.team) {
                adopted_here.insert(records::text_of(a, "practice"));
            }
        }
        const records::Schema* prac = session->schema("practice");
        for (const records::Record& p : read.practices) {
            if (p.deleted) {
                continue;
            }
            PracticeRow row;
            row.id = p.id;
            row.title = records::text_of(p, "title");
            row.source_team = records::text_of(p, "source_team");
            row.category = records::text_of(p, "category");
            row.status = records::text_of(p, "status");
            row.answers = answers(prac, p, {"problem", "proposed_change", "expected_benefit", "decision_note"});
            row.adopted_by = records::text_of(p, "adopted_by");
            if (const auto n = p.values.find("adoption_count");
                n != p.values.end() && std::holds_alternative<std::int64_t>(n->second)) {
                row.adoptions = static_cast<int>(std::get<std::int64_t>(n->second));
            }
            row.adopted_here = adopted_here.count(p.id) != 0;
            r.library.push_back(std::move(row));
        }
        std::sort(r.library.begin(), r.library.end(), [](const PracticeRow& a, const PracticeRow& b) {
            return std::tie(b.adoptions, a.title) < std::tie(a.adoptions, b.title);
        });
        r.loaded = true;
        q->post(for_session(gen, [this, r = std::move(r)](AppState& st) mutable {
            // Keep what the person is doing: the filter, the highlighted row, the open suggestion and
            // the texts being typed.
            ReviewState& cur = st.review;
            r.filter = cur.filter;
            r.selected = cur.selected;
            r.pending = cur.pending;
            r.note = std::move(cur.note);
            r.comment = std::move(cur.comment);
            r.duplicate_of = cur.duplicate_of;
            r.problem = std::move(cur.problem);
            const std::string highlighted = cur.cursor < cur.queue.size() && cur.queue[cur.cursor] < cur.all.size()
                                                ? cur.all[cur.queue[cur.cursor]].id
                                                : std::string();
            cur = std::move(r);
            refresh_queue(highlighted);
        }));
    });
}

void App::refresh_queue(const std::string& keep) {
    ReviewState& r = m_state.review;
    r.queue = records::review_queue(r.all, r.filter, m_clock.now_ms());
    r.cursor = std::min(r.cursor, r.queue.empty() ? 0 : r.queue.size() - 1);
    for (std::size_t i = 0; i < r.queue.size(); ++i) {
        if (r.all[r.queue[i]].id == keep) {
            r.cursor = i;
        }
    }
}

void App::review_write(const std::function<Status(records::RecordEngine&, const records::Actor&)>& write,
                       const std::string& done) {
    if (!m_session) {
        return;
    }
    const records::Actor me = m_session->actor();
    std::vector<records::FieldError> errors;
    Status s = m_session->in_transaction([&](records::RecordEngine& e) { return write(e, me); });
    if (!s.is_ok()) {
        m_state.review.problem = problem_words(s);
        return;
    }
    m_state.review.problem.clear();
    toast(done);
    m_session->request_sync();
    load_suggestions();
}

void App::apply_review(const Intent& intent) {
    ReviewState& r = m_state.review;
    if (const auto* sel = std::get_if<SelectSuggestionIntent>(&intent)) {
        r.selected = sel->id;
        r.pending.clear();
        r.note.clear();
        r.comment.clear();
        r.duplicate_of.clear();
        r.problem.clear();
    } else if (const auto* qc = std::get_if<QueueChangedIntent>(&intent)) {
        (void)qc;
        refresh_queue(r.selected);
    } else if (const auto* en = std::get_if<EndorseIntent>(&intent)) {
        const std::string id = records::endorsement_id(en->suggestion, m_state.user);
        const std::string target = en->suggestion;
        const bool on = en->on;
        review_write(
            [&](records::RecordEngine& e, const records::Actor& me) -> Status {
                if (on) {
                    return e.put(me, id, "endorsement", {{"suggestion", target}}).status();
                }
                return e.remove(me, id);
            },
            on ? "Endorsed" : "Endorsement taken back");
    } else if (const auto* cm = std::get_if<CommentIntent>(&intent)) {
        const std::string body = r.comment;
        const std::string target = cm->suggestion;
        if (body.find_first_not_of(" \n\t") == std::string::npos) {
            r.problem = "Write a comment first.";
            return;
        }
        review_write(
            [&](records::RecordEngine& e, const records::Actor& me) {
                return e.create(me, "comment", {{"suggestion", target}, {"body", body}}).status();
            },
            "Comment added");
        if (r.problem.empty()) {
            r.comment.clear();
        }
    } else if (const auto* de = std::get_if<DecideIntent>(&intent)) {
        decide(de->suggestion, de->status, std::string());
    } else if (const auto* md = std::get_if<MarkDuplicateIntent>(&intent)) {
        if (r.duplicate_of.empty() || r.duplicate_of == md->suggestion) {
            r.problem = "Pick the suggestion this one duplicates.";
            return;
        }
        decide(md->suggestion, "declined", r.duplicate_of);
    } else if (const auto* sh = std::get_if<ShareIntent>(&intent)) {
        const std::string target = sh->suggestion;
        const bool on = sh->on;
        review_write(
            [&](records::RecordEngine& e, const records::Actor& me) {
                return e.update(me, target, {{"shared_to_library", on}}).status();
            },
            on ? "Shared with every team; it reaches them at their next sync" : "Taken out of the library");
    } else if (const auto* ad = std::get_if<AdoptIntent>(&intent)) {
        const std::string practice = ad->practice;
        review_write(
            [&](records::RecordEngine& e, const records::Actor& me) {
                return e.put(me, records::adoption_id(practice, me.team), "adoption", {{"practice", practice}})
                    .status();
            },
            "Marked as adopted here");
    } else if (std::holds_alternative<MarkNoticesReadIntent>(intent)) {
        if (!m_session) {
            return;
        }
        std::vector<std::string> keys;
        for (const records::Notice& n : r.notices) {
            keys.push_back(n.key);
        }
        if (Status s = m_session->mark_notices_read(keys); !s.is_ok()) {
            r.problem = problem_words(s);
            return;
        }
        r.notices.clear();
    }
}

// A lead's decision. From submitted (or needs_info) a decision first passes through under_review,
// as the lifecycle asks; each step is its own write, so the server checks each in turn. Accepting
// and declining need the note; asking for information sends the note as the question.
void App::decide(const std::string& id, const std::string& status, const std::string& duplicate_of) {
    ReviewState& r = m_state.review;
    const auto it = std::find_if(r.all.begin(), r.all.end(), [&](const auto& s) { return s.id == id; });
    if (it == r.all.end()) {
        return;
    }
    const std::string from = it->status;
    std::string note = r.note;
    if (!duplicate_of.empty() && note.empty()) {
        for (const auto& s : r.all) {
            if (s.id == duplicate_of) {
                note = "Duplicate of \u201c" + s.title + "\u201d";
            }
        }
    }
    const bool needs_note = status == "accepted" || status == "declined";
    if (needs_note && note.find_first_not_of(" \n\t") == std::string::npos) {
        r.pending = status;
        r.focus_note = true;
        r.problem = status == "accepted" ? "Write a decision note to accept." : "Write a decision note to decline.";
        return;
    }
    const bool via_review = (from == "submitted" || from == "needs_info") && status != "under_review";
    const std::string when = iso_utc(m_clock.now_ms());
    const std::string who = m_state.user;
    review_write(
        [&](records::RecordEngine& e, const records::Actor& me) -> Status {
            if (via_review) {
                OUTPOST_TRY(e.update(me, id, {{"status", std::string("under_review")}}).status());
            }
            records::Values v{{"status", status}, {"reviewed_by", who}, {"reviewed_at", when}};
            if (!note.empty() && status != "under_review") {
                v["decision_note"] = note;
            }
            if (!duplicate_of.empty()) {
                v["duplicate_of"] = duplicate_of;
            }
            std::vector<records::FieldError> errors;
            Result<records::Record> done = e.update(me, id, v, &errors);
            if (!done.is_ok() && !errors.empty()) {
                return Status::error(errors.front().code, errors.front().message);
            }
            return done.status();
        },
        duplicate_of.empty() ? humanise(status) : std::string("Marked as a duplicate"));
    if (r.problem.empty()) {
        r.pending.clear();
        r.note.clear();
        r.duplicate_of.clear();
    }
}

}  // namespace outpost::ui
