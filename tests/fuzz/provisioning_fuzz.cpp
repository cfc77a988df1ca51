// Fuzz target: the provisioning-file parser (provisioning.h), which reads the file IT hands a worker,
// and the certificate fingerprinting it leads to. Any input must be refused with a stable code
// (sync.protocol.malformed, or sync.tls.pin_mismatch for a certificate that is not the one pinned),
// or, if accepted, survive encode -> decode unchanged.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fuzz_target.h"
#include "outpost/sync/provisioning.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* raw, std::size_t size) {
    using namespace outpost::sync;
    const std::string_view text(reinterpret_cast<const char*>(raw), size);
    auto p = decode_provisioning(text);
    if (!p.is_ok()) {
        if (p.status().code() != "sync.protocol.malformed" && p.status().code() != "sync.tls.pin_mismatch") {
            std::abort();
        }
    } else {
        auto again = decode_provisioning(encode(*p));
        if (!again.is_ok() || again->server_url != p->server_url || again->ca_sha256 != p->ca_sha256 ||
            again->ca_pem != p->ca_pem || again->code != p->code || again->user != p->user || again->team != p->team ||
            again->expires_ms != p->expires_ms) {
            std::abort();
        }
    }
    // A certificate is read from the same file: any PEM-ish text must be hashed or refused.
    auto sha = certificate_sha256(text);
    if (sha.is_ok() && sha->size() != 64) {
        std::abort();
    }
    return 0;
}
