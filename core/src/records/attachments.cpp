#include "outpost/core/records/attachments.h"

#include <algorithm>
#include <cctype>

#include "outpost/core/error_codes.h"
#include "outpost/core/json.h"

namespace outpost::records {
namespace {

Status bad(const std::string& why) {
    return Status::error(errc::kFieldWrongKind, "attachments: " + why);
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

}  // namespace

bool is_sha256_hex(std::string_view s) {
    return s.size() == 64 &&
           std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

Result<std::vector<Attachment>> parse_attachments(std::string_view json_text) {
    Result<json::Value> doc = json::parse(json_text);
    if (!doc.is_ok()) {
        return bad("not JSON");
    }
    if (doc->type != json::Value::Type::kArray) {
        return bad("a list of files is expected");
    }
    if (doc->items.size() > static_cast<std::size_t>(kMaxAttachmentsPerField)) {
        return bad("more than " + std::to_string(kMaxAttachmentsPerField) + " files");
    }
    std::vector<Attachment> out;
    for (const json::Value& item : doc->items) {
        const json::Value* hash = item.find("hash");
        const json::Value* name = item.find("name");
        const json::Value* mime = item.find("mime");
        const json::Value* size = item.find("size");
        if (item.type != json::Value::Type::kObject || hash == nullptr || name == nullptr || mime == nullptr ||
            size == nullptr || hash->type != json::Value::Type::kText || name->type != json::Value::Type::kText ||
            mime->type != json::Value::Type::kText || size->type != json::Value::Type::kInteger) {
            return bad("each file needs a hash, a name, a mime type and a size");
        }
        if (!is_sha256_hex(hash->text)) {
            return bad("a file's hash must be 64 lower-case hex digits");
        }
        if (name->text.empty() || name->text.size() > 255 || name->text.find('/') != std::string::npos ||
            name->text.find('\0') != std::string::npos || json::valid_utf8(name->text) != name->text) {
            return bad("a file's name must be 1 to 255 bytes of UTF-8, without '/'");
        }
        if (mime->text.empty() || mime->text.size() > 100) {
            return bad("a file's mime type must be 1 to 100 bytes");
        }
        if (size->integer < 0 || size->integer > (1LL << 40)) {
            return bad("a file's size is out of range");
        }
        out.push_back({hash->text, name->text, mime->text, size->integer});
    }
    return out;
}

std::string encode_attachments(const std::vector<Attachment>& list) {
    std::string out = "[";
    for (std::size_t i = 0; i < list.size(); ++i) {
        const Attachment& a = list[i];
        out += i > 0 ? ",{\"hash\":" : "{\"hash\":";
        json::append_quoted(out, a.hash);
        out += ",\"mime\":";
        json::append_quoted(out, a.mime);
        out += ",\"name\":";
        json::append_quoted(out, json::valid_utf8(a.name));
        out += ",\"size\":" + std::to_string(a.size) + "}";
    }
    return out + "]";
}

std::string mime_for_name(std::string_view name) {
    const std::size_t dot = name.rfind('.');
    const std::string ext = dot == std::string_view::npos ? std::string() : lower(name.substr(dot + 1));
    static const std::pair<const char*, const char*> kTypes[] = {
        {"jpg", "image/jpeg"},
        {"jpeg", "image/jpeg"},
        {"png", "image/png"},
        {"gif", "image/gif"},
        {"pdf", "application/pdf"},
        {"txt", "text/plain"},
        {"csv", "text/csv"},
        {"doc", "application/msword"},
        {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
        {"odt", "application/vnd.oasis.opendocument.text"},
        {"heic", "image/heic"},
        {"mp4", "video/mp4"},
    };
    for (const auto& [e, type] : kTypes) {
        if (ext == e) {
            return type;
        }
    }
    return "application/octet-stream";
}

}  // namespace outpost::records
