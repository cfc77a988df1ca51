#include "client_state.h"

#include <sqlite3.h>

#include <charconv>
#include <utility>

#include "outpost/core/error_codes.h"
#include "outpost/core/store/schema_steps.h"
#include "outpost/core/store/transaction.h"

namespace outpost::sync {
namespace {

constexpr const char* kTablesSql = R"sql(
CREATE TABLE IF NOT EXISTS sync_state(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sync_refused(seq INTEGER PRIMARY KEY, record TEXT NOT NULL, field TEXT NOT NULL,
                                        code TEXT NOT NULL, message TEXT NOT NULL, at_ms INTEGER NOT NULL);
)sql";

constexpr const char* kInsertRefusedSql =
    "INSERT OR REPLACE INTO sync_refused(seq, record, field, code, message, at_ms) VALUES(?,?,?,?,?,?)";

constexpr const char* kSettleRefusedSql = "DELETE FROM sync_refused WHERE record = ? AND field = ? AND seq < ?";

// A statement prepared for one use on the store's connection, finalized when it goes out of scope.
class Query : public sql::StmtRef {
public:
    Query(Store& store, const char* sql) : StmtRef(StmtRef::owned(store.handle(), sql)), m_store(store) {}
    Status error(int rc, std::string_view what) { return m_store.sql_status(rc, what); }

private:
    Store& m_store;
};

// The rows of `q` (seq, record, field, code, message) as refused changes.
Result<std::vector<RefusedChange>> refused_rows(Query& q) {
    std::vector<RefusedChange> out;
    int rc = 0;
    while ((rc = q.step()) == SQLITE_ROW) {
        out.push_back({q.col_i64(0), q.col_text(1), q.col_text(2), q.col_text(3), q.col_text(4)});
    }
    if (rc != SQLITE_DONE) {
        return q.error(rc, "reading refused changes");
    }
    return out;
}

// The first column of every row of `q`, as a set; `what` names the reading in an error.
Result<std::set<std::string>> text_set(Query& q, std::string_view what) {
    std::set<std::string> out;
    int rc = 0;
    while ((rc = q.step()) == SQLITE_ROW) {
        out.insert(q.col_text(0));
    }
    if (rc != SQLITE_DONE) {
        return q.error(rc, what);
    }
    return out;
}

// The enrolment written into sync_state, inside the caller's transaction.
Status write_credentials(Store& store, const Credentials& c) {
    ClientState state(store);
    // A new device for this store (enrolled again): the changes the old one had not sent yet are
    // this device's to send now (the outbox is a device's own changes past pushed_upto).
    Result<std::string> old_device = state.get("device_id");
    OUTPOST_TRY(old_device);
    Result<std::int64_t> upto = state.get_i64("pushed_upto");
    OUTPOST_TRY(upto);
    if (!old_device->empty() && *old_device != c.device_id) {
        OUTPOST_TRY(state.hand_over_outbox(*old_device, c.device_id, *upto));
    }
    OUTPOST_TRY(state.put("device_id", c.device_id));
    for (const auto& [k, v] : {std::pair<const char*, const std::string*>{"token", &c.token},
                               {"user", &c.user},
                               {"team", &c.team},
                               {"role", &c.role}}) {
        OUTPOST_TRY(state.put(k, *v));
    }
    return Status::ok();
}

}  // namespace

std::int64_t leading_i64(std::string_view s) {
    std::int64_t v = 0;
    (void)std::from_chars(s.data(), s.data() + s.size(), v);
    return v;
}

Status ClientState::create_tables(Store& store) {
    return store.exec(kTablesSql);
}

Status ClientState::migrate(Store& store) {
    // Schema versions (outpost_store_meta 'schema.sync'): 1 is kTablesSql.
    return migrate_schema(store, "sync", {{1, [](Store& s) { return s.exec(kTablesSql); }}});
}

Result<std::string> ClientState::get(std::string_view key) {
    Query q(m_store, "SELECT value FROM sync_state WHERE key = ?");
    q.text(1, key);
    const int rc = q.step();
    if (rc == SQLITE_ROW) {
        return q.col_text(0);
    }
    if (rc == SQLITE_DONE) {
        return std::string();
    }
    return q.error(rc, "reading sync state");
}

Result<std::int64_t> ClientState::get_i64(std::string_view key) {
    Result<std::string> v = get(key);
    OUTPOST_TRY(v);
    return leading_i64(*v);
}

Status ClientState::put(std::string_view key, std::string_view value) {
    Query q(m_store,
            "INSERT INTO sync_state(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    q.text(1, key).text(2, value);
    const int rc = q.step();
    return rc == SQLITE_DONE ? Status::ok() : q.error(rc, "saving sync state");
}

Result<std::int64_t> ClientState::count_waiting(std::string_view device) {
    Result<std::int64_t> upto = get_i64("pushed_upto");
    OUTPOST_TRY(upto);
    Query q(m_store, "SELECT count(*) FROM changes WHERE seq > ? AND device = ?");
    q.i64(1, *upto).text(2, device);
    const int rc = q.step();
    if (rc != SQLITE_ROW) {
        return q.error(rc, "counting waiting changes");
    }
    return q.col_i64(0);
}

Result<std::set<std::string>> ClientState::waiting_records(const std::vector<std::string>& ids,
                                                           std::string_view device) {
    Result<std::int64_t> upto = get_i64("pushed_upto");
    OUTPOST_TRY(upto);
    std::set<std::string> out;
    Query q(m_store, "SELECT 1 FROM changes WHERE record = ? AND seq > ? AND device = ? LIMIT 1");
    for (const std::string& id : ids) {
        q.text(1, id).i64(2, *upto).text(3, device);
        const int rc = q.step();
        if (rc == SQLITE_ROW) {
            out.insert(id);
        } else if (rc != SQLITE_DONE) {
            return q.error(rc, "reading which records wait to be sent");
        }
        q.reset();
    }
    return out;
}

Status ClientState::hand_over_outbox(std::string_view old_device, std::string_view new_device, std::int64_t upto) {
    Query q(m_store, "UPDATE changes SET device = ? WHERE device = ? AND seq > ?");
    q.text(1, new_device).text(2, old_device).i64(3, upto);
    const int rc = q.step();
    return rc == SQLITE_DONE ? Status::ok() : q.error(rc, "handing the waiting changes to the new device");
}

Result<std::vector<RefusedChange>> ClientState::refused() {
    Query q(m_store, "SELECT seq, record, field, code, message FROM sync_refused ORDER BY seq");
    return refused_rows(q);
}

Result<std::int64_t> ClientState::refused_count() {
    Query q(m_store, "SELECT count(*) FROM sync_refused");
    const int rc = q.step();
    if (rc != SQLITE_ROW) {
        return q.error(rc, "counting refused changes");
    }
    return q.col_i64(0);
}

Result<std::set<std::string>> ClientState::refused_records() {
    Query q(m_store, "SELECT DISTINCT record FROM sync_refused");
    return text_set(q, "reading refused changes");
}

Result<std::set<std::string>> ClientState::unsettled_records(std::string_view device) {
    Result<std::int64_t> upto = get_i64("pushed_upto");
    OUTPOST_TRY(upto);
    Query q(m_store, "SELECT record FROM changes WHERE seq > ? AND device = ? UNION SELECT record FROM sync_refused");
    q.i64(1, *upto).text(2, device);
    return text_set(q, "reading the records with unsettled changes");
}

Result<std::vector<RefusedChange>> ClientState::refused_of(std::string_view record, std::string_view field) {
    Query q(m_store,
            "SELECT seq, record, field, code, message FROM sync_refused WHERE record = ?1 AND (?2 = '' OR field = ?2) "
            "ORDER BY seq");
    q.text(1, record).text(2, field);
    return refused_rows(q);
}

Status ClientState::forget_refused(const std::vector<std::int64_t>& seqs) {
    Query q(m_store, "DELETE FROM sync_refused WHERE seq = ?");
    for (const std::int64_t seq : seqs) {
        q.i64(1, seq);
        const int rc = q.step();
        if (rc != SQLITE_DONE) {
            return q.error(rc, "forgetting a refused change");
        }
        q.reset();
    }
    return Status::ok();
}

RefusedLog::RefusedLog(Store& store)
    : m_store(store),
      m_insert(sql::StmtRef::owned(store.handle(), kInsertRefusedSql)),
      m_settle(sql::StmtRef::owned(store.handle(), kSettleRefusedSql)) {
}

Status RefusedLog::taken(std::int64_t seq, std::string_view record, std::string_view field) {
    if (m_none_refused < 0) {  // asked once: most pushes have nothing refused to settle
        Query q(m_store, "SELECT EXISTS(SELECT 1 FROM sync_refused)");
        const int rc = q.step();
        if (rc != SQLITE_ROW) {
            return q.error(rc, "reading refused changes");
        }
        m_none_refused = q.col_i64(0) == 0 ? 1 : 0;
    }
    if (m_none_refused == 1) {
        return Status::ok();
    }
    m_settle.text(1, record).text(2, field).i64(3, seq);
    const int rc = m_settle.step();
    Status s = rc == SQLITE_DONE ? Status::ok() : m_store.sql_status(rc, "settling a refused change");
    m_settle.reset();
    return s;
}

Status RefusedLog::add(std::int64_t seq, std::string_view record, std::string_view field, std::string_view code,
                       std::string_view message, std::int64_t at_ms) {
    m_none_refused = 0;
    m_insert.i64(1, seq).text(2, record).text(3, field).text(4, code).text(5, message).i64(6, at_ms);
    const int rc = m_insert.step();
    Status s = rc == SQLITE_DONE ? Status::ok() : m_store.sql_status(rc, "recording a refused change");
    m_insert.reset();
    return s;
}

// ---- the enrolment (declared in sync_engine.h) ----

Status save_credentials(Store& store, const Credentials& c) {
    OUTPOST_TRY(ClientState::create_tables(store));
    Result<Transaction> txn = Transaction::begin(store);  // rolled back unless committed
    OUTPOST_TRY(txn);
    return txn->finish(write_credentials(store, c));
}

Result<Credentials> load_credentials(Store& store) {
    OUTPOST_TRY(ClientState::create_tables(store));
    Query q(store, "SELECT key, value FROM sync_state WHERE key IN ('device_id','token','user','team','role')");
    Credentials c;
    int rc = 0;
    while ((rc = q.step()) == SQLITE_ROW) {
        const std::string k = q.col_text(0);
        std::string v = q.col_text(1);
        (k == "device_id" ? c.device_id
         : k == "token"   ? c.token
         : k == "user"    ? c.user
         : k == "team"    ? c.team
                          : c.role) = std::move(v);
    }
    if (rc != SQLITE_DONE) {
        return q.error(rc, "reading the enrolment");
    }
    if (c.device_id.empty() || c.token.empty()) {
        return Status::error(errc::kSyncNotEnrolled, "this profile is not enrolled with a server");
    }
    return c;
}

Result<std::string> sync_state_value(Store& store, const std::string& key) {
    OUTPOST_TRY(ClientState::create_tables(store));
    return ClientState(store).get(key);
}

}  // namespace outpost::sync
