#include "review_controller.h"

#include <algorithm>
#include <set>

#include "app_context.h"
#include "outpost/client/words.h"
#include "outpost/core/error_codes.h"
#include "outpost/core/time_format.h"
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
                                       ? client::humanise(*choice)
                                       : client::display_value(v->second));
    }
    return out;
}

}  // namespace

void ReviewController::load() {
    if (!m_ctx.session) {
        return;
    }
    client::Session* session = m_ctx.session.get();  // a lock waits for the reader before the session goes
    m_ctx.reader.post([this, q = m_ctx.queue, session, gen = m_ctx.generation] {
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
        q->post(m_ctx.for_session(gen, [this, r = std::move(r)](AppState& st) mutable {
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

void ReviewController::refresh_queue(const std::string& keep) {
    ReviewState& r = m_ctx.state.review;
    r.queue = records::review_queue(r.all, r.filter, m_ctx.clock.now_ms());
    r.cursor = std::min(r.cursor, r.queue.empty() ? 0 : r.queue.size() - 1);
    for (std::size_t i = 0; i < r.queue.size(); ++i) {
        if (r.all[r.queue[i]].id == keep) {
            r.cursor = i;
        }
    }
}

void ReviewController::write(const std::function<Status(records::RecordEngine&, const records::Actor&)>& fn,
                             const std::string& done) {
    if (!m_ctx.session) {
        return;
    }
    const records::Actor me = m_ctx.session->actor();
    Status s = m_ctx.session->in_transaction([&](records::RecordEngine& e) { return fn(e, me); });
    if (!s.is_ok()) {
        m_ctx.state.review.problem = client::problem_words(s);
        return;
    }
    m_ctx.state.review.problem.clear();
    m_ctx.toast(done);
    m_ctx.session->request_sync();
    load();
}

void ReviewController::select(const std::string& id) {
    ReviewState& r = m_ctx.state.review;
    r.selected = id;
    r.pending.clear();
    r.note.clear();
    r.comment.clear();
    r.duplicate_of.clear();
    r.problem.clear();
}

void ReviewController::queue_changed(const records::QueueFilter& filter) {
    ReviewState& r = m_ctx.state.review;
    r.filter = filter;
    refresh_queue(r.selected);
}

void ReviewController::endorse(const EndorseIntent& intent) {
    const std::string id = records::endorsement_id(intent.suggestion, m_ctx.state.user);
    const std::string target = intent.suggestion;
    const bool on = intent.on;
    write(
        [&](records::RecordEngine& e, const records::Actor& me) -> Status {
            if (on) {
                return e.put(me, id, "endorsement", {{"suggestion", target}}).status();
            }
            return e.remove(me, id);
        },
        on ? "Endorsed" : "Endorsement taken back");
}

void ReviewController::comment(const CommentIntent& intent) {
    ReviewState& r = m_ctx.state.review;
    const std::string& body = intent.body;
    const std::string& target = intent.suggestion;
    if (body.find_first_not_of(" \n\t") == std::string::npos) {
        r.problem = "Write a comment first.";
        return;
    }
    write(
        [&](records::RecordEngine& e, const records::Actor& me) {
            return e.create(me, "comment", {{"suggestion", target}, {"body", body}}).status();
        },
        "Comment added");
    if (r.problem.empty() && r.comment == body) {  // what was typed since stays
        r.comment.clear();
    }
}

void ReviewController::mark_duplicate(const MarkDuplicateIntent& intent) {
    if (intent.original.empty() || intent.original == intent.suggestion) {
        m_ctx.state.review.problem = "Pick the suggestion this one duplicates.";
        return;
    }
    decide(intent.suggestion, "declined", intent.note, intent.original);
}

void ReviewController::share(const ShareIntent& intent) {
    const std::string target = intent.suggestion;
    const bool on = intent.on;
    write(
        [&](records::RecordEngine& e, const records::Actor& me) {
            return e.update(me, target, {{"shared_to_library", on}}).status();
        },
        on ? "Shared with every team; it reaches them at their next sync" : "Taken out of the library");
}

void ReviewController::adopt(const std::string& practice) {
    write(
        [&](records::RecordEngine& e, const records::Actor& me) {
            return e.put(me, records::adoption_id(practice, me.team), "adoption", {{"practice", practice}}).status();
        },
        "Marked as adopted here");
}

void ReviewController::mark_notices_read(const std::vector<std::string>& keys) {
    if (!m_ctx.session) {
        return;
    }
    ReviewState& r = m_ctx.state.review;
    if (Status s = m_ctx.session->mark_notices_read(keys); !s.is_ok()) {
        r.problem = client::problem_words(s);
        return;
    }
    const std::set<std::string> read(keys.begin(), keys.end());
    std::erase_if(r.notices, [&](const records::Notice& n) { return read.count(n.key) != 0; });
}

void ReviewController::decide(const std::string& id, const std::string& status, const std::string& typed_note,
                              const std::string& duplicate_of) {
    ReviewState& r = m_ctx.state.review;
    const auto it = std::find_if(r.all.begin(), r.all.end(), [&](const auto& s) { return s.id == id; });
    if (it == r.all.end()) {
        return;
    }
    const std::string from = it->status;
    std::string note = typed_note;
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
    const std::string when = iso_utc(m_ctx.clock.now_ms());
    const std::string who = m_ctx.state.user;
    write(
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
        duplicate_of.empty() ? client::humanise(status) : std::string("Marked as a duplicate"));
    if (r.problem.empty()) {
        r.pending.clear();
        r.note.clear();
        r.duplicate_of.clear();
    }
}

}  // namespace outpost::ui
