#include "device_check.h"

#include <nlohmann/json.hpp>

#include "outpost/core/error_codes.h"
#include "outpost/core/store/transaction.h"
#include "server_answer.h"

namespace outpost::sync {
namespace {

constexpr std::size_t kMaxWhoamiBytes = 64U * 1024U;

bool is_token(const std::string& t) {
    return t.size() == 64 && t.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace

Status DeviceCheck::run() {
    Result<HttpResponse> res = m_ctx.transport.request({.method = "GET",
                                                        .path = "/v1/whoami",
                                                        .bearer_token = m_ctx.creds.token,
                                                        .max_response_bytes = kMaxWhoamiBytes});
    ++m_summary.requests;
    OUTPOST_TRY(res);
    if (res->status == 404) {
        return Status::ok();  // a server from before whoami: nothing to check
    }
    if (res->status != 200) {
        Status refused = http_error(*res);
        if (refused.code() == errc::kAuthWiped && m_ctx.options.on_wiped) {
            m_ctx.options.on_wiped();
        }
        return refused;
    }
    const nlohmann::json j = nlohmann::json::parse(res->body, nullptr, false);
    if (!j.is_object()) {
        return Status::error(errc::kProtocolMalformed, "the server's answer to whoami is not a JSON object");
    }
    auto text = [&j](const char* key) {
        const auto it = j.find(key);
        return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    const std::string team = text("team");
    const std::string role = text("role");
    if (text("device_id") != m_ctx.creds.device_id || team.empty() || role.empty()) {
        return Status::error(errc::kProtocolMalformed, "the server's answer to whoami names another device");
    }
    if (const auto exp = j.find("token_expires_ms"); exp != j.end() && exp->is_number_integer()) {
        const std::int64_t at = exp->get<std::int64_t>();
        m_ctx.board.update([at](SyncState& st) { st.token_expires_ms = at; });
    }
    if (team != m_ctx.creds.team) {
        OUTPOST_TRY(moved_team(m_ctx.creds.team, team, role));
    } else if (role != m_ctx.creds.role) {
        std::lock_guard lock(m_ctx.store_mutex);
        OUTPOST_TRY(m_ctx.client.put("role", role));
        m_ctx.creds.role = role;
    }
    m_ctx.board.update([&](SyncState& st) {
        st.team = m_ctx.creds.team;
        st.role = m_ctx.creds.role;
    });
    if (const auto renew = j.find("renew"); renew != j.end() && renew->is_boolean() && renew->get<bool>()) {
        OUTPOST_TRY(this->renew());
    }
    return Status::ok();
}

Status DeviceCheck::moved_team(const std::string& from, const std::string& to, const std::string& role) {
    std::lock_guard lock(m_ctx.store_mutex);
    // Kept: the records with a change of this device's still to send, and those with a refused one.
    Result<std::set<std::string>> keep = m_ctx.client.unsettled_records(m_ctx.creds.device_id);
    OUTPOST_TRY(keep);
    Result<Transaction> txn = Transaction::begin(m_ctx.store);  // rolled back unless committed
    OUTPOST_TRY(txn);
    Status s = m_ctx.records.forget_team(from, *keep).status();
    // A snapshot of the new team at this sync's pull, from the start.
    for (const char* key : {"pull_cursor", "snapshot_after", "snapshot_cursor"}) {
        if (s.is_ok()) {
            s = m_ctx.client.put(key, "");
        }
    }
    if (s.is_ok()) {
        s = m_ctx.client.put("team", to);
    }
    if (s.is_ok()) {
        s = m_ctx.client.put("role", role);
    }
    OUTPOST_TRY(txn->finish(std::move(s)));
    m_ctx.creds.team = to;
    m_ctx.creds.role = role;
    return Status::ok();
}

Status DeviceCheck::renew() {
    Result<HttpResponse> res = m_ctx.transport.request({.method = "POST",
                                                        .path = "/v1/token/renew",
                                                        .body = "{}",
                                                        .bearer_token = m_ctx.creds.token,
                                                        .max_response_bytes = kMaxWhoamiBytes});
    ++m_summary.requests;
    OUTPOST_TRY(res);
    if (res->status != 200) {
        return http_error(*res);
    }
    const nlohmann::json j = nlohmann::json::parse(res->body, nullptr, false);
    const auto token = j.is_object() ? j.find("token") : j.end();
    if (token == j.end() || !token->is_string() || !is_token(token->get<std::string>())) {
        return Status::error(errc::kProtocolMalformed, "the server's renewed token is not a token");
    }
    std::lock_guard lock(m_ctx.store_mutex);
    OUTPOST_TRY(m_ctx.client.put("token", token->get<std::string>()));
    m_ctx.creds.token = token->get<std::string>();
    if (const auto exp = j.find("token_expires_ms"); exp != j.end() && exp->is_number_integer()) {
        const std::int64_t at = exp->get<std::int64_t>();
        m_ctx.board.update([at](SyncState& st) { st.token_expires_ms = at; });
    }
    return Status::ok();
}

}  // namespace outpost::sync
