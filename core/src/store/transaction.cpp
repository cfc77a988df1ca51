#include "outpost/core/store/transaction.h"

#include <utility>

#include "outpost/core/store.h"

namespace outpost {

Result<Transaction> Transaction::begin(Store& store) {
    OUTPOST_TRY(store.exec("BEGIN IMMEDIATE"));
    return Transaction(store, "COMMIT", "ROLLBACK");
}

Result<Transaction> Transaction::savepoint(Store& store, std::string_view name) {
    const std::string n(name);
    OUTPOST_TRY(store.exec("SAVEPOINT " + n));
    return Transaction(store, "RELEASE " + n, "ROLLBACK TO " + n + "; RELEASE " + n);
}

Transaction::Transaction(Transaction&& other) noexcept
    : m_store(std::exchange(other.m_store, nullptr)),
      m_commit_sql(std::move(other.m_commit_sql)),
      m_rollback_sql(std::move(other.m_rollback_sql)) {
}

Transaction::~Transaction() {
    rollback();
}

Status Transaction::commit() {
    if (m_store == nullptr) {
        return Status::ok();
    }
    Status s = m_store->exec(m_commit_sql);
    if (!s.is_ok()) {
        rollback();
        return s;
    }
    m_store = nullptr;
    return Status::ok();
}

Status Transaction::finish(Status work) {
    if (!work.is_ok()) {
        rollback();
        return work;
    }
    return commit();
}

void Transaction::rollback() {
    if (m_store != nullptr && !m_store->is_locked()) {
        (void)m_store->exec(m_rollback_sql);  // nothing more to do if it fails: the connection ends it
    }
    m_store = nullptr;
}

}  // namespace outpost
