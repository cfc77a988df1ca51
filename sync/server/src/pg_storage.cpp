// The PostgreSQL back end of ServerStorage, through libpq.
//
// - A pool of connections (Pool), each preparing its statements on first use (Conn::run).
// - Versioned migrations (kPgMigrations), applied under an advisory lock at open.
// - Pushes (with_sync_txn) run in READ COMMITTED under a per-team advisory lock: one push per team
//   at a time across every process, so a team's records are read and written by one transaction at
//   a time. The practice library's records (team '*') are shared: a push takes the library's lock
//   too, and reads them again, before it uses one. Different teams push at once. In one process, the
//   pushes of a team that wait together are written in one transaction (with_sync_txn).
// - The cursor problem (docs/PROTOCOL.md, "Late commits"): a push takes its seqs at the end, with
//   outpost_take_seqs(), which also holds an advisory lock named after its first seq until it
//   commits. A pull reads outpost_safe_seq() first (below every seq still held, and at or below the
//   last seq given), then its rows in a later snapshot, and never hands out a cursor past it.
#include <libpq-fe.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_set>

#include "outpost/core/clock.h"
#include "outpost/core/error_codes.h"
#include "outpost/core/json.h"
#include "outpost/core/records/review.h"
#include "outpost/sync/server_storage.h"
#include "storage_common.h"

namespace outpost::sync {
namespace {

using namespace storage;

constexpr std::int64_t kMigrateLock = 0x7f05;    // advisory lock keys: outpost's own numbers
constexpr std::int64_t kTeamLockClass = 0x7f08;  // pg_advisory_xact_lock(class, hashtext(team))
// 0x7f07 is the seq allocator's lock, and (1 << 62) | schema tag << 40 | seq an in-flight push: both
// are written in migration 2's functions.

// Entry i brings the schema from version i to i + 1. Version 1 holds what SQLite's version 6 holds.
// Keys compared and paged in byte order are COLLATE "C", whatever the database's locale.
constexpr const char* kPgMigrations[] = {
    R"sql(
CREATE TABLE teams(name text COLLATE "C" PRIMARY KEY, created_ms bigint NOT NULL);
CREATE TABLE users(name text PRIMARY KEY, team text NOT NULL REFERENCES teams(name),
                   role text NOT NULL CHECK (role IN ('worker','lead','admin')), created_ms bigint NOT NULL);
CREATE TABLE enrol_codes(code_hash bytea PRIMARY KEY, user_name text NOT NULL REFERENCES users(name),
                         created_ms bigint NOT NULL, expires_ms bigint NOT NULL, used_ms bigint);
CREATE TABLE devices(id text PRIMARY KEY, user_name text NOT NULL REFERENCES users(name), name text NOT NULL,
                     token_hash bytea NOT NULL UNIQUE, created_ms bigint NOT NULL, revoked_ms bigint);
CREATE TABLE audit(id bigserial PRIMARY KEY, at_ms bigint NOT NULL, actor text NOT NULL, event text NOT NULL,
                   detail text NOT NULL);
CREATE TABLE srv_records(id text COLLATE "C" PRIMARY KEY, type text NOT NULL, team text COLLATE "C" NOT NULL,
                         created_by text NOT NULL,
                         created_ms bigint NOT NULL, fields bytea);
CREATE INDEX srv_records_team ON srv_records(team, id);
CREATE TABLE srv_changes(seq bigint PRIMARY KEY, record text NOT NULL, type text NOT NULL, team text NOT NULL,
                         field text NOT NULL, value text NOT NULL, hlc bigint NOT NULL, device text NOT NULL,
                         base bigint NOT NULL, author text NOT NULL, at_ms bigint NOT NULL);
CREATE INDEX srv_changes_team ON srv_changes(team, seq);
CREATE INDEX srv_changes_device ON srv_changes(device);
CREATE TABLE srv_push_batches(device text NOT NULL, last_seq bigint NOT NULL, first_seq bigint NOT NULL,
                              results text NOT NULL, PRIMARY KEY(device, last_seq));
CREATE TABLE srv_blob_refs(team text NOT NULL, hash text NOT NULL, PRIMARY KEY(team, hash));
)sql",
    // 2: seqs from a sequence, taken at the end of a push, and a pull's bound from the pushes still in
    // flight (docs/PROTOCOL.md, "Late commits"). 32519 = 0x7f07, the allocator's lock. An in-flight
    // push holds the bigint advisory lock (1 << 62) | tag << 40 | first_seq, where tag is 21 bits of
    // the schema's name, so two Outpost schemas in one database do not see each other's pushes (a
    // clash of tags only makes pulls wait longer). Seqs stay below 2^40.
    // The log's index by device goes: only tests count a device's changes, and every push paid for it.
    R"sql(
DROP INDEX IF EXISTS srv_changes_device;
CREATE SEQUENCE srv_seq;
SELECT setval('srv_seq', COALESCE((SELECT max(seq) FROM srv_changes), 0) + 1, false);
CREATE FUNCTION outpost_take_seqs(k bigint) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  first bigint;
  tag bigint := (1::bigint << 62) | ((hashtext(current_schema())::bigint & 2097151) << 40);
BEGIN
  PERFORM pg_advisory_lock(32519);
  BEGIN
    first := nextval('srv_seq');
    IF k > 1 THEN
      PERFORM setval('srv_seq', first + k - 1);
    END IF;
    IF first + k >= (1::bigint << 40) THEN
      RAISE EXCEPTION 'the change log has run out of seqs';
    END IF;
    PERFORM pg_advisory_xact_lock(tag | first);
  EXCEPTION WHEN OTHERS OR query_canceled THEN
    PERFORM pg_advisory_unlock(32519);
    RAISE;
  END;
  PERFORM pg_advisory_unlock(32519);
  RETURN first;
END $$;
CREATE FUNCTION outpost_safe_seq() RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  given bigint;
  held bigint;
  cls bigint := (1::bigint << 22) | (hashtext(current_schema())::bigint & 2097151);
BEGIN
  PERFORM pg_advisory_lock_shared(32519);
  BEGIN
    SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END INTO given FROM srv_seq;
    SELECT min(((classid::bigint & 255) << 32) | objid::bigint) INTO held FROM pg_locks
     WHERE locktype = 'advisory' AND objsubid = 1 AND (classid::bigint >> 8) = cls
       AND database = (SELECT oid FROM pg_database WHERE datname = current_database());
  EXCEPTION WHEN OTHERS OR query_canceled THEN
    PERFORM pg_advisory_unlock_shared(32519);
    RAISE;
  END;
  PERFORM pg_advisory_unlock_shared(32519);
  RETURN CASE WHEN held IS NULL THEN given ELSE LEAST(given, held - 1) END;
END $$;
)sql",
    // 3: the log's primary key on seq goes as well. Seqs come from srv_seq, unique by construction, and
    // every read of the log goes through (team, seq): the key was a second index for each logged change.
    // And the log's team compares in byte order, as srv_records' does, so the index on (team, seq) does
    // no locale comparison for each entry it files (server_load: the same median push p99, steadier).
    R"sql(
ALTER TABLE srv_changes DROP CONSTRAINT IF EXISTS srv_changes_pkey;
ALTER TABLE srv_changes ALTER COLUMN team TYPE text COLLATE "C";
)sql",
    // 4: when each device was last seen, and the Outpost version it runs (device list).
    R"sql(
ALTER TABLE devices ADD COLUMN IF NOT EXISTS last_seen_ms bigint NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN IF NOT EXISTS client_version text NOT NULL DEFAULT '';
)sql",
};
constexpr int kPgSchemaVersion = static_cast<int>(std::size(kPgMigrations));
static_assert(kPgSchemaVersion == kPgServerSchemaVersion, "one migration per schema version");

std::int64_t now_ms() {
    return SystemClock::instance().now_ms();
}

// A parameter: text unless `binary` (bytea), or SQL NULL.
struct Param {
    std::string value;
    bool binary = false;
    bool null = false;
};
Param p(std::string v) {
    return {std::move(v)};
}
Param p(std::int64_t v) {
    return {std::to_string(v)};
}
Param bytes(std::string v) {
    return {std::move(v), true};
}

// A PostgreSQL array literal in text form ({"a","b"}), for one parameter of a prepared statement
// that takes many rows at once through unnest(): no SQL text is built per push.
class ArrayText {
public:
    void add(std::string_view v) {
        open();
        m_s += '"';
        for (char ch : v) {
            if (ch == '"' || ch == '\\') {
                m_s += '\\';
            }
            m_s += ch;
        }
        m_s += '"';
    }
    void add(std::int64_t v) {
        open();
        m_s += std::to_string(v);
    }
    void add_bytea(std::string_view raw) {
        static constexpr char kHex[] = "0123456789abcdef";
        open();
        m_s += "\"\\\\x";  // the element's text is \x<hex>; its backslash is escaped in the literal
        for (unsigned char ch : raw) {
            m_s += kHex[ch >> 4];
            m_s += kHex[ch & 15];
        }
        m_s += '"';
    }
    [[nodiscard]] bool empty() const { return m_n == 0; }
    [[nodiscard]] Param param() const { return p(m_s + "}"); }

private:
    void open() { m_s += m_n++ == 0 ? "{" : ","; }
    std::string m_s;
    std::size_t m_n = 0;
};

// One statement's result, cleared on scope exit.
class Res {
public:
    Res() = default;
    explicit Res(PGresult* r) : m_r(r) {}
    Res(Res&& o) noexcept : status(std::move(o.status)), state(std::move(o.state)), m_r(o.m_r) { o.m_r = nullptr; }
    Res& operator=(Res&& o) noexcept {
        std::swap(m_r, o.m_r);
        status = std::move(o.status);
        state = std::move(o.state);
        return *this;
    }
    Res(const Res&) = delete;
    Res& operator=(const Res&) = delete;
    ~Res() { PQclear(m_r); }
    [[nodiscard]] bool ok() const { return status.is_ok(); }
    [[nodiscard]] int rows() const { return m_r ? PQntuples(m_r) : 0; }
    [[nodiscard]] bool null(int row, int col) const { return PQgetisnull(m_r, row, col) != 0; }
    [[nodiscard]] std::string_view text(int row, int col) const {
        return {PQgetvalue(m_r, row, col), static_cast<std::size_t>(PQgetlength(m_r, row, col))};
    }
    [[nodiscard]] std::string str(int row, int col) const { return std::string(text(row, col)); }
    [[nodiscard]] std::int64_t i64(int row, int col) const {
        return null(row, col) ? 0 : std::stoll(std::string(text(row, col)));
    }
    [[nodiscard]] std::string bytea(int row, int col) const {
        std::size_t n = 0;
        unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(m_r, row, col)), &n);
        std::string out(reinterpret_cast<const char*>(raw), n);
        PQfreemem(raw);
        return out;
    }
    [[nodiscard]] std::string affected() const { return m_r ? PQcmdTuples(m_r) : ""; }
    [[nodiscard]] PGresult* raw() const { return m_r; }
    Status status = Status::ok();
    std::string state;  // SQLSTATE on failure, e.g. 23505 (unique violation)

private:
    PGresult* m_r = nullptr;
};

// libpq's messages end in a newline.
std::string chomp(std::string message) {
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
        message.pop_back();
    }
    return message;
}

// libpq's parallel arrays for a statement's parameters (views into `params`, which must outlive them).
struct Arrays {
    explicit Arrays(const std::vector<Param>& params) {
        for (const Param& x : params) {
            values.push_back(x.null ? nullptr : x.value.data());
            lengths.push_back(static_cast<int>(x.value.size()));
            formats.push_back(x.binary ? 1 : 0);
        }
    }
    [[nodiscard]] int count() const { return static_cast<int>(values.size()); }
    std::vector<const char*> values;
    std::vector<int> lengths;
    std::vector<int> formats;
};

// One connection and the statements prepared on it.
class Conn {
public:
    explicit Conn(PGconn* c) : m_c(c) {}
    ~Conn() { PQfinish(m_c); }
    Conn(const Conn&) = delete;
    Conn& operator=(const Conn&) = delete;

    // Runs a prepared statement, preparing it on this connection the first time (`name` is unique
    // per SQL text; the callers use the literal's own words).
    Res run(const char* name, const char* sql, const std::vector<Param>& params = {}) {
        if (m_prepared.count(name) == 0) {
            Res prep(PQprepare(m_c, name, sql, static_cast<int>(params.size()), nullptr));
            if (PQresultStatus(prep.raw()) != PGRES_COMMAND_OK) {
                return failure(std::move(prep), std::string("preparing ") + name);
            }
            m_prepared.insert(name);
        }
        const Arrays a(params);
        Res r(PQexecPrepared(m_c, name, a.count(), a.values.data(), a.lengths.data(), a.formats.data(), 0));
        return check(std::move(r), name);
    }
    // `v` as an SQL string literal, quoted and escaped for this connection.
    std::string literal(const std::string& v) {
        char* q = PQescapeLiteral(m_c, v.data(), v.size());
        std::string out = q ? q : "NULL";
        PQfreemem(q);
        return out;
    }
    // A statement without parameters (transaction control, DDL).
    Res exec(const char* sql) { return check(Res(PQexec(m_c, sql)), sql); }
    [[nodiscard]] bool healthy() const { return PQstatus(m_c) == CONNECTION_OK; }
    void reset() {
        PQreset(m_c);
        m_prepared.clear();
        if (healthy()) {
            (void)hold_serve_lock();
        }
    }
    // Every connection holds the serve lock shared for its life (a restore takes it exclusively and
    // refuses while any is held; a connection made during a restore waits for it to end).
    Res hold_serve_lock() {
        return exec((std::string("SELECT pg_advisory_lock_shared(") + storage::kPgServeLockSql + ")").c_str());
    }

private:
    Res check(Res r, const std::string& what) {
        PGresult* raw = r.raw();
        const ExecStatusType st = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
        if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
            return r;
        }
        return failure(std::move(r), what);
    }
    Res failure(Res r, const std::string& what) {
        PGresult* raw = r.raw();
        const char* state = raw ? PQresultErrorField(raw, PG_DIAG_SQLSTATE) : nullptr;
        r.state = state ? state : "";
        const std::string message = chomp(raw ? PQresultErrorMessage(raw) : PQerrorMessage(m_c));
        // 53100 disk_full, 58000 system_error and 58030 io_error keep the disk's codes, so the server
        // answers 503 as it does for a full or failing disk under SQLite.
        const bool io = r.state == "58000" || r.state == "58030";
        // The database gone (stopped, restarting, the network): 503, so laptops try again later.
        const bool gone = PQstatus(m_c) != CONNECTION_OK || r.state.rfind("08", 0) == 0 || r.state == "57P01" ||
                          r.state == "57P02" || r.state == "57P03";
        const std::string_view code = r.state == "53100" ? errc::kDiskFull
                                      : io               ? errc::kIo
                                      : gone             ? errc::kServerDatabaseUnavailable
                                                         : errc::kStoreSql;
        r.status = Status::error(code, "PostgreSQL, " + what + ": " + message);
        return r;
    }
    PGconn* m_c;
    std::unordered_set<std::string> m_prepared;
};

Result<std::unique_ptr<Conn>> connect(const std::string& conninfo) {
    // Named, so a restore can tell a running service from itself (kPgServeLock below).
    const char* keys[] = {"dbname", "fallback_application_name", nullptr};
    const char* values[] = {conninfo.c_str(), "outpost-server", nullptr};
    PGconn* c = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
    if (c == nullptr || PQstatus(c) != CONNECTION_OK) {
        const std::string message = chomp(c ? PQerrorMessage(c) : "out of memory");
        PQfinish(c);
        return Status::error(errc::kServerDataDirInvalid, "cannot connect to PostgreSQL: " + message);
    }
    auto conn = std::make_unique<Conn>(c);
    Res quiet = conn->exec("SET client_min_messages = warning");
    if (!quiet.ok()) {
        return quiet.status;
    }
    Res held = conn->hold_serve_lock();
    if (!held.ok()) {
        return held.status;
    }
    return conn;
}

// A fixed set of connections; a caller waits for a free one.
class Pool {
public:
    Status open(const std::string& conninfo, int size) {
        for (int i = 0; i < size; ++i) {
            auto c = connect(conninfo);
            OUTPOST_TRY(c);
            m_idle.push_back(std::move(*c));
        }
        return Status::ok();
    }
    class Lease {
    public:
        Lease(Pool& pool, std::unique_ptr<Conn> c) : m_pool(pool), m_c(std::move(c)) {}
        ~Lease() { m_pool.give_back(std::move(m_c)); }
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        Conn* operator->() { return m_c.get(); }
        Conn& operator*() { return *m_c; }

    private:
        Pool& m_pool;
        std::unique_ptr<Conn> m_c;
    };
    Lease take() {
        std::unique_lock lock(m_mutex);
        m_free.wait(lock, [&] { return !m_idle.empty(); });
        std::unique_ptr<Conn> c = std::move(m_idle.back());
        m_idle.pop_back();
        lock.unlock();
        if (!c->healthy()) {
            c->reset();  // the server restarted, or the network dropped: try once more
        }
        return Lease(*this, std::move(c));
    }

private:
    void give_back(std::unique_ptr<Conn> c) {
        {
            std::lock_guard lock(m_mutex);
            m_idle.push_back(std::move(c));
        }
        m_free.notify_one();
    }
    std::mutex m_mutex;
    std::condition_variable m_free;
    std::vector<std::unique_ptr<Conn>> m_idle;
};

// Ends a transaction opened on `c`: COMMIT when `s` is ok, else ROLLBACK; returns the outcome.
Status finish(Conn& c, Status s) {
    if (s.is_ok()) {
        Res commit = c.exec("COMMIT");
        if (commit.ok()) {
            return s;
        }
        s = commit.status;
    }
    (void)c.exec("ROLLBACK");
    return s;
}

WireChange change_from(const Res& r, int row) {
    WireChange c;
    c.seq = r.i64(row, 0);
    c.record = r.str(row, 1);
    c.type = r.str(row, 2);
    c.team = r.str(row, 3);
    c.field = r.str(row, 4);
    c.value = r.str(row, 5);
    c.hlc = hlc_text(r.i64(row, 6));
    c.device = r.str(row, 7);
    c.base = hlc_text(r.i64(row, 8));
    c.author = r.str(row, 9);
    return c;
}

// One push's transaction, on a connection holding its team's lock. Records read are kept, and writes
// (records, log rows) gathered, then sent in a few multi-row statements at flush(), where the log
// rows take their seqs: a push of 100 changes to 25 records is about 10 round trips.
class PgTxn final : public SyncTxn {
public:
    explicit PgTxn(Conn& c) : m_c(c) {}

    Result<std::vector<ChangeResult>> prior_results(const std::string& device, std::int64_t from,
                                                    std::int64_t to) override {
        Res r = m_c.run("prior_results",
                        "SELECT results FROM srv_push_batches WHERE device = $1 AND last_seq >= $2 AND first_seq <= $3 "
                        "ORDER BY last_seq",
                        {p(device), p(from), p(to)});
        if (!r.ok()) {
            return r.status;
        }
        std::vector<std::string_view> batches;
        for (int i = 0; i < r.rows(); ++i) {
            batches.push_back(r.text(i, 0));
        }
        for (const Saved& s : m_saved) {  // answered earlier in this transaction, not yet sent
            if (s.device == device && s.last >= from && s.first <= to) {
                batches.push_back(s.results);
            }
        }
        std::vector<ChangeResult> out;
        for (std::string_view batch : batches) {
            Result<PushResponse> saved = decode_push_response(batch);
            if (!saved.is_ok()) {
                return Status::error(errc::kInternal, "stored push answers could not be read");
            }
            for (ChangeResult& c : saved->results) {
                if (c.seq >= from && c.seq <= to) {
                    out.push_back(std::move(c));
                }
            }
        }
        std::sort(out.begin(), out.end(), [](const ChangeResult& a, const ChangeResult& b) { return a.seq < b.seq; });
        return out;
    }

    Status save_results(const std::string& device, const std::vector<ChangeResult>& results) override {
        if (!results.empty()) {
            m_saved.push_back({device, results.front().seq, results.back().seq, encode(PushResponse{results})});
        }
        return Status::ok();
    }

    Status prefetch(const std::vector<std::string>& ids) override {
        std::vector<const std::string*> wanted;
        ArrayText list;
        for (const std::string& id : ids) {
            if (m_records.count(id) == 0) {
                wanted.push_back(&id);
                list.add(id);
            }
        }
        if (wanted.empty()) {
            return Status::ok();
        }
        Res r =
            m_c.run("records", "SELECT id, type, team, created_by, fields FROM srv_records WHERE id = ANY($1::text[])",
                    {list.param()});
        if (!r.ok()) {
            return r.status;
        }
        for (const std::string* id : wanted) {
            m_records.try_emplace(*id);  // not found, unless a row below says otherwise
        }
        for (int i = 0; i < r.rows(); ++i) {
            OUTPOST_TRY(keep(r.str(i, 0), r, i, 1));
        }
        return Status::ok();
    }

    Result<std::optional<StoredRecord>> record(const std::string& id) override {
        auto it = m_records.find(id);
        if (it != m_records.end()) {
            const Kept& kept = it->second;
            if (!library(kept) || kept.read_locked) {
                return kept.record;
            }
            // A library record read before this push held the library's lock: take it, read again.
            OUTPOST_TRY(lock_library());
        }
        const char* sql = "SELECT type, team, created_by, fields FROM srv_records WHERE id = $1";
        Res r = m_c.run("record", sql, {p(id)});
        if (r.ok() && r.rows() > 0 && r.text(0, 1) == records::kLibraryTeam && !m_library_locked) {
            OUTPOST_TRY(lock_library());
            r = m_c.run("record", sql, {p(id)});
        }
        if (!r.ok()) {
            return r.status;
        }
        if (r.rows() == 0) {
            Kept& kept = m_records[id];
            kept.record.reset();
            kept.stored = false;
            return kept.record;
        }
        OUTPOST_TRY(keep(id, r, 0, 0));
        return m_records[id].record;
    }

    Status put_record(const std::string& id, const StoredRecord& rec, bool is_new, std::int64_t now) override {
        Kept& kept = m_records[id];
        if (is_new && !kept.stored) {
            kept.created_ms = now;
        }
        kept.record = rec;
        kept.dirty = true;
        return Status::ok();
    }

    Status add_blob_ref(const std::string& team, const std::string& hash) override {
        return m_c
            .run("add_blob_ref", "INSERT INTO srv_blob_refs(team, hash) VALUES($1, $2) ON CONFLICT DO NOTHING",
                 {p(team), p(hash)})
            .status;
    }

    Status append_change(const WireChange& c, std::int64_t now) override {
        m_log.push_back({c, now});
        return Status::ok();
    }

    // Sends the gathered writes; called once, after the body, before COMMIT. The log rows take their
    // seqs here, last, so a push holds seqs (and slows pulls down) only for its final round trips.
    Status flush() {
        ArrayText ins_id, ins_type, ins_team, ins_by, ins_ms, ins_fields, upd_id, upd_fields;
        for (auto& [id, kept] : m_records) {
            if (!kept.dirty || !kept.record) {
                continue;
            }
            const StoredRecord& rec = *kept.record;
            if (!kept.stored) {
                ins_id.add(id);
                ins_type.add(rec.meta.type);
                ins_team.add(rec.meta.team);
                ins_by.add(rec.meta.created_by);
                ins_ms.add(kept.created_ms);
                ins_fields.add_bytea(records::encode_frontiers(rec.fields));
            } else {
                upd_id.add(id);
                upd_fields.add_bytea(records::encode_frontiers(rec.fields));
            }
        }
        if (!ins_id.empty()) {
            OUTPOST_TRY(m_c.run("insert_records",
                                "INSERT INTO srv_records(id, type, team, created_by, created_ms, fields) SELECT * FROM "
                                "unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bytea[])",
                                {ins_id.param(), ins_type.param(), ins_team.param(), ins_by.param(), ins_ms.param(),
                                 ins_fields.param()})
                            .status);
        }
        if (!upd_id.empty()) {
            OUTPOST_TRY(m_c.run("update_records",
                                "UPDATE srv_records SET fields = v.fields FROM unnest($1::text[], $2::bytea[]) "
                                "AS v(id, fields) WHERE srv_records.id = v.id",
                                {upd_id.param(), upd_fields.param()})
                            .status);
        }
        if (!m_saved.empty()) {
            ArrayText device, first, last, results;
            for (const Saved& s : m_saved) {
                device.add(s.device);
                first.add(s.first);
                last.add(s.last);
                results.add(s.results);
            }
            OUTPOST_TRY(m_c.run("save_results",
                                "INSERT INTO srv_push_batches(device, first_seq, last_seq, results) SELECT * FROM "
                                "unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[])",
                                {device.param(), first.param(), last.param(), results.param()})
                            .status);
        }
        if (m_log.empty()) {
            return Status::ok();
        }
        // The seqs are taken in the statement that writes the rows (a materialised CTE runs once).
        ArrayText record, type, team, field, value, hlc, device, base, author, at_ms;
        for (const Logged& l : m_log) {
            const WireChange& c = l.change;
            record.add(c.record);
            type.add(c.type);
            team.add(c.team);
            field.add(c.field);
            value.add(c.value);
            hlc.add(hlc_value(c.hlc));
            device.add(c.device);
            base.add(hlc_value(c.base));
            author.add(c.author);
            at_ms.add(l.at_ms);
        }
        return m_c
            .run("insert_changes",
                 "WITH f AS MATERIALIZED (SELECT outpost_take_seqs($11) AS first) "
                 "INSERT INTO srv_changes(seq, record, type, team, field, value, hlc, device, base, author, at_ms) "
                 "SELECT f.first + u.ord - 1, u.record, u.type, u.team, u.field, u.value, u.hlc, u.device, u.base, "
                 "u.author, u.at_ms FROM f, unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], "
                 "$6::bigint[], $7::text[], $8::bigint[], $9::text[], $10::bigint[]) WITH ORDINALITY "
                 "AS u(record, type, team, field, value, hlc, device, base, author, at_ms, ord)",
                 {record.param(), type.param(), team.param(), field.param(), value.param(), hlc.param(), device.param(),
                  base.param(), author.param(), at_ms.param(), p(static_cast<std::int64_t>(m_log.size()))})
            .status;
    }

private:
    struct Kept {
        std::optional<StoredRecord> record;
        bool stored = false;  // in the table before this push
        bool dirty = false;
        bool read_locked = false;  // read while this push held the library's lock
        std::int64_t created_ms = 0;
    };

    // Keeps row `row` of `r` (columns type, team, created_by, fields from `col`) as record `id`.
    Status keep(const std::string& id, const Res& r, int row, int col) {
        StoredRecord rec{RecordMeta{r.str(row, col), r.str(row, col + 1), r.str(row, col + 2)}, {}};
        if (!r.null(row, col + 3)) {
            Result<std::vector<records::FieldFrontier>> fields = records::decode_frontiers(r.bytea(row, col + 3));
            if (!fields.is_ok()) {
                m_records.erase(id);
                return fields.status();
            }
            rec.fields = std::move(*fields);
        }
        Kept& kept = m_records[id];
        kept.record = std::move(rec);
        kept.stored = true;
        kept.read_locked = m_library_locked;
        return Status::ok();
    }

    static bool library(const Kept& kept) { return kept.record && kept.record->meta.team == records::kLibraryTeam; }

    Status lock_library() {
        Res r = m_c.run("team_lock", "SELECT pg_advisory_xact_lock($1::int4, hashtext($2))",
                        {p(kTeamLockClass), p(std::string(records::kLibraryTeam))});
        if (r.ok()) {
            m_library_locked = true;
        }
        return r.status;
    }
    struct Logged {
        WireChange change;
        std::int64_t at_ms;
    };
    struct Saved {  // one push's answers, for srv_push_batches
        std::string device;
        std::int64_t first = 0;
        std::int64_t last = 0;
        std::string results;
    };

    Conn& m_c;
    bool m_library_locked = false;
    std::map<std::string, Kept> m_records;
    std::vector<Logged> m_log;
    std::vector<Saved> m_saved;
};

class PgStorage final : public ServerStorage {
public:
    Status open(const std::string& conninfo, int pool_size) { return m_pool.open(conninfo, pool_size); }

    Result<ServerIdentity> identity() override {
        auto c = m_pool.take();
        Res r = c->run("identity", "SELECT server_id, schema_version, created_ms FROM outpost_meta LIMIT 1");
        if (!r.ok()) {
            return r.status;
        }
        if (r.rows() == 0) {
            return Status::error(errc::kServerDataDirInvalid, "the database has no Outpost identity row");
        }
        return ServerIdentity{r.str(0, 0), static_cast<int>(r.i64(0, 1)), r.i64(0, 2)};
    }

    Status add_team(const std::string& name, std::int64_t now) override {
        if (!valid_name(name)) {
            return Status::error(
                errc::kAccountInvalid,
                "team names use a-z, 0-9, '_', '-' and '.', up to 64, and start with a letter or digit");
        }
        auto c = m_pool.take();
        Res r = c->run("add_team", "INSERT INTO teams(name, created_ms) VALUES($1, $2)", {p(name), p(now)});
        if (r.state == "23505") {
            return Status::error(errc::kAccountExists, "team '" + name + "' already exists");
        }
        return r.status;
    }

    Status add_user(const std::string& name, const std::string& team, const std::string& role,
                    std::int64_t now) override {
        if (!valid_name(name) || (role != "worker" && role != "lead" && role != "admin")) {
            return Status::error(errc::kAccountInvalid, "a user needs a valid name and a role: worker, lead or admin");
        }
        auto c = m_pool.take();
        Res r = c->run("add_user", "INSERT INTO users(name, team, role, created_ms) VALUES($1, $2, $3, $4)",
                       {p(name), p(team), p(role), p(now)});
        if (r.state == "23503") {
            return Status::error(errc::kAccountMissing, "no team '" + team + "'");
        }
        if (r.state == "23505") {
            return Status::error(errc::kAccountExists, "user '" + name + "' already exists");
        }
        return r.status;
    }

    Result<std::string> user_team(const std::string& user) override {
        auto c = m_pool.take();
        Res r = c->run("user_team", "SELECT team FROM users WHERE name = $1", {p(user)});
        if (!r.ok()) {
            return r.status;
        }
        if (r.rows() == 0) {
            return Status::error(errc::kAccountMissing, "no user '" + user + "'");
        }
        return r.str(0, 0);
    }

    Result<std::vector<std::string>> teams() override {
        auto c = m_pool.take();
        Res r = c->run("teams", "SELECT name FROM teams ORDER BY name");
        if (!r.ok()) {
            return r.status;
        }
        std::vector<std::string> out;
        for (int i = 0; i < r.rows(); ++i) {
            out.push_back(r.str(i, 0));
        }
        return out;
    }

    Result<std::string> create_enrolment_code(const std::string& user, std::int64_t ttl_ms, std::int64_t now) override {
        const std::string code = new_enrolment_code();
        auto c = m_pool.take();
        // One live code per person (sqlite_storage.cpp says why).
        Res old = c->run("replace_codes",
                         "UPDATE enrol_codes SET expires_ms = LEAST(expires_ms, $1) WHERE user_name = $2 AND "
                         "used_ms IS NULL",
                         {p(now - 1), p(user)});
        if (!old.ok()) {
            return old.status;
        }
        Res r = c->run("create_code",
                       "INSERT INTO enrol_codes(code_hash, user_name, created_ms, expires_ms) VALUES($1, $2, $3, $4)",
                       {bytes(secret_hash(normalise_code(code))), p(user), p(now), p(now + ttl_ms)});
        if (r.state == "23503") {
            return Status::error(errc::kAccountMissing, "no user '" + user + "'");
        }
        if (!r.ok()) {
            return r.status;
        }
        return code;
    }

    Result<Enrolment> enrol(const std::string& code, const std::string& device_name, std::int64_t now) override {
        auto c = m_pool.take();
        Res begin = c->exec("BEGIN");
        if (!begin.ok()) {
            return begin.status;
        }
        std::string refused_user = "-";
        Result<Enrolment> e = enrol_in(*c, code, device_name, now, refused_user);
        Status s = finish(*c, e.is_ok() ? Status::ok() : e.status());
        if (!e.is_ok()) {
            (void)audit_on(*c, now, refused_user, "enroll.refused", std::string(e.status().code()));
            return e;
        }
        if (!s.is_ok()) {
            return s;
        }
        return e;
    }

    Result<DeviceAuth> authenticate(const std::string& token) override {
        auto c = m_pool.take();
        Res r = c->run("authenticate",
                       "SELECT d.id, d.user_name, u.team, u.role, d.revoked_ms FROM devices d "
                       "JOIN users u ON u.name = d.user_name WHERE d.token_hash = $1",
                       {bytes(secret_hash(token))});
        if (!r.ok()) {
            return r.status;
        }
        if (r.rows() == 0) {
            return Status::error(errc::kAuthInvalid, "unknown device token");
        }
        if (!r.null(0, 4)) {
            return Status::error(errc::kAuthRevoked, "device " + r.str(0, 0) + " was revoked");
        }
        return DeviceAuth{r.str(0, 0), r.str(0, 1), r.str(0, 2), r.str(0, 3)};
    }

    Status revoke_device(const std::string& device_id, std::int64_t now) override {
        auto c = m_pool.take();
        Res r = c->run("revoke", "UPDATE devices SET revoked_ms = $1 WHERE id = $2 AND revoked_ms IS NULL",
                       {p(now), p(device_id)});
        if (!r.ok()) {
            return r.status;
        }
        if (r.affected() == "0") {
            Res was = c->run("revoked_before", "SELECT revoked_ms FROM devices WHERE id = $1", {p(device_id)});
            if (was.ok() && was.rows() > 0) {
                return Status::error(errc::kDeviceAlreadyRevoked, "device '" + device_id + "' was already revoked");
            }
            return Status::error(errc::kAccountMissing, "no device '" + device_id + "'");
        }
        return audit_on(*c, now, "admin", "device.revoked", device_id);
    }

    Status device_seen(const std::string& device_id, std::int64_t now, const std::string& client_version) override {
        auto c = m_pool.take();
        Res r = c->run("device_seen", "UPDATE devices SET last_seen_ms = $1, client_version = $2 WHERE id = $3",
                       {p(now), p(client_version), p(device_id)});
        return r.ok() ? Status::ok() : r.status;
    }

    Result<std::vector<DeviceInfo>> devices(const std::string& user) override {
        auto c = m_pool.take();
        Res r = c->run("devices",
                       "SELECT d.id, d.user_name, u.team, d.name, d.created_ms, COALESCE(d.revoked_ms, 0), "
                       "d.last_seen_ms, d.client_version "
                       "FROM devices d JOIN users u ON u.name = d.user_name "
                       "WHERE $1 = '' OR d.user_name = $1 ORDER BY d.created_ms, d.id",
                       {p(user)});
        if (!r.ok()) {
            return r.status;
        }
        std::vector<DeviceInfo> out;
        for (int i = 0; i < r.rows(); ++i) {
            out.push_back({r.str(i, 0), r.str(i, 1), r.str(i, 2), r.str(i, 3), r.i64(i, 4), r.i64(i, 5), r.i64(i, 6),
                           r.str(i, 7)});
        }
        return out;
    }

    Status audit(std::int64_t now, const std::string& actor, const std::string& event,
                 const std::string& detail) override {
        auto c = m_pool.take();
        return audit_on(*c, now, actor, event, detail);
    }

    Result<std::vector<AuditEntry>> audit_log(int limit) override {
        auto c = m_pool.take();
        Res r = c->run("audit_log", "SELECT at_ms, actor, event, detail FROM audit ORDER BY id DESC LIMIT $1",
                       {p(static_cast<std::int64_t>(limit))});
        if (!r.ok()) {
            return r.status;
        }
        std::vector<AuditEntry> out;
        for (int i = 0; i < r.rows(); ++i) {
            out.push_back({r.i64(i, 0), r.str(i, 1), r.str(i, 2), r.str(i, 3)});
        }
        return out;
    }

    // Pushes of one team in this process queue at the team's gate, before taking a connection (so a
    // connection is never held idle waiting for the team's advisory lock while other teams wait for
    // one). The first in line writes every push waiting there in one transaction, their writes sent
    // together at the end; if that fails, each is written again on its own, so one push's failure
    // never becomes another's. Bodies run on the writing thread while their callers wait.
    Status with_sync_txn(const std::string& team, const std::function<Status(SyncTxn&)>& body) override {
        std::shared_ptr<GroupWriter> gate;
        {
            std::lock_guard lock(m_gates_mutex);
            std::shared_ptr<GroupWriter>& g = m_gates[team];
            if (!g) {
                g = std::make_shared<GroupWriter>(kMaxGroup);
            }
            gate = g;
        }
        return gate->submit(
            body, [this, &team](const std::vector<GroupWriter::Pending*>& group) { write_group(team, group); });
    }

    Result<bool> blob_ref_exists(const std::string& team, const std::string& hash) override {
        auto c = m_pool.take();
        Res r = c->run("blob_ref", "SELECT 1 FROM srv_blob_refs WHERE team = $1 AND hash = $2", {p(team), p(hash)});
        if (!r.ok()) {
            return r.status;
        }
        return r.rows() > 0;
    }

    Result<std::vector<WireChange>> changes_after(const std::string& team, const std::string& exclude_device,
                                                  std::int64_t after, int limit, std::int64_t& safe_to) override {
        auto c = m_pool.take();
        // The bound first, then the rows in a later snapshot: every seq at or below the bound was
        // committed (or rolled back) before the rows were read.
        Res bound = c->run("safe_seq", "SELECT outpost_safe_seq()");
        if (!bound.ok()) {
            return bound.status;
        }
        const std::int64_t safe = bound.i64(0, 0);
        Res r = c->run(
            "changes_after",
            "SELECT * FROM (SELECT seq, record, type, team, field, value, hlc, device, base, author "
            "FROM srv_changes WHERE team = $1 AND seq > $2 AND seq <= $5 AND device <> $3 ORDER BY seq LIMIT $4) a "
            "UNION ALL SELECT * FROM (SELECT seq, record, type, team, field, value, hlc, device, base, "
            "author FROM srv_changes WHERE team = '*' AND seq > $2 AND seq <= $5 AND device <> $3 "
            "ORDER BY seq LIMIT $4) b ORDER BY seq LIMIT $4",
            {p(team), p(after), p(exclude_device), p(static_cast<std::int64_t>(limit)), p(safe)});
        if (!r.ok()) {
            return r.status;
        }
        std::vector<WireChange> out;
        out.reserve(static_cast<std::size_t>(r.rows()));
        for (int i = 0; i < r.rows(); ++i) {
            out.push_back(change_from(r, i));
        }
        safe_to = static_cast<int>(out.size()) == limit ? out.back().seq : safe;  // below `after`: past the end
        return out;
    }

    Status snapshot_page(const std::string& team, const std::string& exclude_device, const std::string& after,
                         int limit, std::size_t max_bytes, std::int64_t& log_end, bool& more,
                         const std::function<void(const SnapshotRow&)>& on_row) override {
        auto c = m_pool.take();
        // The bound before the snapshot: every change at or below it is in the records read. A change
        // committed in between is in them too, and is pulled again later (merging it is a no-op).
        Res end = c->run("safe_seq", "SELECT outpost_safe_seq()");
        if (!end.ok()) {
            return end.status;
        }
        log_end = end.i64(0, 0);
        Res begin = c->exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
        if (!begin.ok()) {
            return begin.status;
        }
        SnapshotPager pager{exclude_device, limit, max_bytes};
        more = false;
        std::string from = after;
        // In batches, since records the device already holds are skipped and do not count.
        for (bool done = false; !done;) {
            Res r = c->run("snapshot",
                           "SELECT id, type, created_by, fields FROM srv_records WHERE team = $1 AND id > $2 "
                           "AND fields IS NOT NULL ORDER BY id LIMIT $3",
                           {p(team), p(from), p(static_cast<std::int64_t>(limit) + 64)});
            if (!r.ok()) {
                return finish(*c, r.status);
            }
            for (int i = 0; i < r.rows() && !done; ++i) {
                const std::string fields = r.bytea(i, 3);
                auto sent = pager.add(r.text(i, 0), r.text(i, 1), r.text(i, 2), fields, more, on_row);
                if (!sent.is_ok()) {
                    return finish(*c, sent.status());
                }
                done = !*sent;
            }
            if (r.rows() < limit + 64) {
                done = true;
            } else if (!done) {
                from = r.str(r.rows() - 1, 0);
            }
        }
        return finish(*c, Status::ok());
    }

    Result<std::uint64_t> max_hlc() override {
        auto c = m_pool.take();
        Res r = c->run("max_hlc", "SELECT COALESCE(max(hlc), 0) FROM srv_changes");
        if (!r.ok()) {
            return r.status;
        }
        return static_cast<std::uint64_t>(r.i64(0, 0));
    }

    Result<std::int64_t> logged_changes(const std::string& device) override {
        auto c = m_pool.take();
        Res r = c->run("logged_changes", "SELECT count(*) FROM srv_changes WHERE device = $1", {p(device)});
        if (!r.ok()) {
            return r.status;
        }
        return r.i64(0, 0);
    }

private:
    static Status audit_on(Conn& c, std::int64_t now, const std::string& actor, const std::string& event,
                           const std::string& detail) {
        return c
            .run("audit", "INSERT INTO audit(at_ms, actor, event, detail) VALUES($1, $2, $3, $4)",
                 {p(now), p(actor), p(event), p(detail)})
            .status;
    }

    static Result<Enrolment> enrol_in(Conn& c, const std::string& code, const std::string& device_name,
                                      std::int64_t now, std::string& refused_user) {
        const std::string hash = secret_hash(normalise_code(code));
        // FOR UPDATE: two processes redeeming one code at once: the second waits, then sees it used.
        Res r = c.run("enrol_code",
                      "SELECT e.user_name, e.expires_ms, e.used_ms, u.team, u.role FROM enrol_codes e "
                      "JOIN users u ON u.name = e.user_name WHERE e.code_hash = $1 FOR UPDATE OF e",
                      {bytes(hash)});
        if (!r.ok()) {
            return r.status;
        }
        if (r.rows() == 0) {
            return Status::error(errc::kEnrolCodeInvalid, "no such enrolment code");
        }
        Enrolment e;
        e.user = r.str(0, 0);
        e.team = r.str(0, 3);
        e.role = r.str(0, 4);
        refused_user = e.user;
        if (!r.null(0, 2)) {
            return Status::error(errc::kEnrolCodeUsed, "this enrolment code was already used");
        }
        if (r.i64(0, 1) <= now) {
            return Status::error(errc::kEnrolCodeExpired, "this enrolment code has expired");
        }
        e.device_id = "dev-" + random_hex(8);
        e.token = random_hex(32);
        Res used =
            c.run("code_used", "UPDATE enrol_codes SET used_ms = $1 WHERE code_hash = $2", {p(now), bytes(hash)});
        if (!used.ok()) {
            return used.status;
        }
        Res dev = c.run("add_device",
                        "INSERT INTO devices(id, user_name, name, token_hash, created_ms) VALUES($1, $2, $3, $4, $5)",
                        {p(e.device_id), p(e.user), p(json::valid_utf8(json::utf8_prefix(device_name, 128))),
                         bytes(secret_hash(e.token)), p(now)});
        if (!dev.ok()) {
            return dev.status;
        }
        OUTPOST_TRY(audit_on(c, now, e.user, "device.enrolled", e.device_id));
        return e;
    }

    static constexpr std::size_t kMaxGroup = 32;

    void write_group(const std::string& team, const std::vector<GroupWriter::Pending*>& group) {
        if (group.size() > 1) {
            const Status together = in_team_txn(team, [&](PgTxn& txn) -> Status {
                for (GroupWriter::Pending* p : group) {
                    p->result = (*p->body)(txn);
                    OUTPOST_TRY(p->result);
                }
                return Status::ok();
            });
            if (together.is_ok()) {
                return;
            }
        }
        for (GroupWriter::Pending* p : group) {
            p->result = in_team_txn(team, [&](PgTxn& txn) { return (*p->body)(txn); });
        }
    }

    // One transaction holding `team`'s lock: BEGIN and the lock in one round trip, then `body`, the
    // gathered writes, and COMMIT (or ROLLBACK).
    Status in_team_txn(const std::string& team, const std::function<Status(PgTxn&)>& body) {
        auto c = m_pool.take();
        const std::string begin_locked = "BEGIN; SELECT pg_advisory_xact_lock(" + std::to_string(kTeamLockClass) +
                                         ", hashtext(" + c->literal(team) + "))";
        Res begin = c->exec(begin_locked.c_str());
        if (!begin.ok()) {
            (void)c->exec("ROLLBACK");
            return begin.status;
        }
        PgTxn txn(*c);
        Status s = body(txn);
        if (s.is_ok()) {
            s = txn.flush();
        }
        return finish(*c, s);
    }

    Pool m_pool;
    std::mutex m_gates_mutex;
    std::map<std::string, std::shared_ptr<GroupWriter>> m_gates;  // one per team seen; never shrinks
};

// Brings the schema to kPgSchemaVersion; `create` makes the identity row when there is none.
Status migrate(Conn& c, bool create) {
    Res begin = c.exec("BEGIN");
    if (!begin.ok()) {
        return begin.status;
    }
    Res lock = c.run("migrate_lock", "SELECT pg_advisory_xact_lock($1)", {p(kMigrateLock)});
    if (!lock.ok()) {
        return finish(c, lock.status);
    }
    Res exists = c.exec("SELECT to_regclass('outpost_meta') IS NOT NULL");
    if (!exists.ok()) {
        return finish(c, exists.status);
    }
    const bool has_meta = exists.text(0, 0) == "t";
    if (create && has_meta) {
        return finish(c, Status::error(errc::kServerDatabaseExists, "this database already holds an Outpost server"));
    }
    if (!create && !has_meta) {
        return finish(c, Status::error(errc::kServerDataDirInvalid,
                                       "this database holds no Outpost server (run 'outpost-server init --db URL')"));
    }
    int version = 0;
    if (create) {
        Res made = c.exec(
            "CREATE TABLE outpost_meta(server_id text NOT NULL, schema_version int NOT NULL, "
            "created_ms bigint NOT NULL)");
        Res row = made.ok() ? c.run("meta_row", "INSERT INTO outpost_meta VALUES($1, 0, $2)",
                                    {p(random_hex(16)), p(now_ms())})
                            : Res();
        if (!made.ok() || !row.ok()) {
            return finish(c, !made.ok() ? made.status : row.status);
        }
    } else {
        Res v = c.exec("SELECT schema_version FROM outpost_meta LIMIT 1");
        if (!v.ok() || v.rows() == 0) {
            return finish(c, v.ok() ? Status::error(errc::kServerDataDirInvalid, "no identity row") : v.status);
        }
        version = static_cast<int>(v.i64(0, 0));
    }
    if (version > kPgSchemaVersion) {
        return finish(c,
                      Status::error(errc::kServerDataDirInvalid,
                                    "the database's schema " + std::to_string(version) +
                                        " is newer than this build understands (" + std::to_string(kPgSchemaVersion) +
                                        "): a newer outpost-server has upgraded it; upgrade this one to match "
                                        "(docs/OPERATIONS.md, Upgrades)"));
    }
    for (int v = version; v < kPgSchemaVersion; ++v) {
        Res step = c.exec(kPgMigrations[v]);
        if (!step.ok()) {
            return finish(c, step.status);
        }
    }
    Res set = c.run("set_version", "UPDATE outpost_meta SET schema_version = $1",
                    {p(static_cast<std::int64_t>(kPgSchemaVersion))});
    return finish(c, set.status);
}

}  // namespace

Status init_pg_database(const std::string& conninfo) {
    auto c = connect(conninfo);
    OUTPOST_TRY(c);
    return migrate(**c, /*create=*/true);
}

Result<std::unique_ptr<ServerStorage>> open_pg_storage(const std::string& conninfo, int pool_size) {
    if (pool_size < 1 || pool_size > 256) {
        return Status::error(errc::kServerConfigInvalid, "the connection pool holds 1 to 256 connections");
    }
    {
        auto c = connect(conninfo);
        OUTPOST_TRY(c);
        OUTPOST_TRY(migrate(**c, /*create=*/false));
    }
    auto storage = std::make_unique<PgStorage>();
    OUTPOST_TRY(storage->open(conninfo, pool_size));
    return std::unique_ptr<ServerStorage>(std::move(storage));
}

}  // namespace outpost::sync
