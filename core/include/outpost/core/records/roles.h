// The roles an account may hold: the one spelling of each, shared by the forms (editable_by), the
// review rules, the server's accounts and the client's screens.
#pragma once

#include <string_view>

namespace outpost::records {

inline constexpr std::string_view kRoleWorker = "worker";
inline constexpr std::string_view kRoleLead = "lead";
inline constexpr std::string_view kRoleAdmin = "admin";

}  // namespace outpost::records
