// The PostgreSQL back end's connection layer, over libpq: statement parameters (Param, ArrayText),
// results (Res), one connection with its prepared statements (Conn), the pool (Pool), and
// PgTransaction, the one place where BEGIN, COMMIT and ROLLBACK are written for PostgreSQL.
//
// Internal to outpost_sync_server_pg. Ownership: a Conn owns its PGconn; a Pool owns its Conns and
// lends them out (Pool::Lease gives one back when destroyed); a PgTransaction borrows a Conn.
// Threads: a Conn (and a transaction on it) is used by one thread at a time; Pool::take() may be
// called from any thread, and waits for a free connection.
// Failure: calls return Res (its `status` ok, or a stable code: core.disk.full, core.io.failed,
// server.database.unavailable when the database is gone, else store.sql.failed) or a Status.
#pragma once

#include <libpq-fe.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "outpost/core/status.h"

namespace outpost::sync::pg {

// A parameter: text unless `binary` (bytea), or SQL NULL.
struct Param {
    std::string value;
    bool binary = false;
    bool null = false;
};
inline Param p(std::string v) {
    return {std::move(v)};
}
inline Param p(std::int64_t v) {
    return {std::to_string(v)};
}
inline Param bytes(std::string v) {
    return {std::move(v), true};
}

// A PostgreSQL array literal in text form ({"a","b"}), for one parameter of a prepared statement
// that takes many rows at once through unnest(): no SQL text is built per push.
class ArrayText {
public:
    void add(std::string_view v);
    void add(std::int64_t v);
    void add_bytea(std::string_view raw);
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
    [[nodiscard]] std::string bytea(int row, int col) const;
    [[nodiscard]] std::string affected() const { return m_r ? PQcmdTuples(m_r) : ""; }
    [[nodiscard]] PGresult* raw() const { return m_r; }
    Status status = Status::ok();
    std::string state;  // SQLSTATE on failure, e.g. 23505 (unique violation)

private:
    PGresult* m_r = nullptr;
};

// libpq's messages end in a newline: `message` without it.
[[nodiscard]] std::string chomp(std::string message);

// One connection and the statements prepared on it.
class Conn {
public:
    explicit Conn(PGconn* c) : m_c(c) {}
    ~Conn() { PQfinish(m_c); }
    Conn(const Conn&) = delete;
    Conn& operator=(const Conn&) = delete;

    // Runs a prepared statement, preparing it on this connection the first time (`name` is unique
    // per SQL text; the callers use the literal's own words).
    Res run(const char* name, const char* sql, const std::vector<Param>& params = {});
    // `v` as an SQL string literal, quoted and escaped for this connection.
    [[nodiscard]] std::string literal(const std::string& v);
    // A statement without parameters (DDL, settings, locks; transactions go through PgTransaction).
    Res exec(const char* sql) { return check(Res(PQexec(m_c, sql)), sql); }
    [[nodiscard]] bool healthy() const { return PQstatus(m_c) == CONNECTION_OK; }
    // Whether a transaction is open (or failed and not yet rolled back) on this connection.
    [[nodiscard]] bool in_transaction() const;
    // libpq's last message on this connection, without its newline.
    [[nodiscard]] std::string error_message() const { return chomp(PQerrorMessage(m_c)); }
    // Connects again after the server restarted or the network dropped; statements are prepared anew.
    void reset();
    // Every connection holds the serve lock shared for its life (a restore takes it exclusively and
    // refuses while any is held; a connection made during a restore waits for it to end).
    Res hold_serve_lock();

private:
    Res check(Res r, const std::string& what);
    Res failure(Res r, const std::string& what);
    PGconn* m_c;
    std::unordered_set<std::string> m_prepared;
};

// A service's connection to `conninfo`, quiet (warnings and worse only) and holding the serve lock.
// server.data_dir.invalid when it cannot connect.
[[nodiscard]] Result<std::unique_ptr<Conn>> connect(const std::string& conninfo);

// PgTransaction: a transaction on one connection that rolls back when destroyed unless it was
// committed, so an early return never leaves one open.
//
//   auto txn = PgTransaction::begin(conn);
//   OUTPOST_TRY(txn);
//   ... work ...
//   return txn->finish(status_of_the_work);   // COMMIT when ok, else ROLLBACK; the first error
//
// Failure: begin returns the failed statement's Status (after rolling back whatever it opened); a
// failed COMMIT is rolled back and its Status returned.
class PgTransaction {
public:
    enum class Kind {
        kReadWrite,  // BEGIN (READ COMMITTED)
        kSnapshot,   // BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY: one view of the data
    };
    // `then` (optional) is sent with BEGIN in one round trip, e.g. the advisory lock a push takes.
    [[nodiscard]] static Result<PgTransaction> begin(Conn& c, Kind kind = Kind::kReadWrite, std::string_view then = {});
    PgTransaction(PgTransaction&& other) noexcept;
    PgTransaction& operator=(PgTransaction&&) = delete;
    PgTransaction(const PgTransaction&) = delete;
    PgTransaction& operator=(const PgTransaction&) = delete;
    ~PgTransaction() { rollback(); }

    [[nodiscard]] Status commit();
    // `work` ok: commit() and its result; else rollback and `work`.
    [[nodiscard]] Status finish(Status work);
    void rollback();

private:
    explicit PgTransaction(Conn& c) : m_c(&c) {}
    Conn* m_c;  // nullptr once committed, rolled back or moved from
};

// A fixed set of connections; a caller waits for a free one.
class Pool {
public:
    [[nodiscard]] Status open(const std::string& conninfo, int size);
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
    // A free connection (reset first if it was found broken); waits while every one is lent out.
    Lease take();

private:
    void give_back(std::unique_ptr<Conn> c);
    std::mutex m_mutex;
    std::condition_variable m_free;
    std::vector<std::unique_ptr<Conn>> m_idle;  // guarded by m_mutex
};

}  // namespace outpost::sync::pg
