#include "outpost/client/session.h"

#include <sqlite3.h>

#include "outpost/core/error_codes.h"
#include "outpost/core/sql_stmt.h"
#include "outpost/core/store/schema_steps.h"

namespace outpost::client {

Result<std::unique_ptr<Session>> Session::open(const std::filesystem::path& root, const std::string& name,
                                               std::string_view passphrase, const Clock& clock,
                                               std::function<void(const sync::SyncState&)> on_sync, int cache_kib) {
    std::unique_ptr<Session> s(new Session());
    Result<std::filesystem::path> dir = sync::profile_dir(root, name);
    OUTPOST_TRY(dir);
    s->m_dir = *dir;
    Result<sync::ProfileInfo> info = sync::read_profile_info(s->m_dir);
    OUTPOST_TRY(info);
    s->m_info = std::move(*info);
    StoreOptions options;
    options.cache_kib = cache_kib;
    Result<std::unique_ptr<Store>> store = sync::open_profile_store(s->m_dir, passphrase, options);
    OUTPOST_TRY(store);
    s->m_store = std::move(*store);
    OUTPOST_TRY(migrate_ui_tables(*s->m_store));
    // The forms as the last sync left them; one this build cannot read never stops the unlock
    // (sync/form_rollout.h): its notice says so.
    Result<sync::LaptopForms> forms = sync::profile_forms(*s->m_store);
    OUTPOST_TRY(forms);
    auto first = std::make_unique<Forms>();
    first->schemas = forms->schemas();
    first->notices = forms->notices;
    for (const std::string& type : forms->retired()) {
        first->retired.insert(type);
    }
    s->use_forms(std::move(first));
    Result<std::unique_ptr<records::RecordEngine>> engine =
        records::RecordEngine::open(*s->m_store, forms->schemas(), clock);
    OUTPOST_TRY(engine);
    s->m_records = std::move(*engine);
    Result<std::unique_ptr<BlobStore>> blobs = BlobStore::open(*s->m_store);
    OUTPOST_TRY(blobs);
    s->m_blobs = std::move(*blobs);
    Result<sync::Credentials> creds = sync::load_credentials(*s->m_store);
    OUTPOST_TRY(creds);
    s->m_creds = std::move(*creds);
    Result<std::unique_ptr<sync::Transport>> transport = sync::profile_transport(s->m_dir, s->m_info);
    OUTPOST_TRY(transport);
    s->m_transport = std::move(*transport);
    sync::SyncOptions so;
    so.on_state = std::move(on_sync);
    so.interval = std::chrono::minutes(2);
    Result<std::unique_ptr<sync::SyncEngine>> engine_sync = sync::SyncEngine::open(
        *s->m_store, *s->m_records, *s->m_blobs, s->m_mutex, *s->m_transport, s->m_creds, so, clock);
    OUTPOST_TRY(engine_sync);
    s->m_sync = std::move(*engine_sync);
    return s;
}

Session::~Session() {
    if (m_sync) {
        m_sync->stop();
    }
    m_sync.reset();
    std::lock_guard key_lock(m_key_mutex);
    std::lock_guard lock(m_mutex);
    m_records.reset();  // its statements before the connection
    if (m_store) {
        m_store->lock();  // closes the connection and wipes the key
    }
}

records::Actor Session::actor() const {
    return {m_creds.user, m_creds.device_id, m_creds.role, m_creds.team};
}

void Session::use_forms(std::unique_ptr<const Forms> forms) {
    m_forms.store(forms.get(), std::memory_order_release);
    m_form_sets.push_back(std::move(forms));
}

bool Session::refresh_forms() {
    std::shared_ptr<const sync::LaptopForms> synced = m_sync->forms();
    if (!synced || synced == current_forms().from) {
        return false;
    }
    auto next = std::make_unique<Forms>();
    next->schemas = synced->schemas();
    next->notices = synced->notices;
    for (const std::string& type : synced->retired()) {
        next->retired.insert(type);
    }
    next->from = std::move(synced);
    use_forms(std::move(next));
    return true;
}

bool Session::form_retired(std::string_view type) const {
    const auto& retired = current_forms().retired;
    return retired.find(type) != retired.end();
}

const records::Schema* Session::schema(std::string_view type) const {
    for (const records::Schema& s : schemas()) {
        if (s.type == type) {
            return &s;
        }
    }
    return nullptr;
}

void Session::start_sync() {
    m_sync->start();
}

void Session::request_sync() {
    m_sync->request_sync();
}

sync::SyncState Session::sync_state() const {
    return m_sync->state();
}

Result<std::vector<sync::RefusedChange>> Session::refused() {
    return m_sync->refused();
}

Result<std::int64_t> Session::waiting() {
    return m_sync->waiting();
}

Result<sync::SyncEngine::RecordSyncStatus> Session::record_status(const std::vector<std::string>& ids) {
    return m_sync->record_status(ids);
}

Status Session::save_draft(const Draft& d) {
    std::lock_guard lock(m_mutex);
    return Drafts(*m_store).save(d);
}

Result<std::vector<Draft>> Session::drafts() {
    std::lock_guard lock(m_mutex);
    return Drafts(*m_store).all();
}

Status Session::discard_draft(const std::string& key) {
    std::lock_guard lock(m_mutex);
    return Drafts(*m_store).discard(key);
}

Result<std::set<std::string>> Session::read_notices() {
    std::lock_guard lock(m_mutex);
    std::set<std::string> out;
    sql::StmtRef st = sql::StmtRef::owned(m_store->handle(), "SELECT key FROM ui_notices_read");
    int rc = 0;
    while ((rc = st.step()) == SQLITE_ROW) {
        out.insert(st.col_text(0));
    }
    if (rc != SQLITE_DONE) {
        return m_store->sql_status(rc, "reading notices");
    }
    return out;
}

Status Session::mark_notices_read(const std::vector<std::string>& keys) {
    std::lock_guard lock(m_mutex);
    Result<Transaction> sp = Transaction::savepoint(*m_store, "ui_notices");
    OUTPOST_TRY(sp);
    sql::StmtRef st = sql::StmtRef::owned(m_store->handle(), "INSERT OR IGNORE INTO ui_notices_read(key) VALUES(?)");
    Status s = Status::ok();
    for (const std::string& k : keys) {
        st.text(1, k);
        if (int rc = st.step(); rc != SQLITE_DONE) {
            s = m_store->sql_status(rc, "marking notices read");
            break;
        }
        st.reset();
    }
    return sp->finish(std::move(s));
}

Status Session::set_prefetch_attachments(bool on) {
    return m_sync->set_prefetch_attachments(on);
}

bool Session::prefetch_attachments() {
    return m_sync->prefetch_attachments();
}

std::int64_t Session::max_attachment_bytes() {
    return m_sync->max_attachment_bytes();
}

Status Session::change_passphrase(std::string_view old_passphrase, std::string_view new_passphrase) {
    // Only the key file changes, not the connection: the store mutex stays free for the second of
    // Argon2 work, and m_key_mutex keeps the store from being locked meanwhile.
    std::lock_guard lock(m_key_mutex);
    return m_store->change_passphrase(old_passphrase, new_passphrase);
}

}  // namespace outpost::client
