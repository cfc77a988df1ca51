#include "outpost/core/records/engine.h"

#include <sodium.h>
#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <optional>
#include <set>

#include "outpost/core/error_codes.h"
#include "outpost/core/json.h"
#include "outpost/core/records/merge.h"
#include "outpost/core/records/review.h"
#include "outpost/core/sql_stmt.h"
#include "outpost/core/store/schema_steps.h"
#include "outpost/core/store/transaction.h"

namespace outpost::records {
namespace {

constexpr const char* kSchemaSql = R"sql(
CREATE TABLE IF NOT EXISTS records(
  rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, team TEXT NOT NULL,
  created_by TEXT NOT NULL, created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0, fts_rowid INTEGER, heads BLOB NOT NULL DEFAULT x'');
CREATE UNIQUE INDEX IF NOT EXISTS records_fts_rowid ON records(fts_rowid);
CREATE INDEX IF NOT EXISTS records_updated ON records(updated_ms, id);
CREATE TABLE IF NOT EXISTS changes(
  seq INTEGER PRIMARY KEY AUTOINCREMENT, record TEXT NOT NULL, type TEXT NOT NULL, team TEXT NOT NULL,
  field TEXT NOT NULL, value TEXT NOT NULL, hlc INTEGER NOT NULL, device TEXT NOT NULL,
  base INTEGER NOT NULL, author TEXT NOT NULL, at_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS changes_record ON changes(record, seq);
CREATE VIRTUAL TABLE IF NOT EXISTS records_fts USING fts5(body, content='',
  tokenize='unicode61 remove_diacritics 2');
CREATE TABLE IF NOT EXISTS engine_meta(key TEXT PRIMARY KEY, value) WITHOUT ROWID;
)sql";

// The search index holds no copy of the text (content='': the heads have it), so a first sync writes
// half the bytes. (detail=none, without word positions, was smaller still but made prefix searches
// three times slower: records_bench search p99 12-17 ms against 4-5 ms.) Replacing a row means
// telling FTS5 the old text, which fts_body() rebuilds from the old heads; the index is rebuilt
// whenever the forms' searchable fields change (search_fingerprint).
constexpr const char* kSearchTableSql =
    "CREATE VIRTUAL TABLE records_fts USING fts5(body, content='', "
    "tokenize='unicode61 remove_diacritics 2')";

// Session-1 stores kept one row per field in field_values; each record's fields move into its heads
// blob (every one of those versions is already in the change log, so all are marked logged).
constexpr const char* kHasFieldValuesSql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'field_values'";

constexpr const char* kLogChangeSql =
    "INSERT INTO changes(record, type, team, field, value, hlc, device, base, author, at_ms) "
    "VALUES(?,?,?,?,?,?,?,?,?,?)";

}  // namespace

// A prepared statement borrowed from the engine's cache: reset and unbound when it goes out of scope.
class RecordEngine::Stmt : public sql::StmtRef {
public:
    using StmtRef::StmtRef;
};

namespace {

// Appends one change to the log through `log` (kLogChangeSql), with `value` as its value (the change's
// own, or its canonical spelling); returns SQLite's code.
int log_change(sql::StmtRef& log, const Change& c, std::string_view value, std::int64_t at_ms) {
    log.text(1, c.record).text(2, c.type).text(3, c.team).text(4, c.field).text(5, value);
    log.i64(6, static_cast<std::int64_t>(c.hlc.packed)).text(7, c.device);
    log.i64(8, static_cast<std::int64_t>(c.base.packed)).text(9, c.author).i64(10, at_ms);
    const int rc = log.step();
    log.reset();
    return rc;
}

}  // namespace

RecordEngine::Stmt RecordEngine::prepare(std::string_view sql) {
    auto it = m_statements.find(sql);  // by view: a cached statement costs no allocation
    if (it != m_statements.end()) {
        return Stmt(it->second);
    }
    sqlite3_stmt* st = nullptr;
    const int rc = sqlite3_prepare_v3(m_store.handle(), sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &st, nullptr);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(st);
        return Stmt(nullptr);
    }
    m_statements.emplace(std::string(sql), st);
    return Stmt(st);
}

namespace {

void append_number(std::string& out, double d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", d);
    out += buf;
}

}  // namespace

std::string encode_value(const FieldValue& v) {
    std::string out;
    std::visit(
        [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::monostate>) {
                out = "null";
            } else if constexpr (std::is_same_v<T, std::string>) {
                json::append_quoted(out, x);
            } else if constexpr (std::is_same_v<T, std::int64_t>) {
                out = std::to_string(x);
            } else if constexpr (std::is_same_v<T, double>) {
                append_number(out, x);
            } else if constexpr (std::is_same_v<T, bool>) {
                out = x ? "true" : "false";
            } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
                out = "[";
                for (std::size_t i = 0; i < x.size(); ++i) {
                    if (i > 0) {
                        out += ',';
                    }
                    json::append_quoted(out, x[i]);
                }
                out += ']';
            } else {
                out = "{\"lat\":";
                append_number(out, x.latitude);
                out += ",\"lon\":";
                append_number(out, x.longitude);
                out += ",\"acc\":";
                append_number(out, x.accuracy_m);
                out += '}';
            }
        },
        v);
    return out;
}

namespace {

// A string spelled the way append_quoted writes one with nothing to escape.
bool plain_quoted(std::string_view text) {
    return text.size() >= 2 && text.front() == '"' && text.back() == '"' &&
           std::none_of(text.begin() + 1, text.end() - 1,
                        [](char c) { return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20; });
}

// Fast paths for the canonical encodings encode_value() writes most often. Anything else (escapes,
// lists, locations, or input from elsewhere) goes through the full JSON reader.
std::optional<FieldValue> decode_simple(FieldKind kind, std::string_view text) {
    if (kind != FieldKind::kInteger && kind != FieldKind::kDecimal && kind != FieldKind::kYesNo &&
        kind != FieldKind::kMultiChoice && kind != FieldKind::kLocation && plain_quoted(text)) {
        return FieldValue{std::string(text.substr(1, text.size() - 2))};
    }
    if (kind == FieldKind::kMultiChoice && text.size() >= 2 && text.front() == '[' && text.back() == ']') {
        // The canonical list spelling: ["a","b"] with plain items (no escapes, no spaces).
        std::vector<std::string> items;
        std::size_t i = 1;
        while (i < text.size() - 1) {
            if (text[i] != '"') {
                return std::nullopt;
            }
            const std::size_t end = text.find('"', i + 1);
            if (end == std::string_view::npos || end >= text.size() - 1) {
                return std::nullopt;
            }
            const std::string_view item = text.substr(i + 1, end - i - 1);
            if (std::any_of(item.begin(), item.end(),
                            [](char c) { return c == '\\' || static_cast<unsigned char>(c) < 0x20; })) {
                return std::nullopt;
            }
            items.emplace_back(item);
            i = end + 1;
            if (text[i] == ',') {
                ++i;
                if (text[i] != '"') {
                    return std::nullopt;
                }
            } else if (i != text.size() - 1) {
                return std::nullopt;
            }
        }
        return FieldValue{std::move(items)};
    }
    if (kind == FieldKind::kYesNo && (text == "true" || text == "false")) {
        return FieldValue{text == "true"};
    }
    if (kind == FieldKind::kInteger || kind == FieldKind::kDecimal) {
        std::int64_t n = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
        if (ec == std::errc() && end == text.data() + text.size()) {
            return FieldValue{n};
        }
    }
    return std::nullopt;
}

// True when `text` is already encode_value's spelling of a value of `kind` (the common case: another
// Outpost wrote it), checked without decoding or allocating.
bool canonical_as_is(FieldKind kind, std::string_view text) {
    if (text == "null") {
        return true;
    }
    switch (kind) {
        case FieldKind::kYesNo:
            return text == "true" || text == "false";
        case FieldKind::kInteger:
        case FieldKind::kDecimal: {
            std::int64_t n = 0;
            const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
            if (ec != std::errc() || end != text.data() + text.size()) {
                return false;
            }
            char buf[24];
            const auto [out, ec2] = std::to_chars(buf, buf + sizeof buf, n);
            return ec2 == std::errc() && std::string_view(buf, static_cast<std::size_t>(out - buf)) == text;
        }
        case FieldKind::kMultiChoice:
            return decode_simple(kind, text).has_value();
        case FieldKind::kLocation:
            return false;
        default:
            return plain_quoted(text);
    }
}

// A pulled value as this laptop stores it: the canonical spelling for its field's kind. A field this
// build's form does not know (or a value that does not fit it) is kept as sent.
std::string canonical(const Schema* sch, const std::string& field, std::string value) {
    if (const FieldDef* def = sch != nullptr ? sch->field(field) : nullptr; def != nullptr) {
        if (canonical_as_is(def->kind, value)) {
            return value;
        }
        if (Result<FieldValue> v = decode_value(def->kind, value); v.is_ok()) {
            return encode_value(*v);
        }
    }
    return value;
}

// The search row's text: text, choice and list answers, one per line, in field-name order.
std::string fts_body(const Schema& schema, const std::vector<Head>& heads) {
    std::string body;
    for (const Head& h : heads) {
        const FieldDef* f = schema.field(h.field);
        if (f == nullptr) {
            continue;
        }
        if (f->kind == FieldKind::kText || f->kind == FieldKind::kLongText || f->kind == FieldKind::kChoice) {
            if (plain_quoted(h.value)) {
                body.append(h.value, 1, h.value.size() - 2);
                body += '\n';
            } else if (Result<FieldValue> v = decode_value(f->kind, h.value); v.is_ok()) {
                if (const auto* text = std::get_if<std::string>(&*v)) {
                    body += *text;
                    body += '\n';
                }
            }
        } else if (f->kind == FieldKind::kMultiChoice) {
            if (Result<FieldValue> v = decode_value(f->kind, h.value); v.is_ok()) {
                if (const auto* items = std::get_if<std::vector<std::string>>(&*v)) {
                    for (const auto& item : *items) {
                        body += item;
                        body += ' ';
                    }
                    body += '\n';
                }
            }
        }
    }
    return body;
}

}  // namespace

Result<FieldValue> decode_value(FieldKind kind, std::string_view text) {
    if (text == "null") {
        return FieldValue{};
    }
    if (std::optional<FieldValue> simple = decode_simple(kind, text)) {
        return *simple;
    }
    Result<json::Value> j = json::parse(text);
    OUTPOST_TRY(j);
    const json::Value& v = *j;
    using T = json::Value::Type;
    switch (kind) {
        case FieldKind::kInteger:
            if (v.type == T::kInteger) {
                return FieldValue{v.integer};
            }
            break;
        case FieldKind::kDecimal:
            if (v.type == T::kInteger) {
                return FieldValue{v.integer};
            }
            if (v.type == T::kReal) {
                return FieldValue{v.real};
            }
            break;
        case FieldKind::kYesNo:
            if (v.type == T::kBool) {
                return FieldValue{v.boolean};
            }
            break;
        case FieldKind::kMultiChoice: {
            if (v.type != T::kArray) {
                break;
            }
            std::vector<std::string> items;
            for (const auto& item : v.items) {
                if (item.type != T::kText) {
                    return Status::error(errc::kFieldWrongKind, "a list must hold text");
                }
                items.push_back(item.text);
            }
            return FieldValue{items};
        }
        case FieldKind::kLocation: {
            const json::Value* lat = v.find("lat");
            const json::Value* lon = v.find("lon");
            const json::Value* acc = v.find("acc");
            if (lat != nullptr && lon != nullptr && acc != nullptr && lat->is_number() && lon->is_number() &&
                acc->is_number()) {
                return FieldValue{Location{lat->number(), lon->number(), acc->number()}};
            }
            break;
        }
        default:
            if (v.type == T::kText) {
                return FieldValue{v.text};
            }
            break;
    }
    return Status::error(errc::kFieldWrongKind, "value " + std::string(json::utf8_prefix(text, 40)) +
                                                    " does not fit a " + std::string(kind_name(kind)) + " field");
}

std::string make_uuid_v7(std::int64_t ms) {
    std::uint8_t b[16];
    randombytes_buf(b, sizeof b);
    const auto t = static_cast<std::uint64_t>(ms);
    for (int i = 0; i < 6; ++i) {
        b[i] = static_cast<std::uint8_t>(t >> (40 - 8 * i));
    }
    b[6] = static_cast<std::uint8_t>(0x70 | (b[6] & 0x0f));
    b[8] = static_cast<std::uint8_t>(0x80 | (b[8] & 0x3f));
    char out[37];
    std::snprintf(out, sizeof out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                  b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
    return out;
}

std::optional<std::int64_t> uuid_v7_ms(std::string_view id) {
    if (id.size() != 36 || id[8] != '-' || id[13] != '-' || id[14] != '7' || id[18] != '-' || id[23] != '-') {
        return std::nullopt;
    }
    std::uint64_t ms = 0;
    for (std::size_t i = 0; i < 13; ++i) {  // 48 bits: "xxxxxxxx-xxxx"
        if (i == 8) {
            continue;
        }
        const char c = id[i];
        const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0) {
            return std::nullopt;
        }
        ms = (ms << 4U) | static_cast<std::uint64_t>(d);
    }
    return static_cast<std::int64_t>(ms);
}

std::string fts_query(std::string_view typed) {
    // Tokens are runs of letters and digits (any non-ASCII byte counts as a letter, so accented and
    // non-Latin words survive); everything else, including quotes and FTS5 operators, separates them.
    std::vector<std::string> tokens;
    std::string cur;
    for (char ch : typed) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80) {
            cur.push_back(ch);
        } else if (!cur.empty()) {
            tokens.push_back(std::move(cur));
            cur.clear();
        }
    }
    if (!cur.empty()) {
        tokens.push_back(std::move(cur));
    }
    if (tokens.size() > 16) {
        tokens.resize(16);
    }
    std::string q;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        if (i > 0) {
            q += ' ';
        }
        q += '"' + tokens[i] + '"';
        if (i + 1 == tokens.size() && !typed.empty() && tokens[i].size() >= 2 &&
            std::string_view("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ").find(typed.back()) !=
                std::string_view::npos) {
            q += '*';  // still typing the last word: match it as a prefix
        }
    }
    return q;
}

RecordEngine::RecordEngine(Store& store, std::vector<Schema> schemas, const Clock& clock)
    : m_store(store), m_schemas(std::move(schemas)), m_clock(clock), m_hlc(clock) {
}

RecordEngine::~RecordEngine() {
    for (auto& [sql, st] : m_statements) {
        sqlite3_finalize(st);
    }
}

Result<std::unique_ptr<RecordEngine>> RecordEngine::open(Store& store, std::vector<Schema> schemas,
                                                         const Clock& clock) {
    if (store.is_locked()) {
        return Status::error(errc::kStoreLocked, "the store is locked");
    }
    if (int rc = register_heads_functions(store.handle()); rc != SQLITE_OK) {
        return store.sql_status(rc, "registering the record functions");
    }
    // Schema versions (outpost_store_meta 'schema.records'): 1 is the tables below.
    // Stores from before versions read as 0; step 1 is CREATE ... IF NOT EXISTS, so they keep their
    // tables, and the older moves (field_values, the search index) run below as before.
    OUTPOST_TRY(migrate_schema(store, "records", {{1, [](Store& s) { return s.exec(kSchemaSql); }}}));
    std::unique_ptr<RecordEngine> e(new RecordEngine(store, std::move(schemas), clock));
    OUTPOST_TRY(e->migrate_field_values());
    OUTPOST_TRY(e->migrate_search());
    // The clock goes on from the highest stamp this laptop has written (kept in engine_meta as
    // 'local_hlc' by every write) or pulled ('seen_hlc'). Stores from before 'local_hlc' existed
    // find it once by reading the whole change log, which took 150 ms at 100,000 records.
    {
        Stmt local = e->prepare("SELECT value FROM engine_meta WHERE key = 'local_hlc'");
        if (local.step() != SQLITE_ROW) {
            Stmt scan = e->prepare("SELECT COALESCE(max(hlc), 0) FROM changes");
            const std::int64_t found = scan.step() == SQLITE_ROW ? scan.col_i64(0) : 0;
            e->m_hlc.restore(Hlc{static_cast<std::uint64_t>(found)});
            OUTPOST_TRY(e->save_local_hlc());
        }
    }
    Stmt st = e->prepare(
        "SELECT max(COALESCE((SELECT value FROM engine_meta WHERE key = 'local_hlc'), 0), "
        "COALESCE((SELECT value FROM engine_meta WHERE key = 'seen_hlc'), 0)), "
        "max(COALESCE((SELECT max(fts_rowid) FROM records), 0), COALESCE((SELECT max(id) FROM records_fts_docsize), "
        "0))");
    if (st.ok() && st.step() == SQLITE_ROW) {
        e->m_hlc.restore(Hlc{static_cast<std::uint64_t>(st.col_i64(0))});
        e->m_last_fts_rowid = st.col_i64(1);
    }
    return e;
}

Status RecordEngine::migrate_field_values() {
    {
        Stmt has = prepare(kHasFieldValuesSql);
        if (has.step() != SQLITE_ROW) {
            return Status::ok();
        }
    }
    Result<Transaction> txn = Transaction::begin(m_store);  // rolls back on any return before commit
    OUTPOST_TRY(txn);
    bool has_heads = false;
    {
        Stmt col = prepare("SELECT 1 FROM pragma_table_info('records') WHERE name = 'heads'");
        has_heads = col.step() == SQLITE_ROW;
    }
    if (!has_heads) {
        if (Status s = m_store.exec("ALTER TABLE records ADD COLUMN heads BLOB NOT NULL DEFAULT x''"); !s.is_ok()) {
            return s;
        }
    }
    std::map<std::int64_t, std::vector<Head>> by_record;
    Stmt rows = prepare("SELECT rid, field, value, hlc, device, base, author FROM field_values ORDER BY rid, field");
    int rc = 0;
    while ((rc = rows.step()) == SQLITE_ROW) {
        by_record[rows.col_i64(0)].push_back(Head{
            rows.col_text(1), rows.col_text(2), Hlc{static_cast<std::uint64_t>(rows.col_i64(3))},
            Hlc{static_cast<std::uint64_t>(rows.col_i64(5))}, rows.col_text(4), rows.col_text(6), /*logged=*/true});
    }
    if (rc != SQLITE_DONE) {
        return m_store.sql_status(rc, "moving fields to the new layout");
    }
    Stmt put = prepare("UPDATE records SET heads = ? WHERE rid = ?");
    for (const auto& [rid, heads] : by_record) {
        put.blob(1, encode_heads(heads)).i64(2, rid);
        if (rc = put.step(); rc != SQLITE_DONE) {
            return m_store.sql_status(rc, "moving fields to the new layout");
        }
        put.reset();
    }
    OUTPOST_TRY(m_store.exec("DROP TABLE field_values"));
    return txn->commit();
}

std::string RecordEngine::search_fingerprint() const {
    // FNV-1a over every searchable field of every form: stable across builds and platforms.
    std::uint64_t h = 1469598103934665603ULL;
    auto mix = [&h](std::string_view part) {
        for (unsigned char c : part) {
            h = (h ^ c) * 1099511628211ULL;
        }
        h = (h ^ 0xffU) * 1099511628211ULL;
    };
    mix("search v1");
    for (const Schema& s : m_schemas) {
        for (const FieldDef& f : s.fields) {
            if (f.kind == FieldKind::kText || f.kind == FieldKind::kLongText || f.kind == FieldKind::kChoice ||
                f.kind == FieldKind::kMultiChoice) {
                mix(s.type);
                mix(f.name);
                mix(kind_name(f.kind));
            }
        }
    }
    return std::to_string(h);
}

Status RecordEngine::migrate_search() {
    std::string current_sql;
    std::string stored_fingerprint;
    {
        Stmt t = prepare("SELECT sql FROM sqlite_master WHERE name = 'records_fts'");
        if (t.step() == SQLITE_ROW) {
            current_sql = t.col_text(0);
        }
    }
    {
        Stmt m = prepare("SELECT value FROM engine_meta WHERE key = 'search_fingerprint'");
        if (m.step() == SQLITE_ROW) {
            stored_fingerprint = m.col_text(0);
        }
    }
    const std::string fingerprint = search_fingerprint();
    // Earlier layouts: the index kept its own copy of the text, or (briefly) no word positions, which
    // made prefix searches three times slower.
    const bool old_layout =
        current_sql.find("content=''") == std::string::npos || current_sql.find("detail=none") != std::string::npos;
    if (!old_layout && stored_fingerprint == fingerprint) {
        return Status::ok();
    }
    Result<Transaction> txn = Transaction::begin(m_store);  // rolls back on any return before commit
    OUTPOST_TRY(txn);
    Status s = old_layout ? m_store.exec(std::string("DROP TABLE records_fts; ") + kSearchTableSql)
                          : m_store.exec("INSERT INTO records_fts(records_fts) VALUES('delete-all')");
    if (!s.is_ok()) {
        return s;
    }
    std::int64_t last = 0;
    {
        Stmt mx = prepare("SELECT COALESCE(max(fts_rowid), 0) FROM records");
        last = mx.step() == SQLITE_ROW ? mx.col_i64(0) : 0;
    }
    Stmt rows = prepare("SELECT rid, type, deleted, fts_rowid, heads FROM records ORDER BY rid");
    Stmt ins = prepare("INSERT INTO records_fts(rowid, body) VALUES(?, ?)");
    Stmt set = prepare("UPDATE records SET fts_rowid = ? WHERE rid = ?");
    std::vector<std::pair<std::int64_t, std::optional<std::int64_t>>> moved;  // rid -> new search rowid
    int rc = 0;
    while ((rc = rows.step()) == SQLITE_ROW) {
        const Schema* sch = schema(rows.col_text(1));
        const bool has_row = sqlite3_column_type(rows.get(), 3) != SQLITE_NULL;
        if (rows.col_i64(2) != 0 || sch == nullptr) {
            if (has_row) {
                moved.emplace_back(rows.col_i64(0), std::nullopt);
            }
            continue;
        }
        Result<std::vector<Head>> heads = decode_heads(rows.col_blob(4));
        OUTPOST_TRY(heads);
        const std::int64_t fts = has_row ? rows.col_i64(3) : ++last;
        if (!has_row) {
            moved.emplace_back(rows.col_i64(0), fts);
        }
        ins.i64(1, fts).text(2, fts_body(*sch, *heads));
        if (rc = ins.step(); rc != SQLITE_DONE) {
            return m_store.sql_status(rc, "rebuilding the search index");
        }
        ins.reset();
    }
    if (rc != SQLITE_DONE) {
        return m_store.sql_status(rc, "rebuilding the search index");
    }
    for (const auto& [rid, fts] : moved) {
        if (fts) {
            set.i64(1, *fts);
        }
        set.i64(2, rid);
        if (rc = set.step(); rc != SQLITE_DONE) {
            return m_store.sql_status(rc, "rebuilding the search index");
        }
        set.reset();
    }
    Stmt meta = prepare("INSERT OR REPLACE INTO engine_meta(key, value) VALUES('search_fingerprint', ?)");
    meta.text(1, fingerprint);
    if (rc = meta.step(); rc != SQLITE_DONE) {
        return m_store.sql_status(rc, "rebuilding the search index");
    }
    return txn->commit();
}

const Schema* RecordEngine::schema(std::string_view type) const {
    for (const Schema& s : m_schemas) {
        if (s.type == type) {
            return &s;
        }
    }
    return nullptr;
}

namespace {

// The values a worker sees: heads of the form's known fields, decoded for their kind.
Values values_of(const Schema* s, const std::vector<Head>& heads) {
    Values values;
    for (const Head& h : heads) {
        const FieldDef* def = s != nullptr ? s->field(h.field) : nullptr;
        if (def == nullptr) {
            continue;  // _deleted, or a field this build's form does not know
        }
        Result<FieldValue> v = decode_value(def->kind, h.value);
        if (v.is_ok() && !std::holds_alternative<std::monostate>(*v)) {
            values.emplace(h.field, std::move(*v));
        }
    }
    return values;
}

}  // namespace

Result<std::optional<RecordEngine::Row>> RecordEngine::read_row(std::string_view id, bool with_values) {
    if (m_store.handle() == nullptr) {
        return Status::error(errc::kStoreLocked, "the store is locked");
    }
    Stmt r = prepare(
        "SELECT rid, type, team, created_by, created_ms, updated_ms, deleted, fts_rowid, heads FROM records "
        "WHERE id = ?");
    r.text(1, id);
    const int rc = r.step();
    if (rc == SQLITE_DONE) {
        return std::optional<Row>();
    }
    if (rc != SQLITE_ROW) {
        return m_store.sql_status(rc, "reading a record");
    }
    Row row;
    row.rid = r.col_i64(0);
    row.rec.id = std::string(id);
    row.rec.type = r.col_text(1);
    row.rec.team = r.col_text(2);
    row.rec.created_by = r.col_text(3);
    row.rec.created_ms = r.col_i64(4);
    row.rec.updated_ms = r.col_i64(5);
    row.rec.deleted = r.col_i64(6) != 0;
    if (sqlite3_column_type(r.get(), 7) != SQLITE_NULL) {
        row.fts_rowid = r.col_i64(7);
    }
    Result<std::vector<Head>> heads = decode_heads(r.col_blob(8));
    OUTPOST_TRY(heads);
    row.heads = std::move(*heads);
    if (with_values) {
        row.rec.values = values_of(schema(row.rec.type), row.heads);
    }
    return std::optional<Row>(std::move(row));
}

Result<Record> RecordEngine::load(std::string_view id) {
    Result<std::optional<Row>> row = read_row(id);
    OUTPOST_TRY(row);
    if (!row->has_value()) {
        return Status::error(errc::kRecordNotFound, "no record " + std::string(id));
    }
    return std::move((*row)->rec);
}

Result<Record> RecordEngine::get(std::string_view id) {
    return load(id);
}

Result<std::vector<Head>> RecordEngine::heads(std::string_view id) {
    Result<std::optional<Row>> row = read_row(id, /*with_values=*/false);
    OUTPOST_TRY(row);
    if (!row->has_value()) {
        return Status::error(errc::kRecordNotFound, "no record " + std::string(id));
    }
    return std::move((*row)->heads);
}

Result<Record> RecordEngine::create(const Actor& who, std::string_view type, const Values& values,
                                    std::vector<FieldError>* errors) {
    const Schema* s = schema(type);
    if (s == nullptr) {
        return Status::error(errc::kRecordTypeUnknown, "no form called '" + std::string(type) + "'");
    }
    Row row;
    row.rec.type = std::string(type);
    row.rec.team = who.team;
    row.rec.created_by = who.user;
    return write(who, *s, std::move(row), values, /*creating=*/true, errors);
}

Result<RecordEngine::Row> RecordEngine::existing(std::string_view id, const Schema*& s) {
    Result<std::optional<Row>> row = read_row(id);
    OUTPOST_TRY(row);
    if (!row->has_value() || (*row)->rec.deleted) {
        return Status::error(errc::kRecordNotFound, "record " + std::string(id) + " was not found or was deleted");
    }
    s = schema((*row)->rec.type);
    if (s == nullptr) {
        return Status::error(errc::kRecordTypeUnknown, "no form called '" + (*row)->rec.type + "'");
    }
    return std::move(**row);
}

Result<Record> RecordEngine::put(const Actor& who, std::string_view id, std::string_view type, const Values& values,
                                 std::vector<FieldError>* errors) {
    const Schema* s = schema(type);
    if (s == nullptr) {
        return Status::error(errc::kRecordTypeUnknown, "no form called '" + std::string(type) + "'");
    }
    if (id.empty() || id.size() > 128) {
        return Status::error(errc::kRecordNotFound, "a record id is 1 to 128 bytes");
    }
    Result<std::optional<Row>> row = read_row(id);
    OUTPOST_TRY(row);
    if (!row->has_value()) {
        Row fresh;
        fresh.rec.id = std::string(id);
        fresh.rec.type = std::string(type);
        fresh.rec.team = who.team;
        fresh.rec.created_by = who.user;
        Result<Record> made = write(who, *s, std::move(fresh), values, /*creating=*/true, errors);
        if (!made.is_ok()) {
            return made;
        }
        // Another laptop of this person (or team) may have deleted this very record, unseen here: say
        // it lives, in a later write, so the server takes its target first (to check the id) and this
        // newer intent wins over the older deletion.
        Result<std::optional<Row>> again = read_row(id);
        if (!again.is_ok() || !again->has_value()) {
            return again.is_ok() ? Status::error(errc::kRecordNotFound, "the record just written is gone")
                                 : again.status();
        }
        return write(who, *s, std::move(**again), {{"_deleted", false}}, /*creating=*/false, errors);
    }
    if ((*row)->rec.type != type) {
        return Status::error(errc::kRecordReadOnly, "record " + std::string(id) + " is a '" + (*row)->rec.type + "'");
    }
    Values changes = values;
    if ((*row)->rec.deleted) {
        changes["_deleted"] = false;
    }
    return write(who, *s, std::move(**row), changes, /*creating=*/false, errors);
}

Result<Record> RecordEngine::update(const Actor& who, std::string_view id, const Values& changes,
                                    std::vector<FieldError>* errors) {
    const Schema* s = nullptr;
    Result<Row> row = existing(id, s);
    OUTPOST_TRY(row);
    return write(who, *s, std::move(*row), changes, /*creating=*/false, errors);
}

Status RecordEngine::remove(const Actor& who, std::string_view id) {
    const Schema* s = nullptr;
    Result<Row> row = existing(id, s);
    OUTPOST_TRY(row);
    Values del{{"_deleted", true}};
    return write(who, *s, std::move(*row), del, /*creating=*/false, nullptr).status();
}

Result<Record> RecordEngine::write(const Actor& who, const Schema& schema, Row row, const Values& changes,
                                   bool creating, std::vector<FieldError>* errors) {
    if (m_store.handle() == nullptr) {
        return Status::error(errc::kStoreLocked, "the store is locked");
    }
    if (!creating && row.rec.team != who.team) {
        return Status::error(
            errc::kRecordReadOnly,
            "this record belongs to " +
                (row.rec.team == kLibraryTeam ? std::string("the practice library") : "team " + row.rec.team) +
                " and is read-only here");
    }
    Record& rec = row.rec;
    Values merged = rec.values;
    std::vector<std::string> changed;
    for (const auto& [k, v] : changes) {
        changed.push_back(k);
        if (k == "_deleted") {
            continue;
        }
        if (std::holds_alternative<std::monostate>(v)) {
            merged.erase(k);
        } else {
            merged[k] = v;
        }
    }
    std::vector<FieldError> problems = validate(schema, merged, changed, who.role, rec.values);
    for (const std::string& field : changed) {
        if (std::optional<FieldError> e = review_write_rule(schema.type, rec.values, who.role, field)) {
            problems.push_back(std::move(*e));
            break;
        }
    }
    if (!problems.empty()) {
        const std::size_t n = problems.size();
        if (errors != nullptr) {
            *errors = std::move(problems);
        }
        return Status::error(errc::kRecordInvalid, std::to_string(n) + " answer(s) need attention");
    }
    const std::int64_t now = m_clock.now_ms();
    if (creating) {
        if (rec.id.empty()) {
            rec.id = make_uuid_v7(now);
        }
        rec.created_ms = now;
    }
    // A savepoint: its own transaction when called alone, or part of the caller's BEGIN...COMMIT.
    Result<Transaction> sp = Transaction::savepoint(m_store, "record_write");  // rolled back unless committed
    OUTPOST_TRY(sp);
    Stmt log = prepare(kLogChangeSql);
    remember_search(row, &schema);
    for (const auto& [field, value] : changes) {
        const Head* cur = find_head(row.heads, field);
        const Hlc base = cur != nullptr ? cur->hlc : Hlc{};
        Head h{field, encode_value(value), m_hlc.now(), base, who.device, who.user, /*logged=*/true};
        const Change entry{0, rec.id, rec.type, rec.team, field, h.value, h.hlc, who.device, base, who.user, now};
        if (Status s = log_displaced(log, rec, put_head(row.heads, std::move(h))); !s.is_ok()) {
            return s;
        }
        if (int rc = log_change(log, entry, entry.value, now); rc != SQLITE_DONE) {
            return m_store.sql_status(rc, "logging a change");
        }
    }
    if (Status s = save_local_hlc(); !s.is_ok()) {
        return s;
    }
    if (const auto del = changes.find("_deleted"); del != changes.end()) {
        const bool* b = std::get_if<bool>(&del->second);
        rec.deleted = b == nullptr || *b;
    }
    rec.updated_ms = now;
    rec.values = std::move(merged);
    if (Status s = save_row(row, &schema, !creating); !s.is_ok()) {
        return s;
    }
    OUTPOST_TRY(sp->commit());
    return std::move(row.rec);
}

Status RecordEngine::log_displaced(sql::StmtRef& log, const Record& rec, const std::optional<Head>& old) {
    if (!old || old->logged) {
        return Status::ok();
    }
    const Change c{0,
                   rec.id,
                   rec.type,
                   rec.team,
                   old->field,
                   old->value,
                   old->hlc,
                   old->device,
                   old->base,
                   old->author,
                   static_cast<std::int64_t>(old->hlc.ms())};
    if (int rc = log_change(log, c, c.value, c.at_ms); rc != SQLITE_DONE) {
        return m_store.sql_status(rc, "keeping a field's history");
    }
    return Status::ok();
}

// Writes the row (insert or update) with a fresh search row. The search row gets a new rowid on every
// write, from a counter kept on the records, so FTS5's rowid order is last-write order and a
// date-sorted search can stream matches newest first. With `m_batch_search` the search rows wait
// in m_pending_search for flush_search(): FTS5 flushes its pending terms to a new segment at every
// statement savepoint, and each records INSERT opens one, so interleaving costs a segment per record.
Status RecordEngine::save_row(Row& row, const Schema* schema, bool exists) {
    Record& rec = row.rec;
    PendingSearch change;
    change.old_rowid = row.fts_rowid;
    change.old_body = std::move(row.old_search);
    row.fts_rowid.reset();
    if (!rec.deleted && schema != nullptr) {
        row.fts_rowid = ++m_last_fts_rowid;
        change.new_rowid = row.fts_rowid;
        change.body = row.search_body ? std::move(*row.search_body) : fts_body(*schema, row.heads);
    }
    if (m_batch_search) {
        m_pending_search.push_back(std::move(change));
    } else {
        m_pending_search.clear();
        m_pending_search.push_back(std::move(change));
        OUTPOST_TRY(flush_search());
    }
    const std::string blob = row.heads_blob.empty() ? encode_heads(row.heads) : std::move(row.heads_blob);
    if (!exists) {
        return insert_row({rec.id, rec.type, rec.team, rec.created_by, rec.created_ms, rec.updated_ms, rec.deleted,
                           row.fts_rowid, blob},
                          row.rid);
    }
    Stmt st = prepare("UPDATE records SET updated_ms = ?1, deleted = ?2, fts_rowid = ?3, heads = ?4 WHERE rid = ?5");
    st.i64(1, rec.updated_ms).i64(2, rec.deleted ? 1 : 0);
    if (row.fts_rowid) {
        st.i64(3, *row.fts_rowid);
    }
    st.blob_ref(4, blob).i64(5, row.rid);  // `blob` outlives the statement's use (st resets first)
    if (int rc = st.step(); rc != SQLITE_DONE) {
        return m_store.sql_status(rc, "updating a record");
    }
    return Status::ok();
}

Status RecordEngine::insert_row(const NewRow& r, std::int64_t& rid) {
    Stmt st = prepare(
        "INSERT INTO records(updated_ms, deleted, fts_rowid, heads, id, type, team, created_by, created_ms) "
        "VALUES(?,?,?,?,?,?,?,?,?)");
    st.i64(1, r.updated_ms).i64(2, r.deleted ? 1 : 0);
    if (r.fts_rowid) {
        st.i64(3, *r.fts_rowid);
    }
    // Bound without copies: the caller's bytes outlive the statement's use (st resets first).
    st.blob_ref(4, r.heads).text_ref(5, r.id).text_ref(6, r.type).text_ref(7, r.team);
    st.text_ref(8, r.created_by).i64(9, r.created_ms);
    if (int rc = st.step(); rc != SQLITE_DONE) {
        return m_store.sql_status(rc, "creating a record");
    }
    rid = sqlite3_last_insert_rowid(m_store.handle());
    return Status::ok();
}

Status RecordEngine::insert_prepared(const PulledRecord& rec, Hlc newest) {
    // Created when its earliest version was, by its author unless the server says otherwise.
    const auto first = std::min_element(rec.versions.begin(), rec.versions.end(),
                                        [](const Head& a, const Head& b) { return a.hlc < b.hlc; });
    NewRow r{rec.id,
             rec.type,
             rec.team,
             rec.created_by.empty() ? std::string_view(first->author) : std::string_view(rec.created_by),
             static_cast<std::int64_t>(first->hlc.ms()),
             static_cast<std::int64_t>(newest.ms()),
             rec.prepared_deleted,
             std::nullopt,
             rec.prepared_heads};
    if (const Schema* sch = schema(rec.type); !r.deleted && sch != nullptr) {
        PendingSearch change;
        change.new_rowid = r.fts_rowid = ++m_last_fts_rowid;
        if (rec.prepared_search) {
            change.body_ref = &*rec.prepared_search;  // rec outlives flush_search (header)
        } else {
            change.body = fts_body(*sch, rec.versions);
        }
        m_pending_search.push_back(std::move(change));
    }
    std::int64_t rid = 0;
    return insert_row(r, rid);
}

Status RecordEngine::flush_search() {
    std::vector<PendingSearch> pending;
    pending.swap(m_pending_search);
    // In order: a record written twice in one pull takes out the row its first write put in.
    Stmt fts_del = prepare("INSERT INTO records_fts(records_fts, rowid, body) VALUES('delete', ?, ?)");
    Stmt fts_ins = prepare("INSERT INTO records_fts(rowid, body) VALUES(?, ?)");
    for (const PendingSearch& p : pending) {
        if (p.old_rowid) {
            fts_del.i64(1, *p.old_rowid).text_ref(2, p.old_body);
            if (int rc = fts_del.step(); rc != SQLITE_DONE) {
                return m_store.sql_status(rc, "updating the search index");
            }
            fts_del.reset();
        }
        if (p.new_rowid) {
            fts_ins.i64(1, *p.new_rowid).text_ref(2, p.body_ref != nullptr ? *p.body_ref : p.body);
            if (int rc = fts_ins.step(); rc != SQLITE_DONE) {
                return m_store.sql_status(rc, "updating the search index");
            }
            fts_ins.reset();
        }
    }
    return Status::ok();
}

void RecordEngine::remember_search(Row& row, const Schema* schema) {
    if (!row.search_remembered && row.fts_rowid && schema != nullptr) {
        row.old_search = fts_body(*schema, row.heads);  // what the search row holds, before heads change
    }
    row.search_remembered = true;
}

Result<bool> RecordEngine::merge_version(Row& row, Head incoming, const Schema* sch, sql::StmtRef& log,
                                         std::int64_t now, RemoteStats& stats) {
    incoming.value = canonical(sch, incoming.field, std::move(incoming.value));
    incoming.logged = false;
    const Head* cur = find_head(row.heads, incoming.field);
    const Stamp stamp{incoming.hlc, incoming.device};
    if (cur != nullptr && Stamp{cur->hlc, cur->device} >= stamp) {
        ++stats.superseded;
        if (Stamp{cur->hlc, cur->device} > stamp) {  // older: history only (equal: held already)
            const Change c{0,
                           row.rec.id,
                           row.rec.type,
                           row.rec.team,
                           incoming.field,
                           incoming.value,
                           incoming.hlc,
                           incoming.device,
                           incoming.base,
                           incoming.author,
                           now};
            if (int rc = log_change(log, c, c.value, now); rc != SQLITE_DONE) {
                return m_store.sql_status(rc, "logging a pulled change");
            }
        }
        return false;
    }
    if (incoming.field == "_deleted") {
        row.rec.deleted = incoming.value == "true";
    }
    row.rec.updated_ms = std::max(row.rec.updated_ms, static_cast<std::int64_t>(incoming.hlc.ms()));
    remember_search(row, sch);
    OUTPOST_TRY(log_displaced(log, row.rec, put_head(row.heads, std::move(incoming))));
    ++stats.applied;
    return true;
}

Status RecordEngine::save_local_hlc() {
    Stmt meta = prepare(
        "INSERT INTO engine_meta(key, value) VALUES('local_hlc', ?1) "
        "ON CONFLICT(key) DO UPDATE SET value = max(value, ?1)");
    meta.i64(1, static_cast<std::int64_t>(m_hlc.last().packed));
    if (int rc = meta.step(); rc != SQLITE_DONE) {
        return m_store.sql_status(rc, "saving the clock");
    }
    return Status::ok();
}

Status RecordEngine::save_seen_hlc() {
    if (m_seen_hlc == m_saved_seen_hlc) {
        return Status::ok();
    }
    Stmt meta = prepare(
        "INSERT INTO engine_meta(key, value) VALUES('seen_hlc', ?1) "
        "ON CONFLICT(key) DO UPDATE SET value = max(value, ?1)");
    meta.i64(1, static_cast<std::int64_t>(m_seen_hlc));
    if (int rc = meta.step(); rc != SQLITE_DONE) {
        return m_store.sql_status(rc, "saving the clock");
    }
    m_saved_seen_hlc = m_seen_hlc;
    return Status::ok();
}

template <typename Group>
Result<RecordEngine::RemoteStats> RecordEngine::apply_groups(std::size_t n, Group&& group,
                                                             std::set<std::string, std::less<>>* present) {
    if (m_store.handle() == nullptr) {
        return Status::error(errc::kStoreLocked, "the store is locked");
    }
    RemoteStats stats;
    const std::int64_t now = m_clock.now_ms();
    Result<Transaction> sp = Transaction::savepoint(m_store, "remote_apply");  // rolled back unless committed
    OUTPOST_TRY(sp);
    m_batch_search = true;
    // However this returns (an allocation that throws included), no queued search row outlives the
    // call: insert_prepared's rows point into the caller's records.
    struct PendingReset {
        RecordEngine& e;
        ~PendingReset() {
            e.m_batch_search = false;
            e.m_pending_search.clear();
        }
    } pending_reset{*this};
    auto fail = [&](Status s) {
        m_saved_seen_hlc = 0;  // the savepoint's rollback may undo it
        return s;
    };
    Stmt log = prepare(kLogChangeSql);
    m_pending_search.reserve(n);
    // Ids inserted whole by insert_prepared, as views of the caller's records, ascending: a page comes
    // in id order, so each is appended and found in O(1); the same id twice is still caught.
    std::vector<std::string_view> added;
    auto was_added = [&](std::string_view id) {
        return !added.empty() && id <= added.back() && std::binary_search(added.begin(), added.end(), id);
    };
    for (std::size_t g = 0; g < n; ++g) {
        // group(g) gives the record's identity and its incoming versions, which this may consume.
        PulledRecord& rec = group(g);
        if (rec.versions.empty()) {
            continue;
        }
        const bool unknown = present != nullptr && present->count(rec.id) == 0 && !was_added(rec.id);
        Result<std::optional<Row>> found = unknown
                                               ? Result<std::optional<Row>>(std::optional<Row>())
                                               : read_row(rec.id, /*with_values=*/false);  // the search row reads heads
        if (!found.is_ok()) {
            return fail(found.status());
        }
        const bool exists = found->has_value();
        if (!exists && !rec.prepared) {
            prepare_one(rec);
        }
        Hlc newest;
        for (const Head& v : rec.versions) {
            newest = std::max(newest, v.hlc);
        }
        (void)m_hlc.observe(newest);  // a far-ahead stamp was refused by the server's clock check
        m_seen_hlc = std::max(m_seen_hlc, newest.packed);
        if (!exists && rec.prepared) {
            // New, one version per field (the whole of a first sync): the row as prepare_one() made
            // it, written from `rec` without a copy.
            if (Status s = insert_prepared(rec, newest); !s.is_ok()) {
                return fail(s);
            }
            stats.applied += static_cast<int>(rec.versions.size());
            if (present != nullptr) {  // the same id again in this call merges into it
                const std::string_view id = rec.id;
                if (added.empty() || id.compare(added.back()) > 0) {
                    added.push_back(id);
                } else {
                    added.insert(std::lower_bound(added.begin(), added.end(), id), id);
                }
            }
            continue;
        }
        Row row;
        if (exists) {
            row = std::move(**found);
        } else {
            // New to this laptop (the whole of a first sync): created when its earliest version was.
            const auto first = std::min_element(rec.versions.begin(), rec.versions.end(),
                                                [](const Head& a, const Head& b) { return a.hlc < b.hlc; });
            row.rec.id = std::move(rec.id);
            row.rec.type = std::move(rec.type);
            row.rec.team = std::move(rec.team);
            row.rec.created_by = rec.created_by.empty() ? first->author : std::move(rec.created_by);
            row.rec.created_ms = static_cast<std::int64_t>(first->hlc.ms());
            row.rec.updated_ms = row.rec.created_ms;
        }
        const Schema* sch = schema(row.rec.type);
        bool changed = false;
        for (Head& v : rec.versions) {
            Result<bool> took = merge_version(row, std::move(v), sch, log, now, stats);
            if (!took.is_ok()) {
                return fail(took.status());
            }
            changed = changed || *took;
        }
        if (changed) {
            if (Status s = save_row(row, sch, exists); !s.is_ok()) {
                return fail(s);
            }
            if (present != nullptr && !exists) {
                present->insert(row.rec.id);  // the same id again in this page merges into it
            }
        }
    }
    m_batch_search = false;
    if (Status s = flush_search(); !s.is_ok()) {
        return fail(s);
    }
    if (Status s = save_seen_hlc(); !s.is_ok()) {
        return fail(s);
    }
    if (Status s = sp->commit(); !s.is_ok()) {
        return fail(s);
    }
    return stats;
}

Result<RecordEngine::RemoteStats> RecordEngine::apply_remote(const std::vector<Change>& changes) {
    // Changes arrive grouped by record more often than not; each run is one read and one write.
    std::vector<std::pair<std::size_t, std::size_t>> runs;
    for (std::size_t i = 0; i < changes.size();) {
        std::size_t end = i;
        while (end < changes.size() && changes[end].record == changes[i].record) {
            ++end;
        }
        runs.emplace_back(i, end);
        i = end;
    }
    std::vector<PulledRecord> records;  // alive for the whole apply (insert_prepared borrows from them)
    records.reserve(runs.size());
    for (const auto& [begin, end] : runs) {
        const Change& first = changes[begin];
        PulledRecord& rec = records.emplace_back(PulledRecord{first.record, first.type, first.team, {}, {}});
        rec.versions.reserve(end - begin);
        for (std::size_t k = begin; k < end; ++k) {
            const Change& c = changes[k];
            rec.versions.push_back(Head{c.field, c.value, c.hlc, c.base, c.device, c.author, false});
        }
    }
    return apply_groups(records.size(), [&](std::size_t g) -> PulledRecord& { return records[g]; });
}

void RecordEngine::prepare_one(PulledRecord& rec) const {
    for (std::size_t k = 1; k < rec.versions.size(); ++k) {
        if (!(rec.versions[k - 1].field < rec.versions[k].field)) {
            return;  // not one version per field in name order: the merge rule sorts it out
        }
    }
    if (rec.versions.empty()) {
        return;
    }
    const Schema* sch = schema(rec.type);
    bool deleted = false;
    for (Head& v : rec.versions) {
        v.value = canonical(sch, v.field, std::move(v.value));
        v.logged = false;
        deleted = v.field == "_deleted" ? v.value == "true" : deleted;
    }
    rec.prepared_heads = encode_heads(rec.versions);
    if (!deleted && sch != nullptr) {
        rec.prepared_search = fts_body(*sch, rec.versions);
    }
    rec.prepared_deleted = deleted;
    rec.prepared = true;
}

void RecordEngine::prepare_snapshot(std::vector<PulledRecord>& records) const {
    for (PulledRecord& rec : records) {
        prepare_one(rec);
    }
}

Result<RecordEngine::RemoteStats> RecordEngine::apply_snapshot(std::vector<PulledRecord>& records) {
    if (records.empty()) {
        return RemoteStats{};
    }
    // A snapshot page covers a range of ids: one range read finds which of them this laptop already
    // has (usually none), instead of one lookup per record.
    auto [lo, hi] = std::minmax_element(records.begin(), records.end(),
                                        [](const PulledRecord& a, const PulledRecord& b) { return a.id < b.id; });
    std::set<std::string, std::less<>> present;
    {
        Stmt st = prepare("SELECT id FROM records WHERE id BETWEEN ? AND ?");
        st.text(1, lo->id).text(2, hi->id);
        int rc = 0;
        while ((rc = st.step()) == SQLITE_ROW) {
            present.insert(st.col_text(0));
        }
        if (rc != SQLITE_DONE) {
            return m_store.sql_status(rc, "reading records");
        }
    }
    return apply_groups(
        records.size(), [&](std::size_t g) -> PulledRecord& { return records[g]; }, &present);
}

namespace {

// The filters every list shares: ?2 type, ?3 team.
std::string filter_sql(const ListQuery& q) {
    std::string sql;
    if (!q.include_deleted) {
        sql += " AND r.deleted = 0";
    }
    if (!q.type.empty()) {
        sql += " AND r.type = ?2";
    }
    if (!q.team.empty()) {
        sql += " AND r.team = ?3";
    }
    return sql;
}

}  // namespace

void RecordEngine::bind_filters(Stmt& st, const ListQuery& q) {
    if (!q.type.empty()) {
        st.text(2, q.type);
    }
    if (!q.team.empty()) {
        st.text(3, q.team);
    }
}

Result<Page> RecordEngine::page_of(std::vector<Cursor> rows, int limit) {
    // `rows` holds up to limit + 1 matches: the extra one only says that another page follows.
    Page page;
    if (static_cast<int>(rows.size()) > limit) {
        rows.pop_back();
        page.next = rows.back();
    }
    for (const Cursor& row : rows) {
        Result<Record> r = load(row.id);
        OUTPOST_TRY(r);
        page.records.push_back(std::move(*r));
    }
    return page;
}

Result<Page> RecordEngine::search_recent(const ListQuery& q, const std::string& match, int limit) {
    // FTS5 yields matches in descending rowid (= last-write) order and the LIMIT stops it early, so
    // even a query of very common words reads only about one page of hits.
    std::string sql =
        "SELECT r.id, f.rowid FROM records_fts f JOIN records r ON r.fts_rowid = f.rowid "
        "WHERE records_fts MATCH ?1" +
        filter_sql(q);
    if (q.after) {
        sql += " AND f.rowid < ?4";
    }
    sql += " ORDER BY f.rowid DESC LIMIT " + std::to_string(limit + 1);
    Stmt st = prepare(sql);
    if (!st.ok()) {
        return m_store.sql_status(sqlite3_errcode(m_store.handle()), "searching");
    }
    st.text(1, match);
    bind_filters(st, q);
    if (q.after) {
        std::int64_t after = 0;
        const std::string& k = q.after->key;
        const auto [end, ec] =
            std::from_chars(k.data() + std::min<std::size_t>(2, k.size()), k.data() + k.size(), after);
        if (ec != std::errc() || end != k.data() + k.size() || k.rfind("s:", 0) != 0) {
            return Status::error(errc::kInvalidArgument, "this page cursor belongs to a different list");
        }
        st.i64(4, after);
    }
    std::vector<Cursor> rows;
    int rc = 0;
    while ((rc = st.step()) == SQLITE_ROW) {
        Cursor c;
        c.id = st.col_text(0);
        c.key = "s:" + std::to_string(st.col_i64(1));
        rows.push_back(std::move(c));
    }
    if (rc != SQLITE_DONE) {
        return m_store.sql_status(rc, "searching");
    }
    return page_of(std::move(rows), limit);
}

Result<Page> RecordEngine::list(const ListQuery& q) {
    sqlite3* db = m_store.handle();
    if (db == nullptr) {
        return Status::error(errc::kStoreLocked, "the store is locked");
    }
    const int limit = std::clamp(q.limit, 1, 500);
    std::string key;  // the sort expression
    std::string from = "records r";
    if (q.sort == SortBy::kUpdated) {
        key = "r.updated_ms";
    } else if (q.sort == SortBy::kCreated) {
        // Built on first use, like a field's sort index: a first sync need not maintain it.
        if (m_sort_indexes.count("") == 0) {
            OUTPOST_TRY(m_store.exec("CREATE INDEX IF NOT EXISTS records_created ON records(created_ms, id)"));
            m_sort_indexes.insert("");
        }
        key = "r.created_ms";
    } else {
        Result<std::string> k = field_sort_key(q.sort_field);
        OUTPOST_TRY(k);
        key = std::move(*k);
    }
    // NULL sort values (a field with no value) come first ascending and last descending; `nn` keeps the
    // keyset comparison well defined for them.
    const std::string nn = "(" + key + " IS NOT NULL)";
    std::string where = "1" + filter_sql(q);
    const std::string match = fts_query(q.search);
    if (!match.empty() && q.sort == SortBy::kUpdated && q.descending) {
        return search_recent(q, match, limit);
    }
    if (!match.empty()) {
        // Few matches: drive the query from FTS5 and sort them (bounded by kSparse lookups). Many
        // matches: walk the sort index and probe the match set, where a page of hits turns up early.
        // (A per-row "MATCH ... AND rowid = r.rid" probe was tried: FTS5 re-evaluates the whole
        // query per row, 100x slower.)
        constexpr int kSparse = 5000;
        Stmt count = prepare("SELECT count(*) FROM (SELECT 1 FROM records_fts WHERE records_fts MATCH ?1 LIMIT " +
                             std::to_string(kSparse) + ")");
        count.text(1, match);
        const int rc = count.step();
        if (rc != SQLITE_ROW) {
            return m_store.sql_status(rc, "searching");
        }
        if (count.col_i64(0) < kSparse) {
            from = "(SELECT rowid AS hit FROM records_fts WHERE records_fts MATCH ?4) AS hits CROSS JOIN " + from;
            where += " AND r.fts_rowid = hits.hit";
        } else {
            where += " AND r.fts_rowid IN (SELECT rowid FROM records_fts WHERE records_fts MATCH ?4)";
        }
    }
    const char* cmp = q.descending ? "<" : ">";
    if (q.after && q.sort != SortBy::kField) {
        where += std::string(" AND (") + key + ", r.id) " + cmp + " (?5, ?6)";
    } else if (q.after) {
        if (q.after->key_null) {
            where += q.descending ? " AND (" + nn + " = 0 AND r.id < ?6)" : " AND (" + nn + " = 1 OR r.id > ?6)";
        } else {
            const std::string kv = "(" + key + ", r.id) " + cmp + " (?5, ?6)";
            where += q.descending ? " AND ((" + nn + " = 1 AND " + kv + ") OR " + nn + " = 0)"
                                  : " AND (" + nn + " = 1 AND " + kv + ")";
        }
    }
    const char* dir = q.descending ? " DESC" : " ASC";
    // SQLite sorts NULL lowest, so this order is "no value first" ascending and last descending, and
    // it can walk the field's sort index.
    const std::string order = key + dir + ", r.id" + dir;
    const std::string sql = "SELECT r.id, " + key + " FROM " + from + " WHERE " + where + " ORDER BY " + order +
                            " LIMIT " + std::to_string(limit + 1);
    Stmt st = prepare(sql);
    if (!st.ok()) {
        return m_store.sql_status(sqlite3_errcode(db), "listing records");
    }
    bind_filters(st, q);
    if (!match.empty()) {
        st.text(4, match);
    }
    if (q.after) {
        if (!q.after->key_null) {
            // The cursor's key keeps SQLite's type: "i:", "r:" or "t:" prefix.
            const std::string& k = q.after->key;
            const char* num = k.data() + std::min<std::size_t>(2, k.size());
            const char* end = k.data() + k.size();
            if (k.rfind("i:", 0) == 0) {
                std::int64_t n = 0;
                if (auto [p, ec] = std::from_chars(num, end, n); ec != std::errc() || p != end) {
                    return Status::error(errc::kInvalidArgument, "this page cursor belongs to a different list");
                }
                st.i64(5, n);
            } else if (k.rfind("r:", 0) == 0) {
                double d = 0;
                if (auto [p, ec] = std::from_chars(num, end, d); ec != std::errc() || p != end) {
                    return Status::error(errc::kInvalidArgument, "this page cursor belongs to a different list");
                }
                sqlite3_bind_double(st.get(), 5, d);
            } else {
                st.text(5, k.size() >= 2 ? std::string_view(k).substr(2) : std::string_view());
            }
        }
        st.text(6, q.after->id);
    }
    std::vector<Cursor> rows;
    int rc = 0;
    while ((rc = st.step()) == SQLITE_ROW) {
        Cursor c;
        c.id = st.col_text(0);
        switch (sqlite3_column_type(st.get(), 1)) {
            case SQLITE_NULL:
                c.key_null = true;
                break;
            case SQLITE_INTEGER:
                c.key = "i:" + std::to_string(st.col_i64(1));
                break;
            case SQLITE_FLOAT: {
                char buf[40];
                std::snprintf(buf, sizeof buf, "r:%.17g", sqlite3_column_double(st.get(), 1));
                c.key = buf;
                break;
            }
            default:
                c.key = "t:" + st.col_text(1);
        }
        rows.push_back(std::move(c));
    }
    if (rc != SQLITE_DONE) {
        return m_store.sql_status(rc, "listing records");
    }
    return page_of(std::move(rows), limit);
}

Result<std::string> RecordEngine::field_sort_key(const std::string& field) {
    if (field.empty() || field.size() > 64 || !std::all_of(field.begin(), field.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        })) {
        return Status::error(errc::kInvalidArgument, "records cannot be sorted by '" + field + "'");
    }
    // Each sort index is kept up to date by every write from then on: only fields of a form get one.
    if (std::none_of(m_schemas.begin(), m_schemas.end(),
                     [&](const Schema& sch) { return sch.field(field) != nullptr; })) {
        return Status::error(errc::kInvalidArgument, "no form has a field called '" + field + "'");
    }
    // The field's name is a literal (checked above), so the query's expression is the index's own.
    std::string key = "outpost_sort(r.heads, '" + field + "')";
    if (m_sort_indexes.count(field) == 0) {
        const std::string ddl = "CREATE INDEX IF NOT EXISTS records_sort_" + field +
                                " ON records(outpost_sort(heads, '" + field + "'), id)";
        OUTPOST_TRY(m_store.exec(ddl));
        m_sort_indexes.insert(field);
    }
    return key;
}

Result<std::vector<Change>> RecordEngine::read_changes(const char* where, std::string_view record, std::int64_t after,
                                                       int limit) {
    sqlite3* db = m_store.handle();
    if (db == nullptr) {
        return Status::error(errc::kStoreLocked, "the store is locked");
    }
    const std::string sql = std::string(
                                "SELECT seq, record, type, team, field, value, hlc, device, base, author, at_ms "
                                "FROM changes WHERE ") +
                            where + " ORDER BY seq LIMIT ?3";
    Stmt st = prepare(sql);
    st.text(1, record).i64(2, after).i64(3, limit);
    std::vector<Change> out;
    int rc = 0;
    while ((rc = st.step()) == SQLITE_ROW) {
        out.push_back({st.col_i64(0), st.col_text(1), st.col_text(2), st.col_text(3), st.col_text(4), st.col_text(5),
                       Hlc{static_cast<std::uint64_t>(st.col_i64(6))}, st.col_text(7),
                       Hlc{static_cast<std::uint64_t>(st.col_i64(8))}, st.col_text(9), st.col_i64(10)});
    }
    if (rc != SQLITE_DONE) {
        return m_store.sql_status(rc, "reading the change log");
    }
    return out;
}

Result<std::vector<Change>> RecordEngine::history(std::string_view id) {
    Result<std::vector<Change>> logged = read_changes("record = ?1 AND seq > ?2", id, 0, 1'000'000);
    OUTPOST_TRY(logged);
    Result<std::optional<Row>> row = read_row(id, /*with_values=*/false);
    OUTPOST_TRY(row);
    if (!row->has_value()) {
        return logged;
    }
    // Current versions that came by sync live only in the heads (heads.h): they join the log here.
    const Record& rec = (*row)->rec;
    for (const Head& h : (*row)->heads) {
        if (!h.logged) {
            logged->push_back({0, rec.id, rec.type, rec.team, h.field, h.value, h.hlc, h.device, h.base, h.author,
                               static_cast<std::int64_t>(h.hlc.ms())});
        }
    }
    std::stable_sort(logged->begin(), logged->end(), [](const Change& a, const Change& b) {
        return Stamp{a.hlc, a.device} < Stamp{b.hlc, b.device};
    });
    return logged;
}

Result<std::vector<Change>> RecordEngine::changes_after(std::int64_t after, int limit) {
    return read_changes("(?1 IS NOT NULL) AND seq > ?2", "", after, std::clamp(limit, 1, 10'000));
}

Result<std::vector<Change>> RecordEngine::outbox_after(std::string_view device, std::int64_t after, int limit) {
    return read_changes("seq > ?2 AND device = ?1", device, after, std::clamp(limit, 1, 10'000));
}

}  // namespace outpost::records
