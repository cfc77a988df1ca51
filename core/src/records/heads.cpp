#include "outpost/core/records/heads.h"

#include <algorithm>
#include <charconv>

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

// Walks a blob's fields without allocating: calls fn(name, value) until it returns true.
template <class Fn>
bool scan_fields(std::string_view blob, Fn&& fn) {
    Reader r(blob);
    unsigned char magic = 0;
    unsigned char version = 0;
    std::uint64_t writers = 0;
    if (!r.byte(magic) || !r.byte(version) || magic != kMagic || version != kVersion || !r.varint(writers) ||
        writers > r.left() / 2) {
        return false;
    }
    std::string_view skip;
    for (std::uint64_t i = 0; i < writers * 2; ++i) {
        if (!r.string(skip)) {
            return false;
        }
    }
    std::uint64_t n = 0;
    std::uint64_t min_hlc = 0;
    if (!r.varint(n) || !r.varint(min_hlc)) {
        return false;
    }
    for (std::uint64_t i = 0; i < n; ++i) {
        std::string_view name;
        std::string_view value;
        std::uint64_t ignored = 0;
        unsigned char flags = 0;
        if (!r.string(name) || !r.string(value) || !r.varint(ignored) || !r.varint(ignored) || !r.varint(ignored) ||
            !r.byte(flags)) {
            return false;
        }
        if (fn(name, value)) {
            return true;
        }
    }
    return true;
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
    (void)scan_fields(blob, [&](std::string_view name, std::string_view value) {
        if (name == want) {
            found = value;
            have = true;
            return true;
        }
        return false;
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

std::string encode_heads(const std::vector<Head>& heads) {
    std::vector<std::pair<std::string_view, std::string_view>> writers;
    std::vector<std::size_t> writer_of(heads.size());
    std::size_t bytes = 4;
    for (std::size_t i = 0; i < heads.size(); ++i) {
        const std::pair<std::string_view, std::string_view> w{heads[i].device, heads[i].author};
        auto it = std::find(writers.begin(), writers.end(), w);
        writer_of[i] = static_cast<std::size_t>(it - writers.begin());
        if (it == writers.end()) {
            writers.push_back(w);
            bytes += w.first.size() + w.second.size() + 4;
        }
        bytes += heads[i].field.size() + heads[i].value.size() + 24;
    }
    std::string out;
    out.reserve(bytes);
    out.push_back(kMagic);
    out.push_back(kVersion);
    put_varint(out, writers.size());
    for (const auto& [device, author] : writers) {
        put_string(out, device);
        put_string(out, author);
    }
    std::uint64_t min_hlc = heads.empty() ? 0 : heads.front().hlc.packed;
    for (const Head& h : heads) {
        min_hlc = std::min(min_hlc, h.hlc.packed);
    }
    put_varint(out, heads.size());
    put_varint(out, min_hlc);
    for (std::size_t i = 0; i < heads.size(); ++i) {
        const Head& h = heads[i];
        put_string(out, h.field);
        put_string(out, h.value);
        put_varint(out, h.hlc.packed - min_hlc);
        put_varint(out, h.base.packed);
        put_varint(out, writer_of[i]);
        out.push_back(static_cast<char>(h.logged ? 1 : 0));
    }
    return out;
}

Result<std::vector<Head>> decode_heads(std::string_view blob) {
    Reader r(blob);
    unsigned char magic = 0;
    unsigned char version = 0;
    std::uint64_t n_writers = 0;
    if (!r.byte(magic) || !r.byte(version) || magic != kMagic || version != kVersion || !r.varint(n_writers) ||
        n_writers > r.left() / 2) {
        return corrupt();
    }
    std::vector<std::pair<std::string_view, std::string_view>> writers(n_writers);
    for (auto& [device, author] : writers) {
        if (!r.string(device) || !r.string(author)) {
            return corrupt();
        }
    }
    std::uint64_t n = 0;
    std::uint64_t min_hlc = 0;
    if (!r.varint(n) || !r.varint(min_hlc) || n > r.left() / 6) {
        return corrupt();
    }
    std::vector<Head> heads(n);
    for (std::size_t i = 0; i < heads.size(); ++i) {
        Head& h = heads[i];
        std::string_view name;
        std::string_view value;
        std::uint64_t w = 0;
        unsigned char flags = 0;
        if (!r.string(name) || !r.string(value) || !r.varint(h.hlc.packed) || !r.varint(h.base.packed) ||
            !r.varint(w) || !r.byte(flags) || w >= writers.size() || h.hlc.packed > ~min_hlc) {
            return corrupt();
        }
        h.hlc.packed += min_hlc;
        if (i > 0 && !(heads[i - 1].field < name)) {
            return corrupt();  // names are kept strictly ascending (put_head relies on it)
        }
        h.field = std::string(name);
        h.value = std::string(value);
        h.device = std::string(writers[w].first);
        h.author = std::string(writers[w].second);
        h.logged = (flags & 1) != 0;
    }
    if (r.left() != 0) {
        return corrupt();
    }
    return heads;
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
