// BlobFiles: the central service's attachment bytes, as files under a folder:
//   <root>/<team>/<sha256>            a blob whose bytes matched its hash (visible)
//   <root>/<team>/partial/<sha256>    an upload in progress (never visible)
// Per team: a blob is kept once per team that uploaded it, so a team reads only what it uploaded
// itself (another team knowing the hash proves nothing). Uploads append at the offset the server
// holds, each piece checked against the SHA-256 its sender gives, and the whole is checked against
// its name before it is renamed into place: a mismatch is thrown away and never visible.
//
// Threads: safe from the server's request threads (uploads of one blob are serialised).
// Failure: blob.file.too_large, blob.upload.out_of_order (with the offset held), blob.verify.chunk_mismatch,
// blob.verify.hash_mismatch, blob.lookup.missing, core.io.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>

#include "outpost/core/status.h"

namespace outpost::sync {

class BlobFiles {
public:
    BlobFiles(std::filesystem::path root, std::int64_t max_bytes);

    struct State {
        bool complete = false;
        std::int64_t size = 0;      // complete: the blob's size
        std::int64_t received = 0;  // not complete: bytes held of an upload (0: none)
    };
    [[nodiscard]] Result<State> state(const std::string& team, const std::string& hash);
    // Takes bytes [offset, offset + bytes.size()) of a blob of `total` bytes. `chunk_sha256` (hex)
    // is checked when given. Completes the blob when the last byte is in.
    [[nodiscard]] Result<State> put(const std::string& team, const std::string& hash, std::int64_t offset,
                                    std::int64_t total, std::string_view bytes, std::string_view chunk_sha256);
    // Up to `len` bytes from `offset` of a complete blob.
    [[nodiscard]] Result<std::string> read(const std::string& team, const std::string& hash, std::int64_t offset,
                                           std::int64_t len);
    [[nodiscard]] std::int64_t max_bytes() const { return m_max_bytes; }

private:
    std::filesystem::path m_root;
    std::int64_t m_max_bytes;
    std::array<std::mutex, 32> m_locks;  // by the hash's first byte
};

}  // namespace outpost::sync
