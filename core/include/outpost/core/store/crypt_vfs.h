// CryptVfs: a pure SQLite VFS shim over the system's default VFS that encrypts every page of one
// database, its rollback journal and its WAL (docs/STORAGE_FORMAT.md). It is never the default VFS:
// each instance registers under its own name and is selected with `vfs=` in the open URI.
//
// Ownership: the CryptVfs owns the subkeys (sodium_malloc'd, read-only). It must outlive every
// connection opened through it; destroying it unregisters it and wipes the keys.
// Threads: SQLite may call the shim from any thread that uses the connection; the shared state is
// immutable after creation, except the atomically updated failure record.
// Failure: authentication failure on database page 1 gives SQLITE_NOTADB, on any other database page
// SQLITE_IOERR_DATA (the page number is kept in last_bad_page()). A failure while SQLite replays a
// journal or recovers a WAL is treated like a torn write (logged through sqlite3_log), so an ordinary
// crash can never leave the database unopenable. Temp, sub-journal and super-journal files are refused.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "outpost/core/secure_buffer.h"
#include "outpost/core/status.h"
#include "outpost/core/store/format.h"

struct sqlite3_vfs;

namespace outpost::store {

class CryptVfs {
public:
    ~CryptVfs();
    CryptVfs(const CryptVfs&) = delete;
    CryptVfs& operator=(const CryptVfs&) = delete;

    // Derives the page and mask subkeys from `dek` and registers a uniquely named VFS.
    [[nodiscard]] static Result<std::unique_ptr<CryptVfs>> create(const SecureBuffer& dek, const DbTag& db_tag);

    [[nodiscard]] const std::string& name() const { return m_name; }
    [[nodiscard]] const PageKeys& keys() const { return m_keys; }
    // The last database or WAL page that failed authentication (0: none).
    [[nodiscard]] std::uint32_t last_bad_page() const { return m_last_bad_page.load(); }
    void clear_bad_page() { m_last_bad_page = 0; }

    // Internal: used by the shim's callbacks.
    void record_bad_page(std::uint32_t pgno) { m_last_bad_page = pgno; }
    [[nodiscard]] sqlite3_vfs* base() const { return m_base; }

private:
    CryptVfs() = default;

    std::string m_name;
    SecureBuffer m_page_key;
    SecureBuffer m_mask_key;
    PageKeys m_keys;
    std::atomic<std::uint32_t> m_last_bad_page{0};
    sqlite3_vfs* m_base = nullptr;
    std::unique_ptr<sqlite3_vfs> m_vfs;
};

}  // namespace outpost::store
