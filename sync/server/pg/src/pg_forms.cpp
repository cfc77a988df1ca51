// PgStorage's forms: the published versions of every form (srv_forms). Writes take the advisory lock
// kFormsLock for their transaction, so publishes by every process on the database are serialised
// and each reads the latest version committed before it.
#include <string>

#include "pg_schema.h"
#include "pg_storage_impl.h"

namespace outpost::sync::pg {
namespace {

const std::string& forms_lock_sql() {
    static const std::string sql = "SELECT pg_advisory_xact_lock(" + std::to_string(kFormsLock) + ")";
    return sql;
}

}  // namespace

Result<std::vector<FormVersion>> PgStorage::form_versions() {
    auto c = m_pool.take();
    Res r = c->run("form_versions", "SELECT type, version, body, published_ms FROM srv_forms ORDER BY type, version");
    if (!r.ok()) {
        return r.status;
    }
    std::vector<FormVersion> out;
    out.reserve(static_cast<std::size_t>(r.rows()));
    for (int i = 0; i < r.rows(); ++i) {
        out.push_back(FormVersion{r.str(i, 0), static_cast<int>(r.i64(i, 1)), r.str(i, 2), r.i64(i, 3)});
    }
    return out;
}

Result<int> PgStorage::publish_form(const std::string& type, std::int64_t now, const FormBodyMaker& make_body) {
    auto c = m_pool.take();
    auto txn = PgTransaction::begin(*c, PgTransaction::Kind::kReadWrite, forms_lock_sql());
    OUTPOST_TRY(txn);
    Res r = c->run("latest_form",
                   "SELECT version, body, published_ms FROM srv_forms WHERE type = $1 ORDER BY version DESC LIMIT 1",
                   {p(type)});
    if (!r.ok()) {
        return txn->finish(r.status);
    }
    std::optional<FormVersion> latest;
    if (r.rows() > 0) {
        latest = FormVersion{type, static_cast<int>(r.i64(0, 0)), r.str(0, 1), r.i64(0, 2)};
    }
    const int version = latest ? latest->version + 1 : 1;
    Result<std::string> body = make_body(version, latest ? &*latest : nullptr);
    if (!body.is_ok()) {
        return txn->finish(body.status());
    }
    Res ins = c->run("publish_form", "INSERT INTO srv_forms(type, version, body, published_ms) VALUES($1, $2, $3, $4)",
                     {p(type), p(static_cast<std::int64_t>(version)), p(*body), p(now)});
    OUTPOST_TRY(txn->finish(ins.status));
    return version;
}

Result<bool> PgStorage::seed_forms(const std::vector<FormVersion>& forms) {
    auto c = m_pool.take();
    auto txn = PgTransaction::begin(*c, PgTransaction::Kind::kReadWrite, forms_lock_sql());
    OUTPOST_TRY(txn);
    Res any = c->run("any_form", "SELECT 1 FROM srv_forms LIMIT 1");
    if (!any.ok()) {
        return txn->finish(any.status);
    }
    if (any.rows() > 0) {
        return false;  // the transaction rolls back: nothing was written
    }
    for (const FormVersion& f : forms) {
        Res ins =
            c->run("publish_form", "INSERT INTO srv_forms(type, version, body, published_ms) VALUES($1, $2, $3, $4)",
                   {p(f.type), p(static_cast<std::int64_t>(f.version)), p(f.body), p(f.published_ms)});
        if (!ins.ok()) {
            return txn->finish(ins.status);
        }
    }
    OUTPOST_TRY(txn->finish(Status::ok()));
    return true;
}

Result<std::int64_t> PgStorage::forms_generation() {
    auto c = m_pool.take();
    Res r = c->run("forms_generation", "SELECT count(*) FROM srv_forms");
    if (!r.ok()) {
        return r.status;
    }
    return r.i64(0, 0);
}

}  // namespace outpost::sync::pg
