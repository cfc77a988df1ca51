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
#include "outpost/core/sql_stmt.h"

namespace outpost::records {
namespace {

constexpr const char* kSchemaSql = R"sql(
CREATE TABLE IF NOT EXISTS records(
  rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, team TEXT NOT NULL,
  created_by TEXT NOT NULL, created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0, fts_rowid INTEGER);
CREATE UNIQUE INDEX IF NOT EXISTS records_fts_rowid ON records(fts_rowid);
CREATE INDEX IF NOT EXISTS records_updated ON records(updated_ms, id);
CREATE INDEX IF NOT EXISTS records_created ON records(created_ms, id);
CREATE TABLE IF NOT EXISTS field_values(
  rid INTEGER NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL, sort_value,
  hlc INTEGER NOT NULL, device TEXT NOT NULL, base INTEGER NOT NULL, author TEXT NOT NULL,
  PRIMARY KEY(rid, field)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS field_sort ON field_values(field, sort_value, rid);
CREATE TABLE IF NOT EXISTS changes(
  seq INTEGER PRIMARY KEY AUTOINCREMENT, record TEXT NOT NULL, type TEXT NOT NULL, team TEXT NOT NULL,
  field TEXT NOT NULL, value TEXT NOT NULL, hlc INTEGER NOT NULL, device TEXT NOT NULL,
  base INTEGER NOT NULL, author TEXT NOT NULL, at_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS changes_record ON changes(record, seq);
CREATE VIRTUAL TABLE IF NOT EXISTS records_fts USING fts5(body, tokenize='unicode61 remove_diacritics 2');
)sql";

constexpr const char* kUpsertFieldSql =
    "INSERT INTO field_values(rid, field, value, sort_value, hlc, device, base, author) "
    "VALUES(?1,?2,?3,?4,?5,?6,?7,?8) ON CONFLICT(rid, field) DO UPDATE SET value=?3, sort_value=?4, "
    "hlc=?5, device=?6, base=?7, author=?8";
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
// A pulled value as this laptop stores it: the canonical spelling for its field's kind, and the
// decoded value. A field this build's form does not know (or a value that does not fit it) is kept
// as sent, undecoded.
struct Pulled {
    std::string text;
    std::optional<FieldValue> value;
};

Pulled canonical(const Schema* sch, const Change& c) {
    if (const FieldDef* def = sch != nullptr ? sch->field(c.field) : nullptr; def != nullptr) {
        if (Result<FieldValue> v = decode_value(def->kind, c.value); v.is_ok()) {
            return {encode_value(*v), std::move(*v)};
        }
    }
    return {c.value, std::nullopt};
}

int log_change(sql::StmtRef& log, const Change& c, std::string_view value, std::int64_t at_ms) {
    log.text(1, c.record).text(2, c.type).text(3, c.team).text(4, c.field).text(5, value);
    log.i64(6, static_cast<std::int64_t>(c.hlc.packed)).text(7, c.device);
    log.i64(8, static_cast<std::int64_t>(c.base.packed)).text(9, c.author).i64(10, at_ms);
    const int rc = log.step();
    log.reset();
    return rc;
}

}  // namespace

RecordEngine::Stmt RecordEngine::prepare(const std::string& sql) {
    auto it = m_statements.find(sql);
    if (it != m_statements.end()) {
        return Stmt(it->second);
    }
    sqlite3_stmt* st = nullptr;
    const int rc = sqlite3_prepare_v3(m_store.handle(), sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(st);
        return Stmt(nullptr);
    }
    m_statements.emplace(sql, st);
    return Stmt(st);
}

namespace {

void append_number(std::string& out, double d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", d);
    out += buf;
}

// The value SQLite sorts and filters on: numbers as numbers, text as text, others as their JSON.
void bind_sort_value(sqlite3_stmt* st, int i, const FieldValue& v) {
    if (const auto* n = std::get_if<std::int64_t>(&v)) {
        sqlite3_bind_int64(st, i, *n);
    } else if (const auto* d = std::get_if<double>(&v)) {
        sqlite3_bind_double(st, i, *d);
    } else if (const auto* b = std::get_if<bool>(&v)) {
        sqlite3_bind_int(st, i, *b ? 1 : 0);
    } else if (const auto* s = std::get_if<std::string>(&v)) {
        sqlite3_bind_text(st, i, s->data(), static_cast<int>(s->size()), SQLITE_TRANSIENT);
    } else if (std::holds_alternative<std::monostate>(v)) {
        sqlite3_bind_null(st, i);
    } else {
        const std::string e = encode_value(v);
        sqlite3_bind_text(st, i, e.data(), static_cast<int>(e.size()), SQLITE_TRANSIENT);
    }
}

std::string fts_body(const Schema& schema, const Values& values) {
    std::string body;
    for (const auto& [name, v] : values) {
        const FieldDef* f = schema.field(name);
        if (f == nullptr) {
            continue;
        }
        if (const auto* s = std::get_if<std::string>(&v);
            s != nullptr &&
            (f->kind == FieldKind::kText || f->kind == FieldKind::kLongText || f->kind == FieldKind::kChoice)) {
            body += *s;
            body += '\n';
        } else if (const auto* l = std::get_if<std::vector<std::string>>(&v)) {
            for (const auto& item : *l) {
                body += item;
                body += ' ';
            }
            body += '\n';
        }
    }
    return body;
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

// Fast paths for the canonical encodings encode_value() writes most often. Anything else (escapes,
// lists, locations, or input from elsewhere) goes through the full JSON reader.
std::optional<FieldValue> decode_simple(FieldKind kind, std::string_view text) {
    if (text.size() >= 2 && text.front() == '"' && text.back() == '"' &&
        text.substr(1, text.size() - 2).find_first_of("\\\"") == std::string_view::npos &&
        kind != FieldKind::kInteger && kind != FieldKind::kDecimal && kind != FieldKind::kYesNo &&
        kind != FieldKind::kMultiChoice && kind != FieldKind::kLocation) {
        const std::string_view body = text.substr(1, text.size() - 2);
        if (std::none_of(body.begin(), body.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; })) {
            return FieldValue{std::string(body)};
        }
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

}  // namespace

Result<FieldValue> decode_value(FieldKind kind, std::string_view text) {
    if (text == "null") {
        return FieldValue{};
    }
    if (std::optional<FieldValue> simple = decode_simple(kind, text)) {
        return *simple;
    }
    Result<json::Value> j = json::parse(text);
    if (!j.is_ok()) {
        return j.status();
    }
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
    return Status::error(errc::kFieldWrongKind, "value " + std::string(text.substr(0, 40)) + " does not fit a " +
                                                    std::string(kind_name(kind)) + " field");
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
    OUTPOST_TRY(store.exec(kSchemaSql));
    std::unique_ptr<RecordEngine> e(new RecordEngine(store, std::move(schemas), clock));
    Stmt st = e->prepare("SELECT max(hlc) FROM changes");
    if (st.ok() && st.step() == SQLITE_ROW) {
        e->m_hlc.restore(Hlc{static_cast<std::uint64_t>(st.col_i64(0))});
    }
    return e;
}

const Schema* RecordEngine::schema(std::string_view type) const {
    for (const Schema& s : m_schemas) {
        if (s.type == type) {
            return &s;
        }
    }
    return nullptr;
}

Result<Record> RecordEngine::load(std::string_view id) {
    sqlite3* db = m_store.handle();
    if (db == nullptr) {
        return Status::error(errc::kStoreLocked, "the store is locked");
    }
    Stmt r = prepare("SELECT rid, type, team, created_by, created_ms, updated_ms, deleted FROM records WHERE id = ?");
    r.text(1, id);
    int rc = r.step();
    if (rc == SQLITE_DONE) {
        return Status::error(errc::kRecordNotFound, "no record " + std::string(id));
    }
    if (rc != SQLITE_ROW) {
        return m_store.sql_status(rc, "reading a record");
    }
    Record rec;
    const std::int64_t rid = r.col_i64(0);
    rec.id = std::string(id);
    rec.type = r.col_text(1);
    rec.team = r.col_text(2);
    rec.created_by = r.col_text(3);
    rec.created_ms = r.col_i64(4);
    rec.updated_ms = r.col_i64(5);
    rec.deleted = r.col_i64(6) != 0;
    const Schema* s = schema(rec.type);
    Stmt f = prepare("SELECT field, value FROM field_values WHERE rid = ?");
    f.i64(1, rid);
    while ((rc = f.step()) == SQLITE_ROW) {
        const std::string name = f.col_text(0);
        const FieldDef* def = s != nullptr ? s->field(name) : nullptr;
        if (def == nullptr) {
            continue;  // _deleted, or a field this build's schema does not know
        }
        Result<FieldValue> v = decode_value(def->kind, f.col_text(1));
        if (v.is_ok() && !std::holds_alternative<std::monostate>(*v)) {
            rec.values[name] = std::move(*v);
        }
    }
    if (rc != SQLITE_DONE) {
        return m_store.sql_status(rc, "reading a record's fields");
    }
    return rec;
}

Result<Record> RecordEngine::get(std::string_view id) {
    return load(id);
}

Result<Record> RecordEngine::create(const Actor& who, std::string_view type, const Values& values,
                                    std::vector<FieldError>* errors) {
    const Schema* s = schema(type);
    if (s == nullptr) {
        return Status::error(errc::kRecordTypeUnknown, "no form called '" + std::string(type) + "'");
    }
    Record rec;
    rec.type = std::string(type);
    rec.team = who.team;
    rec.created_by = who.user;
    return write(who, *s, std::move(rec), values, /*creating=*/true, errors);
}

Result<Record> RecordEngine::update(const Actor& who, std::string_view id, const Values& changes,
                                    std::vector<FieldError>* errors) {
    Result<Record> current = load(id);
    if (!current.is_ok()) {
        return current.status();
    }
    const Schema* s = schema(current->type);
    if (s == nullptr) {
        return Status::error(errc::kRecordTypeUnknown, "no form called '" + current->type + "'");
    }
    if (current->deleted) {
        return Status::error(errc::kRecordNotFound, "record " + std::string(id) + " was deleted");
    }
    return write(who, *s, std::move(*current), changes, /*creating=*/false, errors);
}

Status RecordEngine::remove(const Actor& who, std::string_view id) {
    Result<Record> current = load(id);
    if (!current.is_ok()) {
        return current.status();
    }
    const Schema* s = schema(current->type);
    if (s == nullptr) {
        return Status::error(errc::kRecordTypeUnknown, "no form called '" + current->type + "'");
    }
    Values del{{"_deleted", true}};
    return write(who, *s, std::move(*current), del, /*creating=*/false, nullptr).status();
}

Result<Record> RecordEngine::write(const Actor& who, const Schema& schema, Record rec, const Values& changes,
                                   bool creating, std::vector<FieldError>* errors) {
    sqlite3* db = m_store.handle();
    if (db == nullptr) {
        return Status::error(errc::kStoreLocked, "the store is locked");
    }
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
    std::vector<FieldError> problems = validate(schema, merged, changed, who.role);
    if (!problems.empty()) {
        const std::size_t n = problems.size();
        if (errors != nullptr) {
            *errors = std::move(problems);
        }
        return Status::error(errc::kRecordInvalid, std::to_string(n) + " answer(s) need attention");
    }
    const std::int64_t now = m_clock.now_ms();
    // A savepoint: its own transaction when called alone, or part of the caller's BEGIN...COMMIT.
    OUTPOST_TRY(m_store.exec("SAVEPOINT record_write"));
    auto fail = [&](int rc, const char* what) {
        const Status s = m_store.sql_status(rc, what);
        (void)m_store.exec("ROLLBACK TO record_write; RELEASE record_write");
        return s;
    };
    std::int64_t rid = 0;
    if (creating) {
        rec.id = make_uuid_v7(now);
        rec.created_ms = now;
        Stmt ins =
            prepare("INSERT INTO records(id, type, team, created_by, created_ms, updated_ms) VALUES(?,?,?,?,?,?)");
        ins.text(1, rec.id).text(2, rec.type).text(3, rec.team).text(4, rec.created_by).i64(5, now).i64(6, now);
        if (int rc = ins.step(); rc != SQLITE_DONE) {
            return fail(rc, "creating a record");
        }
        rid = sqlite3_last_insert_rowid(db);
    } else {
        Stmt q = prepare("SELECT rid FROM records WHERE id = ?");
        q.text(1, rec.id);
        if (int rc = q.step(); rc != SQLITE_ROW) {
            return fail(rc, "finding a record");
        }
        rid = q.col_i64(0);
    }
    Stmt base_q = prepare("SELECT hlc FROM field_values WHERE rid = ? AND field = ?");
    Stmt put = prepare(kUpsertFieldSql);
    Stmt log = prepare(kLogChangeSql);
    for (const auto& [field, value] : changes) {
        base_q.i64(1, rid).text(2, field);
        const Hlc base = base_q.step() == SQLITE_ROW ? Hlc{static_cast<std::uint64_t>(base_q.col_i64(0))} : Hlc{};
        sqlite3_reset(base_q.get());
        const Hlc hlc = m_hlc.now();
        const std::string encoded = encode_value(value);
        put.i64(1, rid).text(2, field).text(3, encoded);
        bind_sort_value(put.get(), 4, value);
        put.i64(5, static_cast<std::int64_t>(hlc.packed))
            .text(6, who.device)
            .i64(7, static_cast<std::int64_t>(base.packed))
            .text(8, who.user);
        if (int rc = put.step(); rc != SQLITE_DONE) {
            return fail(rc, "saving a field");
        }
        sqlite3_reset(put.get());
        const Change entry{0, rec.id, rec.type, rec.team, field, encoded, hlc, who.device, base, who.user, now};
        if (int rc = log_change(log, entry, entry.value, now); rc != SQLITE_DONE) {
            return fail(rc, "logging a change");
        }
    }
    const bool deleted = rec.deleted || changes.count("_deleted") != 0;
    Stmt upd = prepare("UPDATE records SET updated_ms = ?, deleted = ? WHERE rid = ?");
    upd.i64(1, now).i64(2, deleted ? 1 : 0).i64(3, rid);
    if (int rc = upd.step(); rc != SQLITE_DONE) {
        return fail(rc, "updating a record");
    }
    if (Status s = refresh_search(rid, &schema, merged, deleted); !s.is_ok()) {
        (void)m_store.exec("ROLLBACK TO record_write; RELEASE record_write");
        return s;
    }
    if (Status s = m_store.exec("RELEASE record_write"); !s.is_ok()) {
        (void)m_store.exec("ROLLBACK TO record_write; RELEASE record_write");
        return s;
    }
    rec.values = std::move(merged);
    rec.updated_ms = now;
    rec.deleted = deleted;
    return rec;
}

// The search row gets a new rowid on every write, from a sequence kept on the record, so FTS5's rowid
// order is last-write order and a date-sorted search can stream matches newest first.
Status RecordEngine::refresh_search(std::int64_t rid, const Schema* schema, const Values& values, bool deleted) {
    Stmt fts_old = prepare("SELECT fts_rowid FROM records WHERE rid = ?");
    fts_old.i64(1, rid);
    if (int rc = fts_old.step(); rc != SQLITE_ROW) {
        return m_store.sql_status(rc, "updating the search index");
    }
    if (sqlite3_column_type(fts_old.get(), 0) != SQLITE_NULL) {
        Stmt fts_del = prepare("DELETE FROM records_fts WHERE rowid = ?");
        fts_del.i64(1, fts_old.col_i64(0));
        if (int rc = fts_del.step(); rc != SQLITE_DONE) {
            return m_store.sql_status(rc, "updating the search index");
        }
    }
    std::optional<std::int64_t> fts_rowid;
    if (!deleted && schema != nullptr) {
        Stmt next = prepare("SELECT COALESCE(max(fts_rowid), 0) + 1 FROM records");
        if (int rc = next.step(); rc != SQLITE_ROW) {
            return m_store.sql_status(rc, "updating the search index");
        }
        fts_rowid = next.col_i64(0);
        Stmt fts_ins = prepare("INSERT INTO records_fts(rowid, body) VALUES(?, ?)");
        fts_ins.i64(1, *fts_rowid).text(2, fts_body(*schema, values));
        if (int rc = fts_ins.step(); rc != SQLITE_DONE) {
            return m_store.sql_status(rc, "updating the search index");
        }
    }
    Stmt fts_set = prepare("UPDATE records SET fts_rowid = ? WHERE rid = ?");
    if (fts_rowid) {
        fts_set.i64(1, *fts_rowid);
    }
    fts_set.i64(2, rid);
    if (int rc = fts_set.step(); rc != SQLITE_DONE) {
        return m_store.sql_status(rc, "updating the search index");
    }
    return Status::ok();
}

Status RecordEngine::insert_pulled(const std::vector<Change>& changes, std::size_t begin, std::size_t end,
                                   const Schema* sch, std::int64_t now, RemoteStats& stats) {
    std::map<std::string_view, std::size_t> top;  // field -> index of the winning change (the merge rule's)
    std::vector<Pulled> pulled;
    pulled.reserve(end - begin);
    std::int64_t created = static_cast<std::int64_t>(changes[begin].hlc.ms());
    for (std::size_t k = begin; k < end; ++k) {
        const Change& c = changes[k];
        (void)m_hlc.observe(c.hlc);
        pulled.push_back(canonical(sch, c));
        auto [t, fresh] = top.emplace(c.field, k);
        if (!fresh && Stamp{c.hlc, c.device} > Stamp{changes[t->second].hlc, changes[t->second].device}) {
            t->second = k;
        }
        created = std::min(created, static_cast<std::int64_t>(c.hlc.ms()));
    }
    std::int64_t updated = created;
    bool deleted = false;
    for (const auto& [field, k] : top) {
        updated = std::max(updated, static_cast<std::int64_t>(changes[k].hlc.ms()));
        deleted = deleted || (field == "_deleted" && changes[k].value == "true");
    }
    const Change& first = changes[begin];
    Stmt ins = prepare(
        "INSERT INTO records(id, type, team, created_by, created_ms, updated_ms, deleted) VALUES(?,?,?,?,?,?,?)");
    ins.text(1, first.record).text(2, first.type).text(3, first.team).text(4, first.author);
    ins.i64(5, created).i64(6, updated).i64(7, deleted ? 1 : 0);
    if (int rc = ins.step(); rc != SQLITE_DONE) {
        return m_store.sql_status(rc, "creating a pulled record");
    }
    const std::int64_t rid = sqlite3_last_insert_rowid(m_store.handle());
    Stmt put = prepare(
        "INSERT INTO field_values(rid, field, value, sort_value, hlc, device, base, author) VALUES(?,?,?,?,?,?,?,?)");
    Values values;
    for (const auto& [field, k] : top) {
        const Change* c = &changes[k];
        Pulled& p = pulled[k - begin];
        put.i64(1, rid).text(2, c->field).text(3, p.text);
        if (p.value) {
            bind_sort_value(put.get(), 4, *p.value);
            if (!std::holds_alternative<std::monostate>(*p.value)) {
                values.emplace(c->field, std::move(*p.value));
            }
        }
        put.i64(5, static_cast<std::int64_t>(c->hlc.packed))
            .text(6, c->device)
            .i64(7, static_cast<std::int64_t>(c->base.packed))
            .text(8, c->author);
        if (int rc = put.step(); rc != SQLITE_DONE) {
            return m_store.sql_status(rc, "saving a pulled field");
        }
        sqlite3_reset(put.get());
        sqlite3_clear_bindings(put.get());
    }
    Stmt log = prepare(kLogChangeSql);
    for (std::size_t k = begin; k < end; ++k) {
        if (int rc = log_change(log, changes[k], pulled[k - begin].text, now); rc != SQLITE_DONE) {
            return m_store.sql_status(rc, "logging a pulled change");
        }
    }
    stats.applied += static_cast<int>(top.size());
    stats.superseded += static_cast<int>(end - begin - top.size());
    return refresh_search(rid, sch, values, deleted);
}

Result<RecordEngine::RemoteStats> RecordEngine::apply_remote(const std::vector<Change>& changes) {
    sqlite3* db = m_store.handle();
    if (db == nullptr) {
        return Status::error(errc::kStoreLocked, "the store is locked");
    }
    RemoteStats stats;
    const std::int64_t now = m_clock.now_ms();
    OUTPOST_TRY(m_store.exec("SAVEPOINT remote_apply"));
    auto fail = [&](Status s) {
        (void)m_store.exec("ROLLBACK TO remote_apply; RELEASE remote_apply");
        return s;
    };
    Stmt find = prepare("SELECT rid, updated_ms, deleted FROM records WHERE id = ?");
    Stmt cur = prepare("SELECT hlc, device FROM field_values WHERE rid = ? AND field = ?");
    Stmt put = prepare(kUpsertFieldSql);
    Stmt log = prepare(kLogChangeSql);
    Stmt upd = prepare("UPDATE records SET updated_ms = ?, deleted = ? WHERE rid = ?");
    // Changes arrive grouped by record more often than not; the search row is rebuilt once per run.
    std::size_t i = 0;
    while (i < changes.size()) {
        const std::string& id = changes[i].record;
        std::size_t end = i;
        while (end < changes.size() && changes[end].record == id) {
            ++end;
        }
        const Schema* sch = schema(changes[i].type);
        std::int64_t rid = 0;
        std::int64_t updated_ms = 0;
        bool deleted = false;
        find.text(1, id);
        const int found = find.step();
        if (found == SQLITE_ROW) {
            rid = find.col_i64(0);
            updated_ms = find.col_i64(1);
            deleted = find.col_i64(2) != 0;
        }
        sqlite3_reset(find.get());
        if (found == SQLITE_DONE) {
            // New to this laptop (the whole of a first sync): the group's own winners are the state,
            // so nothing needs reading back.
            if (Status s = insert_pulled(changes, i, end, sch, now, stats); !s.is_ok()) {
                return fail(s);
            }
            i = end;
            continue;
        }
        if (found != SQLITE_ROW) {
            return fail(m_store.sql_status(found, "finding a pulled record"));
        }
        bool changed = false;
        for (std::size_t k = i; k < end; ++k) {
            const Change& c = changes[k];
            (void)m_hlc.observe(c.hlc);  // a far-ahead stamp was refused by the server's clock check
            FieldVersion incoming{c.value, Stamp{c.hlc, c.device}, c.base, c.author};
            FieldState state;
            cur.i64(1, rid).text(2, c.field);
            if (cur.step() == SQLITE_ROW) {
                state.frontier.push_back(
                    FieldVersion{"", Stamp{Hlc{static_cast<std::uint64_t>(cur.col_i64(0))}, cur.col_text(1)}, {}, {}});
            }
            sqlite3_reset(cur.get());
            const ApplyResult r = apply_write(state, incoming);
            const Pulled p = canonical(sch, c);
            if (winner(r.state).stamp == incoming.stamp) {
                put.i64(1, rid).text(2, c.field).text(3, p.text);
                if (p.value) {
                    bind_sort_value(put.get(), 4, *p.value);
                }
                put.i64(5, static_cast<std::int64_t>(c.hlc.packed))
                    .text(6, c.device)
                    .i64(7, static_cast<std::int64_t>(c.base.packed))
                    .text(8, c.author);
                if (int rc = put.step(); rc != SQLITE_DONE) {
                    return fail(m_store.sql_status(rc, "saving a pulled field"));
                }
                sqlite3_reset(put.get());
                sqlite3_clear_bindings(put.get());
                if (c.field == "_deleted") {
                    deleted = c.value == "true";
                }
                updated_ms = std::max(updated_ms, static_cast<std::int64_t>(c.hlc.ms()));
                changed = true;
                ++stats.applied;
            } else {
                ++stats.superseded;
            }
            if (int rc = log_change(log, c, p.text, now); rc != SQLITE_DONE) {
                return fail(m_store.sql_status(rc, "logging a pulled change"));
            }
        }
        if (changed) {
            upd.i64(1, updated_ms).i64(2, deleted ? 1 : 0).i64(3, rid);
            if (int rc = upd.step(); rc != SQLITE_DONE) {
                return fail(m_store.sql_status(rc, "updating a pulled record"));
            }
            sqlite3_reset(upd.get());
            Result<Record> rec = load(id);
            if (!rec.is_ok()) {
                return fail(rec.status());
            }
            if (Status s = refresh_search(rid, sch, rec->values, deleted); !s.is_ok()) {
                return fail(s);
            }
        }
        i = end;
    }
    if (Status s = m_store.exec("RELEASE remote_apply"); !s.is_ok()) {
        return fail(s);
    }
    return stats;
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
        if (!r.is_ok()) {
            return r.status();
        }
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
        key = "r.created_ms";
    } else {
        from += " LEFT JOIN field_values fv ON fv.rid = r.rid AND fv.field = ?1";
        key = "fv.sort_value";
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
            where += " AND r.rid = hits.hit";
        } else {
            where += " AND r.rid IN (SELECT rowid FROM records_fts WHERE records_fts MATCH ?4)";
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
    // Dates are never NULL, so their sort can walk the (updated_ms, id) / (created_ms, id) index; only
    // field sorts need the NULL-ordering term.
    const std::string order =
        q.sort == SortBy::kField ? nn + dir + ", " + key + dir + ", r.id" + dir : key + dir + ", r.id" + dir;
    const std::string sql = "SELECT r.id, " + key + " FROM " + from + " WHERE " + where + " ORDER BY " + order +
                            " LIMIT " + std::to_string(limit + 1);
    Stmt st = prepare(sql);
    if (!st.ok()) {
        return m_store.sql_status(sqlite3_errcode(db), "listing records");
    }
    if (q.sort == SortBy::kField) {
        st.text(1, q.sort_field);
    }
    bind_filters(st, q);
    if (!match.empty()) {
        st.text(4, match);
    }
    if (q.after) {
        if (!q.after->key_null) {
            // The cursor's key keeps SQLite's type: "i:", "r:" or "t:" prefix.
            const std::string& k = q.after->key;
            if (k.rfind("i:", 0) == 0) {
                st.i64(5, std::stoll(k.substr(2)));
            } else if (k.rfind("r:", 0) == 0) {
                sqlite3_bind_double(st.get(), 5, std::stod(k.substr(2)));
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
    return read_changes("record = ?1 AND seq > ?2", id, 0, 1'000'000);
}

Result<std::vector<Change>> RecordEngine::changes_after(std::int64_t after, int limit) {
    return read_changes("(?1 IS NOT NULL) AND seq > ?2", "", after, std::clamp(limit, 1, 10'000));
}

Result<std::vector<Change>> RecordEngine::outbox_after(std::string_view device, std::int64_t after, int limit) {
    return read_changes("seq > ?2 AND device = ?1", device, after, std::clamp(limit, 1, 10'000));
}

}  // namespace outpost::records
