// Attachments: the value of an `attachments` field is a list of files, each named by the
// SHA-256 of its bytes. The bytes live apart from the record (blob_store.h on a laptop, the server's
// blob store), so a record syncs at once and its files follow on their own queue.
//
// In a record the value is a string holding canonical JSON:
//   [{"hash":"<64 lower-case hex>","mime":"image/jpeg","name":"damp wall.jpg","size":1234}, ...]
// (keys in that order, no spaces, in the order attached). parse_attachments accepts any JSON
// spelling of that shape and checks it; encode_attachments writes the canonical one.
//
// Threads: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "outpost/core/status.h"

namespace outpost::records {

struct Attachment {
    std::string hash;  // SHA-256 of the bytes, 64 lower-case hex digits
    std::string name;  // the file's name as the worker knows it (no folders), 1 to 255 bytes of UTF-8
    std::string mime;  // e.g. image/jpeg; application/octet-stream when unknown
    std::int64_t size = 0;
    friend bool operator==(const Attachment&, const Attachment&) = default;
};

inline constexpr std::int64_t kDefaultMaxAttachmentBytes = 25LL * 1024 * 1024;  // the server may set another
inline constexpr int kMaxAttachmentsPerField = 50;

// Fails with record.field.wrong_kind naming the problem.
[[nodiscard]] Result<std::vector<Attachment>> parse_attachments(std::string_view json_text);
[[nodiscard]] std::string encode_attachments(const std::vector<Attachment>& list);
[[nodiscard]] bool is_sha256_hex(std::string_view s);
// A MIME type from a file name's extension (jpg, jpeg, png, pdf, txt, ...); application/octet-stream
// otherwise.
[[nodiscard]] std::string mime_for_name(std::string_view name);

}  // namespace outpost::records
