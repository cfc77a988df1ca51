#include "admin_common.h"

#include <sodium.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "outpost/core/error_codes.h"
#include "outpost/core/time_format.h"
#include "outpost/platform/process.h"
#include "outpost/platform/utf8.h"

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

Status write_provisioning(const std::filesystem::path& path, Provisioning prov, const SigningKey& key) {
    if (key.secret.size() != crypto_sign_SECRETKEYBYTES) {
        return Status::error(errc::kServerDataDirInvalid, "the server's signing key is damaged");
    }
    OUTPOST_TRY(sign_provisioning(prov, std::span<const std::uint8_t>(key.secret.data(), key.secret.size())));
    return write_new_file(path, encode(prov));
}

Result<std::string> read_escrow_public_key(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    std::string hex = text.str().substr(0, 4096);
    const std::size_t first = hex.find_first_not_of(" \t\r\n");
    const std::size_t last = hex.find_last_not_of(" \t\r\n");
    hex = first == std::string::npos ? std::string() : hex.substr(first, last - first + 1);
    for (char& c : hex) {
        c = static_cast<char>(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
    }
    if (!in || hex.size() != 64 || hex.find_first_not_of("0123456789abcdef") != std::string::npos) {
        return Status::error(errc::kEscrowKeyInvalid, "cannot read an escrow public key (64 hex digits) from " +
                                                          path_to_utf8(path) +
                                                          " (make one with: outpost-server escrow keygen --out DIR)");
    }
    return hex;
}

}  // namespace outpost::sync::admin
