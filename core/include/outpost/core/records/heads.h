// Heads: the current version of every field of one record (the merge winner, with its stamp, base and
// author), packed in one BLOB on the record's row (DESIGN §3). A record is one row, like the
// benchmark floor's, so a first sync writes one row per record instead of one per field.
//
// History is "the log plus the heads": a version written on this laptop is always in the change log
// (it is the outbox); a pulled version that is current lives only here (`logged` false) and is copied
// to the log when something displaces it, so nothing said about a record is ever lost.
//
// Encoding (version 1, little endian varints): 'h' 0x01, varint writer count, each writer as
// (device, author) strings; varint field count; varint lowest hlc; each field as name, value
// (canonical JSON), varint hlc less the lowest, varint base, varint writer index, one flag byte
// (bit 0: logged). A string is a varint length and its bytes. Fields are kept in name order.
//
// Threads: pure functions. Failure: decode_heads returns store.record.corrupt for any malformed blob
// and never reads outside it.
#pragma once

#include <sqlite3.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "outpost/core/records/hlc.h"
#include "outpost/core/records/merge.h"
#include "outpost/core/status.h"

namespace outpost::records {

struct Head {
    std::string field;
    std::string value;  // canonical JSON for the field's kind (encode_value)
    Hlc hlc;
    Hlc base;
    std::string device;
    std::string author;
    bool logged = false;  // also present in the change log
    friend bool operator==(const Head&, const Head&) = default;
};

[[nodiscard]] std::string encode_heads(const std::vector<Head>& heads);
[[nodiscard]] Result<std::vector<Head>> decode_heads(std::string_view blob);

// Frontiers: the central service's form of a record (DESIGN §4). Every version in every field's
// frontier, losers included, in one blob. Same encoding as heads with magic 'f' and a zero flag byte;
// entries are strictly ascending by (field, hlc, device), so a field with a conflict appears once per
// version. store.record.corrupt for any malformed blob.
struct FieldFrontier {
    std::string field;
    FieldState state;  // frontier ascending (merge.h), never empty
    friend bool operator==(const FieldFrontier&, const FieldFrontier&) = default;
};
// One version as views into a frontiers blob, valid while the blob is.
struct VersionView {
    std::string_view field;
    std::string_view value;
    Hlc hlc;
    Hlc base;
    std::string_view device;
    std::string_view author;
};
[[nodiscard]] std::string encode_frontiers(const std::vector<FieldFrontier>& fields);
[[nodiscard]] Result<std::vector<FieldFrontier>> decode_frontiers(std::string_view blob);
// Calls fn for each version in blob order, without copying. On a malformed blob fn may already have
// seen the versions before the fault.
[[nodiscard]] Status scan_frontiers(std::string_view blob, const std::function<void(const VersionView&)>& fn);

// Replaces or adds the head of h.field, keeping name order; returns the displaced head, if any.
std::optional<Head> put_head(std::vector<Head>& heads, Head h);
[[nodiscard]] const Head* find_head(const std::vector<Head>& heads, std::string_view field);

// Registers `outpost_sort(heads, field)` on `db`: the field's value as SQLite sorts it (numbers as
// numbers, yes/no as 1/0, text as text, lists and places as their JSON; NULL when unset). It is
// deterministic, so indexes can be built on it. Returns SQLite's code.
int register_heads_functions(sqlite3* db);

}  // namespace outpost::records
