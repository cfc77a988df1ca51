#include "outpost/client/session.h"

#include <sqlite3.h>

#include "outpost/core/error_codes.h"
#include "outpost/core/sql_stmt.h"
#include "outpost/core/store/schema_steps.h"

namespace outpost::client {
namespace {

constexpr std::int64_t kDayMs = 24LL * 60 * 60 * 1000;

}  // namespace

Result<std::unique_ptr<Session>> Session::open(const std::filesystem::path& root, const std::string& name,
                                               std::string_view passphrase, const Clock& clock,
                                               std::function<void(const sync::SyncState&)> on_sync, int cache_kib,
                                               int max_days_offline) {
    return open_with(
        root, name,
        [passphrase](const std::filesystem::path& dir, const StoreOptions& options) {
            return sync::open_profile_store(dir, passphrase, options);
        },
        clock, std::move(on_sync), cache_kib, max_days_offline);
}

Result<std::unique_ptr<Session>> Session::recover(const std::filesystem::path& root, const std::string& name,
                                                  std::string_view code, std::string_view new_passphrase,
                                                  const Clock& clock,
                                                  std::function<void(const sync::SyncState&)> on_sync, int cache_kib,
                                                  int max_days_offline) {
    Result<std::unique_ptr<Session>> s = open_with(
        root, name,
        [code](const std::filesystem::path& dir, const StoreOptions& options) {
            return Store::open_with_recovery_code(dir / "outpost.db", code, options);  // sync/profile.h's store
        },
        clock, std::move(on_sync), cache_kib, max_days_offline);
    OUTPOST_TRY(s);
    // Last, so that a profile that could not open keeps its old passphrase. The key file alone
    // changes: the sync engine may already be using the store.
    std::lock_guard lock((*s)->m_key_mutex);
    OUTPOST_TRY((*s)->m_store->set_passphrase_after_recovery(new_passphrase));
    return s;
}

Result<std::unique_ptr<Session>> Session::open_with(const std::filesystem::path& root, const std::string& name,
                                                    const StoreOpen& open_store, const Clock& clock,
                                                    std::function<void(const sync::SyncState&)> on_sync, int cache_kib,
                                                    int max_days_offline) {
    std::unique_ptr<Session> s(new Session());
    Result<std::filesystem::path> dir = sync::profile_dir(root, name);
    OUTPOST_TRY(dir);
    s->m_dir = *dir;
    OUTPOST_TRY(sync::check_not_wiped(s->m_dir));
    Result<sync::ProfileInfo> info = sync::read_profile_info(s->m_dir);
    OUTPOST_TRY(info);
    s->m_info = std::move(*info);
    StoreOptions options;
    options.cache_kib = cache_kib;
    Result<std::unique_ptr<Store>> store = open_store(s->m_dir, options);
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
    sync::SyncOptions so;
    Result<sync::ProfileLink> link = sync::open_profile_link(s->m_dir, s->m_info, *s->m_store);
    OUTPOST_TRY(link);
    s->m_transport = std::move(link->transport);
    so.blocked = link->blocked;
    so.on_state = std::move(on_sync);
    so.interval = std::chrono::minutes(2);
    // IT asked for this profile's data to go: the keys are destroyed on the sync thread at once; the
    // owner closes the session and calls wipe_profile again for the files it held open.
    so.on_wiped = [dir = s->m_dir, &clock] { (void)sync::wipe_profile(dir, clock.now_ms()); };
    Result<std::unique_ptr<sync::SyncEngine>> engine_sync = sync::SyncEngine::open(
        *s->m_store, *s->m_records, *s->m_blobs, s->m_mutex, *s->m_transport, s->m_creds, so, clock);
    OUTPOST_TRY(engine_sync);
    s->m_sync = std::move(*engine_sync);
    // The site policy's max_days_offline: a profile that has not synced for longer opens only once it
    // has reached the server.
    const std::int64_t last = s->m_sync->state().last_success_ms;
    if (max_days_offline > 0 && last > 0 && clock.now_ms() - last > max_days_offline * kDayMs) {
        if (Result<sync::SyncSummary> synced = s->m_sync->sync_now(); !synced.is_ok()) {
            if (synced.status().code() == errc::kAuthWiped) {  // the news it had been kept from
                const std::filesystem::path wiped = s->m_dir;
                s.reset();
                (void)sync::wipe_profile(wiped, clock.now_ms());
                return sync::check_not_wiped(wiped);
            }
            return Status::error(errc::kProfileOfflineTooLong,
                                 "no sync for more than " + std::to_string(max_days_offline) +
                                     " days, and the server could not be reached now: " + synced.status().message());
        }
    }
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
    // The role and team as the server last said them (IT may have changed either since the unlock).
    const sync::SyncState st = m_sync->state();
    return {m_creds.user, m_creds.device_id, st.role.empty() ? m_creds.role : st.role,
            st.team.empty() ? m_creds.team : st.team};
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

Result<sync::SyncSummary> Session::sync_now() {
    return m_sync->sync_now();
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

Result<std::vector<sync::RefusedItem>> Session::needs_attention() {
    return m_sync->needs_attention();
}

Status Session::discard_refused(const std::string& record, const std::string& field) {
    return m_sync->discard_refused(record, field);
}

Status Session::resend_refused(const std::string& record) {
    return m_sync->resend_refused(actor(), record);
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

Result<RecoveryState> Session::recovery_state() {
    std::lock_guard lock(m_mutex);
    return client::recovery_state(*m_store);
}

Result<std::string> Session::make_recovery_code(std::string_view escrow_key) {
    std::lock_guard key_lock(m_key_mutex);
    std::lock_guard lock(m_mutex);
    return client::make_recovery_code(*m_store, m_dir, escrow_key);
}

Result<std::string> Session::replace_recovery_code(std::string_view passphrase) {
    std::lock_guard key_lock(m_key_mutex);
    OUTPOST_TRY(m_store->check_passphrase(passphrase));  // the key file only: the store mutex stays free
    std::lock_guard lock(m_mutex);
    return client::make_recovery_code(*m_store, m_dir, {});
}

Result<std::string> Session::recovery_code_to_offer(bool required) {
    std::lock_guard key_lock(m_key_mutex);
    std::lock_guard lock(m_mutex);
    return client::recovery_code_to_offer(*m_store, m_dir, required);
}

Status Session::confirm_recovery_code() {
    std::lock_guard lock(m_mutex);
    return client::confirm_recovery_code(*m_store);
}

Status Session::skip_recovery_code(bool required) {
    std::lock_guard key_lock(m_key_mutex);
    std::lock_guard lock(m_mutex);
    return client::skip_recovery_code(*m_store, required);
}

}  // namespace outpost::client
