// Store: the encrypted local database that every record lives in (docs/STORAGE_FORMAT.md).
//
// An encrypted store is two files: `<path>` (SQLite, every page encrypted by CryptVfs) and
// `<path>.key` (the key envelope). Both must be backed up together. A plain store (encryption off, for
// tests and the benchmark floor) is `<path>` alone and runs the same code with the same PRAGMAs.
//
// Ownership: a Store owns its single SQLite connection and its keys. lock() closes the connection and
// wipes every key from memory; the Store is then unusable until reopened.
// Threads: a Store is not thread-safe; one owner thread at a time (the connection is opened NOMUTEX).
// Failure: every call returns a Status with a stable code (error_codes.h): store.passphrase.wrong,
// store.keyfile.{missing,corrupt,mismatch}, store.page.tampered (with the page), store.file.truncated,
// store.file.not_outpost, ... A wrong passphrase never modifies any file.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "outpost/core/status.h"

struct sqlite3;

namespace outpost {

struct StoreOpener;

enum class JournalMode { kWal, kDelete };

enum class KdfPolicy {
    kCalibrated,        // Argon2id tuned at creation to about 0.5-1 s (production)
    kInteractiveFloor,  // libsodium's INTERACTIVE limits exactly (tests; never lower)
};

struct StoreOptions {
    bool encrypted = true;
    JournalMode journal = JournalMode::kWal;
    KdfPolicy kdf = KdfPolicy::kCalibrated;
    // Page cache limit. 96 MiB holds a whole 100,000-record profile (about 85 MB), so reads rarely pay
    // for a decryption (docs/PERFORMANCE.md). SQLite allocates it lazily: small profiles use less.
    int cache_kib = 96 * 1024;
    std::size_t min_passphrase_length = 8;
};

// The stable code for a SQLite result code that is not about a store's pages or length:
// core.disk.full for SQLITE_FULL, core.io.failed for any other I/O error (the disk failed a read, a
// write or an fsync), store.sql.failed for everything else. Shared with the server's SQLite storage.
[[nodiscard]] std::string_view sqlite_error_code(int rc);

class Store {
public:
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    // Creates a new store; fails with store.file.exists if `path` or its key file exists.
    [[nodiscard]] static Result<std::unique_ptr<Store>> create(const std::filesystem::path& path,
                                                               std::string_view passphrase,
                                                               const StoreOptions& options = {});
    [[nodiscard]] static Result<std::unique_ptr<Store>> open(const std::filesystem::path& path,
                                                             std::string_view passphrase,
                                                             const StoreOptions& options = {});
    // Unlocks with a printed recovery code instead of the passphrase (store.recovery_code.wrong).
    [[nodiscard]] static Result<std::unique_ptr<Store>> open_with_recovery_code(const std::filesystem::path& path,
                                                                                std::string_view code,
                                                                                const StoreOptions& options = {});

    // Rewraps the data key under `new_passphrase`; only the key file changes (O(1)). The old
    // passphrase stops working. Fails with store.passphrase.wrong if `old_passphrase` is wrong.
    [[nodiscard]] Status change_passphrase(std::string_view old_passphrase, std::string_view new_passphrase);
    // Whether `passphrase` opens the key file's passphrase slot now (Argon2 once, so call it on a
    // worker): ok or store.passphrase.wrong; store.locked, core.argument.invalid for a plain store.
    [[nodiscard]] Status check_passphrase(std::string_view passphrase) const;

    // Adds (or replaces) the recovery-code keyslot and returns the code to print. Shown once.
    [[nodiscard]] Result<std::string> add_recovery_code();
    // Clears the recovery-code keyslot (the code stops working); ok when there is none.
    [[nodiscard]] Status remove_recovery_code();
    // True when the key file (as last read or written by this store) has a recovery-code slot.
    [[nodiscard]] bool has_recovery_code() const;
    // For a store opened with open_with_recovery_code only (core.argument.invalid otherwise): wraps the
    // data key under `new_passphrase` (Argon2) and clears the forgotten passphrase's slot, in one
    // atomic write of the key file. The recovery-code slot is kept; the database is not touched.
    // store.passphrase.too_short below the store's minimum length.
    [[nodiscard]] Status set_passphrase_after_recovery(std::string_view new_passphrase);

    // Reads and authenticates every page of the database file (after a checkpoint), and checks its
    // length: ok, store.page.tampered naming the first bad page, or store.file.truncated.
    [[nodiscard]] Status verify();

    // Closes the connection and wipes the keys.
    void lock();
    [[nodiscard]] bool is_locked() const { return m_db == nullptr; }

    // Runs one or more SQL statements without results.
    [[nodiscard]] Status exec(std::string_view sql);
    // Maps a SQLite result code from this store's connection to a Status (store.page.tampered with
    // the page for authentication failures, store.sql.failed otherwise).
    [[nodiscard]] Status sql_status(int rc, std::string_view what) const;

    // The connection, for the records engine. nullptr once locked. Do not close it.
    [[nodiscard]] sqlite3* handle() const { return m_db; }
    [[nodiscard]] const std::filesystem::path& path() const { return m_path; }
    [[nodiscard]] bool encrypted() const { return m_options.encrypted; }
    // Time spent in Argon2id for the last unlock or create (0 for plain stores).
    [[nodiscard]] std::chrono::milliseconds unlock_time() const { return m_unlock_time; }

    // What the encryption shim has done since this store was opened (all zero for a plain store).
    struct CryptCounters {
        std::uint64_t pages_encrypted = 0;
        std::uint64_t pages_decrypted = 0;
        std::uint64_t frame_cache_hits = 0;
        std::uint64_t context_reads = 0;
        std::uint64_t sealed_reused = 0;
    };
    [[nodiscard]] CryptCounters crypt_counters() const;

    // The production PRAGMAs applied to every connection, as "name=value" pairs (for the benchmark).
    [[nodiscard]] static std::string pragma_summary(const StoreOptions& options);
    // Bulk mode, for a first sync that writes a whole team into a store that holds little. A WAL store
    // switches to a rollback journal (journal_mode=TRUNCATE, synchronous still FULL, so every commit
    // is as durable as before): a page new to the file is then written, and encrypted, once, straight
    // into the database, with nothing to journal; in WAL mode it is written to the WAL and written
    // again by the checkpoint. A crash leaves a hot journal that the next open rolls back before it
    // returns the store to WAL. Off returns to WAL with the production settings and removes the
    // empty journal file. Either way fails with store.sql.failed, changing nothing, while a
    // transaction is open. A store opened in rollback-journal mode ignores both.
    // Threads: the connection's thread, no statement open.
    [[nodiscard]] Status set_bulk_mode(bool on);

    [[nodiscard]] static std::filesystem::path key_path_for(const std::filesystem::path& db_path);

    struct Impl;

private:
    friend struct StoreOpener;
    Store() = default;
    // store.file.truncated when the file is not whole pages or shorter than its header's page count.
    [[nodiscard]] Status check_length() const;
    std::filesystem::path m_path;
    StoreOptions m_options;
    sqlite3* m_db = nullptr;
    std::chrono::milliseconds m_unlock_time{0};
    std::unique_ptr<Impl> m_impl;
};

}  // namespace outpost
