// GET /v1/snapshot, written: SnapshotWriter streams a page one version at a time; encode() writes a
// whole SnapshotResponse through it.
#include <algorithm>
#include <charconv>
#include <string>

#include "outpost/core/json.h"
#include "outpost/sync/sync_messages.h"

namespace outpost::sync {
namespace {

void append_hex16(std::string& out, std::uint64_t v) {
    static constexpr char kHex[] = "0123456789abcdef";
    char buf[16];
    for (int i = 15; i >= 0; --i) {
        buf[i] = kHex[v & 15U];
        v >>= 4;
    }
    out.append(buf, 16);
}

}  // namespace

SnapshotWriter::SnapshotWriter(std::string_view team, std::size_t reserve_bytes) {
    m_out.reserve(reserve_bytes + 128);
    m_out += "{\"team\":";
    json::append_quoted(m_out, team);
    m_out += ",\"records\":[";
}

void SnapshotWriter::begin_record(std::string_view id, std::string_view type, std::string_view created_by) {
    end_record();
    m_open = true;
    ++m_records;
    m_id.assign(id);
    m_type.assign(type);
    m_created_by.assign(created_by);
    m_used = 0;
    m_writers_used = 0;
}

void SnapshotWriter::add(std::string_view field, std::string_view value, std::uint64_t hlc, std::uint64_t base,
                         std::string_view device, std::string_view author) {
    std::size_t w = 0;
    while (w < m_writers_used && (m_writers[w].first != device || m_writers[w].second != author)) {
        ++w;
    }
    if (w == m_writers_used) {
        if (m_writers.size() == m_writers_used) {
            m_writers.emplace_back();
        }
        m_writers[w].first.assign(device);
        m_writers[w].second.assign(author);
        ++m_writers_used;
    }
    if (m_versions.size() == m_used) {
        m_versions.emplace_back();
    }
    Version& v = m_versions[m_used++];
    v.field.assign(field);
    v.value.assign(value);
    v.hlc = hlc;
    v.base = base;
    v.writer = w;
}

void SnapshotWriter::end_record() {
    if (!m_open) {
        return;
    }
    m_open = false;
    std::uint64_t base_hlc = m_used == 0 ? 0 : m_versions[0].hlc;
    for (std::size_t k = 0; k < m_used; ++k) {
        base_hlc = std::min(base_hlc, m_versions[k].hlc);
    }
    m_out += m_records > 1 ? ",{\"id\":" : "{\"id\":";
    json::append_quoted(m_out, m_id);
    m_out += ",\"type\":";
    json::append_quoted(m_out, m_type);
    m_out += ",\"created_by\":";
    json::append_quoted(m_out, m_created_by);
    m_out += ",\"hlc\":\"";
    append_hex16(m_out, base_hlc);
    m_out += "\",\"writers\":[";
    for (std::size_t w = 0; w < m_writers_used; ++w) {
        m_out += w > 0 ? ",[" : "[";
        json::append_quoted(m_out, m_writers[w].first);
        m_out += ',';
        json::append_quoted(m_out, m_writers[w].second);
        m_out += ']';
    }
    m_out += "],\"fields\":[";
    char num[24];
    for (std::size_t k = 0; k < m_used; ++k) {
        const Version& f = m_versions[k];
        m_out += k > 0 ? ",[" : "[";
        json::append_quoted(m_out, f.field);
        m_out += ',';
        m_out += f.value.empty() ? std::string_view("null") : std::string_view(f.value);
        m_out += ',';
        m_out.append(num, static_cast<std::size_t>(std::to_chars(num, num + sizeof num, f.hlc - base_hlc).ptr - num));
        m_out += ',';
        m_out.append(num, static_cast<std::size_t>(std::to_chars(num, num + sizeof num, f.writer).ptr - num));
        if (f.base != 0) {
            m_out += ",\"";
            append_hex16(m_out, f.base);
            m_out += '"';
        }
        m_out += ']';
    }
    m_out += "]}";
}

std::string SnapshotWriter::finish(std::string_view next, std::string_view cursor, bool more) {
    end_record();
    m_out += "],\"next\":";
    json::append_quoted(m_out, next);
    m_out += ",\"cursor\":";
    json::append_quoted(m_out, cursor);
    m_out += more ? ",\"more\":true}" : ",\"more\":false}";
    return std::move(m_out);
}

std::string encode(const SnapshotResponse& m) {
    SnapshotWriter w(m.team);
    for (const SnapshotRecord& rec : m.records) {
        w.begin_record(rec.id, rec.type, rec.created_by);
        for (const SnapshotVersion& f : rec.fields) {
            if (f.writer < rec.writers.size()) {
                w.add(f.field, f.value, f.hlc, f.base, rec.writers[f.writer].first, rec.writers[f.writer].second);
            }
        }
    }
    return w.finish(m.next, m.cursor, m.more);
}

}  // namespace outpost::sync
