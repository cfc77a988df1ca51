#include "admin_common.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "outpost/core/error_codes.h"
#include "outpost/core/time_format.h"
#include "outpost/platform/process.h"

namespace outpost::sync::admin {

Status write_new_file(const std::filesystem::path& path, std::string_view text) {
    Status s = platform::write_new_file(path, text);
    return s.code() == errc::kPlatformFileExists ? Status::error(errc::kServerOutputExists, s.message()) : s;
}

std::string printable(std::string_view text) {
    std::string out;
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7F || c == '\\') {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02X", u);
            out += buf;
        } else {
            out.push_back(c);
        }
    }
    return out;
}

Status no_pg_backend() {
    return Status::error(errc::kServerConfigInvalid, "this program has no PostgreSQL back end (--db)");
}

std::string utc_text(std::int64_t ms) {
    return utc_minute_text(ms);
}

Result<Provisioning> provisioning_base(const AdminArgs& args) {
    Provisioning prov;
    prov.server_url = args.effective.public_url;
    if (!args.ca_cert.empty()) {
        std::ifstream pem(args.ca_cert, std::ios::binary);
        std::stringstream text;
        text << pem.rdbuf();
        auto fp = certificate_sha256(text.str());
        if (!pem || !fp.is_ok()) {
            return Status::error(errc::kServerConfigInvalid, "cannot read a PEM certificate from " + args.ca_cert);
        }
        prov.ca_pem = text.str();
        prov.ca_sha256 = *fp;
    } else if (prov.server_url.rfind("https://", 0) == 0) {
        return Status::error(errc::kServerConfigInvalid,
                             "an https:// URL needs --ca-cert PEM (or tls_cert in the config), the certificate the "
                             "laptops will pin");
    }
    return prov;
}

Status write_provisioning(const std::filesystem::path& path, const Provisioning& prov) {
    return write_new_file(path, encode(prov));
}

}  // namespace outpost::sync::admin
