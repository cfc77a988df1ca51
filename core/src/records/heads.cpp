#include "outpost/core/records/heads.h"

#include <algorithm>
#include <charconv>
#include <tuple>

#include "outpost/core/error_codes.h"
#include "outpost/core/json.h"

namespace outpost::records {
namespace {

constexpr char kMagic = 'h';
constexpr char kVersion = 1;

void put_varint(std::string& out, std::uint64_t v) {
    while (v >= 0x80) {
        out.push_back(static_cast<char>((v & 0x7f) | 0x80));
        v >>= 7;
    }
    out.push_back(static_cast<char>(v));
}

void put_string(std::string& out, std::string_view s) {
    put_varint(out, s.size());
    out.append(s);
}

// A bounds-checked reader over one blob: every read fails (and stays failed) past the end.
class Reader {
public:
    explicit Reader(std::string_view b) : m_b(b) {}
    bool varint(std::uint64_t& v) {
        v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (m_pos >= m_b.size()) {
                return false;
            }
            const auto byte = static_cast<unsigned char>(m_b[m_pos++]);
            v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
            if ((byte & 0x80) == 0) {
                return true;
            }
        }
        return false;
    }
    bool string(std::string_view& s) {
        std::uint64_t n = 0;
        if (!varint(n) || n > m_b.size() - m_pos) {
            return false;
        }
        s = m_b.substr(m_pos, n);
        m_pos += n;
        return true;
    }
    bool byte(unsigned char& c) {
        if (m_pos >= m_b.size()) {
            return false;
        }
        c = static_cast<unsigned char>(m_b[m_pos++]);
        return true;
    }
    [[nodiscard]] std::size_t left() const { return m_b.size() - m_pos; }

private:
    std::string_view m_b;
    std::size_t m_pos = 0;
};

Status corrupt() {
    return Status::error(errc::kStoreRecordCorrupt, "a record's saved fields could not be read");
}

// One entry of a blob, as views into the blob or the caller's values.
struct Entry {
    std::string_view field;
    std::string_view value;
    std::uint64_t hlc = 0;
    std::uint64_t base = 0;
    std::string_view device;
    std::string_view author;
    unsigned char flags = 0;
};

// What a parse_entries visitor says after each entry.
enum class Visit { kNext, kStop, kRefuse };

// Reads a blob of `magic`, calling fn(const Entry&) for each entry in order until it says kStop
// (true: the rest is not read) or kRefuse (false). False for any malformed blob; never reads
// outside it.
template <class Fn>
bool parse_entries(std::string_view blob, char magic, Fn&& fn) {
    Reader r(blob);
    unsigned char m = 0;
    unsigned char version = 0;
    std::uint64_t n_writers = 0;
    if (!r.byte(m) || !r.byte(version) || m != static_cast<unsigned char>(magic) || version != kVersion ||
        !r.varint(n_writers) || n_writers > r.left() / 2) {
        return false;
    }
    std::vector<std::pair<std::string_view, std::string_view>> writers(n_writers);
    for (auto& [device, author] : writers) {
        if (!r.string(device) || !r.string(author)) {
            return false;
        }
    }
    std::uint64_t n = 0;
    std::uint64_t min_hlc = 0;
    if (!r.varint(n) || !r.varint(min_hlc) || n > r.left() / 6) {
        return false;
    }
    for (std::uint64_t i = 0; i < n; ++i) {
        Entry e;
        std::uint64_t w = 0;
        if (!r.string(e.field) || !r.string(e.value) || !r.varint(e.hlc) || !r.varint(e.base) || !r.varint(w) ||
            !r.byte(e.flags) || w >= writers.size() || e.hlc > ~min_hlc) {
            return false;
        }
        e.hlc += min_hlc;
        e.device = writers[w].first;
        e.author = writers[w].second;
        const Visit next = fn(e);
        if (next != Visit::kNext) {
            return next == Visit::kStop;
        }
    }
    return r.left() == 0;
}

// outpost_sort(heads, field): see heads.h.
void sort_value_fn(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
    if (argc != 2 || sqlite3_value_type(argv[0]) != SQLITE_BLOB) {
        sqlite3_result_null(ctx);
        return;
    }
    const auto* data = static_cast<const char*>(sqlite3_value_blob(argv[0]));
    const std::string_view blob(data, static_cast<std::size_t>(sqlite3_value_bytes(argv[0])));
    const auto* name_text = sqlite3_value_text(argv[1]);
    const std::string_view want(reinterpret_cast<const char*>(name_text),
                                static_cast<std::size_t>(sqlite3_value_bytes(argv[1])));
    std::string_view found;
    bool have = false;
    (void)parse_entries(blob, kMagic, [&](const Entry& e) {
        if (e.field != want) {
            return Visit::kNext;
        }
        found = e.value;
        have = true;
        return Visit::kStop;
    });
    if (!have || found.empty() || found == "null") {
        sqlite3_result_null(ctx);
        return;
    }
    if (found == "true" || found == "false") {
        sqlite3_result_int(ctx, found == "true" ? 1 : 0);
        return;
    }
    const char c = found.front();
    if (c == '"') {
        const std::string_view inner = found.substr(1, found.size() >= 2 ? found.size() - 2 : 0);
        if (inner.find('\\') == std::string_view::npos) {
            sqlite3_result_text(ctx, inner.data(), static_cast<int>(inner.size()), SQLITE_TRANSIENT);
            return;
        }
        Result<json::Value> v = json::parse(found);
        if (v.is_ok() && v->type == json::Value::Type::kText) {
            sqlite3_result_text(ctx, v->text.data(), static_cast<int>(v->text.size()), SQLITE_TRANSIENT);
            return;
        }
    } else if (c == '-' || (c >= '0' && c <= '9')) {
        std::int64_t n = 0;
        const auto [end, ec] = std::from_chars(found.data(), found.data() + found.size(), n);
        if (ec == std::errc() && end == found.data() + found.size()) {
            sqlite3_result_int64(ctx, n);
            return;
        }
        double d = 0;  // from_chars, not strtod: an index's value must not depend on the locale
        if (auto [p, ec2] = std::from_chars(found.data(), found.data() + found.size(), d);
            ec2 == std::errc() && p == found.data() + found.size()) {
            sqlite3_result_double(ctx, d);
            return;
        }
    }
    sqlite3_result_text(ctx, found.data(), static_cast<int>(found.size()), SQLITE_TRANSIENT);
}

}  // namespace

namespace {

constexpr char kFrontiersMagic = 'f';

// Encodes `n` entries, entry(i) giving each: the writers table first, then the entries.
template <class EntryAt>
std::string encode_entries(char magic, std::size_t n, EntryAt&& entry) {
    std::vector<std::pair<std::string_view, std::string_view>> writers;
    std::vector<std::size_t> writer_of(n);
    std::size_t bytes = 4;
    std::uint64_t min_hlc = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const Entry e = entry(i);
        min_hlc = i == 0 ? e.hlc : std::min(min_hlc, e.hlc);
        const std::pair<std::string_view, std::string_view> w{e.device, e.author};
        auto it = std::find(writers.begin(), writers.end(), w);
        writer_of[i] = static_cast<std::size_t>(it - writers.begin());
        if (it == writers.end()) {
            writers.push_back(w);
            bytes += w.first.size() + w.second.size() + 4;
        }
        bytes += e.field.size() + e.value.size() + 24;
    }
    std::string out;
    out.reserve(bytes);
    out.push_back(magic);
    out.push_back(kVersion);
    put_varint(out, writers.size());
    for (const auto& [device, author] : writers) {
        put_string(out, device);
        put_string(out, author);
    }
    put_varint(out, n);
    put_varint(out, min_hlc);
    for (std::size_t i = 0; i < n; ++i) {
        const Entry e = entry(i);
        put_string(out, e.field);
        put_string(out, e.value);
        put_varint(out, e.hlc - min_hlc);
        put_varint(out, e.base);
        put_varint(out, writer_of[i]);
        out.push_back(static_cast<char>(e.flags));
    }
    return out;
}

}  // namespace

std::string encode_heads(const std::vector<Head>& heads) {
    return encode_entries(kMagic, heads.size(), [&](std::size_t i) {
        const Head& h = heads[i];
        return Entry{h.field,
                     h.value,
                     h.hlc.packed,
                     h.base.packed,
                     h.device,
                     h.author,
                     static_cast<unsigned char>(h.logged ? 1 : 0)};
    });
}

Result<std::vector<Head>> decode_heads(std::string_view blob) {
    std::vector<Head> heads;
    const bool ok = parse_entries(blob, kMagic, [&](const Entry& e) {
        if (!heads.empty() && !(heads.back().field < e.field)) {
            return Visit::kRefuse;  // names are kept strictly ascending (put_head relies on it)
        }
        heads.push_back(Head{std::string(e.field), std::string(e.value), Hlc{e.hlc}, Hlc{e.base}, std::string(e.device),
                             std::string(e.author), (e.flags & 1) != 0});
        return Visit::kNext;
    });
    if (!ok) {
        return corrupt();
    }
    return heads;
}

std::string encode_frontiers(const std::vector<FieldFrontier>& fields) {
    std::vector<std::pair<const FieldFrontier*, const FieldVersion*>> all;
    for (const FieldFrontier& f : fields) {
        for (const FieldVersion& v : f.state.frontier) {
            all.emplace_back(&f, &v);
        }
    }
    return encode_entries(kFrontiersMagic, all.size(), [&](std::size_t i) {
        const auto& [f, v] = all[i];
        return Entry{f->field, v->value, v->stamp.hlc.packed, v->base.packed, v->stamp.device, v->author, 0};
    });
}

Status scan_frontiers(std::string_view blob, const std::function<void(const VersionView&)>& fn) {
    std::string_view last_field;
    std::uint64_t last_hlc = 0;
    std::string_view last_device;
    bool first = true;
    const bool ok = parse_entries(blob, kFrontiersMagic, [&](const Entry& e) {
        // (field, hlc, device) strictly ascending: a field's versions together, in stamp order. No
        // flag is defined for frontiers.
        if (e.flags != 0 ||
            (!first && std::tie(last_field, last_hlc, last_device) >= std::tie(e.field, e.hlc, e.device))) {
            return Visit::kRefuse;
        }
        first = false;
        last_field = e.field;
        last_hlc = e.hlc;
        last_device = e.device;
        fn(VersionView{e.field, e.value, Hlc{e.hlc}, Hlc{e.base}, e.device, e.author});
        return Visit::kNext;
    });
    return ok ? Status::ok() : corrupt();
}

Result<std::vector<FieldFrontier>> decode_frontiers(std::string_view blob) {
    std::vector<FieldFrontier> out;
    Status s = scan_frontiers(blob, [&](const VersionView& v) {
        if (out.empty() || out.back().field != v.field) {
            out.push_back(FieldFrontier{std::string(v.field), {}});
        }
        out.back().state.frontier.push_back(
            FieldVersion{std::string(v.value), Stamp{v.hlc, std::string(v.device)}, v.base, std::string(v.author)});
    });
    if (!s.is_ok()) {
        return s;
    }
    return out;
}

std::optional<Head> put_head(std::vector<Head>& heads, Head h) {
    auto it = std::lower_bound(heads.begin(), heads.end(), h.field,
                               [](const Head& a, const std::string& f) { return a.field < f; });
    if (it != heads.end() && it->field == h.field) {
        std::optional<Head> old = std::move(*it);
        *it = std::move(h);
        return old;
    }
    heads.insert(it, std::move(h));
    return std::nullopt;
}

const Head* find_head(const std::vector<Head>& heads, std::string_view field) {
    auto it = std::lower_bound(heads.begin(), heads.end(), field,
                               [](const Head& a, std::string_view f) { return a.field < f; });
    return it != heads.end() && it->field == field ? &*it : nullptr;
}

int register_heads_functions(sqlite3* db) {
    return sqlite3_create_function_v2(db, "outpost_sort", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS,
                                      nullptr, sort_value_fn, nullptr, nullptr, nullptr);
}

}  // namespace outpost::records
