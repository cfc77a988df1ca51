// Search: worker-typed text made into a safe FTS5 query, the text of a record's search row, and the
// index kept in step with the heads (the index is contentless: the heads hold the text, so taking a
// row out means rebuilding its old text from the old heads).
#include "search.h"

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "engine_impl.h"
#include "value_codec.h"

namespace outpost::records {

std::string fts_query(std::string_view typed) {
    // Tokens are runs of letters and digits (any non-ASCII byte counts as a letter, so accented and
    // non-Latin words survive); everything else, including quotes and FTS5 operators, separates them.
    std::vector<std::string> tokens;
    std::string cur;
    for (char ch : typed) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80) {
            cur.push_back(ch);
        } else if (!cur.empty()) {
            tokens.push_back(std::move(cur));
            cur.clear();
        }
    }
    if (!cur.empty()) {
        tokens.push_back(std::move(cur));
    }
    if (tokens.size() > 16) {
        tokens.resize(16);
    }
    std::string q;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        if (i > 0) {
            q += ' ';
        }
        q += '"' + tokens[i] + '"';
        if (i + 1 == tokens.size() && !typed.empty() && tokens[i].size() >= 2 &&
            std::string_view("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ").find(typed.back()) !=
                std::string_view::npos) {
            q += '*';  // still typing the last word: match it as a prefix
        }
    }
    return q;
}

std::string fts_body(const Schema& schema, const std::vector<Head>& heads) {
    std::string body;
    for (const Head& h : heads) {
        const FieldDef* f = schema.field(h.field);
        if (f == nullptr) {
            continue;
        }
        if (f->kind == FieldKind::kText || f->kind == FieldKind::kLongText || f->kind == FieldKind::kChoice) {
            if (plain_quoted(h.value)) {
                body.append(h.value, 1, h.value.size() - 2);
                body += '\n';
            } else if (Result<FieldValue> v = decode_value(f->kind, h.value); v.is_ok()) {
                if (const auto* text = std::get_if<std::string>(&*v)) {
                    body += *text;
                    body += '\n';
                }
            }
        } else if (f->kind == FieldKind::kMultiChoice) {
            if (Result<FieldValue> v = decode_value(f->kind, h.value); v.is_ok()) {
                if (const auto* items = std::get_if<std::vector<std::string>>(&*v)) {
                    for (const auto& item : *items) {
                        body += item;
                        body += ' ';
                    }
                    body += '\n';
                }
            }
        }
    }
    return body;
}

std::string search_fingerprint(const std::vector<Schema>& schemas) {
    std::uint64_t h = 1469598103934665603ULL;
    auto mix = [&h](std::string_view part) {
        for (unsigned char c : part) {
            h = (h ^ c) * 1099511628211ULL;
        }
        h = (h ^ 0xffU) * 1099511628211ULL;
    };
    mix("search v1");
    for (const Schema& s : schemas) {
        for (const FieldDef& f : s.fields) {
            if (f.kind == FieldKind::kText || f.kind == FieldKind::kLongText || f.kind == FieldKind::kChoice ||
                f.kind == FieldKind::kMultiChoice) {
                mix(s.type);
                mix(f.name);
                mix(kind_name(f.kind));
            }
        }
    }
    return std::to_string(h);
}

void RecordEngine::Impl::remember_search(Row& row, const Schema* schema) {
    if (!row.search_remembered && row.fts_rowid && schema != nullptr) {
        row.old_search = fts_body(*schema, row.heads);  // what the search row holds, before heads change
    }
    row.search_remembered = true;
}

Status RecordEngine::Impl::flush_search() {
    std::vector<PendingSearch> pending;
    pending.swap(m_pending_search);
    // In order: a record written twice in one pull takes out the row its first write put in.
    Stmt fts_del = prepare("INSERT INTO records_fts(records_fts, rowid, body) VALUES('delete', ?, ?)");
    Stmt fts_ins = prepare("INSERT INTO records_fts(rowid, body) VALUES(?, ?)");
    for (const PendingSearch& p : pending) {
        if (p.old_rowid) {
            fts_del.i64(1, *p.old_rowid).text_ref(2, p.old_body);
            if (int rc = fts_del.step(); rc != SQLITE_DONE) {
                return m_store.sql_status(rc, "updating the search index");
            }
            fts_del.reset();
        }
        if (p.new_rowid) {
            fts_ins.i64(1, *p.new_rowid).text_ref(2, p.body_ref != nullptr ? *p.body_ref : p.body);
            if (int rc = fts_ins.step(); rc != SQLITE_DONE) {
                return m_store.sql_status(rc, "updating the search index");
            }
            fts_ins.reset();
        }
    }
    return Status::ok();
}

}  // namespace outpost::records
