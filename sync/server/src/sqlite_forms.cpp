// SqliteStorage's forms: the published versions of every form (srv_forms), written in BEGIN IMMEDIATE
// transactions, so publishes by the service and by an administration command in another process are
// serialised by SQLite's write lock.
#include "outpost/core/error_codes.h"
#include "sqlite_storage_impl.h"

namespace outpost::sync::sqlite {

using storage::sql_error;

Result<std::vector<FormVersion>> SqliteStorage::form_versions() {
    std::lock_guard lock(m_mutex);
    Cached st = cached("SELECT type, version, body, published_ms FROM srv_forms ORDER BY type, version");
    std::vector<FormVersion> out;
    int rc = 0;
    while ((rc = st.step()) == SQLITE_ROW) {
        out.push_back(FormVersion{st.col_text(0), static_cast<int>(st.col_i64(1)), st.col_text(2), st.col_i64(3)});
    }
    if (rc != SQLITE_DONE) {
        return sql_error(m_db, "reading the published forms");
    }
    return out;
}

Result<int> SqliteStorage::publish_form(const std::string& type, std::int64_t now_ms, const FormBodyMaker& make_body) {
    std::lock_guard lock(m_mutex);
    Result<Transaction> txn = Transaction::begin(m_db);
    if (!txn.is_ok()) {
        return txn.status().with_context("publishing a form");
    }
    std::optional<FormVersion> latest;
    {
        Cached st =
            cached("SELECT version, body, published_ms FROM srv_forms WHERE type = ? ORDER BY version DESC LIMIT 1");
        st.text(1, type);
        const int rc = st.step();
        if (rc == SQLITE_ROW) {
            latest = FormVersion{type, static_cast<int>(st.col_i64(0)), st.col_text(1), st.col_i64(2)};
        } else if (rc != SQLITE_DONE) {
            return sql_error(m_db, "reading the latest version of a form");
        }
    }
    const int version = latest ? latest->version + 1 : 1;
    Result<std::string> body = make_body(version, latest ? &*latest : nullptr);
    if (!body.is_ok()) {
        return txn->finish(body.status());
    }
    Cached ins = cached("INSERT INTO srv_forms(type, version, body, published_ms) VALUES(?, ?, ?, ?)");
    ins.text(1, type).i64(2, version).text(3, *body).i64(4, now_ms);
    Status s = ins.step() == SQLITE_DONE ? Status::ok() : sql_error(m_db, "storing a form");
    OUTPOST_TRY(txn->finish(s));
    return version;
}

Result<bool> SqliteStorage::seed_forms(const std::vector<FormVersion>& forms) {
    std::lock_guard lock(m_mutex);
    Result<Transaction> txn = Transaction::begin(m_db);
    if (!txn.is_ok()) {
        return txn.status().with_context("storing the packaged forms");
    }
    {
        Cached any = cached("SELECT 1 FROM srv_forms LIMIT 1");
        const int rc = any.step();
        if (rc == SQLITE_ROW) {
            return false;  // the transaction rolls back: nothing was written
        }
        if (rc != SQLITE_DONE) {
            return sql_error(m_db, "reading the published forms");
        }
    }
    Status s = Status::ok();
    for (const FormVersion& f : forms) {
        Cached ins = cached("INSERT INTO srv_forms(type, version, body, published_ms) VALUES(?, ?, ?, ?)");
        ins.text(1, f.type).i64(2, f.version).text(3, f.body).i64(4, f.published_ms);
        if (ins.step() != SQLITE_DONE) {
            s = sql_error(m_db, "storing the packaged form '" + f.type + "'");
            break;
        }
    }
    OUTPOST_TRY(txn->finish(s));
    return true;
}

Result<std::int64_t> SqliteStorage::forms_generation() {
    std::lock_guard lock(m_mutex);
    Cached st = cached("SELECT count(*) FROM srv_forms");
    if (st.step() != SQLITE_ROW) {
        return sql_error(m_db, "counting the published forms");
    }
    return st.col_i64(0);
}

}  // namespace outpost::sync::sqlite
