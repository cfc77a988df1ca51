#include "outpost/core/store.h"

#include <sodium.h>
#include <sqlite3.h>

#include <cstring>
#include <fstream>
#include <vector>

#include "outpost/core/error_codes.h"
#include "outpost/core/secure_buffer.h"
#include "outpost/core/store/crypt_vfs.h"
#include "outpost/core/store/envelope.h"
#include "outpost/platform/utf8.h"

namespace outpost {
namespace fs = std::filesystem;
using store::CryptVfs;
using store::Envelope;
using store::kPageSize;

struct Store::Impl {
    std::unique_ptr<CryptVfs> vfs;  // null for a plain store
    Envelope envelope;
    SecureBuffer dek;               // read-only; needed to rewrap on passphrase change
    bool by_recovery_code = false;  // opened with the recovery code: set_passphrase_after_recovery may run
};

namespace {

constexpr std::array<std::uint8_t, 16> kSqliteMagic = {'S', 'Q', 'L', 'i', 't', 'e', ' ', 'f',
                                                       'o', 'r', 'm', 'a', 't', ' ', '3', '\0'};

std::string uri_for(const fs::path& path, const std::string& vfs) {
    // SQLite's URIs name a Windows file as file:///C:/folder/name, in UTF-8.
    const std::u8string generic = fs::absolute(path).generic_u8string();
    const std::string name(generic.begin(), generic.end());
    std::string uri = name.starts_with('/') ? "file:" : "file:///";
    for (char c : name) {
        if (c == '?' || c == '#' || c == '%') {
            char buf[4];
            std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
            uri += buf;
        } else {
            uri += c;
        }
    }
    if (!vfs.empty()) {
        uri += "?vfs=" + vfs;
    }
    return uri;
}

Status sql_fail(sqlite3* db, std::string_view what) {
    return Status::error(db != nullptr ? sqlite_error_code(sqlite3_extended_errcode(db)) : errc::kStoreSql,
                         std::string(what) + ": " + (db != nullptr ? sqlite3_errmsg(db) : "cannot allocate"));
}

std::vector<std::string> pragma_list(const StoreOptions& o) {
    std::vector<std::string> p = {"temp_store=MEMORY", "mmap_size=0", "cache_size=-" + std::to_string(o.cache_kib),
                                  "synchronous=FULL", "foreign_keys=ON"};
    if (o.journal == JournalMode::kWal) {
        // A single connection: the WAL index lives on the heap, so no -shm file exposes page numbers.
        p.insert(p.begin(), "locking_mode=EXCLUSIVE");
        p.insert(p.begin() + 1, "journal_mode=WAL");
        // Checkpoint every 256 pages (1 MiB): a checkpoint then costs a save about 1 ms instead of
        // 5-7 ms at the default 1000 (records_bench save p99: 6.5 ms -> 4.0 ms).
        p.insert(p.begin() + 2, "wal_autocheckpoint=256");
    } else {
        p.insert(p.begin(), "journal_mode=DELETE");
    }
    return p;
}

Result<std::vector<std::uint8_t>> read_prefix(const fs::path& path, std::size_t n) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return Status::error(errc::kIo, "cannot read " + path_to_utf8(path));
    }
    std::vector<std::uint8_t> buf(n);
    in.read(reinterpret_cast<char*>(buf.data()), static_cast<std::streamsize>(n));
    buf.resize(static_cast<std::size_t>(in.gcount()));
    return buf;
}

Status truncated(const fs::path& path, const std::string& why) {
    return Status::error(errc::kStoreFileTruncated, path_to_utf8(path.filename()) + " is truncated: " + why);
}

Result<std::array<std::uint8_t, 16>> random_salt() {
    std::array<std::uint8_t, 16> s{};
    randombytes_buf(s.data(), s.size());
    return s;
}

struct DerivedKek {
    SecureBuffer kek;
    store::KdfParams kdf;
};

Result<DerivedKek> derive_for_new_slot(std::string_view passphrase, std::span<const std::uint8_t, 16> salt,
                                       KdfPolicy policy) {
    if (policy == KdfPolicy::kInteractiveFloor) {
        auto kek = store::derive_passphrase_kek(passphrase, salt, store::kdf_floor());
        OUTPOST_TRY(kek);
        return DerivedKek{std::move(*kek), store::kdf_floor()};
    }
    auto c = store::derive_calibrated_kek(passphrase, salt);
    OUTPOST_TRY(c);
    return DerivedKek{std::move(c->kek), c->kdf};
}

// store.passphrase.too_short for a passphrase shorter than `min_length`.
Status check_passphrase_length(std::string_view passphrase, std::size_t min_length) {
    if (passphrase.size() < min_length) {
        return Status::error(errc::kStorePassphraseWeak,
                             "passphrase shorter than " + std::to_string(min_length) + " characters");
    }
    return Status::ok();
}

// Wraps `dek` for `passphrase` into A/B passphrase slot `target` of `env` with sequence `seq`, clears
// the other passphrase slot, and writes the key file: the new wrap and the cleared slot in one atomic
// write.
Status write_passphrase_slot(Envelope& env, std::size_t target, std::uint64_t seq, std::string_view passphrase,
                             KdfPolicy policy, const SecureBuffer& dek, const fs::path& key_path) {
    store::KeySlot next;
    next.kind = store::SlotKind::kPassphrase;
    next.seq = seq;
    next.salt = *random_salt();
    auto kek = derive_for_new_slot(passphrase, next.salt, policy);
    OUTPOST_TRY(kek);
    next.kdf = kek->kdf;
    OUTPOST_TRY(store::wrap_slot(env, next, kek->kek, dek));
    env.slots[target] = next;
    env.slots[1 - target] = store::KeySlot{};
    return store::write_envelope(key_path, env);
}

}  // namespace

fs::path Store::key_path_for(const fs::path& db_path) {
    fs::path p = db_path;
    p += ".key";
    return p;
}

std::string Store::pragma_summary(const StoreOptions& options) {
    std::string out = "page_size=" + std::to_string(kPageSize);
    if (options.encrypted) {
        out += ",reserve=" + std::to_string(store::kReserve);
    }
    for (const std::string& p : pragma_list(options)) {
        out += "," + p;
    }
    return out;
}

Store::~Store() {
    lock();
}

Store::CryptCounters Store::crypt_counters() const {
    if (!m_impl || !m_impl->vfs) {
        return {};
    }
    const store::CryptStats st = m_impl->vfs->stats();
    return {st.pages_encrypted, st.pages_decrypted, st.frame_cache_hits, st.context_reads, st.sealed_reused};
}

namespace {

// Opens (or creates) the SQLite connection and applies the production PRAGMAs.
Status open_connection(const fs::path& path, const CryptVfs* vfs, bool create, const StoreOptions& options,
                       sqlite3** out) {
    *out = nullptr;
    sqlite3* db = nullptr;
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    int rc = sqlite3_open_v2(uri_for(path, vfs != nullptr ? vfs->name() : "").c_str(), &db, flags, nullptr);
    if (rc != SQLITE_OK) {
        const bool notadb = rc == SQLITE_NOTADB;
        Status s = notadb ? Status::error(errc::kStorePageTampered, "database page 1 failed authentication")
                          : sql_fail(db, "opening " + path_to_utf8(path.filename()));
        sqlite3_close(db);
        return s;
    }
    sqlite3_extended_result_codes(db, 1);
    auto exec = [&](const std::string& sql) { return sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr); };
    if (create) {
        rc = exec("PRAGMA page_size=" + std::to_string(kPageSize));
        if (rc == SQLITE_OK && vfs != nullptr) {
            // Must happen before anything writes page 1; SQLite answers ok even when it ignores it, so
            // the caller checks header byte 20 afterwards.
            int reserve = static_cast<int>(store::kReserve);
            rc = sqlite3_file_control(db, "main", SQLITE_FCNTL_RESERVE_BYTES, &reserve);
        }
    }
    for (const std::string& p : pragma_list(options)) {
        if (rc != SQLITE_OK) {
            break;
        }
        rc = exec("PRAGMA " + p);
    }
    if (rc != SQLITE_OK) {
        Status s =
            (rc == SQLITE_NOTADB) ? Status::error(errc::kStorePageTampered, "database page 1 failed authentication")
            : (rc == SQLITE_IOERR_DATA && vfs != nullptr)
                ? Status::error(errc::kStorePageTampered,
                                "database page " + std::to_string(vfs->last_bad_page()) + " failed authentication")
                : sql_fail(db, "configuring " + path_to_utf8(path.filename()));
        sqlite3_close(db);
        return s;
    }
    *out = db;
    return Status::ok();
}

}  // namespace

Status Store::sql_status(int rc, std::string_view what) const {
    if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW) {
        return Status::ok();
    }
    const bool enc = m_impl && m_impl->vfs;
    if (enc && (rc == SQLITE_IOERR_DATA || rc == SQLITE_NOTADB)) {
        const std::uint32_t page = rc == SQLITE_NOTADB ? 1 : m_impl->vfs->last_bad_page();
        return Status::error(errc::kStorePageTampered,
                             std::string(what) + ": database page " + std::to_string(page) + " failed authentication");
    }
    // Read SQLite's message first: check_length() runs a statement, which resets it.
    const std::string message = m_db != nullptr ? sqlite3_errmsg(m_db) : sqlite3_errstr(rc);
    if ((rc & 0xff) == SQLITE_CORRUPT || rc == SQLITE_IOERR_SHORT_READ) {
        if (Status length = check_length(); length.is(errc::kStoreFileTruncated)) {
            return length;
        }
    }
    return Status::error(sqlite_error_code(rc), std::string(what) + ": " + message);
}

std::string_view sqlite_error_code(int rc) {
    switch (rc & 0xff) {
        case SQLITE_FULL:
            return errc::kDiskFull;
        case SQLITE_IOERR:
            return errc::kIo;
        default:
            return errc::kStoreSql;
    }
}

Status Store::check_length() const {
    std::error_code ec;
    const auto size = fs::file_size(m_path, ec);
    if (ec) {
        return Status::error(errc::kIo, "cannot read " + path_to_utf8(m_path) + ": " + ec.message());
    }
    if (size % kPageSize != 0) {
        return truncated(m_path, "its size is not a whole number of pages");
    }
    sqlite3_stmt* st = nullptr;
    sqlite3_int64 pages = 0;
    int rc = sqlite3_prepare_v2(m_db, "PRAGMA page_count", -1, &st, nullptr);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        pages = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_OK) {
        // Not through sql_status(), which calls this function for corruption errors.
        return Status::error(errc::kStoreSql, std::string("reading the page count: ") + sqlite3_errstr(rc));
    }
    // In WAL mode the newest pages may live only in the -wal file until a checkpoint, so a short
    // database file is only a truncation when the WAL is too small to hold the missing pages.
    const auto wal = fs::file_size(path_from_utf8(path_to_utf8(m_path) + "-wal"), ec);
    const auto missing = pages * static_cast<sqlite3_int64>(kPageSize) - static_cast<sqlite3_int64>(size);
    if (missing > 0 && (ec || static_cast<sqlite3_int64>(wal) < missing)) {
        return truncated(m_path,
                         "expected " + std::to_string(pages) + " pages, found " + std::to_string(size / kPageSize));
    }
    return Status::ok();
}

namespace {

// Sets the connection's journal mode and returns the mode SQLite reports afterwards ("wal",
// "truncate", ...): SQLite keeps the old mode, or fails, when a transaction or statement is open.
std::string set_journal_mode(sqlite3* db, const char* mode) {
    const std::string sql = std::string("PRAGMA journal_mode=") + mode;
    sqlite3_stmt* st = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        if (const unsigned char* text = sqlite3_column_text(st, 0); text != nullptr) {
            out = reinterpret_cast<const char*>(text);
        }
    }
    sqlite3_finalize(st);
    return out;
}

// A WAL store needs no rollback journal, but one can be left behind: bulk mode ends with an empty
// one, and a store reopened after a crash in bulk mode rolls the hot journal back and then, in
// exclusive locking mode, only zeroes its header. Once the connection reads "wal" any such journal
// is dead (played back or empty, and closed by SQLite); left there it would also make every later
// open skip its page-1 and length checks. Removes it.
void remove_dead_journal(sqlite3* db, const fs::path& path) {
    sqlite3_stmt* st = nullptr;
    bool wal = false;
    if (sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char* mode = sqlite3_column_text(st, 0);
        wal = mode != nullptr && std::strcmp(reinterpret_cast<const char*>(mode), "wal") == 0;
    }
    sqlite3_finalize(st);
    std::error_code ec;
    if (wal) {
        fs::remove(path_from_utf8(path_to_utf8(path) + "-journal"), ec);  // absent: nothing to do
    }
}

}  // namespace

Status Store::set_bulk_mode(bool on) {
    if (m_db == nullptr) {
        return Status::error(errc::kStoreLocked, "the store is locked");
    }
    if (m_options.journal != JournalMode::kWal) {
        return Status::ok();
    }
    // synchronous stays FULL throughout: a rollback journal needs it for integrity.
    const char* want = on ? "truncate" : "wal";
    if (set_journal_mode(m_db, on ? "TRUNCATE" : "WAL") != want) {
        return Status::error(errc::kStoreSql,
                             std::string(on ? "entering bulk mode" : "returning the store to WAL mode") +
                                 " (is a transaction open?): " + sqlite3_errmsg(m_db));
    }
    if (on) {
        return Status::ok();
    }
    OUTPOST_TRY(exec("PRAGMA wal_autocheckpoint=256"));
    remove_dead_journal(m_db, m_path);
    return Status::ok();
}

Status Store::exec(std::string_view sql) {
    if (m_db == nullptr) {
        return Status::error(errc::kStoreLocked, "the store is locked");
    }
    const std::string s(sql);
    return sql_status(sqlite3_exec(m_db, s.c_str(), nullptr, nullptr, nullptr), "running SQL");
}

Result<std::unique_ptr<Store>> Store::create(const fs::path& path, std::string_view passphrase,
                                             const StoreOptions& options) {
    std::error_code ec;
    const fs::path key_path = key_path_for(path);
    if (fs::exists(path, ec) || (options.encrypted && fs::exists(key_path, ec))) {
        return Status::error(errc::kStoreFileExists, "a store already exists at " + path_to_utf8(path));
    }
    if (options.encrypted) {
        OUTPOST_TRY(check_passphrase_length(passphrase, options.min_passphrase_length));
    }
    std::unique_ptr<Store> s(new Store());
    s->m_path = path;
    s->m_options = options;
    s->m_impl = std::make_unique<Impl>();
    auto cleanup = [&] {
        s->lock();
        fs::remove(path, ec);
        fs::remove(key_path, ec);
    };

    if (options.encrypted) {
        if (sodium_init() < 0) {
            return Status::error(errc::kInternal, "libsodium failed to initialise");
        }
        auto dek = SecureBuffer::create(store::kKeySize);
        OUTPOST_TRY(dek);
        randombytes_buf(dek->data(), dek->size());
        dek->make_read_only();
        Envelope& env = s->m_impl->envelope;
        std::memcpy(env.db_tag.data(), store::kDbMagic.data(), store::kDbMagic.size());
        randombytes_buf(env.db_tag.data() + store::kDbMagic.size(), env.db_tag.size() - store::kDbMagic.size());
        store::KeySlot& slot = env.slots[0];
        slot.kind = store::SlotKind::kPassphrase;
        slot.seq = 1;
        slot.salt = *random_salt();
        const auto start = std::chrono::steady_clock::now();
        auto kek = derive_for_new_slot(passphrase, slot.salt, options.kdf);
        OUTPOST_TRY(kek);
        s->m_unlock_time =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
        slot.kdf = kek->kdf;
        OUTPOST_TRY(store::wrap_slot(env, slot, kek->kek, *dek));
        // The key file is written first, so a database never exists without its key.
        OUTPOST_TRY(store::write_envelope(key_path, env));
        auto vfs = CryptVfs::create(*dek, env.db_tag);
        if (!vfs.is_ok()) {
            cleanup();
            return vfs.status();
        }
        s->m_impl->vfs = std::move(*vfs);
        s->m_impl->dek = std::move(*dek);
    }
    Status st = open_connection(path, s->m_impl->vfs.get(), /*create=*/true, options, &s->m_db);
    if (st.is_ok()) {
        st = s->exec(
            "CREATE TABLE outpost_store_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
            "INSERT INTO outpost_store_meta VALUES('format_version', '1');");
    }
    if (st.is_ok() && options.encrypted) {
        auto header = read_prefix(path, 24);
        if (!header.is_ok() || header->size() < 24 || (*header)[20] != store::kReserve) {
            st = Status::error(errc::kInternal, "the database was created without room for encryption");
        }
    }
    if (!st.is_ok()) {
        cleanup();
        return st;
    }
    return s;
}

namespace {

bool nonempty(const fs::path& p) {
    std::error_code ec;
    return fs::exists(p, ec) && fs::file_size(p, ec) > 0;
}

// A WAL or rollback journal is waiting: SQLite replays or rolls it back when the store opens.
bool recovery_pending(const fs::path& path) {
    return nonempty(path_from_utf8(path_to_utf8(path) + "-wal")) ||
           nonempty(path_from_utf8(path_to_utf8(path) + "-journal"));
}

// Checks the first bytes of the database file before any key work: which kind of file it is, whether
// it belongs to this key file, and whether it is whole pages.
Status check_file_header(const fs::path& path, const Envelope* env) {
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    if (ec) {
        return Status::error(errc::kIo, "cannot read " + path_to_utf8(path) + ": " + ec.message());
    }
    auto head = read_prefix(path, 24);
    OUTPOST_TRY(head);
    if (head->size() < 16) {
        return size == 0 ? truncated(path, "the file is empty") : truncated(path, "the header is cut short");
    }
    const bool outpost_magic = std::memcmp(head->data(), store::kDbMagic.data(), store::kDbMagic.size()) == 0;
    const bool sqlite_magic = std::memcmp(head->data(), kSqliteMagic.data(), kSqliteMagic.size()) == 0;
    if (env != nullptr) {
        if (!outpost_magic) {
            return Status::error(errc::kStoreFileNotOutpost,
                                 path_to_utf8(path.filename()) + " is not an encrypted Outpost database");
        }
        if (std::memcmp(head->data(), env->db_tag.data(), env->db_tag.size()) != 0) {
            return Status::error(errc::kStoreKeyfileMismatch,
                                 "the key file belongs to a different database than " + path_to_utf8(path.filename()));
        }
    } else if (!sqlite_magic) {
        return Status::error(errc::kStoreFileNotOutpost,
                             path_to_utf8(path.filename()) + " is not a plain Outpost database");
    }
    // A crash can tear a page that a checkpoint or commit was appending, leaving part of a page at
    // the end, while the WAL or journal still holds it whole (found by records/disk_faults). Recovery
    // rewrites it; check_length() runs again once it has.
    if (size % kPageSize != 0 && !recovery_pending(path)) {
        return truncated(path, "its size is not a whole number of pages");
    }
    return Status::ok();
}

// Authenticates page 1 straight from the file and compares the page count in its header with the
// file's length. Skipped while a journal or WAL is pending: recovery may legitimately change both.
Status check_length_before_open(const fs::path& path, const CryptVfs* vfs) {
    if (recovery_pending(path)) {
        return Status::ok();
    }
    auto head = read_prefix(path, kPageSize);
    OUTPOST_TRY(head);
    if (head->size() < kPageSize) {
        return truncated(path, "the first page is cut short");
    }
    if (vfs != nullptr &&
        store::decrypt_page(vfs->keys(), store::FileKind::kDatabase, 1, 0, *head) != store::PageError::kNone) {
        return Status::error(errc::kStorePageTampered, "database page 1 failed authentication");
    }
    const std::uint8_t* h = head->data();
    // The in-header size is valid only when "version-valid-for" (92) matches the change counter (24).
    if (std::memcmp(h + 92, h + 24, 4) == 0) {
        const std::uint64_t pages = store::load_be32(h + 28);
        std::error_code ec;
        const auto size = fs::file_size(path, ec);
        if (!ec && size < pages * kPageSize) {
            return truncated(path,
                             "expected " + std::to_string(pages) + " pages, found " + std::to_string(size / kPageSize));
        }
    }
    return Status::ok();
}

}  // namespace

// Opens the connection once the data key (if any) is known, then checks the file is whole.
struct StoreOpener {
    static Result<std::unique_ptr<Store>> open(const fs::path& path, const StoreOptions& options,
                                               std::unique_ptr<Store::Impl> impl, std::chrono::milliseconds unlock) {
        std::unique_ptr<Store> s(new Store());
        s->m_path = path;
        s->m_options = options;
        s->m_impl = std::move(impl);
        s->m_unlock_time = unlock;
        if (s->m_impl->vfs == nullptr && options.encrypted) {
            auto vfs = CryptVfs::create(s->m_impl->dek, s->m_impl->envelope.db_tag);
            OUTPOST_TRY(vfs);
            s->m_impl->vfs = std::move(*vfs);
        }
        OUTPOST_TRY(check_length_before_open(path, s->m_impl->vfs.get()));
        OUTPOST_TRY(open_connection(path, s->m_impl->vfs.get(), /*create=*/false, options, &s->m_db));
        // Replay any WAL left by a crash into the database file, so the length check below and
        // verify() see every committed page.
        if (options.journal == JournalMode::kWal) {
            OUTPOST_TRY(s->exec("PRAGMA wal_checkpoint(TRUNCATE)"));
            remove_dead_journal(s->m_db, path);  // after a crash in bulk mode
        }
        OUTPOST_TRY(s->check_length());
        OUTPOST_TRY(
            s->sql_status(sqlite3_exec(s->m_db, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr),
                          "reading the schema"));
        return s;
    }
};

Result<std::unique_ptr<Store>> Store::open(const fs::path& path, std::string_view passphrase,
                                           const StoreOptions& options) {
    std::error_code ec;
    if (!fs::exists(path, ec)) {
        return Status::error(errc::kStoreFileMissing, "no store at " + path_to_utf8(path));
    }
    auto impl = std::make_unique<Impl>();
    if (!options.encrypted) {
        OUTPOST_TRY(check_file_header(path, nullptr));
        return StoreOpener::open(path, options, std::move(impl), std::chrono::milliseconds(0));
    }
    auto env = store::read_envelope(key_path_for(path));
    OUTPOST_TRY(env);
    OUTPOST_TRY(check_file_header(path, &*env));
    const auto start = std::chrono::steady_clock::now();
    Status last = Status::error(errc::kStorePassphraseWrong, "that passphrase does not unlock this store");
    for (std::size_t i = 0; i < 2; ++i) {
        const store::KeySlot& slot = env->slots[i];
        if (slot.kind != store::SlotKind::kPassphrase) {
            continue;
        }
        auto kek = store::derive_passphrase_kek(passphrase, slot.salt, slot.kdf);
        OUTPOST_TRY(kek);
        auto dek = store::unwrap_slot(*env, slot, *kek);
        if (dek.is_ok()) {
            dek->make_read_only();
            impl->dek = std::move(*dek);
            impl->envelope = *env;
            const auto took =
                std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
            return StoreOpener::open(path, options, std::move(impl), took);
        }
    }
    return Status::error(errc::kStorePassphraseWrong, "that passphrase does not unlock this store");
}

Result<std::unique_ptr<Store>> Store::open_with_recovery_code(const fs::path& path, std::string_view code,
                                                              const StoreOptions& options) {
    std::error_code ec;
    if (!fs::exists(path, ec)) {
        return Status::error(errc::kStoreFileMissing, "no store at " + path_to_utf8(path));
    }
    if (!options.encrypted) {
        return Status::error(errc::kInvalidArgument, "a plain store has no recovery code");
    }
    auto env = store::read_envelope(key_path_for(path));
    OUTPOST_TRY(env);
    OUTPOST_TRY(check_file_header(path, &*env));
    const store::KeySlot& slot = env->slots[store::kRecoverySlot];
    if (slot.kind != store::SlotKind::kRecoveryCode) {
        return Status::error(errc::kStoreRecoveryWrong, "no recovery code was set up for this store");
    }
    auto secret = store::parse_recovery_code(code);
    OUTPOST_TRY(secret);
    auto kek = store::derive_recovery_kek(*secret, slot.salt);
    OUTPOST_TRY(kek);
    auto dek = store::unwrap_slot(*env, slot, *kek);
    if (!dek.is_ok()) {
        return Status::error(errc::kStoreRecoveryWrong, "that recovery code does not unlock this store");
    }
    dek->make_read_only();
    auto impl = std::make_unique<Impl>();
    impl->dek = std::move(*dek);
    impl->envelope = *env;
    impl->by_recovery_code = true;
    return StoreOpener::open(path, options, std::move(impl), std::chrono::milliseconds(0));
}

namespace {

// Whether `passphrase` opens `env`'s live passphrase slot.
Status open_live_slot(const store::Envelope& env, std::string_view passphrase) {
    const int live = store::live_passphrase_slot(env);
    if (live < 0) {
        return Status::error(errc::kStorePassphraseWrong, "the key file has no passphrase slot");
    }
    const store::KeySlot& current = env.slots[static_cast<std::size_t>(live)];
    auto kek = store::derive_passphrase_kek(passphrase, current.salt, current.kdf);
    OUTPOST_TRY(kek);
    if (!store::unwrap_slot(env, current, *kek).is_ok()) {
        return Status::error(errc::kStorePassphraseWrong, "the current passphrase is not right");
    }
    return Status::ok();
}

}  // namespace

Status Store::check_passphrase(std::string_view passphrase) const {
    if (is_locked()) {
        return Status::error(errc::kStoreLocked, "the store is locked");
    }
    if (!m_options.encrypted) {
        return Status::error(errc::kInvalidArgument, "a plain store has no passphrase");
    }
    auto env = store::read_envelope(key_path_for(m_path));
    OUTPOST_TRY(env);
    return open_live_slot(*env, passphrase);
}

Status Store::change_passphrase(std::string_view old_passphrase, std::string_view new_passphrase) {
    if (is_locked()) {
        return Status::error(errc::kStoreLocked, "the store is locked");
    }
    if (!m_options.encrypted) {
        return Status::error(errc::kInvalidArgument, "a plain store has no passphrase");
    }
    OUTPOST_TRY(check_passphrase_length(new_passphrase, m_options.min_passphrase_length));
    // Re-read the key file: it is the source of truth, and another process may have changed it.
    auto env = store::read_envelope(key_path_for(m_path));
    OUTPOST_TRY(env);
    OUTPOST_TRY(open_live_slot(*env, old_passphrase));
    const int live = store::live_passphrase_slot(*env);
    const store::KeySlot& current = env->slots[static_cast<std::size_t>(live)];
    // A/B: the new wrap goes to the other slot; the old slot is cleared in the same atomic write.
    OUTPOST_TRY(write_passphrase_slot(*env, static_cast<std::size_t>(1 - live), current.seq + 1, new_passphrase,
                                      m_options.kdf, m_impl->dek, key_path_for(m_path)));
    m_impl->envelope = *env;
    return Status::ok();
}

Status Store::set_passphrase_after_recovery(std::string_view new_passphrase) {
    if (is_locked()) {
        return Status::error(errc::kStoreLocked, "the store is locked");
    }
    if (!m_impl->by_recovery_code) {
        return Status::error(errc::kInvalidArgument,
                             "a new passphrase without the old one needs a store opened with its recovery code");
    }
    OUTPOST_TRY(check_passphrase_length(new_passphrase, m_options.min_passphrase_length));
    auto env = store::read_envelope(key_path_for(m_path));
    OUTPOST_TRY(env);
    const int live = store::live_passphrase_slot(*env);
    const std::size_t target = live < 0 ? 0 : static_cast<std::size_t>(1 - live);
    const std::uint64_t seq = (live < 0 ? 0 : env->slots[static_cast<std::size_t>(live)].seq) + 1;
    // As change_passphrase: the other slot, and the forgotten one cleared, in one atomic write.
    OUTPOST_TRY(
        write_passphrase_slot(*env, target, seq, new_passphrase, m_options.kdf, m_impl->dek, key_path_for(m_path)));
    m_impl->envelope = *env;
    return Status::ok();
}

bool Store::has_recovery_code() const {
    return m_impl && m_impl->envelope.slots[store::kRecoverySlot].kind == store::SlotKind::kRecoveryCode;
}

Status Store::remove_recovery_code() {
    if (is_locked()) {
        return Status::error(errc::kStoreLocked, "the store is locked");
    }
    if (!m_options.encrypted) {
        return Status::ok();
    }
    auto env = store::read_envelope(key_path_for(m_path));
    OUTPOST_TRY(env);
    if (env->slots[store::kRecoverySlot].kind == store::SlotKind::kEmpty) {
        m_impl->envelope = *env;
        return Status::ok();
    }
    env->slots[store::kRecoverySlot] = store::KeySlot{};
    OUTPOST_TRY(store::write_envelope(key_path_for(m_path), *env));
    m_impl->envelope = *env;
    return Status::ok();
}

Result<std::string> Store::add_recovery_code() {
    if (is_locked()) {
        return Status::error(errc::kStoreLocked, "the store is locked");
    }
    if (!m_options.encrypted) {
        return Status::error(errc::kInvalidArgument, "a plain store has no recovery code");
    }
    auto env = store::read_envelope(key_path_for(m_path));
    OUTPOST_TRY(env);
    auto secret = SecureBuffer::create(16);
    OUTPOST_TRY(secret);
    randombytes_buf(secret->data(), secret->size());
    store::KeySlot slot;
    slot.kind = store::SlotKind::kRecoveryCode;
    slot.seq = env->slots[store::kRecoverySlot].seq + 1;
    slot.salt = *random_salt();
    auto kek = store::derive_recovery_kek(*secret, slot.salt);
    OUTPOST_TRY(kek);
    OUTPOST_TRY(store::wrap_slot(*env, slot, *kek, m_impl->dek));
    env->slots[store::kRecoverySlot] = slot;
    OUTPOST_TRY(store::write_envelope(key_path_for(m_path), *env));
    m_impl->envelope = *env;
    return store::format_recovery_code(std::span<const std::uint8_t, 16>(secret->data(), 16));
}

Status Store::verify() {
    if (is_locked()) {
        return Status::error(errc::kStoreLocked, "the store is locked");
    }
    if (m_options.journal == JournalMode::kWal) {
        OUTPOST_TRY(exec("PRAGMA wal_checkpoint(TRUNCATE)"));
    }
    OUTPOST_TRY(check_length());
    if (!m_impl->vfs) {
        return exec("PRAGMA quick_check");
    }
    std::ifstream in(m_path, std::ios::binary);
    std::vector<std::uint8_t> page(kPageSize);
    for (std::uint32_t pgno = 1; in.read(reinterpret_cast<char*>(page.data()), kPageSize); ++pgno) {
        if (store::decrypt_page(m_impl->vfs->keys(), store::FileKind::kDatabase, pgno, 0, page) !=
            store::PageError::kNone) {
            return Status::error(errc::kStorePageTampered,
                                 "database page " + std::to_string(pgno) + " failed authentication");
        }
    }
    sodium_memzero(page.data(), page.size());
    return Status::ok();
}

void Store::lock() {
    bool connection_lingers = false;
    if (m_db != nullptr) {
        // Only close: statements belong to their owners (the records engine, FTS5's own internals);
        // finalizing someone else's statement leads to a double finalize (regression test
        // "Store: regression - lock() leaves statements it does not own alone").
        if (sqlite3_close(m_db) == SQLITE_BUSY) {
            // A caller leaked a statement. The connection closes when it is finalized; until then the
            // shim must stay registered, but with its keys wiped it can no longer read or write, and
            // the decrypted pages in its cache are released now.
            sqlite3_db_release_memory(m_db);
            sqlite3_close_v2(m_db);
            connection_lingers = true;
        }
        m_db = nullptr;
    }
    if (m_impl) {
        if (connection_lingers && m_impl->vfs) {
            m_impl->vfs->wipe_keys();
            (void)m_impl->vfs.release();  // deliberately kept alive for the lingering connection
        }
        m_impl->vfs.reset();  // unregisters and wipes the page and mask keys
        m_impl->dek.wipe();
    }
}

}  // namespace outpost
