// store_bench: the same workload on the plain store and on the encrypted store, in one process, with
// the store's own production PRAGMAs for both. Prints one JSON line. See docs/PERFORMANCE.md.
// The workload runs as --pairs R alternating pairs (plain then encrypted, then encrypted then plain,
// ...), each on fresh files, and every figure is the median over the pairs: this machine is shared
// and single runs drift by +-10%.
//   store_bench [--records N] [--pairs R (default 3)] [--dir DIR] [--cache-kib K (exploration; default: the Store's)]
//               [--random-ids (ids with a random time prefix: worst-case index churn)]
#include <sqlite3.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "outpost/core/store.h"

namespace {

using Clock = std::chrono::steady_clock;
using outpost::Store;
using outpost::StoreOptions;

struct Phases {
    std::map<std::string, double> ms;
    double total = 0;
    double cpu = 0;  // process CPU time (all threads), ms
    Store::CryptCounters crypt;
};

double process_cpu_ms() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return (static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000.0) +
           (static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000.0);
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

double since(Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

void check(int rc, sqlite3* db, const char* what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
        std::fprintf(stderr, "store_bench: %s failed: %s\n", what, sqlite3_errmsg(db));
        std::exit(1);
    }
}

void exec(sqlite3* db, const char* sql) {
    check(sqlite3_exec(db, sql, nullptr, nullptr, nullptr), db, sql);
}

sqlite3_stmt* prepare(sqlite3* db, const char* sql) {
    sqlite3_stmt* st = nullptr;
    check(sqlite3_prepare_v2(db, sql, -1, &st, nullptr), db, sql);
    return st;
}

// A UUIDv7 as the records engine makes them: 48 bits of Unix milliseconds, then random bits. With
// `random_order` the time prefix is random too (the worst case for index locality).
std::string make_id(std::mt19937_64& rng, std::uint64_t ms, bool random_order) {
    char buf[64];
    const std::uint64_t t = random_order ? (rng() & 0xffffffffffffULL) : ms;
    const std::uint64_t a = rng();
    const std::uint64_t b = rng();
    std::snprintf(buf, sizeof buf, "%08llx-%04llx-7%03llx-%04llx-%012llx", static_cast<unsigned long long>(t >> 16),
                  static_cast<unsigned long long>(t & 0xffff), static_cast<unsigned long long>(a & 0xfff),
                  static_cast<unsigned long long>((a >> 16) & 0x3fff) | 0x8000ULL,
                  static_cast<unsigned long long>(b & 0xffffffffffffULL));
    return buf;
}

// A JSON document of about 600 bytes, shaped like a case record.
std::string make_doc(std::mt19937_64& rng, int i) {
    static const char* words[] = {"visit",  "family",  "concern", "kitchen", "damp",   "referral", "school", "housing",
                                  "follow", "support", "carer",   "benefit", "safety", "review",   "plan",   "contact"};
    std::string notes;
    while (notes.size() < 420) {
        notes += words[rng() % 16];
        notes += ' ';
    }
    return "{\"type\":\"home_visit\",\"n\":" + std::to_string(i) +
           ",\"people_seen\":\"adult and two children\",\"risk\":\"medium\",\"next_visit\":\"2026-12-0" +
           std::to_string(1 + i % 9) + "\",\"notes\":\"" + notes + "\",\"actions\":\"arrange follow-up\"}";
}

Phases run(const std::filesystem::path& path, const StoreOptions& opts, int records,
           const std::vector<std::string>& ids, double* unlock_ms) {
    const char* pass = "benchmark passphrase, long enough";
    {
        auto created = Store::create(path, pass, opts);
        if (!created.is_ok()) {
            std::cerr << "store_bench: " << created.status().to_string() << "\n";
            std::exit(1);
        }
    }
    auto opened = Store::open(path, pass, opts);
    if (!opened.is_ok()) {
        std::cerr << "store_bench: " << opened.status().to_string() << "\n";
        std::exit(1);
    }
    *unlock_ms = static_cast<double>((*opened)->unlock_time().count());
    sqlite3* db = (*opened)->handle();
    Phases ph;
    const auto start_all = Clock::now();
    const double cpu_start = process_cpu_ms();
    exec(db,
         "CREATE TABLE records(id TEXT PRIMARY KEY, type TEXT, team TEXT, doc TEXT, updated INTEGER);"
         "CREATE INDEX records_team_updated ON records(team, updated);");

    std::mt19937_64 rng(42);
    auto t = Clock::now();
    sqlite3_stmt* ins = prepare(db, "INSERT INTO records VALUES(?,?,?,?,?)");
    for (int i = 0; i < records; ++i) {
        if (i % 1000 == 0) {
            exec(db, "BEGIN");
        }
        const std::string doc = make_doc(rng, i);
        const std::string team = "team-" + std::to_string(i % 20);
        sqlite3_bind_text(ins, 1, ids[static_cast<std::size_t>(i)].c_str(), -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 2, i % 3 == 0 ? "suggestion" : "home_visit", -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 3, team.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(ins, 4, doc.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(ins, 5, 1'700'000'000'000LL + i * 1000LL);
        check(sqlite3_step(ins), db, "insert");
        sqlite3_reset(ins);
        if (i % 1000 == 999 || i == records - 1) {
            exec(db, "COMMIT");
        }
    }
    sqlite3_finalize(ins);
    ph.ms["insert"] = since(t);

    t = Clock::now();
    sqlite3_stmt* get = prepare(db, "SELECT doc FROM records WHERE id = ?");
    std::size_t bytes = 0;
    for (int i = 0; i < records; ++i) {
        sqlite3_bind_text(get, 1, ids[rng() % static_cast<std::size_t>(records)].c_str(), -1, SQLITE_STATIC);
        check(sqlite3_step(get), db, "point read");
        bytes += static_cast<std::size_t>(sqlite3_column_bytes(get, 0));
        sqlite3_reset(get);
    }
    sqlite3_finalize(get);
    ph.ms["point_reads"] = since(t);

    t = Clock::now();
    sqlite3_stmt* range =
        prepare(db, "SELECT id, doc FROM records WHERE team = ? AND updated > ? ORDER BY updated LIMIT 200");
    for (int q = 0; q < 500; ++q) {
        const std::string team = "team-" + std::to_string(rng() % 20);
        sqlite3_bind_text(range, 1, team.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(
            range, 2, 1'700'000'000'000LL + static_cast<long long>(rng() % static_cast<unsigned>(records)) * 1000LL);
        int rc = 0;
        while ((rc = sqlite3_step(range)) == SQLITE_ROW) {
            bytes += static_cast<std::size_t>(sqlite3_column_bytes(range, 1));
        }
        check(rc, db, "range query");
        sqlite3_reset(range);
    }
    sqlite3_finalize(range);
    ph.ms["range_queries"] = since(t);

    t = Clock::now();
    sqlite3_stmt* upd = prepare(db, "UPDATE records SET doc = ?, updated = ? WHERE id = ?");
    const int updates = records / 5;
    for (int i = 0; i < updates; ++i) {
        if (i % 1000 == 0) {
            exec(db, "BEGIN");
        }
        const std::string doc = make_doc(rng, i + records);
        sqlite3_bind_text(upd, 1, doc.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(upd, 2, 1'800'000'000'000LL + i);
        sqlite3_bind_text(upd, 3, ids[rng() % static_cast<std::size_t>(records)].c_str(), -1, SQLITE_STATIC);
        check(sqlite3_step(upd), db, "update");
        sqlite3_reset(upd);
        if (i % 1000 == 999 || i == updates - 1) {
            exec(db, "COMMIT");
        }
    }
    sqlite3_finalize(upd);
    ph.ms["updates"] = since(t);
    ph.total = since(start_all);
    ph.cpu = process_cpu_ms() - cpu_start;
    ph.crypt = (*opened)->crypt_counters();
    if (bytes == 0) {
        std::fprintf(stderr, "store_bench: read nothing\n");
        std::exit(1);
    }
    return ph;
}

}  // namespace

int main(int argc, char** argv) {
    int records = 100'000;
    int cache_kib = 0;
    int pairs = 3;
    bool random_ids = false;
    std::filesystem::path dir = std::filesystem::temp_directory_path() / "outpost-store-bench";
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--records") == 0 && i + 1 < argc) {
            records = std::atoi(argv[++i]);
        } else if (std::strcmp(argv[i], "--cache-kib") == 0 && i + 1 < argc) {
            cache_kib = std::atoi(argv[++i]);  // exploration only: production uses the Store default
        } else if (std::strcmp(argv[i], "--pairs") == 0 && i + 1 < argc) {
            pairs = std::max(1, std::atoi(argv[++i]));
        } else if (std::strcmp(argv[i], "--random-ids") == 0) {
            random_ids = true;
        } else if (std::strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else {
            std::cerr << "usage: store_bench [--records N] [--dir DIR] [--pairs R] [--cache-kib K] [--random-ids]\n";
            return 2;
        }
    }
    if (records < 1000) {
        std::cerr << "store_bench: --records must be at least 1000\n";
        return 2;
    }
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    std::mt19937_64 idrng(7);
    std::vector<std::string> ids;
    ids.reserve(static_cast<std::size_t>(records));
    for (int i = 0; i < records; ++i) {
        // Records are created over time: about one every 3 s.
        ids.push_back(make_id(idrng, 1'700'000'000'000ULL + static_cast<std::uint64_t>(i) * 3000U, random_ids));
    }

    StoreOptions plain;
    plain.encrypted = false;
    StoreOptions enc;  // production defaults: encrypted, WAL, calibrated Argon2id
    if (cache_kib > 0) {
        plain.cache_kib = cache_kib;
        enc.cache_kib = cache_kib;
    }
    std::vector<Phases> ps;
    std::vector<Phases> es;
    std::vector<double> unlocks;
    std::vector<double> pair_ratios;
    for (int r = 0; r < pairs; ++r) {
        double unused = 0;
        double unlock_ms = 0;
        const auto tag = std::to_string(r);
        if (r % 2 == 0) {
            ps.push_back(run(dir / ("plain" + tag + ".db"), plain, records, ids, &unused));
            es.push_back(run(dir / ("encrypted" + tag + ".db"), enc, records, ids, &unlock_ms));
        } else {
            es.push_back(run(dir / ("encrypted" + tag + ".db"), enc, records, ids, &unlock_ms));
            ps.push_back(run(dir / ("plain" + tag + ".db"), plain, records, ids, &unused));
        }
        unlocks.push_back(unlock_ms);
        pair_ratios.push_back(es.back().total / ps.back().total);
        std::filesystem::remove_all(dir);
        std::filesystem::create_directories(dir);
    }
    std::filesystem::remove_all(dir);

    auto med = [](const std::vector<Phases>& v, auto pick) {
        std::vector<double> xs;
        for (const Phases& p : v) {
            xs.push_back(pick(p));
        }
        return median(xs);
    };
    const double p_total = med(ps, [](const Phases& p) { return p.total; });
    const double e_total = med(es, [](const Phases& p) { return p.total; });
    std::printf(
        "{\"bench\":\"store\",\"records\":%d,\"pairs\":%d,\"plain_ms\":%.1f,\"encrypted_ms\":%.1f,"
        "\"ratio\":%.3f,\"pair_ratios\":[",
        records, pairs, p_total, e_total, median(pair_ratios));
    for (std::size_t i = 0; i < pair_ratios.size(); ++i) {
        std::printf("%s%.3f", i == 0 ? "" : ",", pair_ratios[i]);
    }
    const double p_cpu = med(ps, [](const Phases& p) { return p.cpu; });
    const double e_cpu = med(es, [](const Phases& p) { return p.cpu; });
    std::printf("],\"plain_cpu_ms\":%.1f,\"encrypted_cpu_ms\":%.1f,\"cpu_ratio\":%.3f,\"phases\":{", p_cpu, e_cpu,
                e_cpu / p_cpu);
    bool first = true;
    for (const auto& [name, unused] : ps.front().ms) {
        std::vector<double> ratios;
        for (std::size_t i = 0; i < ps.size(); ++i) {
            ratios.push_back(es[i].ms.at(name) / ps[i].ms.at(name));
        }
        const std::string n = name;
        std::printf("%s\"%s\":{\"plain_ms\":%.1f,\"encrypted_ms\":%.1f,\"ratio\":%.3f}", first ? "" : ",", n.c_str(),
                    med(ps, [&](const Phases& p) { return p.ms.at(n); }),
                    med(es, [&](const Phases& p) { return p.ms.at(n); }), median(ratios));
        first = false;
    }
    const Store::CryptCounters& c = es.front().crypt;
    std::printf(
        "},\"crypt\":{\"pages_encrypted\":%llu,\"pages_decrypted\":%llu,\"frame_cache_hits\":%llu,"
        "\"context_reads\":%llu,\"sealed_reused\":%llu}",
        static_cast<unsigned long long>(c.pages_encrypted), static_cast<unsigned long long>(c.pages_decrypted),
        static_cast<unsigned long long>(c.frame_cache_hits), static_cast<unsigned long long>(c.context_reads),
        static_cast<unsigned long long>(c.sealed_reused));
    std::printf(",\"ids\":\"%s\",\"pragmas\":{\"plain\":\"%s\",\"encrypted\":\"%s\"},\"unlock_ms\":%.0f}\n",
                random_ids ? "random" : "uuidv7", Store::pragma_summary(plain).c_str(),
                Store::pragma_summary(enc).c_str(), median(unlocks));
    return 0;
}
