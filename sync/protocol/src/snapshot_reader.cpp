// GET /v1/snapshot, read: a page of records with their versions, read with the streaming JsonReader
// straight into SnapshotResponse (a page carries thousands of records).
#include <string>

#include "json_reader.h"
#include "outpost/core/error_codes.h"
#include "outpost/core/records/hlc.h"
#include "outpost/sync/sync_messages.h"
#include "wire_change.h"

namespace outpost::sync {
namespace {

Status malformed(const std::string& what) {
    return Status::error(errc::kProtocolMalformed, what);
}

bool parse_hex16(const std::string& s, std::uint64_t& v) {
    Result<records::Hlc> h = records::Hlc::parse(s);
    if (!h.is_ok()) {
        return false;
    }
    v = h->packed;
    return true;
}

// One record of a snapshot; `where` names it in errors (built once per record, not per member).
Status read_snapshot_record(JsonReader& r, const std::string& where, SnapshotRecord& rec) {
    unsigned seen = 0;
    std::uint64_t base_hlc = 0;
    std::string hlc_text;
    auto bounded = [&](std::string& out) -> Status {
        OUTPOST_TRY(r.string(out, where));
        return out.size() <= kMaxIdBytes ? Status::ok() : malformed("a name in " + where + " is too long");
    };
    Status members = r.object(where, [&](const std::string& key) -> Status {
        unsigned bit = 0;
        if (key == "id") {
            bit = 1;
        } else if (key == "type") {
            bit = 2;
        } else if (key == "created_by") {
            bit = 4;
        } else if (key == "hlc") {
            bit = 8;
        } else if (key == "writers") {
            bit = 16;
        } else if (key == "fields") {
            bit = 32;
        } else {
            return malformed("unknown field '" + key + "' in " + where);
        }
        if ((seen & bit) != 0) {
            return malformed("'" + key + "' appears twice in " + where);
        }
        seen |= bit;
        switch (bit) {
            case 1:
                return bounded(rec.id);
            case 2:
                return bounded(rec.type);
            case 4:
                return bounded(rec.created_by);
            case 8:
                OUTPOST_TRY(r.string(hlc_text, where));
                return parse_hex16(hlc_text, base_hlc) ? Status::ok()
                                                       : malformed("'hlc' in " + where + " must be 16 hex digits");
            case 16:
                return r.array(where, [&](std::size_t) -> Status {
                    if (rec.writers.size() >= kMaxSnapshotVersions) {
                        return malformed(where + " has too many writers");
                    }
                    auto& w = rec.writers.emplace_back();
                    if (!r.eat('[')) {
                        return malformed("a writer in " + where + " must be [device, author]");
                    }
                    OUTPOST_TRY(bounded(w.first));
                    if (!r.eat(',')) {
                        return malformed("a writer in " + where + " must be [device, author]");
                    }
                    OUTPOST_TRY(bounded(w.second));
                    return r.eat(']') ? Status::ok() : malformed("a writer in " + where + " must be [device, author]");
                });
            default:
                return r.array(where, [&](std::size_t) -> Status {
                    if (rec.fields.size() >= kMaxSnapshotVersions) {
                        return malformed(where + " has too many fields");
                    }
                    auto& f = rec.fields.emplace_back();
                    const char* shape = " must be [field, value, hlc offset, writer] or with a base last";
                    if (!r.eat('[')) {
                        return malformed("a field in " + where + shape);
                    }
                    OUTPOST_TRY(bounded(f.field));
                    std::string_view v;
                    std::int64_t offset = 0;
                    std::int64_t writer = 0;
                    if (!r.eat(',')) {
                        return malformed("a field in " + where + shape);
                    }
                    OUTPOST_TRY(r.raw(v, where));
                    if (v.size() > kMaxValueBytes) {
                        return Status::error(errc::kSyncValueTooLarge, "a value in " + where + " is over the limit");
                    }
                    f.value.assign(v);
                    if (!r.eat(',')) {
                        return malformed("a field in " + where + shape);
                    }
                    OUTPOST_TRY(r.integer(offset, where));
                    if (!r.eat(',')) {
                        return malformed("a field in " + where + shape);
                    }
                    OUTPOST_TRY(r.integer(writer, where));
                    // The offset is checked against the record's hlc once both are read (below).
                    if (offset < 0 || writer < 0 || writer >= static_cast<std::int64_t>(kMaxSnapshotVersions)) {
                        return malformed("a field in " + where + " has a bad offset or writer");
                    }
                    f.hlc = static_cast<std::uint64_t>(offset);  // the record's hlc is added once all is read
                    f.writer = static_cast<std::uint32_t>(writer);
                    if (r.eat(',')) {
                        std::string base;
                        OUTPOST_TRY(r.string(base, where));
                        if (!parse_hex16(base, f.base)) {
                            return malformed("a base in " + where + " must be 16 hex digits");
                        }
                    }
                    return r.eat(']') ? Status::ok() : malformed("a field in " + where + shape);
                });
        }
    });
    OUTPOST_TRY(members);
    if (seen != 63U) {
        return malformed(where + " needs id, type, created_by, hlc, writers and fields");
    }
    for (SnapshotVersion& f : rec.fields) {
        if (f.writer >= rec.writers.size() || f.hlc > ~base_hlc) {
            return malformed("a field in " + where + " names a writer or time it does not have");
        }
        f.hlc += base_hlc;
    }
    return Status::ok();
}

Result<SnapshotResponse> read_snapshot_response(std::string_view body) {
    OUTPOST_TRY(check_json_text(body, "the snapshot"));
    JsonReader r(body);
    SnapshotResponse m;
    unsigned seen = 0;
    static const std::string kWhere = "the snapshot";
    Status s = r.object(kWhere, [&](const std::string& key) -> Status {
        if (key == "team" && (seen & 1U) == 0) {
            seen |= 1U;
            return r.string(m.team, kWhere);
        }
        if (key == "records" && (seen & 2U) == 0) {
            seen |= 2U;
            return r.array(kWhere, [&](std::size_t i) -> Status {
                return read_snapshot_record(r, "snapshot record " + std::to_string(i + 1), m.records.emplace_back());
            });
        }
        if (key == "next" && (seen & 4U) == 0) {
            seen |= 4U;
            return r.string(m.next, kWhere);
        }
        if (key == "cursor" && (seen & 8U) == 0) {
            seen |= 8U;
            return r.string(m.cursor, kWhere);
        }
        if (key == "more" && (seen & 16U) == 0) {
            seen |= 16U;
            return r.boolean(m.more, kWhere);
        }
        return malformed("unknown or repeated field '" + key + "' in the snapshot");
    });
    OUTPOST_TRY(finish_message(r, s, seen, 31U, "the snapshot", "team, records, next, cursor and more"));
    if (m.team.size() > kMaxIdBytes || m.next.size() > kMaxIdBytes || m.cursor.size() > kMaxIdBytes) {
        return malformed("a name in the snapshot is too long");
    }
    return m;
}

}  // namespace

Result<SnapshotResponse> decode_snapshot_response(std::string_view body) {
    Result<SnapshotResponse> out = read_snapshot_response(body);
    if (!out.is_ok()) {
        return as_pulled(out.status());
    }
    return out;
}

}  // namespace outpost::sync
