#include "outpost/core/store/transaction.h"

#include <utility>

#include "outpost/core/store.h"

namespace outpost {

Result<Transaction> Transaction::begin(Store& store) {
    OUTPOST_TRY(store.exec("BEGIN IMMEDIATE"));
    return Transaction(store);
}

Transaction::Transaction(Transaction&& other) noexcept : m_store(std::exchange(other.m_store, nullptr)) {
}

Transaction::~Transaction() {
    rollback();
}

Status Transaction::commit() {
    if (m_store == nullptr) {
        return Status::ok();
    }
    Status s = m_store->exec("COMMIT");
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
        (void)m_store->exec("ROLLBACK");  // nothing more to do if it fails: the connection ends the transaction
    }
    m_store = nullptr;
}

Result<Savepoint> Savepoint::begin(Store& store, std::string_view name) {
    OUTPOST_TRY(store.exec("SAVEPOINT " + std::string(name)));
    return Savepoint(store, std::string(name));
}

Savepoint::Savepoint(Savepoint&& other) noexcept
    : m_store(std::exchange(other.m_store, nullptr)), m_name(std::move(other.m_name)) {
}

Savepoint::~Savepoint() {
    rollback();
}

Status Savepoint::commit() {
    if (m_store == nullptr) {
        return Status::ok();
    }
    Status s = m_store->exec("RELEASE " + m_name);
    if (!s.is_ok()) {
        rollback();
        return s;
    }
    m_store = nullptr;
    return Status::ok();
}

Status Savepoint::finish(Status work) {
    if (!work.is_ok()) {
        rollback();
        return work;
    }
    return commit();
}

void Savepoint::rollback() {
    if (m_store != nullptr && !m_store->is_locked()) {
        (void)m_store->exec("ROLLBACK TO " + m_name + "; RELEASE " + m_name);
    }
    m_store = nullptr;
}

}  // namespace outpost
