#include "outpost/sync/profile.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>

#include "file_text.h"
#include "outpost/core/error_codes.h"
#include "outpost/platform/os.h"
#include "outpost/platform/utf8.h"
#include "outpost/sync/form_rollout.h"
#include "outpost/sync/messages.h"
#include "outpost/sync/sync_engine.h"
#include "outpost/sync/sync_messages.h"

namespace outpost::sync {
namespace fs = std::filesystem;
namespace {

constexpr const char* kStoreName = "outpost.db";
constexpr const char* kInfoName = "profile.json";
constexpr const char* kCertName = "server.pem";

Status write_file(const fs::path& p, const std::string& text) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) {
        return Status::error(errc::kIo, "cannot write " + path_to_utf8(p));
    }
    (void)os::restrict_to_owner(p);  // best effort: the profile folder is already the user's alone
    return Status::ok();
}

Result<std::string> read_file(const fs::path& p) {
    std::optional<std::string> text = read_file_text(p);
    if (!text) {
        return Status::error(errc::kSyncNotEnrolled, "cannot read " + path_to_utf8(p));
    }
    return std::move(*text);
}

// POST /v1/enroll with the one-time code: the server's answer, or its refusal as a Status.
Result<EnrollResponse> post_enrolment(Transport& transport, const std::string& code, const std::string& device_name) {
    Result<HttpResponse> res =
        transport.request({.method = "POST", .path = "/v1/enroll", .body = encode(EnrollRequest{code, device_name})});
    OUTPOST_TRY(res);
    if (res->status != 200) {
        return decode_error(res->body);
    }
    return decode_enroll_response(res->body);
}

// A signed provisioning file must be signed by the key of the server it names, as that server gives
// it over the connection the file pins (GET /v1/server-key): checked before the code is sent.
Status check_signature(Transport& transport, const Provisioning& prov) {
    if (prov.signature.empty()) {
        return Status::ok();  // typed in, not from a file (callers refuse unsigned files)
    }
    Result<HttpResponse> res =
        transport.request({.method = "GET", .path = "/v1/server-key", .max_response_bytes = 64U * 1024U});
    OUTPOST_TRY(res);
    if (res->status != 200) {
        Status why = decode_error(res->body);
        return Status::error(errc::kProvisioningSignature,
                             "the server did not give its signing key: " + std::string(why.message()));
    }
    const nlohmann::json j = nlohmann::json::parse(res->body, nullptr, false);
    const auto key = j.is_object() ? j.find("signing_key") : j.end();
    if (key == j.end() || !key->is_string()) {
        return Status::error(errc::kProvisioningSignature, "the server's signing key answer is not valid");
    }
    return verify_provisioning_signature(prov, key->get<std::string>());
}

}  // namespace

Result<fs::path> profile_dir(const fs::path& root, const std::string& name) {
    const bool ok =
        !name.empty() && name.size() <= 64 &&
        std::all_of(name.begin(), name.end(),
                    [](char c) {
                        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
                    }) &&
        name != "." && name != "..";
    if (!ok) {
        return Status::error(errc::kInvalidArgument, "profile names use a-z, 0-9, '_', '-' and '.', up to 64");
    }
    return root / path_from_utf8(name);
}

std::string profile_folder_name(std::string_view typed) {
    // Latin letters with accents (Latin-1 and Latin Extended-A, as UTF-8) fold to their base letter.
    static const std::pair<std::string_view, char> kFold[] = {
        {"à", 'a'}, {"á", 'a'}, {"â", 'a'}, {"ã", 'a'}, {"ä", 'a'}, {"å", 'a'}, {"ą", 'a'}, {"ā", 'a'}, {"ç", 'c'},
        {"ć", 'c'}, {"č", 'c'}, {"ď", 'd'}, {"è", 'e'}, {"é", 'e'}, {"ê", 'e'}, {"ë", 'e'}, {"ę", 'e'}, {"ě", 'e'},
        {"ē", 'e'}, {"ì", 'i'}, {"í", 'i'}, {"î", 'i'}, {"ï", 'i'}, {"ī", 'i'}, {"ł", 'l'}, {"ñ", 'n'}, {"ń", 'n'},
        {"ň", 'n'}, {"ò", 'o'}, {"ó", 'o'}, {"ô", 'o'}, {"õ", 'o'}, {"ö", 'o'}, {"ø", 'o'}, {"ő", 'o'}, {"ō", 'o'},
        {"ř", 'r'}, {"ś", 's'}, {"š", 's'}, {"ß", 's'}, {"ť", 't'}, {"ù", 'u'}, {"ú", 'u'}, {"û", 'u'}, {"ü", 'u'},
        {"ů", 'u'}, {"ű", 'u'}, {"ū", 'u'}, {"ŵ", 'w'}, {"ý", 'y'}, {"ÿ", 'y'}, {"ŷ", 'y'}, {"ź", 'z'}, {"ż", 'z'},
        {"ž", 'z'}, {"À", 'a'}, {"Á", 'a'}, {"Â", 'a'}, {"Ä", 'a'}, {"Ç", 'c'}, {"È", 'e'}, {"É", 'e'}, {"Ê", 'e'},
        {"Ë", 'e'}, {"Î", 'i'}, {"Ï", 'i'}, {"Ł", 'l'}, {"Ñ", 'n'}, {"Ó", 'o'}, {"Ô", 'o'}, {"Ö", 'o'}, {"Ś", 's'},
        {"Š", 's'}, {"Ü", 'u'}, {"Ŵ", 'w'}, {"Ŷ", 'y'}, {"Ź", 'z'}, {"Ż", 'z'}, {"Ž", 'z'}};
    std::string out;
    bool gap = false;
    for (std::size_t i = 0; i < typed.size();) {
        const auto u = static_cast<unsigned char>(typed[i]);
        char c = 0;
        std::size_t len = 1;
        if (u < 0x80) {
            c = std::isalnum(u) != 0 ? static_cast<char>(std::tolower(u)) : 0;
        } else {
            len = u >= 0xF0 ? 4 : u >= 0xE0 ? 3 : 2;
            for (const auto& [from, to] : kFold) {
                if (typed.substr(i, from.size()) == from) {
                    c = to;
                    len = from.size();
                    break;
                }
            }
        }
        i += len;
        if (c == 0) {
            gap = !out.empty();
            continue;
        }
        if (gap) {
            out.push_back('-');
            gap = false;
        }
        out.push_back(c);
    }
    return out.substr(0, 48);
}

Result<ProfileInfo> enrol_profile(const fs::path& root, const std::string& name, std::string_view passphrase,
                                  const Provisioning& prov, const std::string& device_name, const StoreOptions& options,
                                  const std::string& display_name) {
    Result<fs::path> dir = profile_dir(root, name);
    OUTPOST_TRY(dir);
    std::error_code ec;
    if (fs::exists(*dir / kStoreName, ec)) {
        return Status::error(errc::kStoreFileExists, "profile '" + name + "' already exists");
    }
    fs::create_directories(*dir, ec);
    if (ec) {
        return Status::error(errc::kIo, "cannot create " + path_to_utf8(*dir) + ": " + ec.message());
    }
    if (const std::error_code denied = os::restrict_to_owner(*dir)) {
        fs::remove_all(*dir, ec);
        return Status::error(errc::kIo,
                             "cannot make " + path_to_utf8(*dir) + " this user's alone: " + denied.message());
    }
    auto cleanup = [&](Status s) -> Result<ProfileInfo> {
        std::error_code ignored;
        fs::remove_all(*dir, ignored);
        return s;
    };
    if (!prov.ca_pem.empty()) {
        if (Status s = write_file(*dir / kCertName, prov.ca_pem); !s.is_ok()) {
            return cleanup(s);
        }
    }
    HttpTransportOptions topts{.base_url = prov.server_url};
    if (!prov.ca_pem.empty()) {
        topts.ca_cert_path = path_to_utf8((*dir / kCertName));
    }
    Result<std::unique_ptr<Transport>> transport = make_http_transport(topts);
    if (!transport.is_ok()) {
        return cleanup(transport.status());
    }
    if (Status signed_by = check_signature(**transport, prov); !signed_by.is_ok()) {
        return cleanup(signed_by);
    }
    // The store first (the slow Argon2 step), so a typo in the passphrase never burns the code.
    Result<std::unique_ptr<Store>> store = Store::create(*dir / kStoreName, passphrase, options);
    if (!store.is_ok()) {
        return cleanup(store.status());
    }
    Result<EnrollResponse> e = post_enrolment(**transport, prov.code, device_name);
    if (!e.is_ok()) {
        (*store)->lock();
        return cleanup(e.status());
    }
    Status saved = save_credentials(**store, {e->device_id, e->token, e->user, e->team, e->role});
    if (saved.is_ok()) {
        saved = bind_profile(**store, prov.server_url, prov.ca_sha256);
    }
    if (!saved.is_ok()) {
        (*store)->lock();
        return cleanup(saved);
    }
    (*store)->lock();
    ProfileInfo info{name, display_name, prov.server_url, e->user, e->team, e->role, e->device_id, prov.ca_sha256};
    nlohmann::json j = {
        {"name", info.name}, {"server_url", info.server_url}, {"user", info.user},          {"team", info.team},
        {"role", info.role}, {"device_id", info.device_id},   {"ca_sha256", info.ca_sha256}};
    if (!display_name.empty()) {
        j["display_name"] = display_name;
    }
    if (Status s = write_file(*dir / kInfoName, j.dump(2) + "\n"); !s.is_ok()) {
        return s;  // the device is enrolled and its token is in the store; keep it
    }
    fs::remove(*dir / kWipeNoticeFile, ec);  // a folder IT had wiped, made a profile again
    return info;
}

std::string device_name_for(std::string_view computer, std::string_view person) {
    std::string out(computer.empty() ? std::string_view("laptop") : computer);
    if (!person.empty()) {
        out += " (" + std::string(person) + ")";
    }
    for (char& c : out) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) {
            c = ' ';
        }
    }
    if (out.size() > 200) {
        std::size_t cut = 200;
        while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0U) == 0x80U) {
            --cut;  // never in the middle of a character
        }
        out.resize(cut);
    }
    return out;
}

Result<ProfileInfo> reenrol_profile(const fs::path& root, const std::string& name, std::string_view passphrase,
                                    const Provisioning& prov, const std::string& device_name,
                                    const StoreOptions& options) {
    Result<fs::path> dir = profile_dir(root, name);
    OUTPOST_TRY(dir);
    Result<ProfileInfo> info = read_profile_info(*dir);
    OUTPOST_TRY(info);
    if (prov.user != info->user || prov.team != info->team) {
        return Status::error(errc::kEnrolMismatch, "this provisioning file is for " + prov.user + " in team " +
                                                       prov.team + "; profile '" + name + "' is " + info->user +
                                                       "'s, in team " + info->team);
    }
    // The passphrase first: only the profile's owner may point it at a server.
    Result<std::unique_ptr<Store>> store = open_profile_store(*dir, passphrase, options);
    OUTPOST_TRY(store);
    // The new certificate beside the old until the server has answered through it.
    const fs::path cert_new = *dir / (std::string(kCertName) + ".new");
    HttpTransportOptions topts{.base_url = prov.server_url};
    if (!prov.ca_pem.empty()) {
        if (Status s = write_file(cert_new, prov.ca_pem); !s.is_ok()) {
            (*store)->lock();
            return s;
        }
        topts.ca_cert_path = path_to_utf8(cert_new);
    }
    auto abandon = [&](Status s) -> Result<ProfileInfo> {
        (*store)->lock();
        std::error_code ignored;
        fs::remove(cert_new, ignored);
        return s;
    };
    Result<std::unique_ptr<Transport>> transport = make_http_transport(topts);
    if (!transport.is_ok()) {
        return abandon(transport.status());
    }
    if (Status signed_by = check_signature(**transport, prov); !signed_by.is_ok()) {
        return abandon(signed_by);
    }
    Result<EnrollResponse> e = post_enrolment(**transport, prov.code, device_name);
    if (!e.is_ok()) {
        return abandon(e.status());
    }
    // The new token replaces the old in the store; the records, the outbox and the pull position stay,
    // so what waited to be sent goes at the next sync, under the new device.
    Status saved = save_credentials(**store, {e->device_id, e->token, e->user, e->team, e->role});
    if (saved.is_ok()) {
        saved = bind_profile(**store, prov.server_url, prov.ca_sha256);
    }
    if (!saved.is_ok()) {
        return abandon(saved);
    }
    (*store)->lock();
    std::error_code ec;
    if (prov.ca_pem.empty()) {
        fs::remove(*dir / kCertName, ec);
    } else {
        fs::rename(cert_new, *dir / kCertName, ec);
        if (ec) {
            return Status::error(errc::kIo, "cannot replace " + path_to_utf8((*dir / kCertName)) + ": " + ec.message());
        }
    }
    ProfileInfo out = *info;
    out.server_url = prov.server_url;
    out.role = e->role;
    out.device_id = e->device_id;
    out.ca_sha256 = prov.ca_sha256;
    nlohmann::json j = {
        {"name", out.name}, {"server_url", out.server_url}, {"user", out.user},          {"team", out.team},
        {"role", out.role}, {"device_id", out.device_id},   {"ca_sha256", out.ca_sha256}};
    if (!out.display_name.empty()) {
        j["display_name"] = out.display_name;
    }
    const fs::path info_new = *dir / (std::string(kInfoName) + ".new");
    OUTPOST_TRY(write_file(info_new, j.dump(2) + "\n"));
    fs::rename(info_new, *dir / kInfoName, ec);
    if (ec) {
        return Status::error(errc::kIo, "cannot replace " + path_to_utf8((*dir / kInfoName)) + ": " + ec.message());
    }
    return out;
}

Result<ProfileInfo> read_profile_info(const fs::path& dir) {
    Result<std::string> text = read_file(dir / kInfoName);
    if (!text.is_ok()) {
        return Status::error(errc::kSyncNotEnrolled, "no enrolled profile in " + path_to_utf8(dir));
    }
    nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return Status::error(errc::kJsonInvalid, path_to_utf8(dir) + "/profile.json is not valid JSON");
    }
    ProfileInfo info;
    for (const auto& [key, out] : {std::pair<const char*, std::string*>{"name", &info.name},
                                   {"display_name", &info.display_name},
                                   {"server_url", &info.server_url},
                                   {"user", &info.user},
                                   {"team", &info.team},
                                   {"role", &info.role},
                                   {"device_id", &info.device_id},
                                   {"ca_sha256", &info.ca_sha256}}) {
        if (auto it = j.find(key); it != j.end() && it->is_string()) {
            *out = it->get<std::string>();
        }
    }
    if (info.server_url.empty() || info.device_id.empty()) {
        return Status::error(errc::kSyncNotEnrolled, "the profile in " + path_to_utf8(dir) + " is not enrolled");
    }
    return info;
}

Result<std::unique_ptr<Store>> open_profile_store(const fs::path& dir, std::string_view passphrase,
                                                  const StoreOptions& options) {
    return Store::open(dir / kStoreName, passphrase, options);
}

Result<std::unique_ptr<Transport>> profile_transport(const fs::path& dir, const ProfileInfo& info) {
    HttpTransportOptions o{.base_url = info.server_url};
    if (!info.ca_sha256.empty()) {
        Result<std::string> pem = read_file(dir / kCertName);
        if (!pem.is_ok()) {
            return Status::error(errc::kSyncPinMismatch, "the pinned server certificate is missing");
        }
        Result<std::string> fp = certificate_sha256(*pem);
        if (!fp.is_ok() || *fp != info.ca_sha256) {
            return Status::error(errc::kSyncPinMismatch, "the pinned server certificate was changed");
        }
        o.ca_cert_path = path_to_utf8((dir / kCertName));
    }
    return make_http_transport(o);
}

Result<std::vector<records::Schema>> profile_schemas(Store& store) {
    // Forms this build cannot read never stop an unlock (form_rollout.h): the last readable version
    // of each, or the one shipped with this build, stands in.
    Result<LaptopForms> forms = profile_forms(store);
    OUTPOST_TRY(forms);
    return forms->schemas();
}

}  // namespace outpost::sync
