#include "outpost/core/store/crypt_vfs.h"

#include <sodium.h>
#include <sqlite3.h>

#include <cstdlib>
#include <cstring>
#include <new>

#include "frame_cache.h"
#include "outpost/core/error_codes.h"

namespace outpost::store {
namespace {

constexpr std::uint32_t kFrameSize = kWalFrameHeaderSize + kPageSize;
std::atomic<unsigned> g_vfs_counter{0};

struct CryptFile {
    sqlite3_file base;  // must be first: SQLite sees this
    CryptVfs* vfs;
    FileKind kind;
    std::uint8_t* scratch;  // kFrameSize bytes
    // The last page number written in a WAL frame header or journal record, and where: SQLite writes it
    // just before the page itself, so the page write need not read it back from the file.
    sqlite3_int64 last_pgno_offset;
    std::uint32_t last_pgno;
    // Journal only: where the last record page was read and written. A record's checksum is the 4
    // bytes right after its page, and SQLite reads and writes it just after the page; other 4-byte
    // fields (a later header's nonce and sizes) can sit at the same offsets modulo 8.
    sqlite3_int64 last_journal_page_read;
    sqlite3_int64 last_journal_page_written;
    FrameCache* frames;  // WAL only
    [[nodiscard]] sqlite3_file* real() {
        return reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(this) + sizeof(CryptFile));
    }
};
static_assert(sizeof(CryptFile) % 8 == 0, "the real file that follows must stay aligned");

CryptFile* cf(sqlite3_file* f) {
    return reinterpret_cast<CryptFile*>(f);
}

// Encrypts the plaintext page `plain` into `out` (the file's scratch page).
PageError encrypt(CryptFile* f, FileKind kind, std::uint32_t pgno, std::uint64_t frame, const std::uint8_t* plain,
                  std::uint8_t* out) {
    f->vfs->count_encrypt();
    return encrypt_page_to(f->vfs->keys(), kind, pgno, frame, {plain, kPageSize}, {out, kPageSize});
}

PageError decrypt(CryptFile* f, FileKind kind, std::uint32_t pgno, std::uint64_t frame, std::uint8_t* page) {
    f->vfs->count_decrypt();
    return decrypt_page(f->vfs->keys(), kind, pgno, frame, {page, kPageSize});
}

int real_read(CryptFile* f, void* buf, int amt, sqlite3_int64 off) {
    return f->real()->pMethods->xRead(f->real(), buf, amt, off);
}

// Reads `n` bytes that the shim needs as context (a page number, salts, a nonce) from the file.
bool read_context(CryptFile* f, std::uint8_t* out, int n, sqlite3_int64 off) {
    f->vfs->count_context_read();
    return off >= 0 && real_read(f, out, n, off) == SQLITE_OK;
}

// The page number stored at `off` (a WAL frame header or a journal record), from the write just made
// if it was there, otherwise from the file.
bool page_number_at(CryptFile* f, sqlite3_int64 off, std::uint32_t* out) {
    if (off == f->last_pgno_offset) {
        *out = f->last_pgno;
        return true;
    }
    std::uint8_t pg[4];
    if (!read_context(f, pg, 4, off)) {
        return false;
    }
    *out = load_be32(pg);
    return true;
}

void log_shape(const char* what, const CryptFile* f, int amt, sqlite3_int64 off) {
    sqlite3_log(SQLITE_IOERR, "outpost-crypt: refusing unexpected %s of %d bytes at %lld in %c file", what, amt,
                static_cast<long long>(off), static_cast<char>(f->kind));
}

void mask_wal_checksums(CryptFile* f, std::uint8_t* frame_header, std::uint64_t frame) {
    std::uint8_t ctx[1 + 8 + 8];
    ctx[0] = 'W';
    std::memcpy(ctx + 1, frame_header + 8, 8);  // salts
    for (int i = 0; i < 8; ++i) {
        ctx[9 + i] = static_cast<std::uint8_t>(frame >> (8 * i));
    }
    apply_mask(f->vfs->keys(), ctx, std::span<std::uint8_t>(frame_header + 16, 8));
}

void mask_journal_checksum(CryptFile* f, std::uint8_t* cksum, const std::uint8_t* nonce) {
    std::uint8_t ctx[1 + kNonceSize];
    ctx[0] = 'J';
    std::memcpy(ctx + 1, nonce, kNonceSize);
    apply_mask(f->vfs->keys(), ctx, std::span<std::uint8_t>(cksum, 4));
}

// ---- database file ------------------------------------------------------------------------------

int db_read(CryptFile* f, std::uint8_t* buf, int amt, sqlite3_int64 off) {
    const auto within = static_cast<std::uint32_t>(off % kPageSize);
    if (amt <= 0 || within + static_cast<std::uint32_t>(amt) > kPageSize) {
        log_shape("read", f, amt, off);
        return SQLITE_IOERR_READ;
    }
    const auto pgno = static_cast<std::uint32_t>(off / kPageSize) + 1;
    std::uint8_t* page = (within == 0 && amt == static_cast<int>(kPageSize)) ? buf : f->scratch;
    int rc = real_read(f, page, static_cast<int>(kPageSize), off - within);
    if (rc == SQLITE_IOERR_SHORT_READ) {
        std::memset(buf, 0, static_cast<std::size_t>(amt));  // past end of file: legitimately empty
        return rc;
    }
    if (rc != SQLITE_OK) {
        return rc;
    }
    if (decrypt(f, FileKind::kDatabase, pgno, 0, page) != PageError::kNone) {
        if (pgno == 1 && page != buf) {
            // A part of page 1 (the 100-byte header SQLite reads when it opens the file, the change
            // counter before a read transaction) is only a hint: SQLite reads page 1 whole before it
            // uses it, from the WAL when the WAL holds it. A crash can tear page 1 in the file while
            // a checkpoint writes it, with the whole page still in the WAL; failing here would make
            // that store unopenable (found by the torn-write test in records/disk_faults). So the part
            // reads as empty, and the whole read still fails closed: a tampered page 1 is refused.
            sqlite3_log(SQLITE_IOERR_DATA, "outpost-crypt: database page 1 failed authentication (partial read)");
            std::memset(buf, 0, static_cast<std::size_t>(amt));
            return SQLITE_IOERR_SHORT_READ;
        }
        f->vfs->record_bad_page(pgno);
        sqlite3_log(SQLITE_IOERR_DATA, "outpost-crypt: database page %u failed authentication", pgno);
        std::memset(buf, 0, static_cast<std::size_t>(amt));
        return pgno == 1 ? SQLITE_NOTADB : SQLITE_IOERR_DATA;
    }
    if (page != buf) {
        std::memcpy(buf, page + within, static_cast<std::size_t>(amt));
    }
    return SQLITE_OK;
}

int db_write(CryptFile* f, const std::uint8_t* buf, int amt, sqlite3_int64 off) {
    if (amt != static_cast<int>(kPageSize) || off % kPageSize != 0) {
        log_shape("write", f, amt, off);
        return SQLITE_IOERR_WRITE;
    }
    const auto pgno = static_cast<std::uint32_t>(off / kPageSize) + 1;
    if (pgno == 1) {
        // Fail closed: never write a page 1 whose geometry leaves no room for the nonce and tag.
        const std::uint32_t page_size = (std::uint32_t{buf[16]} << 8) | buf[17];
        if (page_size != kPageSize || buf[20] != kReserve) {
            sqlite3_log(SQLITE_IOERR_WRITE, "outpost-crypt: refusing page 1 with page size %u and reserve %u",
                        page_size, unsigned{buf[20]});
            return SQLITE_IOERR_WRITE;
        }
    }
    // At checkpoint, the worker may already have encrypted exactly this page as a database page.
    FrameCache* frames = f->vfs->active_frames();
    if (frames != nullptr && frames->take_sealed(pgno, buf, f->scratch)) {
        f->vfs->count_sealed_reuse();
        return f->real()->pMethods->xWrite(f->real(), f->scratch, amt, off);
    }
    if (encrypt(f, FileKind::kDatabase, pgno, 0, buf, f->scratch) != PageError::kNone) {
        return SQLITE_IOERR_WRITE;
    }
    return f->real()->pMethods->xWrite(f->real(), f->scratch, amt, off);
}

// ---- rollback journal ---------------------------------------------------------------------------
// Records are pgno(4) | page | checksum(4) after sector-aligned headers, so page data always starts
// at an offset = 4 (mod 8); headers and page numbers sit at 0 (mod 8). A checksum is recognised by
// its place right after the page just read or written, not by its offset alone: a journal that
// grew past one header (a transaction that spilled pages before COMMIT) has header fields at
// 4 (mod 8) too, and unmasking those stopped SQLite's playback half-way (regression test in
// store_crash_test.cpp).

bool journal_page(int amt, sqlite3_int64 off) {
    return amt == static_cast<int>(kPageSize) && off % 8 == 4 && off >= 4;
}
bool journal_cksum(int amt, sqlite3_int64 off, sqlite3_int64 page_off) {
    return amt == 4 && page_off >= 0 && off == page_off + static_cast<sqlite3_int64>(kPageSize);
}

int journal_read(CryptFile* f, std::uint8_t* buf, int amt, sqlite3_int64 off) {
    int rc = real_read(f, buf, amt, off);
    if (rc != SQLITE_OK) {
        return rc;
    }
    if (journal_page(amt, off)) {
        std::uint8_t pg[4];
        if (!read_context(f, pg, 4, off - 4) ||
            decrypt(f, FileKind::kJournal, load_be32(pg), 0, buf) != PageError::kNone) {
            // Like a torn write: SQLite's journal checksum will not match and playback stops here.
            sqlite3_log(SQLITE_IOERR_DATA, "outpost-crypt: journal page at %lld failed authentication",
                        static_cast<long long>(off));
            std::memset(buf, 0, kPageSize);
        }
        f->last_journal_page_read = off;
    } else if (journal_cksum(amt, off, f->last_journal_page_read)) {
        std::uint8_t nonce[kNonceSize];
        if (read_context(f, nonce, kNonceSize, off - 40)) {
            mask_journal_checksum(f, buf, nonce);
        }
    }
    return SQLITE_OK;
}

int journal_write(CryptFile* f, const std::uint8_t* buf, int amt, sqlite3_int64 off) {
    if (journal_page(amt, off)) {
        std::uint32_t pgno = 0;
        if (!page_number_at(f, off - 4, &pgno)) {
            log_shape("journal write without page number", f, amt, off);
            return SQLITE_IOERR_WRITE;
        }
        if (encrypt(f, FileKind::kJournal, pgno, 0, buf, f->scratch) != PageError::kNone) {
            return SQLITE_IOERR_WRITE;  // keys wiped: fail closed
        }
        f->last_journal_page_written = off;
        return f->real()->pMethods->xWrite(f->real(), f->scratch, amt, off);
    }
    if (journal_cksum(amt, off, f->last_journal_page_written)) {
        std::uint8_t nonce[kNonceSize];
        if (!read_context(f, nonce, kNonceSize, off - 40)) {
            log_shape("journal checksum without page", f, amt, off);
            return SQLITE_IOERR_WRITE;
        }
        std::uint8_t cksum[4];
        std::memcpy(cksum, buf, 4);
        mask_journal_checksum(f, cksum, nonce);
        return f->real()->pMethods->xWrite(f->real(), cksum, amt, off);
    }
    if (amt == 4 && off % 8 == 0) {
        f->last_pgno_offset = off;  // possibly a record's page number; remembered, never trusted blindly
        f->last_pgno = load_be32(buf);
    }
    return f->real()->pMethods->xWrite(f->real(), buf, amt, off);  // headers and page numbers
}

// ---- write-ahead log ----------------------------------------------------------------------------

int wal_read(CryptFile* f, std::uint8_t* buf, int amt, sqlite3_int64 off) {
    if (off < kWalHeaderSize) {
        if (off + amt > kWalHeaderSize) {
            log_shape("read", f, amt, off);
            return SQLITE_IOERR_READ;
        }
        return real_read(f, buf, amt, off);
    }
    const auto rel = static_cast<std::uint64_t>(off - kWalHeaderSize);
    const std::uint64_t frame = rel / kFrameSize;
    const std::uint64_t within = rel % kFrameSize;
    if (within == kWalFrameHeaderSize && amt == static_cast<int>(kPageSize)) {
        if (f->frames->read(frame, buf)) {
            f->vfs->count_cache_hit();
            return SQLITE_OK;
        }
    }
    int rc = real_read(f, buf, amt, off);
    if (rc != SQLITE_OK) {
        return rc;
    }
    if (within == 0 && amt == static_cast<int>(kWalFrameHeaderSize)) {
        mask_wal_checksums(f, buf, frame);
    } else if (within == 0 && amt == static_cast<int>(kFrameSize)) {
        // Recovery and checksum rewriting read whole frames. A frame that fails authentication is
        // handled like a torn write: its checksum will not verify and recovery stops before it.
        mask_wal_checksums(f, buf, frame);
        if (decrypt(f, FileKind::kWal, load_be32(buf), frame, buf + kWalFrameHeaderSize) != PageError::kNone) {
            sqlite3_log(SQLITE_IOERR_DATA, "outpost-crypt: WAL frame %llu failed authentication",
                        static_cast<unsigned long long>(frame));
            std::memset(buf + kWalFrameHeaderSize, 0, kPageSize);
        }
    } else if (within == kWalFrameHeaderSize && amt == static_cast<int>(kPageSize)) {
        std::uint8_t pg[4];
        if (!read_context(f, pg, 4, off - kWalFrameHeaderSize)) {
            return SQLITE_IOERR_READ;
        }
        const std::uint32_t pgno = load_be32(pg);
        if (decrypt(f, FileKind::kWal, pgno, frame, buf) != PageError::kNone) {
            f->vfs->record_bad_page(pgno);
            sqlite3_log(SQLITE_IOERR_DATA, "outpost-crypt: page %u in WAL frame %llu failed authentication", pgno,
                        static_cast<unsigned long long>(frame));
            std::memset(buf, 0, kPageSize);
            return SQLITE_IOERR_DATA;
        }
    } else if (within == 16 && amt == 8) {
        std::uint8_t header[kWalFrameHeaderSize];
        if (!read_context(f, header + 8, 8, off - 8)) {
            return SQLITE_IOERR_READ;
        }
        std::memcpy(header + 16, buf, 8);
        mask_wal_checksums(f, header, frame);
        std::memcpy(buf, header + 16, 8);
    } else {
        log_shape("read", f, amt, off);
        return SQLITE_IOERR_READ;
    }
    return SQLITE_OK;
}

int wal_write(CryptFile* f, const std::uint8_t* buf, int amt, sqlite3_int64 off) {
    if (off == 0 && amt == static_cast<int>(kWalHeaderSize)) {
        f->frames->invalidate_from(0);  // a new WAL generation: every frame will be rewritten
        return f->real()->pMethods->xWrite(f->real(), buf, amt, off);
    }
    if (off < kWalHeaderSize) {
        log_shape("write", f, amt, off);
        return SQLITE_IOERR_WRITE;
    }
    const auto rel = static_cast<std::uint64_t>(off - kWalHeaderSize);
    const std::uint64_t frame = rel / kFrameSize;
    const std::uint64_t within = rel % kFrameSize;
    if (within == 0 && (amt == static_cast<int>(kWalFrameHeaderSize) || amt == static_cast<int>(kFrameSize))) {
        std::memcpy(f->scratch, buf, static_cast<std::size_t>(amt));
        mask_wal_checksums(f, f->scratch, frame);
        f->last_pgno_offset = off;
        f->last_pgno = load_be32(buf);
        if (amt == static_cast<int>(kFrameSize)) {
            f->frames->invalidate_from(frame);  // conservative: this shape is not one SQLite uses
            if (encrypt(f, FileKind::kWal, load_be32(buf), frame, buf + kWalFrameHeaderSize,
                        f->scratch + kWalFrameHeaderSize) != PageError::kNone) {
                return SQLITE_IOERR_WRITE;  // keys wiped: the scratch still holds the plaintext page
            }
        }
        return f->real()->pMethods->xWrite(f->real(), f->scratch, amt, off);
    }
    if (within == kWalFrameHeaderSize && amt == static_cast<int>(kPageSize)) {
        std::uint32_t pgno = 0;
        if (!page_number_at(f, off - kWalFrameHeaderSize, &pgno)) {
            log_shape("WAL page write without frame header", f, amt, off);
            return SQLITE_IOERR_WRITE;
        }
        if (encrypt(f, FileKind::kWal, pgno, frame, buf, f->scratch) != PageError::kNone) {
            f->frames->invalidate_from(frame);
            return SQLITE_IOERR_WRITE;  // keys wiped: fail closed (regression test in store_test.cpp)
        }
        const int rc = f->real()->pMethods->xWrite(f->real(), f->scratch, amt, off);
        if (rc == SQLITE_OK) {
            f->frames->put(frame, pgno, buf);
        } else {
            f->frames->invalidate_from(frame);
        }
        return rc;
    }
    log_shape("write", f, amt, off);
    return SQLITE_IOERR_WRITE;
}

// ---- sqlite3_io_methods -------------------------------------------------------------------------

int x_close(sqlite3_file* file) {
    CryptFile* f = cf(file);
    int rc = f->real()->pMethods->xClose(f->real());
    std::free(f->scratch);
    f->scratch = nullptr;
    if (f->frames != nullptr) {
        f->vfs->set_active_frames(nullptr);
        delete f->frames;  // joins the sealing worker and wipes the plaintext
        f->frames = nullptr;
    }
    return rc;
}

int x_read(sqlite3_file* file, void* buf, int amt, sqlite3_int64 off) {
    CryptFile* f = cf(file);
    auto* b = static_cast<std::uint8_t*>(buf);
    switch (f->kind) {
        case FileKind::kDatabase:
            return db_read(f, b, amt, off);
        case FileKind::kJournal:
            return journal_read(f, b, amt, off);
        case FileKind::kWal:
            return wal_read(f, b, amt, off);
    }
    return SQLITE_IOERR_READ;
}

int x_write(sqlite3_file* file, const void* buf, int amt, sqlite3_int64 off) {
    CryptFile* f = cf(file);
    if (f->last_pgno_offset >= off && f->last_pgno_offset < off + amt) {
        f->last_pgno_offset = -1;  // overwritten; the handlers below record it again when it is a page number
    }
    const auto* b = static_cast<const std::uint8_t*>(buf);
    switch (f->kind) {
        case FileKind::kDatabase:
            return db_write(f, b, amt, off);
        case FileKind::kJournal:
            return journal_write(f, b, amt, off);
        case FileKind::kWal:
            return wal_write(f, b, amt, off);
    }
    return SQLITE_IOERR_WRITE;
}

int x_truncate(sqlite3_file* file, sqlite3_int64 size) {
    CryptFile* f = cf(file);
    f->last_journal_page_read = -1;
    f->last_journal_page_written = -1;
    return f->real()->pMethods->xTruncate(f->real(), size);
}
int x_sync(sqlite3_file* file, int flags) {
    return cf(file)->real()->pMethods->xSync(cf(file)->real(), flags);
}
int x_file_size(sqlite3_file* file, sqlite3_int64* size) {
    return cf(file)->real()->pMethods->xFileSize(cf(file)->real(), size);
}
int x_lock(sqlite3_file* file, int lock) {
    return cf(file)->real()->pMethods->xLock(cf(file)->real(), lock);
}
int x_unlock(sqlite3_file* file, int lock) {
    return cf(file)->real()->pMethods->xUnlock(cf(file)->real(), lock);
}
int x_check_reserved(sqlite3_file* file, int* out) {
    return cf(file)->real()->pMethods->xCheckReservedLock(cf(file)->real(), out);
}

int x_file_control(sqlite3_file* file, int op, void* arg) {
    CryptFile* f = cf(file);
    if (op == SQLITE_FCNTL_MMAP_SIZE) {
        *static_cast<sqlite3_int64*>(arg) = 0;  // memory mapping would bypass decryption
        return SQLITE_OK;
    }
    if (op == SQLITE_FCNTL_PRAGMA) {
        char** a = static_cast<char**>(arg);
        if (a[1] != nullptr && sqlite3_stricmp(a[1], "page_size") == 0 && a[2] != nullptr &&
            std::atoi(a[2]) != static_cast<int>(kPageSize)) {
            a[0] = sqlite3_mprintf("the encrypted store's page size is fixed at %u", kPageSize);
            return SQLITE_ERROR;
        }
    }
    return f->real()->pMethods->xFileControl(f->real(), op, arg);
}

int x_sector_size(sqlite3_file* file) {
    return cf(file)->real()->pMethods->xSectorSize(cf(file)->real());
}
int x_device_characteristics(sqlite3_file* file) {
    // Power-safe overwrite keeps SQLite from splitting WAL writes at sector boundaries.
    return cf(file)->real()->pMethods->xDeviceCharacteristics(cf(file)->real()) | SQLITE_IOCAP_POWERSAFE_OVERWRITE;
}
int x_shm_map(sqlite3_file* file, int page, int size, int extend, void volatile** out) {
    return cf(file)->real()->pMethods->xShmMap(cf(file)->real(), page, size, extend, out);
}
int x_shm_lock(sqlite3_file* file, int offset, int n, int flags) {
    return cf(file)->real()->pMethods->xShmLock(cf(file)->real(), offset, n, flags);
}
void x_shm_barrier(sqlite3_file* file) {
    cf(file)->real()->pMethods->xShmBarrier(cf(file)->real());
}
int x_shm_unmap(sqlite3_file* file, int del) {
    return cf(file)->real()->pMethods->xShmUnmap(cf(file)->real(), del);
}
int x_fetch(sqlite3_file*, sqlite3_int64, int, void** out) {
    *out = nullptr;  // never hand out mapped (ciphertext) pages
    return SQLITE_OK;
}
int x_unfetch(sqlite3_file*, sqlite3_int64, void*) {
    return SQLITE_OK;
}

const sqlite3_io_methods kIoMethods = {
    3,
    x_close,
    x_read,
    x_write,
    x_truncate,
    x_sync,
    x_file_size,
    x_lock,
    x_unlock,
    x_check_reserved,
    x_file_control,
    x_sector_size,
    x_device_characteristics,
    x_shm_map,
    x_shm_lock,
    x_shm_barrier,
    x_shm_unmap,
    x_fetch,
    x_unfetch,
};

// ---- sqlite3_vfs --------------------------------------------------------------------------------

CryptVfs* owner(sqlite3_vfs* vfs) {
    return static_cast<CryptVfs*>(vfs->pAppData);
}

int x_open(sqlite3_vfs* vfs, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
    CryptVfs* self = owner(vfs);
    CryptFile* f = cf(file);
    f->base.pMethods = nullptr;
    FileKind kind;
    if ((flags & SQLITE_OPEN_MAIN_DB) != 0) {
        kind = FileKind::kDatabase;
    } else if ((flags & SQLITE_OPEN_MAIN_JOURNAL) != 0) {
        kind = FileKind::kJournal;
    } else if ((flags & SQLITE_OPEN_WAL) != 0) {
        kind = FileKind::kWal;
    } else {
        // Temp databases, statement journals, super-journals: they would hold plaintext.
        sqlite3_log(SQLITE_CANTOPEN, "outpost-crypt: refusing to open a temporary or auxiliary file (flags %x)", flags);
        return SQLITE_CANTOPEN;
    }
    if (name == nullptr) {
        return SQLITE_CANTOPEN;
    }
    f->vfs = self;
    f->kind = kind;
    f->last_pgno_offset = -1;
    f->last_pgno = 0;
    f->last_journal_page_read = -1;
    f->last_journal_page_written = -1;
    f->frames = nullptr;
    f->scratch = static_cast<std::uint8_t*>(std::malloc(kFrameSize));
    if (f->scratch == nullptr) {
        return SQLITE_NOMEM;
    }
    if (kind == FileKind::kWal) {
        f->frames = new (std::nothrow) FrameCache(self->keys());
        if (f->frames == nullptr) {
            std::free(f->scratch);
            return SQLITE_NOMEM;
        }
    }
    sqlite3_vfs* base = self->base();
    int rc = base->xOpen(base, name, f->real(), flags, out_flags);
    if (rc != SQLITE_OK) {
        std::free(f->scratch);
        f->scratch = nullptr;
        delete f->frames;
        f->frames = nullptr;
        return rc;
    }
    f->base.pMethods = &kIoMethods;
    if (f->frames != nullptr) {
        self->set_active_frames(f->frames);
    }
    return SQLITE_OK;
}

int x_delete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
    sqlite3_vfs* b = owner(vfs)->base();
    return b->xDelete(b, name, sync_dir);
}
int x_access(sqlite3_vfs* vfs, const char* name, int flags, int* out) {
    sqlite3_vfs* b = owner(vfs)->base();
    return b->xAccess(b, name, flags, out);
}
int x_full_pathname(sqlite3_vfs* vfs, const char* name, int n, char* out) {
    sqlite3_vfs* b = owner(vfs)->base();
    return b->xFullPathname(b, name, n, out);
}
void* x_dl_open(sqlite3_vfs* vfs, const char* name) {
    sqlite3_vfs* b = owner(vfs)->base();
    return b->xDlOpen(b, name);
}
void x_dl_error(sqlite3_vfs* vfs, int n, char* out) {
    sqlite3_vfs* b = owner(vfs)->base();
    b->xDlError(b, n, out);
}
void (*x_dl_sym(sqlite3_vfs* vfs, void* h, const char* sym))(void) {
    sqlite3_vfs* b = owner(vfs)->base();
    return b->xDlSym(b, h, sym);
}
void x_dl_close(sqlite3_vfs* vfs, void* h) {
    sqlite3_vfs* b = owner(vfs)->base();
    b->xDlClose(b, h);
}
int x_randomness(sqlite3_vfs* vfs, int n, char* out) {
    sqlite3_vfs* b = owner(vfs)->base();
    return b->xRandomness(b, n, out);
}
int x_sleep(sqlite3_vfs* vfs, int us) {
    sqlite3_vfs* b = owner(vfs)->base();
    return b->xSleep(b, us);
}
int x_current_time(sqlite3_vfs* vfs, double* out) {
    sqlite3_vfs* b = owner(vfs)->base();
    return b->xCurrentTime(b, out);
}
int x_get_last_error(sqlite3_vfs* vfs, int n, char* out) {
    sqlite3_vfs* b = owner(vfs)->base();
    return b->xGetLastError != nullptr ? b->xGetLastError(b, n, out) : 0;
}
int x_current_time_int64(sqlite3_vfs* vfs, sqlite3_int64* out) {
    sqlite3_vfs* b = owner(vfs)->base();
    return b->xCurrentTimeInt64(b, out);
}

}  // namespace

Result<std::unique_ptr<CryptVfs>> CryptVfs::create(const SecureBuffer& dek, const DbTag& db_tag) {
    if (sodium_init() < 0) {
        return Status::error(errc::kInternal, "libsodium failed to initialise");
    }
    if (dek.size() != kKeySize) {
        return Status::error(errc::kInvalidArgument, "data key has the wrong size");
    }
    sqlite3_vfs* base = sqlite3_vfs_find(nullptr);
    if (base == nullptr || base->iVersion < 2) {
        return Status::error(errc::kInternal, "no usable default SQLite VFS");
    }
    std::unique_ptr<CryptVfs> self(new CryptVfs());
    self->m_base = base;
    auto page_key = SecureBuffer::create(kKeySize);
    auto mask_key = SecureBuffer::create(kKeySize);
    if (!page_key.is_ok() || !mask_key.is_ok()) {
        return Status::error(errc::kInternal, "cannot allocate secure memory for keys");
    }
    crypto_kdf_derive_from_key(page_key->data(), kKeySize, 1, "outpostp", dek.data());
    crypto_kdf_derive_from_key(mask_key->data(), kKeySize, 2, "outpostm", dek.data());
    page_key->make_read_only();
    mask_key->make_read_only();
    self->m_page_key = std::move(*page_key);
    self->m_mask_key = std::move(*mask_key);
    self->m_keys.page_key = self->m_page_key.data();
    self->m_keys.mask_key = self->m_mask_key.data();
    self->m_keys.db_tag = db_tag;
    self->m_name = "outpost-crypt-" + std::to_string(g_vfs_counter.fetch_add(1));

    auto vfs = std::make_unique<sqlite3_vfs>();
    std::memset(vfs.get(), 0, sizeof(sqlite3_vfs));
    vfs->iVersion = 2;
    vfs->szOsFile = static_cast<int>(sizeof(CryptFile)) + base->szOsFile;
    vfs->mxPathname = base->mxPathname;
    vfs->zName = self->m_name.c_str();
    vfs->pAppData = self.get();
    vfs->xOpen = x_open;
    vfs->xDelete = x_delete;
    vfs->xAccess = x_access;
    vfs->xFullPathname = x_full_pathname;
    vfs->xDlOpen = x_dl_open;
    vfs->xDlError = x_dl_error;
    vfs->xDlSym = x_dl_sym;
    vfs->xDlClose = x_dl_close;
    vfs->xRandomness = x_randomness;
    vfs->xSleep = x_sleep;
    vfs->xCurrentTime = x_current_time;
    vfs->xGetLastError = x_get_last_error;
    vfs->xCurrentTimeInt64 = x_current_time_int64;
    if (sqlite3_vfs_register(vfs.get(), /*makeDflt=*/0) != SQLITE_OK) {
        return Status::error(errc::kInternal, "cannot register the encryption VFS");
    }
    self->m_vfs = std::move(vfs);
    return self;
}

void CryptVfs::wipe_keys() {
    if (m_active_frames != nullptr) {
        m_active_frames->forget_keys();  // its sealing worker holds the key pointers
    }
    m_keys.page_key = nullptr;
    m_keys.mask_key = nullptr;
    m_page_key.wipe();
    m_mask_key.wipe();
}

CryptVfs::~CryptVfs() {
    if (m_vfs) {
        sqlite3_vfs_unregister(m_vfs.get());
    }
    // m_page_key / m_mask_key wipe themselves (sodium_free zeroes).
}

}  // namespace outpost::store
