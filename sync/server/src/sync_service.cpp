#include "outpost/sync/sync_service.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>
#include <map>

#include "outpost/core/error_codes.h"
#include "outpost/core/json.h"
#include "outpost/core/records/attachments.h"
#include "outpost/core/records/engine.h"
#include "outpost/core/records/logic.h"
#include "outpost/core/records/review.h"
#include "push_logic.h"

namespace outpost::sync {
namespace {

// Messages can quote what a device sent; answers and their stored copies must be valid UTF-8, or a
// strict reader refuses the whole answer (and the device's queue would stall on it).
ChangeResult rejected(std::int64_t seq, std::string_view code, const std::string& message) {
    return ChangeResult{seq, ChangeOutcome::kRejected, std::string(code), json::valid_utf8(message)};
}

// Record ids: what the snapshot's paging and URLs can carry as they are (a leading '*' marks the
// library's pages; see snapshot()). Laptops make UUIDs.
bool valid_record_id(std::string_view id) {
    if (id.empty() || id.size() > kMaxIdBytes || std::isalnum(static_cast<unsigned char>(id.front())) == 0) {
        return false;
    }
    return std::all_of(id.begin(), id.end(), [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '-' || ch == '_' || ch == '.' || ch == ':';
    });
}

// The winner's canonical text of `field`, or nothing.
std::optional<std::string> winner_text(const StoredRecord& r, std::string_view field) {
    for (const records::FieldFrontier& f : r.fields) {
        if (f.field == field && !f.state.frontier.empty()) {
            return records::winner(f.state).value;
        }
    }
    return std::nullopt;
}

// The current value (the merge winner) of `field` in `rec`, decoded for the field's kind; nothing when
// the field has no value. For lifecycle checks, which read choices and texts.
records::Values current_values(const records::Schema& schema, const StoredRecord& rec) {
    records::Values out;
    for (const records::FieldFrontier& f : rec.fields) {
        const records::FieldDef* def = schema.field(f.field);
        if (def == nullptr || f.state.frontier.empty()) {
            continue;
        }
        if (Result<records::FieldValue> v = records::decode_value(def->kind, records::winner(f.state).value);
            v.is_ok()) {
            out[f.field] = std::move(*v);
        }
    }
    return out;
}

}  // namespace

Result<LoadedForms> load_forms(const std::filesystem::path& dir) {
    Result<std::vector<records::FormFile>> files = records::read_form_files(dir);
    OUTPOST_TRY(files);
    Result<std::vector<records::Schema>> schemas = records::parse_form_files(*files);
    OUTPOST_TRY(schemas);
    std::string json = "[";
    for (std::size_t i = 0; i < files->size(); ++i) {
        json += (i > 0 ? ",\n" : "\n") + (*files)[i].text;
    }
    json += "]";
    return LoadedForms{std::move(*schemas), std::move(json)};
}

SyncService::SyncService(ServerStorage& storage, std::vector<records::Schema> schemas, std::string schemas_json,
                         const Clock& clock, std::size_t pull_page_bytes)
    : m_storage(storage),
      m_from_storage(false),
      m_forms(std::make_shared<const FormSet>(fixed_form_set(std::move(schemas), std::move(schemas_json)))),
      m_clock(clock),
      m_pull_page_bytes(pull_page_bytes),
      m_hlc(clock) {
}

SyncService::SyncService(ServerStorage& storage, const Clock& clock, std::size_t pull_page_bytes)
    : m_storage(storage),
      m_from_storage(true),
      m_forms(std::make_shared<const FormSet>()),
      m_clock(clock),
      m_pull_page_bytes(pull_page_bytes),
      m_hlc(clock) {
}

Status SyncService::start() {
    if (m_from_storage) {
        Result<FormSet> forms = load_form_set(m_storage);
        OUTPOST_TRY(forms);
        std::lock_guard lock(m_forms_mutex);
        m_forms = std::make_shared<const FormSet>(std::move(*forms));
        m_forms_checked = std::chrono::steady_clock::now();
    }
    Result<std::uint64_t> last = m_storage.max_hlc();
    OUTPOST_TRY(last);
    std::lock_guard lock(m_clock_mutex);
    m_hlc.restore(records::Hlc{*last});
    return Status::ok();
}

void SyncService::set_forms_check_interval(std::chrono::milliseconds interval) {
    std::lock_guard lock(m_forms_mutex);
    m_forms_check_interval = interval;
}

std::shared_ptr<const FormSet> SyncService::forms() {
    if (m_from_storage) {
        refresh_forms();
    }
    std::lock_guard lock(m_forms_mutex);
    return m_forms;
}

void SyncService::refresh_forms() {
    std::int64_t held = 0;
    {
        std::lock_guard lock(m_forms_mutex);
        const auto now = std::chrono::steady_clock::now();
        if (now - m_forms_checked < m_forms_check_interval) {
            return;
        }
        m_forms_checked = now;
        held = m_forms->generation;
    }
    // One reader asks; the others go on with the forms held meanwhile.
    std::unique_lock reload(m_reload_mutex, std::try_to_lock);
    if (!reload.owns_lock()) {
        return;
    }
    Result<std::int64_t> generation = m_storage.forms_generation();
    if (!generation.is_ok() || *generation == held) {
        return;  // a database that is down keeps the forms held; the next check asks again
    }
    Result<FormSet> forms = load_form_set(m_storage);
    if (!forms.is_ok()) {
        return;
    }
    std::lock_guard lock(m_forms_mutex);
    m_forms = std::make_shared<const FormSet>(std::move(*forms));
}

const records::Schema* SyncService::schema_for(const BatchForms& batch, const std::string& type, const std::string& id,
                                               const std::optional<StoredRecord>& held) {
    // The version of the form this record is written with: named in this push, else stored, else
    // the latest.
    if (auto named = batch.versions.find(id); named != batch.versions.end()) {
        return batch.forms->schema(type, named->second);
    }
    if (held.has_value()) {
        if (std::optional<std::string> stored = winner_text(*held, records::kFormVersionField)) {
            Result<records::FieldValue> v = records::decode_value(records::FieldKind::kInteger, *stored);
            const auto* n = v.is_ok() ? std::get_if<std::int64_t>(&*v) : nullptr;
            if (n != nullptr && *n >= 1 && *n <= std::numeric_limits<int>::max()) {
                return batch.forms->schema(type, static_cast<int>(*n));
            }
        }
    }
    return batch.forms->schema(type);
}

Result<PushResponse> SyncService::push(const DeviceAuth& who, const PushRequest& request) {
    if (request.device_id != who.device_id) {
        return Status::error(errc::kSyncDeviceMismatch, "the batch names a different device than the token");
    }
    if (request.from_seq > request.to_seq && !request.changes.empty()) {
        return Status::error(errc::kProtocolMalformed, "from_seq is after to_seq");
    }
    std::int64_t prev = request.from_seq - 1;
    for (const WireChange& c : request.changes) {
        if (c.seq <= prev || c.seq > request.to_seq) {
            return Status::error(errc::kProtocolMalformed,
                                 "change seqs must ascend within from_seq..to_seq (seq " + std::to_string(c.seq) + ")");
        }
        prev = c.seq;
    }
    PushResponse response;
    response.results.reserve(request.changes.size());
    const std::int64_t now = m_clock.now_ms();
    std::vector<std::string> ids;
    for (const WireChange& c : request.changes) {
        if (valid_record_id(c.record) && (ids.empty() || ids.back() != c.record)) {
            ids.push_back(c.record);
        }
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    const std::shared_ptr<const FormSet> forms = this->forms();  // held for the whole push
    BatchForms batch{forms.get(), {}, {}};
    for (const WireChange& c : request.changes) {
        if (c.form_version > 0) {
            batch.versions[c.record] = c.form_version;
        }
        if (c.field == records::kFormVersionField) {
            std::int64_t v = 0;
            const auto [end, ec] = std::from_chars(c.value.data(), c.value.data() + c.value.size(), v);
            if (ec == std::errc() && end == c.value.data() + c.value.size() && v >= 1 &&
                v <= std::numeric_limits<int>::max()) {
                batch.versions[c.record] = static_cast<int>(v);
            }
        } else if ((c.type == "endorsement" && c.field == "suggestion") ||
                   (c.type == "adoption" && c.field == "practice")) {
            batch.names_target[c.record] = true;
        }
    }
    Status s = m_storage.with_sync_txn(who.team, [&](SyncTxn& txn) -> Status {
        response.results.clear();
        OUTPOST_TRY(txn.prefetch(ids));
        Result<std::vector<ChangeResult>> priors = txn.prior_results(who.device_id, request.from_seq, request.to_seq);
        OUTPOST_TRY(priors);
        BatchCache cache;
        std::unordered_map<std::string, records::FieldError> refused;  // record -> why its changes are refused
        {
            // Whole-record rules, per record, over the changes not answered before.
            std::map<std::string, std::vector<const WireChange*>> groups;
            std::size_t at = 0;
            for (const WireChange& c : request.changes) {
                while (at < priors->size() && (*priors)[at].seq < c.seq) {
                    ++at;
                }
                // Only changes that name the form version they were written under: the rules of that
                // version are the ones the writer saw. A client from before form versions is checked
                // field by field, as it always was.
                if ((at >= priors->size() || (*priors)[at].seq != c.seq) && valid_record_id(c.record) &&
                    c.team == who.team && c.form_version > 0) {
                    groups[c.record].push_back(&c);
                }
            }
            const std::string today = records::today_of(now);
            for (const auto& [id, changes] : groups) {
                Result<CachedRecord*> entry = cached(txn, cache, id);
                OUTPOST_TRY(entry);
                const std::optional<StoredRecord>& held = (*entry)->record;
                const std::string& type = changes.front()->type;
                if (held.has_value() && (held->meta.type != type || held->meta.team != who.team)) {
                    continue;  // refused change by change
                }
                const records::Schema* sch = schema_for(batch, type, id, held);
                if (sch == nullptr) {
                    continue;
                }
                if (std::optional<records::FieldError> e =
                        whole_record_refusal(*sch, held.has_value() ? &*held : nullptr, changes, today)) {
                    refused.emplace(id, std::move(*e));
                }
            }
        }
        std::size_t next_prior = 0;
        std::vector<ChangeResult> fresh;  // answered now, saved for a retry
        for (const WireChange& c : request.changes) {
            while (next_prior < priors->size() && (*priors)[next_prior].seq < c.seq) {
                ++next_prior;
            }
            if (next_prior < priors->size() && (*priors)[next_prior].seq == c.seq) {
                response.results.push_back((*priors)[next_prior]);
                continue;
            }
            if (auto no = refused.find(c.record); no != refused.end()) {
                fresh.push_back(rejected(c.seq, no->second.code, no->second.message));
                response.results.push_back(fresh.back());
                continue;
            }
            Result<ChangeResult> r = apply_one(txn, cache, batch, who, c, now);
            OUTPOST_TRY(r);
            fresh.push_back(*r);
            response.results.push_back(std::move(*r));
        }
        OUTPOST_TRY(publish_library(txn, cache, now));
        for (const auto& [id, entry] : cache) {
            if (entry.dirty) {
                OUTPOST_TRY(txn.put_record(id, *entry.record, entry.is_new, now));
            }
        }
        return txn.save_results(who.device_id, fresh);
    });
    if (!s.is_ok()) {
        return s;
    }
    return response;
}

Result<ChangeResult> SyncService::apply_one(SyncTxn& txn, BatchCache& cache, const BatchForms& batch,
                                            const DeviceAuth& who, const WireChange& c, std::int64_t now_ms) {
    if (c.record.empty() || c.field.empty() || c.type.empty()) {
        return rejected(c.seq, errc::kProtocolMalformed, "a change needs a record, a type and a field");
    }
    if (!valid_record_id(c.record)) {
        return rejected(c.seq, errc::kProtocolMalformed,
                        "a record id is letters, digits, '-', '_', '.' and ':', starting with a letter or digit");
    }
    Result<records::Hlc> hlc = records::Hlc::parse(c.hlc);
    Result<records::Hlc> base = records::Hlc::parse(c.base);
    if (!hlc.is_ok() || !base.is_ok() || hlc->is_zero() || *base >= *hlc) {
        return rejected(c.seq, errc::kRecordClockInvalid, "the change's timestamps are not valid");
    }
    const records::Schema* sch = batch.forms->schema(c.type);
    if (sch == nullptr) {
        return rejected(c.seq, errc::kRecordTypeUnknown, "the server has no form called '" + c.type + "'");
    }
    if (c.team != who.team) {
        return rejected(c.seq, errc::kSyncScopeForbidden, "this device may only write records of its own team");
    }
    Result<CachedRecord*> cached_entry = cached(txn, cache, c.record);
    OUTPOST_TRY(cached_entry);
    CachedRecord& entry = **cached_entry;
    if (entry.record.has_value()) {
        const RecordMeta& meta = entry.record->meta;
        if (meta.team != who.team) {
            return rejected(c.seq, errc::kSyncScopeForbidden, "this record belongs to another team");
        }
        if (meta.type != c.type) {
            return rejected(c.seq, errc::kSyncRecordMismatch, "this record is a '" + meta.type + "' on the server");
        }
    }
    sch = schema_for(batch, c.type, c.record, entry.record);
    std::string canonical;
    if (c.field == "_deleted") {
        if (c.value != "true" && c.value != "false") {
            return rejected(c.seq, errc::kFieldWrongKind, "_deleted takes true or false");
        }
        canonical = c.value;
    } else if (c.field == records::kFormVersionField) {
        Result<records::FieldValue> v = records::decode_value(records::FieldKind::kInteger, c.value);
        const auto* n = v.is_ok() ? std::get_if<std::int64_t>(&*v) : nullptr;
        if (n == nullptr || *n < 1 || *n > std::numeric_limits<int>::max()) {
            return rejected(c.seq, errc::kFieldWrongKind, "_form_version takes a whole number from 1");
        }
        canonical = records::encode_value(*n);
    } else {
        const records::FieldDef* def = sch->field(c.field);
        if (def == nullptr) {
            return rejected(c.seq, errc::kFieldUnknown, "the form '" + c.type + "' has no field '" + c.field + "'");
        }
        Result<records::FieldValue> value = records::decode_value(def->kind, c.value);
        if (!value.is_ok()) {
            return rejected(c.seq, value.status().code(), value.status().message());
        }
        if (std::vector<records::FieldError> errors = records::validate_field(*def, *value, who.role);
            !errors.empty()) {
            return rejected(c.seq, errors.front().code, errors.front().message);
        }
        // A lifecycle (a suggestion's status): the step from the value the server holds must be
        // allowed, and the answers the new value needs must already be here (a device sends a
        // record's changes in field-name order, so a decision note comes before its status).
        if (!def->transitions.empty() || !def->requires_answers.empty()) {
            const records::Values now =
                entry.record.has_value() ? current_values(*sch, *entry.record) : records::Values{};
            const auto* to = std::get_if<std::string>(&*value);
            const auto held = now.find(c.field);
            const std::string from = held != now.end() && std::holds_alternative<std::string>(held->second)
                                         ? std::get<std::string>(held->second)
                                         : std::string();
            if (std::optional<records::FieldError> e =
                    records::check_transition(*def, from, to != nullptr ? *to : "")) {
                return rejected(c.seq, e->code, e->message);
            }
            if (std::vector<records::FieldError> missing =
                    records::check_required_answers(*sch, *def, to != nullptr ? *to : "", now);
                !missing.empty()) {
                return rejected(c.seq, missing.front().code, missing.front().message);
            }
        }
        canonical = records::encode_value(*value);
    }
    if (std::optional<ChangeResult> refused = review_rules(txn, cache, batch, who, *sch, entry, c, canonical)) {
        return *refused;
    }
    {
        std::lock_guard lock(m_clock_mutex);
        if (Status s = m_hlc.observe(*hlc); !s.is_ok()) {
            return rejected(c.seq, s.code(), s.message());
        }
    }
    if (!entry.record.has_value()) {
        entry.record = StoredRecord{RecordMeta{c.type, c.team, who.user}, {}};
        entry.is_new = true;
        entry.dirty = true;
    }
    std::vector<records::FieldFrontier>& fields = entry.record->fields;
    auto field =
        std::lower_bound(fields.begin(), fields.end(), c.field,
                         [](const records::FieldFrontier& f, const std::string& name) { return f.field < name; });
    if (field == fields.end() || field->field != c.field) {
        field = fields.insert(field, records::FieldFrontier{c.field, {}});
    }
    const records::FieldVersion incoming{canonical, records::Stamp{*hlc, who.device_id}, *base, who.user};
    for (const records::FieldVersion& v : field->state.frontier) {
        if (v.stamp == incoming.stamp && v != incoming) {
            // A device never stamps two writes alike; two versions under one stamp could not be
            // ordered (nor stored: the frontiers blob keeps stamps strictly ascending).
            return rejected(c.seq, errc::kRecordClockInvalid,
                            "this device already sent a different value with the same timestamp");
        }
    }
    records::ApplyResult applied = records::apply_write(field->state, incoming);
    if (applied.state != field->state) {
        field->state = std::move(applied.state);
        entry.dirty = true;
    }
    if (c.field != "_deleted" && c.field != records::kFormVersionField) {
        // An attachments answer: the team may now upload (and later read) the files it names.
        if (const records::FieldDef* def = sch->field(c.field);
            def != nullptr && def->kind == records::FieldKind::kAttachments) {
            Result<records::FieldValue> v = records::decode_value(def->kind, canonical);
            const std::string* text = v.is_ok() ? std::get_if<std::string>(&*v) : nullptr;
            if (Result<std::vector<records::Attachment>> list =
                    text != nullptr
                        ? records::parse_attachments(*text)
                        : Result<std::vector<records::Attachment>>(Status::error(errc::kFieldWrongKind, ""));
                list.is_ok()) {
                for (const records::Attachment& a : *list) {
                    OUTPOST_TRY(txn.add_blob_ref(c.team, a.hash));
                }
            }
        }
    }
    const records::FieldVersion& top = records::winner(field->state);
    if (top.stamp == incoming.stamp) {
        WireChange logged = c;
        logged.value = canonical;
        logged.device = who.device_id;
        logged.author = who.user;
        OUTPOST_TRY(txn.append_change(logged, now_ms));
    }
    for (const records::FieldVersion& loser : applied.new_losers) {
        OUTPOST_TRY(record_conflict(txn, c.team, c, top, loser, now_ms));
    }
    switch (applied.outcome) {
        case records::MergeOutcome::kApplied:
            return ChangeResult{c.seq, ChangeOutcome::kApplied, "", ""};
        case records::MergeOutcome::kConflict:
            return ChangeResult{c.seq, ChangeOutcome::kConflict, "", ""};
        case records::MergeOutcome::kSuperseded:
            break;
    }
    return ChangeResult{c.seq, ChangeOutcome::kSuperseded, "", ""};
}

Result<SyncService::CachedRecord*> SyncService::cached(SyncTxn& txn, BatchCache& cache, const std::string& id) {
    auto it = cache.find(id);
    if (it == cache.end()) {
        Result<std::optional<StoredRecord>> found = txn.record(id);
        OUTPOST_TRY(found);
        it = cache.emplace(id, CachedRecord{std::move(*found)}).first;
    }
    return &it->second;  // node-based: stays valid as the cache grows
}

namespace {

bool is_deleted(const StoredRecord& r) {
    return winner_text(r, "_deleted").value_or("false") == "true";
}

std::string decoded_text(std::string_view canonical) {
    Result<records::FieldValue> v = records::decode_value(records::FieldKind::kText, canonical);
    const std::string* s = v.is_ok() ? std::get_if<std::string>(&*v) : nullptr;
    return s != nullptr ? *s : std::string();
}

// adopted_by: the adopting teams, "; "-separated, sorted.
std::set<std::string> team_set(std::string_view text) {
    std::set<std::string> out;
    std::size_t at = 0;
    while (at < text.size()) {
        std::size_t end = text.find("; ", at);
        end = end == std::string_view::npos ? text.size() : end;
        if (end > at) {
            out.emplace(text.substr(at, end - at));
        }
        at = end + 2;
    }
    return out;
}

}  // namespace

std::optional<ChangeResult> SyncService::review_rules(SyncTxn& txn, BatchCache& cache, const BatchForms& batch,
                                                      const DeviceAuth& who, const records::Schema& schema,
                                                      const CachedRecord& entry, const WireChange& c,
                                                      const std::string& canonical) {
    if (c.type == "practice" || ((c.type == "suggestion" || c.type == "adoption") && who.role != kRoleLead)) {
        const records::Values now =
            entry.record.has_value() ? current_values(schema, *entry.record) : records::Values{};
        if (std::optional<records::FieldError> e = records::review_write_rule(c.type, now, who.role, c.field)) {
            return rejected(c.seq, e->code, e->message);
        }
    }
    const bool authored = c.type == "endorsement" || c.type == "comment";
    if (authored && entry.record.has_value() && entry.record->meta.created_by != who.user) {
        return rejected(c.seq, errc::kSyncScopeForbidden, "only its author may change this " + c.type);
    }
    const bool derived = c.type == "endorsement" || c.type == "adoption";
    const bool endorsing = c.type == "endorsement" && c.field == "suggestion";
    const bool adopting = c.type == "adoption" && c.field == "practice";
    // A new record's "_form_version" may come first (a device sends a record's fields in name order)
    // when the same push names the target, whose id is checked then.
    const bool versioning_new = c.field == records::kFormVersionField && batch.names_target.count(c.record) > 0;
    if (derived && !entry.record.has_value() && !endorsing && !adopting && !versioning_new) {
        // Its id is checked against its target, so its first change must be the target.
        return rejected(
            c.seq, errc::kSyncScopeForbidden,
            "a new " + c.type + " must begin with its " + (c.type == "endorsement" ? "suggestion" : "practice"));
    }
    if (!endorsing && !adopting) {
        return std::nullopt;
    }
    const std::string target = decoded_text(canonical);
    const std::string expected =
        endorsing ? records::endorsement_id(target, who.user) : records::adoption_id(target, who.team);
    if (c.record != expected) {
        return rejected(c.seq, errc::kSyncScopeForbidden,
                        endorsing ? "an endorsement's id must come from its suggestion and its author"
                                  : "an adoption's id must come from its practice and its team");
    }
    Result<CachedRecord*> t = cached(txn, cache, target);
    if (!t.is_ok()) {
        return rejected(c.seq, t.status().code(), t.status().message());
    }
    const std::optional<StoredRecord>& r = (*t)->record;
    const bool found = r.has_value() && !is_deleted(*r) &&
                       (endorsing ? r->meta.type == "suggestion" && r->meta.team == who.team
                                  : r->meta.type == "practice" && r->meta.team == records::kLibraryTeam);
    if (!found) {
        return rejected(c.seq, errc::kRecordNotFound,
                        endorsing ? "no such suggestion in your team" : "no such practice in the library");
    }
    return std::nullopt;
}

Status SyncService::publish_library(SyncTxn& txn, BatchCache& cache, std::int64_t now_ms) {
    std::vector<std::string> touched;
    for (const auto& [id, e] : cache) {
        if (e.dirty && e.record.has_value() &&
            (e.record->meta.type == "suggestion" || e.record->meta.type == "adoption")) {
            touched.push_back(id);
        }
    }
    std::sort(touched.begin(), touched.end());
    const std::string library(records::kLibraryTeam);
    for (const std::string& id : touched) {
        const StoredRecord rec = *cache.at(id).record;  // a copy: server_write may grow the cache
        if (rec.meta.type == "suggestion") {
            const std::string status = decoded_text(winner_text(rec, "status").value_or(""));
            const bool publish = winner_text(rec, "shared_to_library").value_or("false") == "true" &&
                                 !is_deleted(rec) && (status == "accepted" || status == "implemented");
            const std::string pid = records::practice_id(id);
            Result<CachedRecord*> practice_found = cached(txn, cache, pid);
            OUTPOST_TRY(practice_found);
            CachedRecord* practice = *practice_found;
            if (practice->record.has_value() &&
                (practice->record->meta.team != library || practice->record->meta.type != "practice")) {
                continue;  // a record squatting on the practice's id (none can since ids are checked)
            }
            if (publish) {
                std::vector<std::pair<std::string, std::string>> values;
                for (const char* f : {"title", "problem", "proposed_change", "expected_benefit", "category", "status",
                                      "decision_note"}) {
                    if (std::optional<std::string> v = winner_text(rec, f)) {
                        values.emplace_back(f, *v);
                    }
                }
                values.emplace_back("source_team", records::encode_value(rec.meta.team));
                values.emplace_back("source_suggestion", records::encode_value(id));
                if (!practice->record.has_value()) {
                    values.emplace_back("adopted_by", records::encode_value(std::string()));
                    values.emplace_back("adoption_count", records::encode_value(std::int64_t{0}));
                } else if (is_deleted(*practice->record)) {
                    values.emplace_back("_deleted", "false");
                }
                OUTPOST_TRY(server_write(txn, cache, pid, "practice", library, values, now_ms));
            } else if (practice->record.has_value() && !is_deleted(*practice->record)) {
                OUTPOST_TRY(server_write(txn, cache, pid, "practice", library, {{"_deleted", "true"}}, now_ms));
            }
            continue;
        }
        const std::string pid = decoded_text(winner_text(rec, "practice").value_or(""));
        if (pid.empty()) {
            continue;
        }
        Result<CachedRecord*> practice_found = cached(txn, cache, pid);
        OUTPOST_TRY(practice_found);
        CachedRecord* practice = *practice_found;
        if (!practice->record.has_value() || practice->record->meta.type != "practice" ||
            practice->record->meta.team != library) {
            continue;
        }
        std::set<std::string> teams = team_set(decoded_text(winner_text(*practice->record, "adopted_by").value_or("")));
        if (is_deleted(rec)) {
            teams.erase(rec.meta.team);
        } else {
            teams.insert(rec.meta.team);
        }
        std::string joined;
        for (const std::string& t : teams) {
            joined += (joined.empty() ? "" : "; ") + t;
        }
        OUTPOST_TRY(server_write(txn, cache, pid, "practice", library,
                                 {{"adopted_by", records::encode_value(joined)},
                                  {"adoption_count", records::encode_value(static_cast<std::int64_t>(teams.size()))}},
                                 now_ms));
    }
    return Status::ok();
}

Status SyncService::server_write(SyncTxn& txn, BatchCache& cache, const std::string& id, const std::string& type,
                                 const std::string& team,
                                 const std::vector<std::pair<std::string, std::string>>& values, std::int64_t now_ms) {
    Result<CachedRecord*> e_found = cached(txn, cache, id);
    OUTPOST_TRY(e_found);
    CachedRecord* e = *e_found;
    if (!e->record.has_value()) {
        e->record = StoredRecord{RecordMeta{type, team, kServerDevice}, {}};
        e->is_new = true;
        e->dirty = true;
    }
    std::vector<records::FieldFrontier>& fields = e->record->fields;
    for (const auto& [name, value] : values) {
        auto f = std::lower_bound(fields.begin(), fields.end(), name,
                                  [](const records::FieldFrontier& x, const std::string& n) { return x.field < n; });
        if (f == fields.end() || f->field != name) {
            f = fields.insert(f, records::FieldFrontier{name, {}});
        }
        records::Hlc base;
        if (!f->state.frontier.empty()) {
            const records::FieldVersion& top = records::winner(f->state);
            if (top.value == value) {
                continue;
            }
            base = top.stamp.hlc;
        }
        records::Hlc hlc;
        {
            std::lock_guard lock(m_clock_mutex);
            hlc = m_hlc.now();
        }
        const records::FieldVersion v{value, records::Stamp{hlc, kServerDevice}, base, kServerDevice};
        f->state = records::apply_write(f->state, v).state;
        e->dirty = true;
        WireChange w;
        w.record = id;
        w.type = type;
        w.team = e->record->meta.team;
        w.field = name;
        w.value = value;
        w.hlc = hlc.to_string();
        w.base = base.to_string();
        w.device = kServerDevice;
        w.author = kServerDevice;
        OUTPOST_TRY(txn.append_change(w, now_ms));
    }
    return Status::ok();
}

// A conflict record holds both sides of a clash: the value kept (the winner) and the other one, with
// their authors and times. It is written by the server into the record's team, like any record.
Status SyncService::record_conflict(SyncTxn& txn, const std::string& team, const WireChange& change,
                                    const records::FieldVersion& kept, const records::FieldVersion& other,
                                    std::int64_t now_ms) {
    const std::string id = records::make_uuid_v7(now_ms);
    std::vector<std::pair<std::string, std::string>> fields = {
        {"record", records::encode_value(change.record)},
        {"record_type", records::encode_value(change.type)},
        {"field", records::encode_value(change.field)},
        {"kept_value", records::encode_value(kept.value)},
        {"kept_author", records::encode_value(kept.author)},
        {"kept_hlc", records::encode_value(kept.stamp.hlc.to_string())},
        {"other_value", records::encode_value(other.value)},
        {"other_author", records::encode_value(other.author)},
        {"other_hlc", records::encode_value(other.stamp.hlc.to_string())},
        {"status", records::encode_value(std::string("open"))},
    };
    std::sort(fields.begin(), fields.end());  // a stored record's fields are in name order
    StoredRecord conflict{RecordMeta{"conflict", team, kServerDevice}, {}};
    for (const auto& [field, value] : fields) {
        records::Hlc hlc;
        {
            std::lock_guard lock(m_clock_mutex);
            hlc = m_hlc.now();
        }
        const records::FieldVersion v{value, records::Stamp{hlc, kServerDevice}, records::Hlc{}, kServerDevice};
        conflict.fields.push_back(records::FieldFrontier{field, records::FieldState{{v}}});
        WireChange w;
        w.record = id;
        w.type = "conflict";
        w.team = team;
        w.field = field;
        w.value = value;
        w.hlc = hlc.to_string();
        w.base = records::Hlc{}.to_string();
        w.device = kServerDevice;
        w.author = kServerDevice;
        OUTPOST_TRY(txn.append_change(w, now_ms));
    }
    return txn.put_record(id, conflict, true, now_ms);
}

Result<PullResponse> SyncService::pull(const DeviceAuth& who, std::string_view cursor, int limit) {
    std::int64_t after = 0;
    if (!cursor.empty()) {
        const auto [end, ec] = std::from_chars(cursor.data(), cursor.data() + cursor.size(), after);
        if (ec != std::errc() || end != cursor.data() + cursor.size() || after < 0) {
            return Status::error(errc::kSyncCursorInvalid, "the pull cursor is not one this server gave out");
        }
    }
    limit = std::clamp(limit <= 0 ? kDefaultPullLimit : limit, 1, kMaxPullLimit);
    std::int64_t safe_to = after;
    Result<std::vector<WireChange>> rows = m_storage.changes_after(who.team, who.device_id, after, limit, safe_to);
    OUTPOST_TRY(rows);
    if (static_cast<int>(rows->size()) < limit && safe_to < after) {
        // Beyond the log's end: never handed out by this server (or by its database before a restore).
        return Status::error(errc::kSyncCursorInvalid, "the pull cursor is past the end of this server's log");
    }
    PullResponse out;
    out.more = static_cast<int>(rows->size()) == limit;
    std::size_t bytes = 0;
    std::size_t keep = 0;
    while (keep < rows->size() && (keep == 0 || bytes + (*rows)[keep].value.size() <= m_pull_page_bytes)) {
        bytes += (*rows)[keep].value.size();
        ++keep;
    }
    if (keep < rows->size()) {
        rows->resize(keep);
        safe_to = rows->back().seq;  // the rest follows on the next page
        out.more = true;
    }
    out.changes = std::move(*rows);
    out.cursor = std::to_string(safe_to);
    return out;
}

Result<std::string> SyncService::snapshot(const DeviceAuth& who, const std::string& after, int limit) {
    if (after.size() > kMaxIdBytes) {
        return Status::error(errc::kSyncCursorInvalid, "the snapshot position is not one this server gave out");
    }
    limit = std::clamp(limit <= 0 ? kDefaultPullLimit : limit, 1, kMaxPullLimit);
    std::int64_t log_end = 0;
    bool more = false;
    // Two phases: the team's records, then the library's, whose positions are "*" + id (a record id
    // never starts with '*'). A page holds one phase, so it names one team.
    const bool library = !after.empty() && after.front() == records::kLibraryTeam.front();
    const std::string team = library ? std::string(records::kLibraryTeam) : who.team;
    const std::string from = library ? after.substr(1) : after;
    const std::string prefix = library ? std::string(records::kLibraryTeam) : std::string();
    // Rows go straight from the storage into the page's JSON.
    SnapshotWriter page(team, std::min<std::size_t>(m_pull_page_bytes, 1U << 20U));
    std::string last = after;
    OUTPOST_TRY(m_storage.snapshot_page(team, who.device_id, from, limit, m_pull_page_bytes, log_end, more,
                                        [&](const ServerStorage::SnapshotRow& r) {
                                            if (r.first_of_record) {
                                                page.begin_record(r.id, r.type, r.created_by);
                                                last = prefix;
                                                last.append(r.id);
                                            }
                                            page.add(r.field, r.value, r.hlc, r.base, r.device, r.author);
                                        }));
    if (!library && !more) {
        more = true;  // the library follows
        last = std::string(records::kLibraryTeam);
    }
    return page.finish(last, std::to_string(log_end), more);
}

}  // namespace outpost::sync
