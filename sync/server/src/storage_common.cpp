#include "storage_common.h"

#include <sodium.h>
#include <sqlite3.h>

#include <algorithm>

#include "outpost/core/error_codes.h"
#include "outpost/core/store.h"

namespace outpost::sync::storage {

Status sql_error(sqlite3* db, const std::string& what) {
    return Status::error(db != nullptr ? sqlite_error_code(sqlite3_extended_errcode(db)) : errc::kStoreSql,
                         what + ": " + (db != nullptr ? sqlite3_errmsg(db) : "out of memory"));
}

std::string random_hex(std::size_t bytes) {
    std::vector<unsigned char> raw(bytes);
    randombytes_buf(raw.data(), raw.size());
    std::string hex(bytes * 2 + 1, '\0');
    sodium_bin2hex(hex.data(), hex.size(), raw.data(), raw.size());
    hex.pop_back();
    return hex;
}

std::optional<ChangeOutcome> outcome_from(std::string_view name) {
    for (ChangeOutcome o :
         {ChangeOutcome::kApplied, ChangeOutcome::kSuperseded, ChangeOutcome::kConflict, ChangeOutcome::kRejected}) {
        if (outcome_name(o) == name) {
            return o;
        }
    }
    return std::nullopt;
}

std::string hlc_text(std::int64_t packed) {
    return records::Hlc{static_cast<std::uint64_t>(packed)}.to_string();
}

std::int64_t hlc_value(const std::string& text) {
    Result<records::Hlc> h = records::Hlc::parse(text);
    return h.is_ok() ? static_cast<std::int64_t>(h->packed) : 0;
}

Result<bool> SnapshotPager::add(std::string_view id, std::string_view type, std::string_view created_by,
                                std::string_view fields, bool& more,
                                const std::function<void(const ServerStorage::SnapshotRow&)>& on_row) {
    versions.clear();
    OUTPOST_TRY(records::scan_frontiers(fields, [&](const records::VersionView& v) {
        if (v.device != exclude_device) {
            versions.push_back(v);
        }
    }));
    if (versions.empty()) {
        return true;  // the device holds all of it
    }
    if (records == limit || (records > 0 && bytes >= max_bytes)) {
        more = true;  // a record is waiting: the next page starts with it
        return false;
    }
    ++records;
    ServerStorage::SnapshotRow row;
    row.id = id;
    row.type = type;
    row.created_by = created_by;
    row.first_of_record = true;
    for (const records::VersionView& v : versions) {
        row.field = v.field;
        row.value = v.value;
        row.hlc = v.hlc.packed;
        row.device = v.device;
        row.base = v.base.packed;
        row.author = v.author;
        bytes += row.value.size();
        on_row(row);
        row.first_of_record = false;
    }
    return true;
}

Status GroupWriter::submit(const std::function<Status(SyncTxn&)>& body, const Write& write) {
    Pending me{&body};
    std::unique_lock lock(m_mutex);
    m_waiting.push_back(&me);
    while (!me.done) {
        if (m_writing) {
            m_turn.wait(lock);
            continue;
        }
        m_writing = true;
        const auto end = m_waiting.begin() + static_cast<long>(std::min(m_waiting.size(), m_max_group));
        const std::vector<Pending*> group(m_waiting.begin(), end);
        m_waiting.erase(m_waiting.begin(), end);
        lock.unlock();
        write(group);
        lock.lock();
        for (Pending* p : group) {
            p->done = true;
        }
        m_writing = false;
        m_turn.notify_all();
    }
    return me.result;
}

}  // namespace outpost::sync::storage
