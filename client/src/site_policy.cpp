#include "outpost/client/site_policy.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "outpost/core/error_codes.h"
#include "outpost/platform/app_dirs.h"
#include "outpost/platform/utf8.h"

namespace outpost::client {

int SitePolicy::auto_lock_minutes(int chosen) const {
    const int m = std::clamp(chosen, 1, 120);
    return max_auto_lock_minutes > 0 ? std::min(m, max_auto_lock_minutes) : m;
}

namespace {

// Servers are compared without a trailing slash and with the scheme and host in lower case.
std::string normal_url(std::string u) {
    while (!u.empty() && u.back() == '/') {
        u.pop_back();
    }
    const auto host_end = u.find('/', u.find("://") == std::string::npos ? 0 : u.find("://") + 3);
    std::transform(u.begin(), host_end == std::string::npos ? u.end() : u.begin() + static_cast<long>(host_end),
                   u.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return u;
}

}  // namespace

Result<SitePolicy> parse_site_policy(std::string_view json_text, std::string_view source) {
    auto invalid = [&](const std::string& why) {
        return Status::error(errc::kPolicyInvalid, "the site policy " + std::string(source) + " " + why);
    };
    nlohmann::json j = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) {
        return invalid("is not valid JSON");
    }
    if (!j.is_object()) {
        return invalid("must be a JSON object");
    }
    SitePolicy p;
    p.source = std::string(source);
    auto whole = [](const nlohmann::json& v, std::int64_t lo, std::int64_t hi) {
        return v.is_number_integer() && v.get<std::int64_t>() >= lo && v.get<std::int64_t>() <= hi;
    };
    for (const auto& [key, v] : j.items()) {
        if (key == "server_url") {
            const std::string url = v.is_string() ? v.get<std::string>() : "";
            if (url.rfind("https://", 0) != 0 && url.rfind("http://", 0) != 0) {
                return invalid("has \"server_url\" that is not an http:// or https:// address");
            }
            p.server_url = url;
        } else if (key == "server_cert_sha256") {
            std::string hex = v.is_string() ? v.get<std::string>() : "";
            hex.erase(std::remove(hex.begin(), hex.end(), ':'), hex.end());
            std::transform(hex.begin(), hex.end(), hex.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            if (hex.size() != 64 || hex.find_first_not_of("0123456789abcdef") != std::string::npos) {
                return invalid("has \"server_cert_sha256\" that is not 64 hex digits (a SHA-256 fingerprint)");
            }
            p.server_cert_sha256 = hex;
        } else if (key == "max_auto_lock_minutes") {
            if (!whole(v, 1, 120)) {
                return invalid("has \"max_auto_lock_minutes\" that is not a whole number from 1 to 120");
            }
            p.max_auto_lock_minutes = v.get<int>();
        } else if (key == "export_allowed") {
            if (!v.is_boolean()) {
                return invalid("has \"export_allowed\" that is not true or false");
            }
            p.export_allowed = v.get<bool>();
        } else if (key == "max_days_offline") {
            if (!whole(v, 1, 3650)) {
                return invalid("has \"max_days_offline\" that is not a whole number from 1 to 3650");
            }
            p.max_days_offline = v.get<int>();
        } else if (key == "require_recovery_code") {
            if (!v.is_boolean()) {
                return invalid("has \"require_recovery_code\" that is not true or false");
            }
            p.require_recovery_code = v.get<bool>();
        } else if (key == "min_passphrase_length") {
            if (!whole(v, static_cast<std::int64_t>(kMinPassphrase), 256)) {
                return invalid("has \"min_passphrase_length\" that is not a whole number from " +
                               std::to_string(kMinPassphrase) + " to 256");
            }
            p.min_passphrase_length = v.get<std::size_t>();
        } else {
            return invalid("has an unknown setting \"" + key +
                           "\" (known: server_url, server_cert_sha256, max_auto_lock_minutes, export_allowed, "
                           "min_passphrase_length, max_days_offline, require_recovery_code)");
        }
    }
    return p;
}

std::filesystem::path default_policy_path() {
    return platform::machine_config_folder("outpost") / "client.json";
}

Result<SitePolicy> load_site_policy(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
        return SitePolicy{};
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return Status::error(errc::kPolicyInvalid, "the site policy " + path_to_utf8(path) + " cannot be read");
    }
    std::stringstream text;
    text << in.rdbuf();
    if (text.str().size() > 64 * 1024) {
        return Status::error(errc::kPolicyInvalid, "the site policy " + path_to_utf8(path) + " is larger than 64 KiB");
    }
    return parse_site_policy(text.str(), path_to_utf8(path));
}

Status check_provisioning(const SitePolicy& policy, const sync::Provisioning& prov) {
    if (prov.signature.empty()) {
        return Status::error(errc::kProvisioningUnsigned, "the provisioning file is not signed by its server");
    }
    if (!policy.server_url.empty() && normal_url(policy.server_url) != normal_url(prov.server_url)) {
        return Status::error(errc::kPolicyServerLocked, "this laptop may only enrol with " + policy.server_url +
                                                            ", and the file names " + prov.server_url);
    }
    if (!policy.server_cert_sha256.empty() && policy.server_cert_sha256 != prov.ca_sha256) {
        return Status::error(errc::kPolicyServerLocked,
                             "the file pins a different server certificate than this laptop's policy allows");
    }
    return Status::ok();
}

}  // namespace outpost::client
