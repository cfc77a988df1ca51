// records_bench: the records engine on an encrypted store holding N records of mixed types.
// Prints one JSON line: save latency of one record, a two-word search, and the first and the 1,000th
// page of 50 rows sorted by date (most recently updated first), and the save latency of a form with
// 20 expressions and a repeat of 10 items (form logic, records/logic.h). See docs/PERFORMANCE.md.
//   records_bench [--records N] [--dir DIR] [--forms DIR]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "outpost/core/records/engine.h"

namespace {

using Steady = std::chrono::steady_clock;
using namespace outpost;
using namespace outpost::records;

double ms_since(Steady::time_point t) {
    return std::chrono::duration<double, std::milli>(Steady::now() - t).count();
}

double percentile(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    const auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
    return v[std::min(i, v.size() - 1)];
}

// Text from a vocabulary of 3,000 made-up words with a Zipf-like frequency (word k about 1/k as
// common as the most common), closer to real case notes than a handful of words that every record
// contains. Queries draw their words from the same distribution.
struct Vocabulary {
    std::vector<std::string> words;
    std::vector<double> cumulative;
    Vocabulary() {
        std::mt19937 rng(99);
        const char* syllables[] = {"ka", "lo", "mi", "ne", "ru", "sa", "te", "vo", "da", "pe", "li", "mo", "an", "el"};
        double total = 0;
        for (int k = 1; k <= 3000; ++k) {
            std::string w;
            for (int s = 0; s < 2 + static_cast<int>(rng() % 3); ++s) {
                w += syllables[rng() % 14];
            }
            words.push_back(w + std::to_string(k % 10));
            total += 1.0 / k;
            cumulative.push_back(total);
        }
        for (double& c : cumulative) {
            c /= total;
        }
    }
    const std::string& pick(std::mt19937& rng) const {
        const double u = std::uniform_real_distribution<double>(0, 1)(rng);
        const auto it = std::lower_bound(cumulative.begin(), cumulative.end(), u);
        return words[static_cast<std::size_t>(std::min<std::ptrdiff_t>(it - cumulative.begin(), 2999))];
    }
};

const Vocabulary& vocabulary() {
    static const Vocabulary v;
    return v;
}

std::string sentence(std::mt19937& rng, int words) {
    std::string s;
    for (int i = 0; i < words; ++i) {
        s += vocabulary().pick(rng);
        s += i % 7 == 6 ? ". " : " ";
    }
    return s;
}

Values make(std::mt19937& rng, int i, std::string& type) {
    const std::string day = "2026-" + std::string(rng() % 2 ? "10" : "11") + "-" + std::to_string(10 + rng() % 18);
    switch (i % 3) {
        case 0:
            type = "home_visit";
            return {{"visit_date", day},
                    {"household", "Household " + std::to_string(i)},
                    {"visit_type", std::string("planned")},
                    {"concerns_identified", true},
                    {"concerns", sentence(rng, 40)},
                    {"actions_agreed", sentence(rng, 20)},
                    {"people_seen", std::vector<std::string>{"parent_or_carer", "child"}}};
        case 1:
            type = "inspection";
            return {{"inspection_date", day},
                    {"premises_name", "Premises " + std::to_string(i)},
                    {"regime", std::string("food_hygiene")},
                    {"inspection_type", std::string("programmed")},
                    {"outcome", std::string("advice_given")},
                    {"rating", std::int64_t{static_cast<std::int64_t>(rng() % 6)}},
                    {"findings", sentence(rng, 50)},
                    {"follow_up_required", false}};
        default:
            type = "suggestion";
            return {{"title", "Idea " + std::to_string(i) + " " + sentence(rng, 3)},
                    {"problem", sentence(rng, 30)},
                    {"proposed_change", sentence(rng, 30)},
                    {"expected_benefit", std::vector<std::string>{"time"}},
                    {"category", std::string("process")}};
    }
}

// A form with 20 expressions (relevant, required when, constraints, calculations, over the record and
// over a repeat) and a repeat of up to 10 household members.
constexpr const char* kLogicForm = R"json({
  "type": "logic_bench", "version": 1, "title": "Logic bench",
  "fields": [
    {"name": "visit_date", "kind": "date", "label": "Date", "required": true, "constraint": ". <= today()"},
    {"name": "any_concerns", "kind": "yes_no", "label": "Concerns"},
    {"name": "concerns", "kind": "long_text", "label": "What concerns", "relevant": "${any_concerns} = 'yes'",
     "required": "${any_concerns} = 'yes'", "constraint": "string-length(.) >= 5"},
    {"name": "risk", "kind": "choice", "label": "Risk", "choices": ["low", "medium", "high"]},
    {"name": "plan", "kind": "long_text", "label": "Plan", "required": "selected(${risk}, 'high')"},
    {"name": "phone", "kind": "text", "label": "Phone", "constraint": "regex(., '^[0-9 ]{6,15}$')"},
    {"name": "members", "kind": "repeat", "label": "Members", "max_items": 10, "fields": [
      {"name": "member_name", "kind": "text", "label": "Name", "required": true},
      {"name": "age", "kind": "integer", "label": "Age", "constraint": ". >= 0 and . <= 120"},
      {"name": "relationship", "kind": "choice", "label": "Relationship", "choices": ["parent", "child", "other"],
       "relevant": "${age} != ''"},
      {"name": "school", "kind": "text", "label": "School", "relevant": "${age} < 18"},
      {"name": "band", "kind": "calculate", "calculate": "if(${age} < 18, 'child', if(${age} >= 65, 'older', 'adult'))"}
    ]},
    {"name": "people", "kind": "calculate", "label": "People", "calculate": "count(${members})"},
    {"name": "total_age", "kind": "calculate", "label": "Total age", "calculate": "sum(${age})"},
    {"name": "oldest", "kind": "calculate", "label": "Oldest", "calculate": "max(${age})"},
    {"name": "score", "kind": "calculate", "label": "Score",
     "calculate": "if(selected(${risk}, 'high'), 10, if(selected(${risk}, 'medium'), 5, 1)) + ${people}"},
    {"name": "summary", "kind": "long_text", "label": "Summary", "relevant": "${people} > 0",
     "constraint": "string-length(.) <= 2000"}
  ]
})json";

Values make_logic(std::mt19937& rng, int i) {
    Values v{{"visit_date", std::string("2026-11-") + std::to_string(10 + rng() % 18)},
             {"any_concerns", true},
             {"concerns", sentence(rng, 20)},
             {"risk", std::string(i % 2 ? "high" : "medium")},
             {"plan", sentence(rng, 10)},
             {"phone", std::string("01234 567890")},
             {"summary", sentence(rng, 15)}};
    for (int m = 0; m < 10; ++m) {
        const std::string item = "m" + std::to_string(100000 + i % 1000) + std::to_string(m);
        v["members." + item + ".member_name"] = "Member " + std::to_string(m);
        v["members." + item + ".age"] = std::int64_t{static_cast<std::int64_t>(rng() % 90)};
        v["members." + item + ".school"] = std::string("Ysgol");
    }
    return v;
}

}  // namespace

int main(int argc, char** argv) {
    int records = 100'000;
    std::filesystem::path dir = std::filesystem::temp_directory_path() / "outpost-records-bench";
    std::filesystem::path forms = OUTPOST_FORMS_DIR;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--records") == 0 && i + 1 < argc) {
            records = std::max(1000, std::atoi(argv[++i]));
        } else if (std::strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else if (std::strcmp(argv[i], "--forms") == 0 && i + 1 < argc) {
            forms = argv[++i];
        } else {
            std::cerr << "usage: records_bench [--records N] [--dir DIR] [--forms DIR]\n";
            return 2;
        }
    }
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    auto schemas = load_schemas(forms);
    auto logic_form = parse_schema(kLogicForm, "logic_bench.json");
    auto store = Store::create(dir / "profile.db", "benchmark passphrase, long enough", {});
    if (!schemas.is_ok() || !logic_form.is_ok() || !store.is_ok()) {
        std::cerr << "records_bench: setup failed\n";
        return 1;
    }
    schemas->push_back(*logic_form);
    auto engine = RecordEngine::open(**store, *schemas, SystemClock::instance());
    if (!engine.is_ok()) {
        std::cerr << "records_bench: " << engine.status().to_string() << "\n";
        return 1;
    }
    RecordEngine& e = **engine;
    const Actor who{"ann", "laptop-1", "worker", "team-a"};
    std::mt19937 rng(1);
    std::vector<std::string> ids;
    const auto load_start = Steady::now();
    for (int i = 0; i < records; ++i) {
        if (i % 1000 == 0 && !(*store)->exec("BEGIN").is_ok()) {
            return 1;
        }
        std::string type;
        const Values values = make(rng, i, type);
        auto r = e.create(who, type, values);
        if (!r.is_ok()) {
            std::cerr << "records_bench: " << r.status().to_string() << "\n";
            return 1;
        }
        ids.push_back(r->id);
        if ((i % 1000 == 999 || i == records - 1) && !(*store)->exec("COMMIT").is_ok()) {
            return 1;
        }
    }
    const double load_ms = ms_since(load_start);

    // Save latency: one record per transaction (as a worker pressing Save), alternating new and edit.
    std::vector<double> saves;
    for (int i = 0; i < 300; ++i) {
        std::string type;
        const Values fresh = make(rng, i, type);
        // Records were created in the order home_visit, inspection, suggestion: pick a field each has.
        const std::size_t j = rng() % ids.size();
        static const char* kEditable[] = {"actions_agreed", "findings", "benefit_notes"};
        const Values edit{{kEditable[j % 3], sentence(rng, 12)}};
        const auto t = Steady::now();
        const bool ok = i % 2 == 0 ? e.create(who, type, fresh).is_ok() : e.update(who, ids[j], edit).is_ok();
        saves.push_back(ms_since(t));
        if (!ok) {
            std::cerr << "records_bench: save failed\n";
            return 1;
        }
    }
    // Search: two-word queries.
    std::vector<double> searches;
    std::size_t hits = 0;
    for (int i = 0; i < 200; ++i) {
        ListQuery q;
        q.search = vocabulary().pick(rng) + " " + vocabulary().pick(rng);
        const auto t = Steady::now();
        auto page = e.list(q);
        searches.push_back(ms_since(t));
        if (!page.is_ok()) {
            return 1;
        }
        hits += page->records.size();
    }
    // Paging by date: page 1, then walk to page 1,000 (or the last page of a smaller run) and time it.
    const int far_page = std::min(1000, records / 50);
    ListQuery by_date;
    by_date.limit = 50;
    std::vector<double> page1;
    for (int i = 0; i < 20; ++i) {
        const auto t = Steady::now();
        auto p = e.list(by_date);
        page1.push_back(ms_since(t));
        if (!p.is_ok() || p->records.size() != 50) {
            return 1;
        }
    }
    ListQuery walk = by_date;
    for (int p = 1; p < far_page; ++p) {
        auto page = e.list(walk);
        if (!page.is_ok() || !page->next) {
            std::cerr << "records_bench: fewer pages than expected\n";
            return 1;
        }
        walk.after = page->next;
    }
    std::vector<double> page1000;
    for (int i = 0; i < 20; ++i) {
        const auto t = Steady::now();
        auto p = e.list(walk);
        page1000.push_back(ms_since(t));
        if (!p.is_ok() || p->records.size() != 50) {
            return 1;
        }
    }
    // Last (so the figures above stay comparable with earlier runs), with its own random numbers: the
    // save of a form with logic, a new 10-member record or one member's age changed (every rule and
    // calculation runs again), one per transaction.
    std::mt19937 logic_rng(7);
    std::vector<double> logic_saves;
    std::vector<std::string> logic_ids;
    for (int i = 0; i < 300; ++i) {
        const Values fresh = make_logic(logic_rng, i);
        const auto t = Steady::now();
        bool ok = false;
        if (i % 2 == 0 || logic_ids.empty()) {
            std::vector<FieldError> problems;
            auto r = e.create(who, "logic_bench", fresh, &problems);
            ok = r.is_ok();
            if (ok) {
                logic_ids.push_back(r->id);
            } else {
                for (const FieldError& p : problems) {
                    std::cerr << p.field << ": " << p.message << "\n";
                }
            }
        } else {
            const std::string& id = logic_ids[logic_rng() % logic_ids.size()];
            auto rec = e.get(id);
            std::string key;
            for (const auto& [k, v] : rec.is_ok() ? rec->values : Values{}) {
                if (k.size() > 4 && k.compare(k.size() - 4, 4, ".age") == 0) {
                    key = k;
                }
            }
            ok = !key.empty() &&
                 e.update(who, id, {{key, std::int64_t{static_cast<std::int64_t>(logic_rng() % 90)}}}).is_ok();
        }
        logic_saves.push_back(ms_since(t));
        if (!ok) {
            std::cerr << "records_bench: logic save failed\n";
            return 1;
        }
    }
    std::printf(
        "{\"bench\":\"records\",\"records\":%d,\"save_p50_ms\":%.2f,\"save_p99_ms\":%.2f,\"search_p50_ms\":%.2f,"
        "\"search_p99_ms\":%.2f,\"page1_ms\":%.2f,\"page1000_ms\":%.2f,\"far_page\":%d,\"load_ms\":%.0f,"
        "\"search_hits\":%zu,\"logic_save_p50_ms\":%.2f,\"logic_save_p99_ms\":%.2f,\"logic_vs_plain_p99\":%.2f}\n",
        records, percentile(saves, 0.5), percentile(saves, 0.99), percentile(searches, 0.5), percentile(searches, 0.99),
        percentile(page1, 0.5), percentile(page1000, 0.5), far_page, load_ms, hits, percentile(logic_saves, 0.5),
        percentile(logic_saves, 0.99), percentile(logic_saves, 0.99) / percentile(saves, 0.99));
    engine->reset();
    store->reset();
    std::filesystem::remove_all(dir);
    return 0;
}
