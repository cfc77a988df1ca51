#include "outpost/sync/server_api.h"

namespace outpost::sync {

Result<HealthInfo> ServerApi::health() {
    Result<HttpResponse> res = m_transport.request({.method = "GET", .path = "/v1/health"});
    OUTPOST_TRY(res);
    if (res->status != 200) {
        return decode_error(res->body);
    }
    return decode_health(res->body);
}

}  // namespace outpost::sync
