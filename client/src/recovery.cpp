#include "outpost/client/recovery.h"

#include <sodium.h>
#include <sqlite3.h>

#include "outpost/core/error_codes.h"
#include "outpost/core/sql_stmt.h"
#include "outpost/core/store/escrow.h"
#include "outpost/core/store/schema_steps.h"
#include "outpost/platform/os.h"
#include "outpost/platform/utf8.h"

namespace outpost::client {
namespace {

constexpr const char* kRecoveryTable =
    "CREATE TABLE IF NOT EXISTS client_recovery(id INTEGER PRIMARY KEY CHECK (id = 1), stage INTEGER NOT NULL, "
    "pending TEXT NOT NULL, escrow_key TEXT NOT NULL)";

Status save_state(Store& store, RecoveryStage stage, std::string_view pending, std::string_view escrow_key) {
    sql::StmtRef st = sql::StmtRef::owned(
        store.handle(), "INSERT OR REPLACE INTO client_recovery(id, stage, pending, escrow_key) VALUES(1, ?, ?, ?)");
    st.i64(1, static_cast<std::int64_t>(stage)).text(2, pending).text(3, escrow_key);
    if (int rc = st.step(); rc != SQLITE_DONE) {
        return store.sql_status(rc, "keeping the recovery code's state");
    }
    return Status::ok();
}

// recovery.sealed, replaced atomically: the code sealed to the service desk's key.
Status write_sealed(const std::filesystem::path& dir, std::string_view code, std::string_view escrow_key) {
    Result<std::string> sealed = store::seal_recovery_code(code, escrow_key);
    OUTPOST_TRY(sealed);
    const std::filesystem::path file = dir / kSealedRecoveryFile;
    if (const std::error_code ec =
            os::replace_file(file, std::span(reinterpret_cast<const std::uint8_t*>(sealed->data()), sealed->size()))) {
        return Status::error(errc::kIo, "cannot write " + path_to_utf8(file) + ": " + ec.message());
    }
    return Status::ok();
}

void wipe(std::string& s) {
    sodium_memzero(s.data(), s.size());
    s.clear();
}

// One character of a code as the parser reads it: upper case, I and L as 1, O as 0.
char normal(char c) {
    c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    return c == 'I' || c == 'L' ? '1' : c == 'O' ? '0' : c;
}

}  // namespace

Status migrate_recovery_table(Store& store) {
    return migrate_schema(store, "recovery", {{1, [](Store& st) { return st.exec(kRecoveryTable); }}});
}

Result<RecoveryState> recovery_state(Store& store) {
    OUTPOST_TRY(migrate_recovery_table(store));
    RecoveryState out;
    out.has_slot = store.has_recovery_code();
    sql::StmtRef st =
        sql::StmtRef::owned(store.handle(), "SELECT stage, pending, escrow_key FROM client_recovery WHERE id = 1");
    const int rc = st.step();
    if (rc == SQLITE_ROW) {
        const std::int64_t stage = st.col_i64(0);
        out.stage = stage >= 0 && stage <= 3 ? static_cast<RecoveryStage>(stage) : RecoveryStage::kMaking;
        out.pending = st.col_text(1);
        out.escrow_key = st.col_text(2);
    } else if (rc != SQLITE_DONE) {
        return store.sql_status(rc, "reading the recovery code's state");
    }
    return out;
}

Result<std::string> make_recovery_code(Store& store, const std::filesystem::path& dir, std::string_view escrow_key) {
    Result<RecoveryState> state = recovery_state(store);
    OUTPOST_TRY(state);
    std::string key = escrow_key.empty() ? state->escrow_key : std::string(escrow_key);
    if (!key.empty()) {
        OUTPOST_TRY(store::check_escrow_public_key(key));
    }
    // "Making" first: a crash before the new code is kept makes another at the next unlock, rather
    // than trusting a slot whose code nobody saw.
    OUTPOST_TRY(save_state(store, RecoveryStage::kMaking, "", key));
    Result<std::string> code = store.add_recovery_code();
    OUTPOST_TRY(code);
    OUTPOST_TRY(save_state(store, RecoveryStage::kPending, *code, key));
    if (!key.empty()) {
        OUTPOST_TRY(write_sealed(dir, *code, key));
    }
    return code;
}

Result<std::string> recovery_code_to_offer(Store& store, const std::filesystem::path& dir, bool required) {
    Result<RecoveryState> state = recovery_state(store);
    OUTPOST_TRY(state);
    required = required || !state->escrow_key.empty();
    switch (state->stage) {
        case RecoveryStage::kPending:
            if (state->has_slot) {
                if (!state->escrow_key.empty()) {
                    OUTPOST_TRY(write_sealed(dir, state->pending, state->escrow_key));
                }
                return std::move(state->pending);
            }
            wipe(state->pending);
            return make_recovery_code(store, dir);  // the slot went (a key file restored from before)
        case RecoveryStage::kMaking:
            return make_recovery_code(store, dir);
        case RecoveryStage::kNone:
        case RecoveryStage::kConfirmed:
            if (required && !state->has_slot) {
                return make_recovery_code(store, dir);
            }
            return std::string();
    }
    return std::string();
}

Status confirm_recovery_code(Store& store) {
    Result<RecoveryState> state = recovery_state(store);
    OUTPOST_TRY(state);
    wipe(state->pending);
    return save_state(store, RecoveryStage::kConfirmed, "", state->escrow_key);
}

Status skip_recovery_code(Store& store, bool required) {
    Result<RecoveryState> state = recovery_state(store);
    OUTPOST_TRY(state);
    wipe(state->pending);
    if (required || !state->escrow_key.empty()) {
        return Status::error(errc::kRecoveryRequired,
                             !state->escrow_key.empty()
                                 ? "this profile was set up with the service desk's recovery key: it keeps a code"
                                 : "the site policy requires a recovery code for every profile");
    }
    OUTPOST_TRY(store.remove_recovery_code());
    return save_state(store, RecoveryStage::kNone, "", "");
}

std::vector<std::string> recovery_code_groups(std::string_view code) {
    std::vector<std::string> out(1);
    for (char c : code) {
        if (c == '-') {
            out.emplace_back();
        } else {
            out.back().push_back(c);
        }
    }
    return out;
}

bool recovery_group_matches(std::string_view code, int group, std::string_view typed) {
    const std::vector<std::string> groups = recovery_code_groups(code);
    if (group < 1 || static_cast<std::size_t>(group) > groups.size()) {
        return false;
    }
    std::string want;
    for (char c : groups[static_cast<std::size_t>(group - 1)]) {
        want.push_back(normal(c));
    }
    std::string got;
    for (char c : typed) {
        if (c != ' ' && c != '-' && c != '\t') {
            got.push_back(normal(c));
        }
    }
    return !want.empty() && got == want;
}

}  // namespace outpost::client
