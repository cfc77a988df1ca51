#include "pg_connection.h"

#include <utility>

#include "outpost/core/error_codes.h"
#include "storage_common.h"

namespace outpost::sync::pg {

void ArrayText::add(std::string_view v) {
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

void ArrayText::add(std::int64_t v) {
    open();
    m_s += std::to_string(v);
}

void ArrayText::add_bytea(std::string_view raw) {
    static constexpr char kHex[] = "0123456789abcdef";
    open();
    m_s += "\"\\\\x";  // the element's text is \x<hex>; its backslash is escaped in the literal
    for (unsigned char ch : raw) {
        m_s += kHex[ch >> 4];
        m_s += kHex[ch & 15];
    }
    m_s += '"';
}

std::string Res::bytea(int row, int col) const {
    std::size_t n = 0;
    unsigned char* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(m_r, row, col)), &n);
    std::string out(reinterpret_cast<const char*>(raw), n);
    PQfreemem(raw);
    return out;
}

std::string chomp(std::string message) {
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) {
        message.pop_back();
    }
    return message;
}

namespace {

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

}  // namespace

Res Conn::run(const char* name, const char* sql, const std::vector<Param>& params) {
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

std::string Conn::literal(const std::string& v) {
    char* q = PQescapeLiteral(m_c, v.data(), v.size());
    std::string out = q ? q : "NULL";
    PQfreemem(q);
    return out;
}

bool Conn::in_transaction() const {
    const PGTransactionStatusType t = PQtransactionStatus(m_c);
    return t == PQTRANS_INTRANS || t == PQTRANS_INERROR || t == PQTRANS_ACTIVE;
}

void Conn::reset() {
    PQreset(m_c);
    m_prepared.clear();
    if (healthy()) {
        (void)hold_serve_lock();
    }
}

Res Conn::hold_serve_lock() {
    return exec((std::string("SELECT pg_advisory_lock_shared(") + storage::kPgServeLockSql + ")").c_str());
}

Res Conn::check(Res r, const std::string& what) {
    PGresult* raw = r.raw();
    const ExecStatusType st = raw ? PQresultStatus(raw) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        return r;
    }
    return failure(std::move(r), what);
}

Res Conn::failure(Res r, const std::string& what) {
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

Result<std::unique_ptr<Conn>> connect(const std::string& conninfo) {
    // Named, so a restore can tell a running service from itself.
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

Result<PgTransaction> PgTransaction::begin(Conn& c, Kind kind, std::string_view then) {
    std::string sql = kind == Kind::kSnapshot ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN";
    if (!then.empty()) {
        sql += "; ";
        sql += then;
    }
    PgTransaction txn(c);
    Res begun = c.exec(sql.c_str());
    if (!begun.ok()) {
        return begun.status;  // `txn` rolls back what BEGIN opened before `then` failed
    }
    return txn;
}

PgTransaction::PgTransaction(PgTransaction&& other) noexcept : m_c(std::exchange(other.m_c, nullptr)) {
}

Status PgTransaction::commit() {
    if (m_c == nullptr) {
        return Status::ok();
    }
    Res done = m_c->exec("COMMIT");
    if (!done.ok()) {
        rollback();
        return done.status;
    }
    m_c = nullptr;
    return Status::ok();
}

Status PgTransaction::finish(Status work) {
    if (!work.is_ok()) {
        rollback();
        return work;
    }
    return commit();
}

void PgTransaction::rollback() {
    if (m_c != nullptr && m_c->in_transaction()) {
        (void)m_c->exec("ROLLBACK");  // nothing more to do if it fails: the connection ends it
    }
    m_c = nullptr;
}

Status Pool::open(const std::string& conninfo, int size) {
    for (int i = 0; i < size; ++i) {
        auto c = connect(conninfo);
        OUTPOST_TRY(c);
        m_idle.push_back(std::move(*c));
    }
    return Status::ok();
}

Pool::Lease Pool::take() {
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

void Pool::give_back(std::unique_ptr<Conn> c) {
    {
        std::lock_guard lock(m_mutex);
        m_idle.push_back(std::move(c));
    }
    m_free.notify_one();
}

}  // namespace outpost::sync::pg
