#include "outpost/core/records/merge.h"

#include <algorithm>

namespace outpost::records {

bool supersedes(const FieldVersion& u, const FieldVersion& v) {
    return u.stamp > v.stamp && u.base >= v.stamp.hlc;
}

namespace {

FieldState frontier_of(std::vector<FieldVersion> all) {
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    FieldState out;
    for (const FieldVersion& v : all) {
        const bool covered =
            std::any_of(all.begin(), all.end(), [&](const FieldVersion& u) { return supersedes(u, v); });
        if (!covered) {
            out.frontier.push_back(v);
        }
    }
    return out;
}

}  // namespace

FieldState merge(const FieldState& a, const FieldState& b) {
    std::vector<FieldVersion> all = a.frontier;
    all.insert(all.end(), b.frontier.begin(), b.frontier.end());
    return frontier_of(std::move(all));
}

FieldState merge(const FieldState& a, const FieldVersion& v) {
    return merge(a, FieldState{{v}});
}

const FieldVersion& winner(const FieldState& state) {
    return state.frontier.back();
}

std::vector<FieldVersion> losers(const FieldState& state) {
    std::vector<FieldVersion> out;
    if (state.frontier.empty()) {
        return out;
    }
    const FieldVersion& w = winner(state);
    for (const FieldVersion& v : state.frontier) {
        if (&v != &w && v.value != w.value) {
            out.push_back(v);
        }
    }
    return out;
}

ApplyResult apply_write(const FieldState& state, const FieldVersion& incoming) {
    ApplyResult r;
    r.state = merge(state, incoming);
    const std::vector<FieldVersion> before = losers(state);
    for (const FieldVersion& l : losers(r.state)) {
        if (!std::binary_search(before.begin(), before.end(), l)) {
            r.new_losers.push_back(l);
        }
    }
    const bool already_winner = !state.frontier.empty() && winner(state) == incoming;
    if (!r.new_losers.empty()) {
        r.outcome = MergeOutcome::kConflict;
    } else if (winner(r.state) == incoming && !already_winner) {
        r.outcome = MergeOutcome::kApplied;
    } else {
        r.outcome = MergeOutcome::kSuperseded;  // older, already seen, or a replay
    }
    return r;
}

}  // namespace outpost::records
