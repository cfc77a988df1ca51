// The profile's guards outside the sync itself: the in-store copies of its server settings, and
// the remote wipe (declared in profile.h).

#include <sodium.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "client_state.h"
#include "file_text.h"
#include "outpost/core/error_codes.h"
#include "outpost/core/time_format.h"
#include "outpost/platform/os.h"
#include "outpost/platform/utf8.h"
#include "outpost/sync/profile.h"

namespace outpost::sync {
namespace fs = std::filesystem;
namespace {

constexpr const char* kWipeNoticeName = kWipeNoticeFile;
constexpr const char* kBoundUrl = "bound_server_url";
constexpr const char* kBoundPin = "bound_ca_sha256";

// Writes random bytes over every byte of `p` and flushes them to the disk before it is deleted, so
// the disk blocks it held no longer hold its keyslots (as far as the file system writes in place).
Status overwrite(const fs::path& p) {
    std::error_code ec;
    const auto size = fs::file_size(p, ec);
    if (ec) {
        return Status::error(errc::kIo, "cannot read the size of " + path_to_utf8(p));
    }
    {
        std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
        if (!f) {
            return Status::error(errc::kIo, "cannot open " + path_to_utf8(p) + " to destroy it");
        }
        std::vector<unsigned char> noise(4096);
        for (std::uintmax_t done = 0; done < size;) {
            const std::size_t n = static_cast<std::size_t>(std::min<std::uintmax_t>(noise.size(), size - done));
            randombytes_buf(noise.data(), n);
            f.write(reinterpret_cast<const char*>(noise.data()), static_cast<std::streamsize>(n));
            done += n;
        }
        f.flush();
        if (!f) {
            return Status::error(errc::kIo, "cannot overwrite " + path_to_utf8(p));
        }
    }
    if (const std::error_code synced = os::sync_file(p)) {
        return Status::error(errc::kIo, "cannot flush " + path_to_utf8(p) + ": " + synced.message());
    }
    return Status::ok();
}

// The transport of a profile whose server settings cannot be trusted: every request ends in `why`.
class BlockedTransport final : public Transport {
public:
    explicit BlockedTransport(Status why) : m_why(std::move(why)) {}
    Result<HttpResponse> request(const HttpRequest&) override { return m_why; }

private:
    Status m_why;
};

bool is_key_file(const fs::path& p) {
    return path_to_utf8(p.filename()).rfind("outpost.db.key", 0) == 0;
}

}  // namespace

Status bind_profile(Store& store, const std::string& server_url, const std::string& ca_sha256) {
    OUTPOST_TRY(ClientState::create_tables(store));
    ClientState state(store);
    OUTPOST_TRY(state.put(kBoundUrl, server_url));
    return state.put(kBoundPin, ca_sha256.empty() ? std::string("-") : ca_sha256);
}

Status check_profile_binding(Store& store, const ProfileInfo& info) {
    OUTPOST_TRY(ClientState::create_tables(store));
    ClientState state(store);
    Result<std::string> url = state.get(kBoundUrl);
    OUTPOST_TRY(url);
    Result<std::string> pin = state.get(kBoundPin);
    OUTPOST_TRY(pin);
    if (url->empty() && pin->empty()) {
        return bind_profile(store, info.server_url, info.ca_sha256);  // enrolled before the copies
    }
    if (*url != info.server_url) {
        return Status::error(errc::kProfileTampered,
                             "profile.json names another server than the one this profile "
                             "was enrolled with");
    }
    if (*pin != (info.ca_sha256.empty() ? std::string("-") : info.ca_sha256)) {
        return Status::error(
            errc::kProfileTampered,
            "profile.json pins another server certificate than the one this profile was enrolled with");
    }
    return Status::ok();
}

Result<ProfileLink> open_profile_link(const fs::path& dir, const ProfileInfo& info, Store& store) {
    ProfileLink link;
    link.blocked = check_profile_binding(store, info);
    if (link.blocked.is_ok()) {
        Result<std::unique_ptr<Transport>> transport = profile_transport(dir, info);
        if (transport.is_ok()) {
            link.transport = std::move(*transport);
            return link;
        }
        if (transport.status().code() != errc::kSyncPinMismatch) {
            return transport.status();
        }
        link.blocked = Status::error(errc::kProfileTampered, "server.pem: " + transport.status().message());
    } else if (link.blocked.code() != errc::kProfileTampered) {
        return link.blocked;
    }
    link.transport = std::make_unique<BlockedTransport>(link.blocked);
    return link;
}

Status wipe_profile(const fs::path& dir, std::int64_t now_ms) {
    std::error_code ec;
    const fs::path notice = dir / kWipeNoticeName;
    if (!fs::exists(notice, ec)) {
        const std::string text = nlohmann::json{{"wiped_at_ms", now_ms}, {"reason", "it"}}.dump() + "\n";
        if (const std::error_code w =
                os::replace_file(notice, std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()))) {
            return Status::error(errc::kIo, "cannot write " + path_to_utf8(notice) + ": " + w.message());
        }
    }
    // The keys first: once both keyslots are gone, nothing left can be decrypted.
    std::vector<fs::path> keys;
    std::vector<fs::path> rest;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        // Kept: the notice, and profile.json (who and which server, no secret, no record), so the
        // profile is still listed and its unlock screen can say what happened.
        if (it->path().filename() == kWipeNoticeName || it->path().filename() == "profile.json") {
            continue;
        }
        (is_key_file(it->path()) ? keys : rest).push_back(it->path());
    }
    if (ec) {
        return Status::error(errc::kIo, "cannot list " + path_to_utf8(dir) + ": " + ec.message());
    }
    for (const fs::path& k : keys) {
        OUTPOST_TRY(overwrite(k));
        fs::remove(k, ec);
        if (ec) {
            return Status::error(errc::kIo, "cannot delete " + path_to_utf8(k) + ": " + ec.message());
        }
    }
    (void)os::sync_folder(dir);
    Status out = Status::ok();
    for (const fs::path& p : rest) {
        fs::remove_all(p, ec);
        if (ec && out.is_ok()) {
            out = Status::error(errc::kIo, "cannot delete " + path_to_utf8(p) + ": " + ec.message());
        }
    }
    (void)os::sync_folder(dir);
    return out;
}

Status check_not_wiped(const fs::path& dir) {
    const std::optional<WipeNotice> wiped = read_wipe_notice(dir);
    if (!wiped) {
        return Status::ok();
    }
    return Status::error(errc::kProfileWiped,
                         "this profile was removed at IT's request" +
                             (wiped->at_ms > 0 ? " on " + iso_utc(wiped->at_ms).substr(0, 10) : std::string()));
}

std::optional<WipeNotice> read_wipe_notice(const fs::path& dir) {
    const std::optional<std::string> text = read_file_text(dir / kWipeNoticeName);
    if (!text) {
        return std::nullopt;
    }
    const nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
    WipeNotice n;
    if (j.is_object()) {
        if (const auto at = j.find("wiped_at_ms"); at != j.end() && at->is_number_integer()) {
            n.at_ms = at->get<std::int64_t>();
        }
    }
    return n;
}

}  // namespace outpost::sync
