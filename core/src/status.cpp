#include "outpost/core/status.h"

namespace outpost {

Status Status::error(std::string_view code, std::string message) {
    Status s;
    s.m_code = code.empty() ? std::string("core.internal.error") : std::string(code);
    s.m_message = std::move(message);
    return s;
}

std::string Status::to_string() const {
    if (is_ok()) {
        return "ok";
    }
    return m_code + ": " + m_message;
}

Status Status::with_context(std::string_view context) const {
    if (is_ok()) {
        return *this;
    }
    return error(m_code, std::string(context) + ": " + m_message);
}

}  // namespace outpost
