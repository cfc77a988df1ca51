#include "wire_change.h"

#include "outpost/core/error_codes.h"
#include "outpost/core/json.h"

namespace outpost::sync {
namespace {

Status malformed(const std::string& what) {
    return Status::error(errc::kProtocolMalformed, what);
}

bool is_hlc_text(const std::string& s) {
    return s.size() == 16 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace

// Error texts are built only when something is wrong: a push holds 2,000 changes of 8 members each.
Status read_change(JsonReader& r, std::size_t index, bool pulled, WireChange& c) {
    static const std::string kMember = "this member";
    static const std::string kChange = "the change";
    auto where = [&] { return "change " + std::to_string(index + 1); };
    auto in = [&](Status st, const std::string& key) -> Status {
        return st.is_ok() ? st
                          : Status::error(st.code(), "'" + key + "' in " + where() + ": " + std::string(st.message()));
    };
    unsigned seen = 0;
    auto once = [&](unsigned bit, const std::string& key) -> Status {
        if ((seen & bit) != 0) {
            return malformed("'" + key + "' appears twice in " + where());
        }
        seen |= bit;
        return Status::ok();
    };
    auto bounded = [&](std::string& out, const std::string& key, std::size_t max) -> Status {
        Status read = r.string(out, kMember);
        if (!read.is_ok()) {
            return in(read, key);
        }
        if (out.size() > max) {
            return malformed("'" + key + "' in " + where() + " is longer than " + std::to_string(max) + " bytes");
        }
        return Status::ok();
    };
    Status members = r.object(kChange, [&](const std::string& key) -> Status {
        if (key == "seq") {
            OUTPOST_TRY(once(1, key));
            return in(r.integer(c.seq, kMember), key);
        }
        if (key == "record") {
            OUTPOST_TRY(once(2, key));
            return bounded(c.record, key, kMaxIdBytes);
        }
        if (key == "type") {
            OUTPOST_TRY(once(4, key));
            return bounded(c.type, key, kMaxIdBytes);
        }
        if (key == "team") {
            OUTPOST_TRY(once(8, key));
            return bounded(c.team, key, kMaxIdBytes);
        }
        if (key == "field") {
            OUTPOST_TRY(once(16, key));
            return bounded(c.field, key, kMaxIdBytes);
        }
        if (key == "value") {
            OUTPOST_TRY(once(32, key));
            std::string_view v;
            Status read = r.raw(v, kMember);
            if (!read.is_ok()) {
                return in(read, key);
            }
            if (v.size() > kMaxValueBytes) {
                return Status::error(errc::kSyncValueTooLarge, "'value' in " + where() + " is " +
                                                                   std::to_string(v.size()) + " bytes; the limit is " +
                                                                   std::to_string(kMaxValueBytes));
            }
            c.value.assign(v);
            return Status::ok();
        }
        if (key == "hlc") {
            OUTPOST_TRY(once(64, key));
            return bounded(c.hlc, key, 16);
        }
        if (key == "base") {
            OUTPOST_TRY(once(128, key));
            return bounded(c.base, key, 16);
        }
        if (pulled && key == "device") {
            OUTPOST_TRY(once(256, key));
            return bounded(c.device, key, kMaxIdBytes);
        }
        if (pulled && key == "author") {
            OUTPOST_TRY(once(512, key));
            return bounded(c.author, key, kMaxIdBytes);
        }
        if (!pulled && key == "form_version") {
            OUTPOST_TRY(once(1024, key));
            std::int64_t v = 0;
            OUTPOST_TRY(in(r.integer(v, kMember), key));
            if (v < 1 || v > 1'000'000) {
                return malformed("'form_version' in " + where() + " must be from 1 to 1000000");
            }
            c.form_version = static_cast<int>(v);
            return Status::ok();
        }
        return malformed("unknown field '" + key + "' in " + where());
    });
    if (!members.is_ok()) {
        return members.message().find(kChange) != std::string::npos
                   ? Status::error(members.code(), where() + ": " + std::string(members.message()))
                   : members;
    }
    const unsigned need = pulled ? 1023U : 255U;
    if ((seen & 1023U) != need) {
        static const char* names[] = {"seq",   "record", "type", "team",   "field",
                                      "value", "hlc",    "base", "device", "author"};
        for (unsigned b = 0; b < 10; ++b) {
            if ((need & (1U << b)) != 0 && (seen & (1U << b)) == 0) {
                return malformed(std::string("'") + names[b] + "' is missing from " + where());
            }
        }
    }
    if (!is_hlc_text(c.hlc) || !is_hlc_text(c.base)) {
        return malformed("'hlc' and 'base' in " + where() + " must be 16 lower-case hex digits");
    }
    return Status::ok();
}

void write_change(std::string& out, const WireChange& c, bool pulled) {
    out += "{\"seq\":";
    out += std::to_string(c.seq);
    out += ",\"record\":";
    json::append_quoted(out, c.record);
    out += ",\"type\":";
    json::append_quoted(out, c.type);
    out += ",\"team\":";
    json::append_quoted(out, c.team);
    out += ",\"field\":";
    json::append_quoted(out, c.field);
    out += ",\"value\":";
    out += c.value.empty() ? std::string_view("null") : std::string_view(c.value);
    out += ",\"hlc\":";
    json::append_quoted(out, c.hlc);
    out += ",\"base\":";
    json::append_quoted(out, c.base);
    if (!pulled && c.form_version > 0) {
        out += ",\"form_version\":";
        out += std::to_string(c.form_version);
    }
    if (pulled) {
        out += ",\"device\":";
        json::append_quoted(out, c.device);
        out += ",\"author\":";
        json::append_quoted(out, c.author);
    }
    out += '}';
}

Status finish_message(JsonReader& r, const Status& read, unsigned seen, unsigned need, const char* what,
                      const char* members) {
    OUTPOST_TRY(read);
    if (!r.at_end()) {
        return malformed(std::string(what) + " has trailing data");
    }
    if (seen != need) {
        return malformed(std::string(what) + " needs " + members);
    }
    return Status::ok();
}

Status as_pulled(Status s) {
    return s.code() == errc::kSyncValueTooLarge ? Status::error(errc::kSyncPullValueTooLarge, s.message()) : s;
}

}  // namespace outpost::sync
