#include "outpost/sync/blob_files.h"

#include <sodium.h>

#include <fstream>
#include <span>
#include <vector>

#include "outpost/core/digest.h"
#include "outpost/core/error_codes.h"
#include "outpost/core/records/attachments.h"
#include "outpost/platform/os.h"

namespace outpost::sync {
namespace fs = std::filesystem;
namespace {

Status io(const std::string& what) {
    return Status::error(errc::kIo, what);
}

// Teams are checked names (a-z, 0-9, '_', '-', '.'); hashes are checked hex. Neither can climb out.
bool safe_name(const std::string& s) {
    return !s.empty() && s != "." && s != ".." && s.find('/') == std::string::npos && s.find('\0') == std::string::npos;
}

// SHA-256 of a file's bytes.
Result<std::string> file_sha256(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) {
        return io("cannot read an upload");
    }
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    std::vector<char> buf(1 << 20);
    while (in) {
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(buf.data()),
                                  static_cast<std::size_t>(in.gcount()));
    }
    if (!in.eof()) {
        return io("cannot read an upload");
    }
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&st, h);
    char out[crypto_hash_sha256_BYTES * 2 + 1];
    sodium_bin2hex(out, sizeof out, h, sizeof h);
    return std::string(out);
}

Status fsync_dir(const fs::path& dir) {
    return os::sync_folder(dir) ? io("cannot sync the blob folder") : Status::ok();
}

}  // namespace

BlobFiles::BlobFiles(fs::path root, std::int64_t max_bytes) : m_root(std::move(root)), m_max_bytes(max_bytes) {
}

Result<BlobFiles::State> BlobFiles::state(const std::string& team, const std::string& hash) {
    if (!safe_name(team) || !records::is_sha256_hex(hash)) {
        return Status::error(errc::kBlobMissing, "no such blob");
    }
    std::error_code ec;
    const fs::path done = m_root / team / hash;
    if (fs::is_regular_file(done, ec)) {
        return State{true, static_cast<std::int64_t>(fs::file_size(done, ec)), 0};
    }
    const fs::path part = m_root / team / "partial" / hash;
    const auto received = fs::is_regular_file(part, ec) ? static_cast<std::int64_t>(fs::file_size(part, ec)) : 0;
    return State{false, 0, ec ? 0 : received};
}

Result<BlobFiles::State> BlobFiles::put(const std::string& team, const std::string& hash, std::int64_t offset,
                                        std::int64_t total, std::string_view bytes, std::string_view chunk_sha256) {
    if (!safe_name(team) || !records::is_sha256_hex(hash)) {
        return Status::error(errc::kBlobMissing, "no such blob");
    }
    if (total > m_max_bytes) {
        return Status::error(errc::kBlobTooLarge, "blobs up to " + std::to_string(m_max_bytes) + " bytes are taken");
    }
    if (offset < 0 || total < 0 || offset > total || static_cast<std::int64_t>(bytes.size()) > total - offset) {
        return Status::error(errc::kProtocolMalformed, "the range does not fit the blob's size");
    }
    if (!chunk_sha256.empty() && sha256_hex(bytes) != chunk_sha256) {
        return Status::error(errc::kBlobChunkMismatch, "these bytes do not match the SHA-256 sent with them");
    }
    std::lock_guard lock(m_locks[static_cast<unsigned char>(hash[0]) % m_locks.size()]);
    Result<State> now = state(team, hash);
    if (!now.is_ok() || now->complete) {
        return now;  // already here: nothing to add
    }
    if (offset != now->received) {
        return Status::error(errc::kBlobOutOfOrder, std::to_string(now->received));
    }
    const fs::path dir = m_root / team / "partial";
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
        return io("cannot make the blob folder");
    }
    const fs::path part = dir / hash;
    // Cut back to what was there on failure, so the next piece lines up.
    if (os::append_file(part, std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()))) {
        return io("cannot write an upload (is the disk full?)");
    }
    const std::int64_t received = offset + static_cast<std::int64_t>(bytes.size());
    if (received < total) {
        return State{false, 0, received};
    }
    Result<std::string> whole = file_sha256(part);
    OUTPOST_TRY(whole);
    if (*whole != hash) {
        fs::remove(part, ec);
        return Status::error(errc::kBlobHashMismatch, "the bytes received do not match the blob's SHA-256");
    }
    fs::rename(part, m_root / team / hash, ec);
    if (ec) {
        return io("cannot keep the blob");
    }
    OUTPOST_TRY(fsync_dir(m_root / team));
    return State{true, total, 0};
}

Result<std::string> BlobFiles::read(const std::string& team, const std::string& hash, std::int64_t offset,
                                    std::int64_t len) {
    Result<State> st = state(team, hash);
    OUTPOST_TRY(st);
    if (!st->complete) {
        return Status::error(errc::kBlobMissing, "no such blob");
    }
    const std::int64_t end = std::min(st->size, offset + len);
    std::string out;
    if (offset < 0 || offset >= end) {
        return out;
    }
    out.resize(static_cast<std::size_t>(end - offset));
    const fs::path p = m_root / team / hash;
    std::ifstream in(p, std::ios::binary);
    in.seekg(offset);
    in.read(out.data(), static_cast<std::streamsize>(out.size()));
    if (!in || in.gcount() != static_cast<std::streamsize>(out.size())) {
        return io("cannot read a blob");
    }
    return out;
}

}  // namespace outpost::sync
