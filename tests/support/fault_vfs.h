// FaultVfs: a fault-injecting SQLite VFS for the disk-fault tests (issue #11).
//
// install() registers it as the process's default VFS, over the real one (unix). Every call passes
// through unchanged, except for files whose path starts with the armed directory, where it fails on
// demand. Because it takes the default slot, both the encryption shim (CryptVfs wraps whatever VFS is
// the default when a store opens) and the server's plain SQLite connections sit on top of it, with
// no change to production code: faults arrive underneath encryption, as a failing disk's would.
//
// Faults, each after `after` matching calls have passed, and then on every matching call until
// disarm() (a disk that has failed stays failed), except kTear:
//   kWriteError  xWrite answers SQLITE_IOERR_WRITE and writes nothing.
//   kSyncError   xSync answers SQLITE_IOERR_FSYNC (the data was written, but its durability is not
//                known: what a failing fsync() really says).
//   kDiskFull    a write or truncate that would make a file longer answers SQLITE_FULL; writes inside
//                a file's present length still succeed, as on a disk with no free blocks left.
//   kTear        one write puts only its first `tear_bytes` bytes on disk, then the process ends at
//                once with os::exit_now(kTornExit): a crash in the middle of a write. For child
//                processes (child_process.h).
// `suffix`, when set, limits the fault to files whose name ends with it ("-wal", "-journal", ".db").
//
// Threads: arm/disarm/counters may be called from any thread; SQLite may call the VFS from any.
// Ownership: the VFS lives for the whole process once installed (SQLite keeps a pointer to it).
#pragma once

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>

#include "outpost/platform/child_process.h"
#include "outpost/platform/utf8.h"

namespace outpost::testing {

class FaultVfs {
public:
    enum class Fault { kNone, kWriteError, kSyncError, kDiskFull, kTear };
    static constexpr int kTornExit = 42;

    // Registers the VFS as the default (once per process) and returns it.
    static FaultVfs& install() {
        static FaultVfs* self = [] {
            auto* v = new FaultVfs();  // lives for the process: SQLite keeps pointers to it
            v->m_real = sqlite3_vfs_find(nullptr);
            std::memset(&v->m_vfs, 0, sizeof v->m_vfs);
            v->m_vfs.iVersion = 2;
            v->m_vfs.szOsFile = static_cast<int>(sizeof(File)) + v->m_real->szOsFile;
            v->m_vfs.mxPathname = v->m_real->mxPathname;
            v->m_vfs.zName = "outpost-test-faults";
            v->m_vfs.pAppData = v;
            v->m_vfs.xOpen = x_open;
            v->m_vfs.xDelete = [](sqlite3_vfs* p, const char* n, int s) { return real(p)->xDelete(real(p), n, s); };
            v->m_vfs.xAccess = [](sqlite3_vfs* p, const char* n, int f, int* o) {
                return real(p)->xAccess(real(p), n, f, o);
            };
            v->m_vfs.xFullPathname = [](sqlite3_vfs* p, const char* n, int k, char* o) {
                return real(p)->xFullPathname(real(p), n, k, o);
            };
            v->m_vfs.xDlOpen = [](sqlite3_vfs* p, const char* n) { return real(p)->xDlOpen(real(p), n); };
            v->m_vfs.xDlError = [](sqlite3_vfs* p, int n, char* o) { real(p)->xDlError(real(p), n, o); };
            v->m_vfs.xDlSym = [](sqlite3_vfs* p, void* h, const char* s) { return real(p)->xDlSym(real(p), h, s); };
            v->m_vfs.xDlClose = [](sqlite3_vfs* p, void* h) { real(p)->xDlClose(real(p), h); };
            v->m_vfs.xRandomness = [](sqlite3_vfs* p, int n, char* o) { return real(p)->xRandomness(real(p), n, o); };
            v->m_vfs.xSleep = [](sqlite3_vfs* p, int us) { return real(p)->xSleep(real(p), us); };
            v->m_vfs.xCurrentTime = [](sqlite3_vfs* p, double* t) { return real(p)->xCurrentTime(real(p), t); };
            v->m_vfs.xGetLastError = [](sqlite3_vfs* p, int n, char* o) {
                return real(p)->xGetLastError(real(p), n, o);
            };
            v->m_vfs.xCurrentTimeInt64 = [](sqlite3_vfs* p, sqlite3_int64* t) {
                return real(p)->xCurrentTimeInt64(real(p), t);
            };
            s_owner = v;
            sqlite3_vfs_register(&v->m_vfs, 1);
            return v;
        }();
        return *self;
    }

    void arm(Fault fault, const std::filesystem::path& under, int after = 0, std::string suffix = "",
             int tear_bytes = 0) {
        // SQLite names files by their resolved full path, in UTF-8 and with the OS's separators: so
        // must the folder (a symlinked TMPDIR).
        std::string dir = path_to_utf8(std::filesystem::weakly_canonical(under).make_preferred());
        constexpr char kSeparator = static_cast<char>(std::filesystem::path::preferred_separator);
        if (dir.empty() || dir.back() != kSeparator) {
            dir.push_back(kSeparator);  // the folder itself, not every name that begins like it
        }
        std::lock_guard lock(m_mu);
        m_fault = fault;
        m_under = std::move(dir);
        m_suffix = std::move(suffix);
        m_after = after;
        m_tear_bytes = tear_bytes;
        m_faults = 0;
    }
    void disarm() {
        std::lock_guard lock(m_mu);
        m_fault = Fault::kNone;
    }
    // Faults injected since the last arm().
    [[nodiscard]] int faults() const {
        std::lock_guard lock(m_mu);
        return m_faults;
    }

private:
    struct File {
        sqlite3_file base;  // must be first: SQLite sees this
        sqlite3_file* real;
        std::string* path;
    };
    enum class Op { kWrite, kSync, kTruncate };

    static sqlite3_vfs* real(sqlite3_vfs* p) { return static_cast<FaultVfs*>(p->pAppData)->m_real; }
    static File* ff(sqlite3_file* f) { return reinterpret_cast<File*>(f); }
    static sqlite3_file* rf(sqlite3_file* f) { return ff(f)->real; }

    static bool matches(const std::string& path, const std::string& under, const std::string& suffix) {
        return !under.empty() && path.rfind(under, 0) == 0 &&
               (suffix.empty() || (path.size() >= suffix.size() &&
                                   path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0));
    }

    // Decides what happens to one call: the fault to inject now (kNone: pass it through).
    Fault decide(const File* f, Op op) {
        std::lock_guard lock(m_mu);
        if (m_fault == Fault::kNone || !matches(*f->path, m_under, m_suffix)) {
            return Fault::kNone;
        }
        const bool relevant =
            (m_fault == Fault::kSyncError && op == Op::kSync) || (m_fault == Fault::kWriteError && op == Op::kWrite) ||
            (m_fault == Fault::kTear && op == Op::kWrite) || (m_fault == Fault::kDiskFull && op != Op::kSync);
        if (!relevant) {
            return Fault::kNone;
        }
        if (m_after > 0) {
            --m_after;
            return Fault::kNone;
        }
        return m_fault;
    }
    void count_fault() {
        std::lock_guard lock(m_mu);
        ++m_faults;
    }
    int tear_bytes(int amt) {
        std::lock_guard lock(m_mu);
        return m_tear_bytes > 0 ? std::min(m_tear_bytes, amt - 1) : amt / 2;
    }
    static FaultVfs& self(sqlite3_file*) { return *s_owner; }

    static int x_open(sqlite3_vfs* p, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
        File* f = ff(file);
        f->base.pMethods = nullptr;
        f->real = reinterpret_cast<sqlite3_file*>(f + 1);
        f->real->pMethods = nullptr;
        const int rc = real(p)->xOpen(real(p), name, f->real, flags, out_flags);
        if (rc != SQLITE_OK) {
            if (f->real->pMethods != nullptr) {
                f->real->pMethods->xClose(f->real);  // SQLite's rule for a failed open that set methods
            }
            return rc;
        }
        f->path = new std::string(name != nullptr ? name : "");
        f->base.pMethods = &kMethods;
        return SQLITE_OK;
    }

    static int x_write(sqlite3_file* file, const void* buf, int amt, sqlite3_int64 off) {
        FaultVfs& v = self(file);
        switch (v.decide(ff(file), Op::kWrite)) {
            case Fault::kWriteError:
                v.count_fault();
                return SQLITE_IOERR_WRITE;
            case Fault::kDiskFull: {
                sqlite3_int64 size = 0;
                if (rf(file)->pMethods->xFileSize(rf(file), &size) == SQLITE_OK && off + amt <= size) {
                    break;  // inside the file's blocks: still room
                }
                v.count_fault();
                return SQLITE_FULL;
            }
            case Fault::kTear:
                (void)rf(file)->pMethods->xWrite(rf(file), buf, v.tear_bytes(amt), off);
                os::exit_now(kTornExit);
            default:
                break;
        }
        return rf(file)->pMethods->xWrite(rf(file), buf, amt, off);
    }
    static int x_truncate(sqlite3_file* file, sqlite3_int64 size) {
        FaultVfs& v = self(file);
        if (v.decide(ff(file), Op::kTruncate) == Fault::kDiskFull) {
            sqlite3_int64 now = 0;
            if (rf(file)->pMethods->xFileSize(rf(file), &now) == SQLITE_OK && size > now) {
                v.count_fault();
                return SQLITE_FULL;
            }
        }
        return rf(file)->pMethods->xTruncate(rf(file), size);
    }
    static int x_sync(sqlite3_file* file, int flags) {
        FaultVfs& v = self(file);
        if (v.decide(ff(file), Op::kSync) == Fault::kSyncError) {
            v.count_fault();
            return SQLITE_IOERR_FSYNC;
        }
        return rf(file)->pMethods->xSync(rf(file), flags);
    }
    static int x_close(sqlite3_file* file) {
        const int rc = rf(file)->pMethods != nullptr ? rf(file)->pMethods->xClose(rf(file)) : SQLITE_OK;
        delete ff(file)->path;
        ff(file)->path = nullptr;
        return rc;
    }

    static inline const sqlite3_io_methods kMethods = {
        3,
        x_close,
        [](sqlite3_file* f, void* b, int n, sqlite3_int64 o) { return rf(f)->pMethods->xRead(rf(f), b, n, o); },
        x_write,
        x_truncate,
        x_sync,
        [](sqlite3_file* f, sqlite3_int64* s) { return rf(f)->pMethods->xFileSize(rf(f), s); },
        [](sqlite3_file* f, int l) { return rf(f)->pMethods->xLock(rf(f), l); },
        [](sqlite3_file* f, int l) { return rf(f)->pMethods->xUnlock(rf(f), l); },
        [](sqlite3_file* f, int* o) { return rf(f)->pMethods->xCheckReservedLock(rf(f), o); },
        [](sqlite3_file* f, int op, void* a) { return rf(f)->pMethods->xFileControl(rf(f), op, a); },
        [](sqlite3_file* f) { return rf(f)->pMethods->xSectorSize(rf(f)); },
        [](sqlite3_file* f) { return rf(f)->pMethods->xDeviceCharacteristics(rf(f)); },
        [](sqlite3_file* f, int pg, int sz, int ext, void volatile** pp) {
            return rf(f)->pMethods->xShmMap(rf(f), pg, sz, ext, pp);
        },
        [](sqlite3_file* f, int o, int n, int fl) { return rf(f)->pMethods->xShmLock(rf(f), o, n, fl); },
        [](sqlite3_file* f) { rf(f)->pMethods->xShmBarrier(rf(f)); },
        [](sqlite3_file* f, int d) { return rf(f)->pMethods->xShmUnmap(rf(f), d); },
        [](sqlite3_file* f, sqlite3_int64 o, int n, void** pp) { return rf(f)->pMethods->xFetch(rf(f), o, n, pp); },
        [](sqlite3_file* f, sqlite3_int64 o, void* p) { return rf(f)->pMethods->xUnfetch(rf(f), o, p); },
    };

    static inline FaultVfs* s_owner = nullptr;

    sqlite3_vfs m_vfs{};
    sqlite3_vfs* m_real = nullptr;
    mutable std::mutex m_mu;
    Fault m_fault = Fault::kNone;
    std::string m_under, m_suffix;
    int m_after = 0;
    int m_tear_bytes = 0;
    int m_faults = 0;
};

}  // namespace outpost::testing
