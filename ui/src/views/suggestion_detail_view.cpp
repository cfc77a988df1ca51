// One suggestion in full: its support (endorsements, duplicates folded in); for the team's lead, the
// decisions (accept or decline with a note, ask for information, start the review, mark as a
// duplicate, implemented, share to the library); then its answers, and the comment thread with a box
// to add to it, on two tabs.
#include <imgui.h>

#include <algorithm>

#include "../theme.h"
#include "outpost/client/words.h"
#include "views.h"

namespace outpost::ui {
namespace {

const records::SuggestionSummary* find(const ReviewState& r, const std::string& id) {
    const auto it = std::find_if(r.all.begin(), r.all.end(), [&](const auto& s) { return s.id == id; });
    return it != r.all.end() ? &*it : nullptr;
}

const char* verb(const std::string& status) {
    return status == "accepted" ? "Accept" : status == "declined" ? "Decline" : "Ask for info";
}

void lead_actions(ViewContext& ctx, const records::SuggestionSummary& s) {
    ReviewState& r = ctx.state.review;
    section("Your decision");
    if (!records::is_decided(s.status)) {
        if (r.focus_note) {
            ImGui::SetKeyboardFocusHere();
            r.focus_note = false;
        }
        input_multiline(ctx.widgets, "Decision note##note", &r.note, 3, 8);
        if (r.pending.empty()) {
            hint_text("Accepting or declining needs a note. Asking for information sends it as the question.");
        } else {
            hint_text((std::string("Write the note, then press ") + verb(r.pending) + " again.").c_str());
        }
        if (primary_button(ctx.widgets, "Accept (a)")) {
            ctx.intents.emplace_back(DecideIntent{s.id, "accepted", r.note});
        }
        ImGui::SameLine();
        if (button(ctx.widgets, "Decline (d)")) {
            ctx.intents.emplace_back(DecideIntent{s.id, "declined", r.note});
        }
        ImGui::SameLine();
        if (s.status != "needs_info" && button(ctx.widgets, "Ask for info (i)")) {
            ctx.intents.emplace_back(DecideIntent{s.id, "needs_info", r.note});
        }
        if (s.status != "under_review") {
            if (button(ctx.widgets, "Start review (r)")) {
                ctx.intents.emplace_back(DecideIntent{s.id, "under_review", r.note});
            }
            ImGui::SameLine();
        }
        // A duplicate: pick the original among the team's other suggestions.
        const auto orig =
            std::find_if(r.all.begin(), r.all.end(), [&](const auto& o) { return o.id == r.duplicate_of; });
        ImGui::SetNextItemWidth(ImGui::GetContentRegionAvail().x * 0.5F);
        if (ImGui::BeginCombo("##original", orig != r.all.end() ? orig->title.c_str() : "Duplicate of...")) {
            for (const auto& other : r.all) {
                if (other.id == s.id || !other.duplicate_of.empty()) {
                    continue;
                }
                if (selectable(ctx.widgets, (other.title + "##dup" + other.id).c_str(), other.id == r.duplicate_of)) {
                    r.duplicate_of = other.id;
                }
            }
            ImGui::EndCombo();
        }
        ctx.widgets.record_last("Duplicate of");
        ImGui::SameLine();
        if (button(ctx.widgets, "Mark as duplicate")) {
            ctx.intents.emplace_back(MarkDuplicateIntent{s.id, r.duplicate_of, r.note});
        }
    } else {
        if (s.status == "accepted" && button(ctx.widgets, "Mark implemented")) {
            ctx.intents.emplace_back(DecideIntent{s.id, "implemented", r.note});
        }
        if (s.status == "accepted" || s.status == "implemented") {
            if (s.status == "accepted") {
                ImGui::SameLine();
            }
            if (!s.shared && primary_button(ctx.widgets, "Share to every team")) {
                ctx.intents.emplace_back(ShareIntent{s.id, true});
            } else if (s.shared && button(ctx.widgets, "Take out of the library")) {
                ctx.intents.emplace_back(ShareIntent{s.id, false});
            }
        }
        if (s.shared) {
            hint_text("In the practice library: every team sees it, read-only.");
        } else if (s.status == "declined") {
            hint_text("Declined. The submitter sees your note after their next sync.");
        }
    }
    // The refusal of the last action (a missing note is said by the hint once one is being typed).
    if (!r.problem.empty() && (r.pending.empty() || r.note.empty())) {
        problem_text(r.problem);
    }
}

}  // namespace

void draw_suggestion_detail(ViewContext& ctx, bool as_lead) {
    AppState& st = ctx.state;
    ReviewState& r = st.review;
    const records::SuggestionSummary* s = find(r, r.selected);
    if (s == nullptr) {
        ImGui::TextDisabled("Pick a suggestion to read it.");
        return;
    }
    ImGui::PushFont(current_fonts().heading);
    ImGui::TextWrapped("%s", s->title.c_str());
    ImGui::PopFont();
    badge(client::humanise(s->status).c_str(), status_colour(s->status));
    ImGui::SameLine();
    ImGui::TextDisabled("by %s, %s", s->created_by.c_str(), client::relative_time(s->created_ms, ctx.now_ms).c_str());
    if (!s->duplicate_of.empty()) {
        const records::SuggestionSummary* orig = find(r, s->duplicate_of);
        ImGui::TextDisabled("Duplicate of \u201c%s\u201d", orig != nullptr ? orig->title.c_str() : "another idea");
    }
    // Support: +1 once per person; not on one's own idea.
    ImGui::Text("%d endorsement%s", s->endorsements, s->endorsements == 1 ? "" : "s");
    if (!s->duplicates.empty()) {
        ImGui::SameLine();
        ImGui::TextDisabled("(with %zu duplicate%s folded in)", s->duplicates.size(),
                            s->duplicates.size() == 1 ? "" : "s");
    }
    if (s->created_by != st.user) {
        ImGui::SameLine();
        if (!s->endorsed_by_me && button(ctx.widgets, "+1##endorse")) {
            ctx.intents.emplace_back(EndorseIntent{s->id, true});
        } else if (s->endorsed_by_me && button(ctx.widgets, "Take back my +1")) {
            ctx.intents.emplace_back(EndorseIntent{s->id, false});
        }
    }
    const auto detail = r.details.find(s->id);
    if (as_lead) {
        lead_actions(ctx, *s);
    } else if (!r.problem.empty()) {
        problem_text(r.problem);
    }
    ImGui::Spacing();
    // The answers and the comment thread on tabs, so the comment box is always in reach.
    if (ImGui::BeginTabBar("##detail_tabs")) {
        const bool details = ImGui::BeginTabItem("Details");
        ctx.widgets.record_last("Details");
        if (details) {
            if (detail != r.details.end()) {
                for (const auto& [label, words] : detail->second.answers) {
                    ImGui::TextDisabled("%s", label.c_str());
                    ImGui::TextWrapped("%s", words.c_str());
                }
            }
            ImGui::EndTabItem();
        }
        const std::size_t n = detail != r.details.end() ? detail->second.comments.size() : 0;
        const std::string tab = "Comments (" + std::to_string(n) + ")";
        const bool comments = ImGui::BeginTabItem((tab + "###comments").c_str());
        ctx.widgets.record_last(tab);
        if (comments) {
            input_multiline(ctx.widgets, "Add a comment##comment", &r.comment, 2, 8);
            if (button(ctx.widgets, "Send comment")) {
                ctx.intents.emplace_back(CommentIntent{s->id, r.comment});
            }
            ImGui::Spacing();
            if (n == 0) {
                ImGui::TextDisabled("No comments yet.");
            }
            if (detail != r.details.end()) {
                // Newest first, under the box.
                for (auto it = detail->second.comments.rbegin(); it != detail->second.comments.rend(); ++it) {
                    ImGui::TextDisabled("%s, %s", it->author.c_str(),
                                        client::relative_time(it->created_ms, ctx.now_ms).c_str());
                    ImGui::Indent();
                    ImGui::TextWrapped("%s", it->body.c_str());
                    ImGui::Unindent();
                }
            }
            ImGui::EndTabItem();
        }
        ImGui::EndTabBar();
    }
}

}  // namespace outpost::ui
