#include "outpost/core/blob_store.h"

#include <sodium.h>
#include <sqlite3.h>

#include <fstream>
#include <sstream>

#include "outpost/core/digest.h"
#include "outpost/core/error_codes.h"
#include "outpost/core/sql_stmt.h"
#include "outpost/core/store/schema_steps.h"
#include "outpost/core/store/transaction.h"
#include "outpost/platform/utf8.h"

namespace outpost {
namespace {

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS blob_files(hash TEXT PRIMARY KEY, size INTEGER NOT NULL, stored INTEGER NOT NULL, "
    "complete INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS blob_chunks(hash TEXT NOT NULL, idx INTEGER NOT NULL, data BLOB NOT NULL, "
    "PRIMARY KEY(hash, idx)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS blob_uploads(hash TEXT PRIMARY KEY, state INTEGER NOT NULL, sent INTEGER NOT NULL, "
    "attempts INTEGER NOT NULL, next_try_ms INTEGER NOT NULL, code TEXT NOT NULL, reason TEXT NOT NULL) "
    "WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS blob_downloads(hash TEXT PRIMARY KEY, size INTEGER NOT NULL, attempts INTEGER "
    "NOT NULL, next_try_ms INTEGER NOT NULL, code TEXT NOT NULL, reason TEXT NOT NULL) WITHOUT ROWID;";

std::string mib_words(std::int64_t bytes) {
    return std::to_string((bytes + (1 << 20) - 1) >> 20) + " MiB";
}

Status too_large(std::int64_t size, std::int64_t max_bytes) {
    return Status::error(errc::kBlobTooLarge, "this file is " + mib_words(size) + "; files up to " +
                                                  mib_words(max_bytes) + " can be attached");
}

// SHA-256 of a stream, in chunks.
Result<std::string> hash_stream(std::istream& in) {
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    std::string buf(BlobStore::kChunkBytes, '\0');
    while (in) {
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        const auto n = static_cast<std::size_t>(in.gcount());
        crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(buf.data()), n);
    }
    if (in.bad()) {
        return Status::error(errc::kIo, "the file could not be read");
    }
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&st, h);
    return to_hex(h, sizeof h);
}

}  // namespace

Result<std::unique_ptr<BlobStore>> BlobStore::open(Store& store) {
    // Schema versions (outpost_store_meta 'schema.blobs'): 1 is the tables above.
    OUTPOST_TRY(migrate_schema(store, "blobs", {{1, [](Store& s) { return s.exec(kSchema); }}}));
    return std::unique_ptr<BlobStore>(new BlobStore(store));
}

Status BlobStore::store_chunks(std::string_view hash, std::int64_t size, std::istream& in, std::string_view expect) {
    sqlite3* db = m_store.handle();
    Result<Transaction> sp = Transaction::savepoint(m_store, "blob_add");  // rolled back unless committed
    OUTPOST_TRY(sp);
    sql::StmtRef chunk = sql::StmtRef::owned(db, "INSERT OR REPLACE INTO blob_chunks(hash, idx, data) VALUES(?, ?, ?)");
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    std::string buf(kChunkBytes, '\0');
    std::int64_t idx = 0;
    std::int64_t total = 0;
    while (in) {
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        const auto n = static_cast<std::size_t>(in.gcount());
        if (n == 0) {
            break;
        }
        crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(buf.data()), n);
        chunk.text(1, hash).i64(2, idx++).blob(3, std::string_view(buf.data(), n));
        if (int rc = chunk.step(); rc != SQLITE_DONE) {
            return m_store.sql_status(rc, "storing an attachment");
        }
        chunk.reset();
        total += static_cast<std::int64_t>(n);
    }
    sodium_memzero(buf.data(), buf.size());
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&st, h);
    if (in.bad() || total != size || to_hex(h, sizeof h) != expect) {
        return Status::error(errc::kIo, "the file changed while it was being attached; attach it again");
    }
    sql::StmtRef file =
        sql::StmtRef::owned(db, "INSERT OR REPLACE INTO blob_files(hash, size, stored, complete) VALUES(?, ?, ?, 1)");
    file.text(1, hash).i64(2, size).i64(3, size);
    if (int rc = file.step(); rc != SQLITE_DONE) {
        return m_store.sql_status(rc, "storing an attachment");
    }
    return sp->commit();
}

Result<records::Attachment> BlobStore::add_file(const std::filesystem::path& file, std::int64_t max_bytes) {
    std::error_code ec;
    const auto size = static_cast<std::int64_t>(std::filesystem::file_size(file, ec));
    if (ec || !std::filesystem::is_regular_file(file, ec)) {
        return Status::error(errc::kIo, "cannot read " + path_to_utf8(file.filename()));
    }
    if (size > max_bytes) {
        return too_large(size, max_bytes);
    }
    std::ifstream first(file, std::ios::binary);
    Result<std::string> hash = hash_stream(first);
    OUTPOST_TRY(hash);
    records::Attachment a{*hash, path_to_utf8(file.filename()), records::mime_for_name(path_to_utf8(file.filename())),
                          size};
    Result<std::optional<Info>> have = info(a.hash);
    OUTPOST_TRY(have);
    if (!*have || !(*have)->complete) {
        std::ifstream second(file, std::ios::binary);
        OUTPOST_TRY(store_chunks(a.hash, size, second, a.hash));
    }
    return a;
}

Result<records::Attachment> BlobStore::add_bytes(std::string_view bytes, std::string name, std::string mime,
                                                 std::int64_t max_bytes) {
    const auto size = static_cast<std::int64_t>(bytes.size());
    if (size > max_bytes) {
        return too_large(size, max_bytes);
    }
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
    records::Attachment a{to_hex(h, sizeof h), std::move(name), std::move(mime), size};
    Result<std::optional<Info>> have = info(a.hash);
    OUTPOST_TRY(have);
    if (!*have || !(*have)->complete) {
        std::istringstream in{std::string(bytes)};
        OUTPOST_TRY(store_chunks(a.hash, size, in, a.hash));
    }
    return a;
}

Result<std::optional<BlobStore::Info>> BlobStore::info(std::string_view hash) {
    sql::StmtRef st =
        sql::StmtRef::owned(m_store.handle(), "SELECT size, stored, complete FROM blob_files WHERE hash = ?");
    st.text(1, hash);
    const int rc = st.step();
    if (rc == SQLITE_DONE) {
        return std::optional<Info>{};
    }
    if (rc != SQLITE_ROW) {
        return m_store.sql_status(rc, "reading an attachment");
    }
    return std::optional<Info>{Info{st.col_i64(0), st.col_i64(1), st.col_i64(2) != 0}};
}

Result<std::string> BlobStore::read(std::string_view hash, std::int64_t offset, std::int64_t len) {
    Result<std::optional<Info>> have = info(hash);
    OUTPOST_TRY(have);
    if (!*have) {
        return Status::error(errc::kBlobMissing, "attachment " + std::string(hash.substr(0, 12)) + " is not here");
    }
    const std::int64_t end = std::min(offset + len, (*have)->stored);
    std::string out;
    if (offset < 0 || offset >= end) {
        return out;
    }
    out.reserve(static_cast<std::size_t>(end - offset));
    const auto chunk = static_cast<std::int64_t>(kChunkBytes);
    sql::StmtRef st = sql::StmtRef::owned(
        m_store.handle(), "SELECT idx, data FROM blob_chunks WHERE hash = ? AND idx >= ? AND idx <= ? ORDER BY idx");
    st.text(1, hash).i64(2, offset / chunk).i64(3, (end - 1) / chunk);
    int rc = 0;
    while ((rc = st.step()) == SQLITE_ROW) {
        const std::int64_t base = st.col_i64(0) * chunk;
        const std::string_view data = st.col_blob(1);
        const std::int64_t from = std::max(offset, base) - base;
        const std::int64_t to = std::min(end, base + static_cast<std::int64_t>(data.size())) - base;
        if (to > from) {
            out.append(data.substr(static_cast<std::size_t>(from), static_cast<std::size_t>(to - from)));
        }
    }
    if (rc != SQLITE_DONE) {
        return m_store.sql_status(rc, "reading an attachment");
    }
    return out;
}

Status BlobStore::export_to(std::string_view hash, const std::filesystem::path& path) {
    Result<std::optional<Info>> have = info(hash);
    OUTPOST_TRY(have);
    if (!*have || !(*have)->complete) {
        return Status::error(errc::kBlobMissing, "this attachment is not on this laptop yet");
    }
    // A name of our own next to it (never one the person already has), renamed into place at the end.
    unsigned char nonce[6];
    randombytes_buf(nonce, sizeof nonce);
    const std::filesystem::path tmp = path_to_utf8(path) + "." + to_hex(nonce, sizeof nonce) + ".outpost-part";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        for (std::int64_t at = 0; at < (*have)->size && out; at += static_cast<std::int64_t>(kChunkBytes)) {
            Result<std::string> part = read(hash, at, static_cast<std::int64_t>(kChunkBytes));
            if (!part.is_ok()) {
                std::error_code ec;
                std::filesystem::remove(tmp, ec);
                return part.status();
            }
            out.write(part->data(), static_cast<std::streamsize>(part->size()));
        }
        if (!out.flush()) {
            std::error_code ec;
            std::filesystem::remove(tmp, ec);
            return Status::error(errc::kIo, "cannot write " + path_to_utf8(path.filename()));
        }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        std::filesystem::remove(tmp, ec);
        return Status::error(errc::kIo, "cannot write " + path_to_utf8(path.filename()));
    }
    return Status::ok();
}

// ---- uploads ----

Status BlobStore::queue_upload(std::string_view hash) {
    sql::StmtRef st = sql::StmtRef::owned(
        m_store.handle(),
        "INSERT OR IGNORE INTO blob_uploads(hash, state, sent, attempts, next_try_ms, code, reason) "
        "VALUES(?, 0, 0, 0, 0, '', '')");
    st.text(1, hash);
    const int rc = st.step();
    return rc == SQLITE_DONE ? Status::ok() : m_store.sql_status(rc, "queueing an attachment");
}

namespace {
constexpr const char* kUploadColumns =
    "SELECT u.hash, COALESCE(f.size, 0), u.sent, u.attempts, u.next_try_ms, u.state, u.code, u.reason "
    "FROM blob_uploads u LEFT JOIN blob_files f ON f.hash = u.hash ";

BlobStore::Upload upload_row(sql::StmtRef& st) {
    return {st.col_text(0), st.col_i64(1),
            st.col_i64(2),  static_cast<int>(st.col_i64(3)),
            st.col_i64(4),  static_cast<BlobStore::UploadState>(st.col_i64(5)),
            st.col_text(6), st.col_text(7)};
}
}  // namespace

Result<std::vector<BlobStore::Upload>> BlobStore::uploads() {
    sql::StmtRef st =
        sql::StmtRef::owned(m_store.handle(), (std::string(kUploadColumns) + "ORDER BY u.state, u.hash").c_str());
    std::vector<Upload> out;
    int rc = 0;
    while ((rc = st.step()) == SQLITE_ROW) {
        out.push_back(upload_row(st));
    }
    if (rc != SQLITE_DONE) {
        return m_store.sql_status(rc, "reading the upload queue");
    }
    return out;
}

Result<std::optional<BlobStore::Upload>> BlobStore::upload(std::string_view hash) {
    sql::StmtRef st = sql::StmtRef::owned(m_store.handle(), (std::string(kUploadColumns) + "WHERE u.hash = ?").c_str());
    st.text(1, hash);
    const int rc = st.step();
    if (rc == SQLITE_DONE) {
        return std::optional<Upload>{};
    }
    if (rc != SQLITE_ROW) {
        return m_store.sql_status(rc, "reading the upload queue");
    }
    return std::optional<Upload>{upload_row(st)};
}

Status BlobStore::upload_progress(std::string_view hash, std::int64_t sent) {
    sql::StmtRef st = sql::StmtRef::owned(m_store.handle(), "UPDATE blob_uploads SET sent = ? WHERE hash = ?");
    st.i64(1, sent).text(2, hash);
    const int rc = st.step();
    return rc == SQLITE_DONE ? Status::ok() : m_store.sql_status(rc, "recording an upload");
}

Status BlobStore::upload_done(std::string_view hash) {
    sql::StmtRef st = sql::StmtRef::owned(
        m_store.handle(),
        "UPDATE blob_uploads SET state = 1, sent = (SELECT size FROM blob_files WHERE hash = ?1), code = '', "
        "reason = '' WHERE hash = ?1");
    st.text(1, hash);
    const int rc = st.step();
    return rc == SQLITE_DONE ? Status::ok() : m_store.sql_status(rc, "recording an upload");
}

Status BlobStore::upload_failed(std::string_view hash, const Status& why, std::int64_t next_try_ms, bool refused) {
    sql::StmtRef st = sql::StmtRef::owned(
        m_store.handle(),
        "UPDATE blob_uploads SET state = ?, attempts = attempts + 1, next_try_ms = ?, code = ?, reason = ? "
        "WHERE hash = ?");
    st.i64(1, refused ? 2 : 0).i64(2, next_try_ms).text(3, why.code()).text(4, why.message()).text(5, hash);
    const int rc = st.step();
    return rc == SQLITE_DONE ? Status::ok() : m_store.sql_status(rc, "recording an upload");
}

// ---- downloads ----

Status BlobStore::want(const records::Attachment& a) {
    Result<std::optional<Info>> have = info(a.hash);
    OUTPOST_TRY(have);
    if (*have && (*have)->complete) {
        return Status::ok();
    }
    sql::StmtRef st =
        sql::StmtRef::owned(m_store.handle(),
                            "INSERT OR IGNORE INTO blob_downloads(hash, size, attempts, next_try_ms, code, reason) "
                            "VALUES(?, ?, 0, 0, '', '')");
    st.text(1, a.hash).i64(2, a.size);
    const int rc = st.step();
    return rc == SQLITE_DONE ? Status::ok() : m_store.sql_status(rc, "asking for an attachment");
}

Result<std::vector<BlobStore::Download>> BlobStore::downloads() {
    sql::StmtRef st =
        sql::StmtRef::owned(m_store.handle(),
                            "SELECT d.hash, d.size, COALESCE(f.stored, 0), d.attempts, d.next_try_ms, d.code, d.reason "
                            "FROM blob_downloads d LEFT JOIN blob_files f ON f.hash = d.hash ORDER BY d.hash");
    std::vector<Download> out;
    int rc = 0;
    while ((rc = st.step()) == SQLITE_ROW) {
        out.push_back({st.col_text(0), st.col_i64(1), st.col_i64(2), static_cast<int>(st.col_i64(3)), st.col_i64(4),
                       st.col_text(5), st.col_text(6)});
    }
    if (rc != SQLITE_DONE) {
        return m_store.sql_status(rc, "reading the downloads");
    }
    return out;
}

Status BlobStore::append(std::string_view hash, std::int64_t offset, std::string_view bytes) {
    sqlite3* db = m_store.handle();
    sql::StmtRef d = sql::StmtRef::owned(db, "SELECT size FROM blob_downloads WHERE hash = ?");
    d.text(1, hash);
    if (d.step() != SQLITE_ROW) {
        return Status::error(errc::kBlobMissing, "no download of this attachment is waiting");
    }
    const std::int64_t size = d.col_i64(0);
    Result<std::optional<Info>> have = info(hash);
    OUTPOST_TRY(have);
    const std::int64_t stored = *have ? (*have)->stored : 0;
    if (offset != stored || offset + static_cast<std::int64_t>(bytes.size()) > size) {
        return Status::error(errc::kBlobOutOfOrder, "bytes from " + std::to_string(offset) + " do not follow the " +
                                                        std::to_string(stored) + " here");
    }
    Result<Transaction> sp = Transaction::savepoint(m_store, "blob_append");  // rolled back unless committed
    OUTPOST_TRY(sp);
    // Chunks are whole 256 KiB pieces except the last: the first piece tops up a partial chunk.
    const auto chunk = static_cast<std::int64_t>(kChunkBytes);
    std::int64_t at = offset;
    std::size_t used = 0;
    sql::StmtRef put = sql::StmtRef::owned(db, "INSERT OR REPLACE INTO blob_chunks(hash, idx, data) VALUES(?, ?, ?)");
    while (used < bytes.size()) {
        const std::int64_t idx = at / chunk;
        const std::int64_t in_chunk = at % chunk;
        std::string data;
        if (in_chunk > 0) {
            Result<std::string> head = read(hash, idx * chunk, in_chunk);
            OUTPOST_TRY(head);
            data = std::move(*head);
        }
        const std::size_t take = std::min(bytes.size() - used, static_cast<std::size_t>(chunk - in_chunk));
        data.append(bytes.substr(used, take));
        put.text(1, hash).i64(2, idx).blob(3, data);
        if (int rc = put.step(); rc != SQLITE_DONE) {
            return m_store.sql_status(rc, "storing a download");
        }
        put.reset();
        used += take;
        at += static_cast<std::int64_t>(take);
    }
    sql::StmtRef file =
        sql::StmtRef::owned(db,
                            "INSERT INTO blob_files(hash, size, stored, complete) VALUES(?1, ?2, ?3, 0) "
                            "ON CONFLICT(hash) DO UPDATE SET stored = ?3");
    file.text(1, hash).i64(2, size).i64(3, at);
    if (int rc = file.step(); rc != SQLITE_DONE) {
        return m_store.sql_status(rc, "storing a download");
    }
    return sp->commit();
}

Status BlobStore::finish_download(std::string_view hash) {
    Result<std::optional<Info>> have = info(hash);
    OUTPOST_TRY(have);
    if (!*have || (*have)->stored != (*have)->size) {
        return Status::error(errc::kBlobMissing, "the attachment has not all arrived");
    }
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    for (std::int64_t at = 0; at < (*have)->size; at += static_cast<std::int64_t>(kChunkBytes)) {
        Result<std::string> part = read(hash, at, static_cast<std::int64_t>(kChunkBytes));
        OUTPOST_TRY(part);
        crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(part->data()), part->size());
    }
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&st, h);
    sqlite3* db = m_store.handle();
    Result<Transaction> sp = Transaction::savepoint(m_store, "blob_finish");  // rolled back unless committed
    OUTPOST_TRY(sp);
    const bool ok = to_hex(h, sizeof h) == hash;
    sql::StmtRef a = sql::StmtRef::owned(
        db, ok ? "UPDATE blob_files SET complete = 1 WHERE hash = ?" : "DELETE FROM blob_files WHERE hash = ?");
    a.text(1, hash);
    sql::StmtRef b = sql::StmtRef::owned(
        db, ok ? "DELETE FROM blob_downloads WHERE hash = ?" : "DELETE FROM blob_chunks WHERE hash = ?");
    b.text(1, hash);
    if (a.step() != SQLITE_DONE || b.step() != SQLITE_DONE) {
        return m_store.sql_status(sqlite3_errcode(db), "finishing a download");
    }
    OUTPOST_TRY(sp->commit());
    return ok ? Status::ok()
              : Status::error(errc::kBlobHashMismatch, "the attachment's bytes did not match its hash; thrown away");
}

Status BlobStore::download_failed(std::string_view hash, const Status& why, std::int64_t next_try_ms) {
    sql::StmtRef st = sql::StmtRef::owned(
        m_store.handle(),
        "UPDATE blob_downloads SET attempts = attempts + 1, next_try_ms = ?, code = ?, reason = ? WHERE hash = ?");
    st.i64(1, next_try_ms).text(2, why.code()).text(3, why.message()).text(4, hash);
    const int rc = st.step();
    return rc == SQLITE_DONE ? Status::ok() : m_store.sql_status(rc, "recording a download");
}

Result<std::int64_t> BlobStore::file_count() {
    sql::StmtRef st = sql::StmtRef::owned(m_store.handle(), "SELECT count(*) FROM blob_files");
    if (st.step() != SQLITE_ROW) {
        return m_store.sql_status(sqlite3_errcode(m_store.handle()), "counting attachments");
    }
    return st.col_i64(0);
}

Result<std::int64_t> BlobStore::chunk_count() {
    sql::StmtRef st = sql::StmtRef::owned(m_store.handle(), "SELECT count(*) FROM blob_chunks");
    if (st.step() != SQLITE_ROW) {
        return m_store.sql_status(sqlite3_errcode(m_store.handle()), "counting attachments");
    }
    return st.col_i64(0);
}

}  // namespace outpost
