// blob_bench: attachments over HTTP on loopback (issue #8). 100 MiB in four 25 MiB files:
//   upload     the files from one laptop's encrypted store to the real server (HEAD, then 4 MiB PUTs,
//              each piece hashed; the server appends, fsyncs and checks the whole SHA-256)
//   download   the same files into a second laptop's encrypted store (ranged GETs, verified)
//   curl       the floor: `curl -T` of four other 25 MiB files, whole, to the same server and route
//              (the same checks and fsync on the server)
// Prints one JSON line; docs/PERFORMANCE.md records the figures and the command. The target: upload
// and download each at least half the curl floor's rate.
//   blob_bench [--mib-per-file N] [--files K] [--dir DIR]
#include <sodium.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "outpost/core/blob_store.h"
#include "outpost/core/records/engine.h"
#include "outpost/sync/messages.h"
#include "outpost/sync/server.h"
#include "outpost/sync/sync_engine.h"
#include "outpost/sync/sync_messages.h"

namespace {

using Steady = std::chrono::steady_clock;
using namespace outpost;
namespace fs = std::filesystem;

[[noreturn]] void die(const std::string& what, const Status& s) {
    std::cerr << "blob_bench: " << what << ": " << s.to_string() << "\n";
    std::exit(1);
}

double seconds_since(Steady::time_point t) {
    return std::chrono::duration<double>(Steady::now() - t).count();
}

struct Laptop {
    std::unique_ptr<Store> store;
    std::unique_ptr<records::RecordEngine> records;
    std::unique_ptr<BlobStore> blobs;
    sync::StoreMutex mutex;
    std::unique_ptr<sync::Transport> transport;
    std::unique_ptr<sync::SyncEngine> engine;
    sync::Credentials creds;

    Laptop(const fs::path& path, const std::string& url, sync::Credentials c) : creds(std::move(c)) {
        StoreOptions so;
        so.kdf = KdfPolicy::kInteractiveFloor;
        auto st = Store::create(path, "bench passphrase", so);
        if (!st.is_ok()) {
            die("store", st.status());
        }
        store = std::move(*st);
        auto r = records::RecordEngine::open(*store, *records::load_schemas(records::bundled_forms_dir()),
                                             SystemClock::instance());
        if (!r.is_ok()) {
            die("records", r.status());
        }
        records = std::move(*r);
        auto b = BlobStore::open(*store);
        auto t = sync::make_http_transport({.base_url = url});
        if (!b.is_ok() || !t.is_ok()) {
            die("open", b.is_ok() ? t.status() : b.status());
        }
        blobs = std::move(*b);
        transport = std::move(*t);
        auto e = sync::SyncEngine::open(*store, *records, *blobs, mutex, *transport, creds, {});
        if (!e.is_ok()) {
            die("engine", e.status());
        }
        engine = std::move(*e);
    }
    ~Laptop() {
        engine.reset();
        records.reset();
        store->lock();
    }
    // A home visit naming `files`.
    void record(const std::vector<records::Attachment>& files) {
        std::lock_guard lock(mutex);
        auto r = records->create({creds.user, creds.device_id, creds.role, creds.team}, "home_visit",
                                 {{"household", std::string("Bench")},
                                  {"visit_date", std::string("2026-12-01")},
                                  {"visit_type", std::string("planned")},
                                  {"concerns_identified", false},
                                  {"photos", records::encode_attachments(files)}});
        if (!r.is_ok()) {
            die("record", r.status());
        }
    }
    sync::SyncSummary sync(const char* what) {
        auto s = engine->sync_now();
        if (!s.is_ok()) {
            die(what, s.status());
        }
        return *s;
    }
};

sync::Credentials enrol(sync::ServerStorage& st, const std::string& url, const std::string& user) {
    auto code = st.create_enrolment_code(user, 86'400'000, SystemClock::instance().now_ms());
    auto t = sync::make_http_transport({.base_url = url});
    auto res = (*t)->request(
        {.method = "POST", .path = "/v1/enroll", .body = sync::encode(sync::EnrollRequest{*code, "bench"})});
    auto e = sync::decode_enroll_response(res->body);
    if (!e.is_ok()) {
        die("enrol", e.status());
    }
    return {e->device_id, e->token, e->user, e->team, e->role};
}

// Random files on disk.
std::vector<fs::path> make_files(const fs::path& dir, const std::string& prefix, int count, std::size_t bytes,
                                 unsigned seed) {
    std::mt19937_64 rng(seed);
    std::vector<fs::path> out;
    std::string buf(bytes, '\0');
    for (int i = 0; i < count; ++i) {
        for (std::size_t j = 0; j + 8 <= buf.size(); j += 8) {
            const std::uint64_t v = rng();
            std::memcpy(buf.data() + j, &v, 8);
        }
        out.push_back(dir / (prefix + std::to_string(i) + ".jpg"));
        std::ofstream(out.back(), std::ios::binary).write(buf.data(), static_cast<std::streamsize>(buf.size()));
    }
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    if (sodium_init() < 0) {
        return 1;
    }
    int mib_per_file = 25;
    int files = 4;
    fs::path dir = fs::temp_directory_path() / ("blob_bench_" + std::to_string(::getpid()));
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--mib-per-file") {
            mib_per_file = std::max(1, std::atoi(argv[i + 1]));
        } else if (a == "--files") {
            files = std::max(1, std::atoi(argv[i + 1]));
        } else if (a == "--dir") {
            dir = argv[i + 1];
        }
    }
    std::error_code ec;
    fs::remove_all(dir, ec);
    fs::create_directories(dir / "files");
    const std::size_t bytes = static_cast<std::size_t>(mib_per_file) << 20U;
    const double mib = static_cast<double>(mib_per_file) * files;
    const double mb = static_cast<double>(bytes) * files / 1e6;

    if (Status s = sync::init_sqlite_data_dir(dir / "server"); !s.is_ok()) {
        die("init", s);
    }
    auto storage = sync::open_sqlite_storage(dir / "server");
    (void)(*storage)->add_team("north", 0);
    (void)(*storage)->add_user("ann", "north", "worker", 0);
    (void)(*storage)->add_user("bob", "north", "worker", 0);
    sync::ServerOptions o;
    o.log_sink = [](const std::string&) {};
    o.blob_dir = dir / "server" / "blobs";
    o.max_blob_bytes = static_cast<std::int64_t>(bytes);
    auto server = sync::Server::start(o, **storage);
    if (!server.is_ok()) {
        die("server", server.status());
    }
    const std::string url = (*server)->base_url();
    Laptop ann(dir / "ann.db", url, enrol(**storage, url, "ann"));
    Laptop bob(dir / "bob.db", url, enrol(**storage, url, "bob"));

    // Attach (into ann's encrypted store; timed apart), record, push the record.
    std::vector<records::Attachment> attached;
    const auto paths = make_files(dir / "files", "photo", files, bytes, 1);
    const auto t_attach = Steady::now();
    {
        std::lock_guard lock(ann.mutex);
        for (const fs::path& p : paths) {
            auto a = ann.blobs->add_file(p, o.max_blob_bytes);
            if (!a.is_ok()) {
                die("attach", a.status());
            }
            (void)ann.blobs->queue_upload(a->hash);
            attached.push_back(*a);
        }
    }
    const double attach_s = seconds_since(t_attach);
    ann.record(attached);

    ::sync();
    auto t0 = Steady::now();
    const sync::SyncSummary up = ann.sync("upload");
    const double upload_s = seconds_since(t0);
    if (up.files_uploaded != files) {
        die("upload", Status::error("bench.upload.incomplete", std::to_string(up.files_uploaded) + " files went"));
    }

    (void)bob.sync("records");  // the record, not its files
    {
        std::lock_guard lock(bob.mutex);
        for (const records::Attachment& a : attached) {
            (void)bob.blobs->want(a);
        }
    }
    ::sync();
    t0 = Steady::now();
    const sync::SyncSummary down = bob.sync("download");
    const double download_s = seconds_since(t0);
    if (down.files_downloaded != files) {
        die("download", Status::error("bench.download.incomplete", std::to_string(down.files_downloaded) + " files"));
    }

    // The floor: curl -T of other files of the same size, named by a record first.
    const auto floor_paths = make_files(dir / "files", "floor", files, bytes, 2);
    std::vector<records::Attachment> floor_files;
    {
        std::lock_guard lock(ann.mutex);
        for (const fs::path& p : floor_paths) {
            floor_files.push_back(*ann.blobs->add_file(p, o.max_blob_bytes));  // for the hash; not queued
        }
    }
    ann.record(floor_files);
    (void)ann.sync("floor record");
    ::sync();
    t0 = Steady::now();
    for (std::size_t i = 0; i < floor_paths.size(); ++i) {
        const std::string cmd = "curl -sS -f -o /dev/null -T '" + floor_paths[i].string() +
                                "' -H 'Content-Type: application/octet-stream' -H 'Authorization: Bearer " +
                                ann.creds.token + "' " + url + "/v1/blobs/" + floor_files[i].hash;
        if (std::system(cmd.c_str()) != 0) {
            die("curl", Status::error("bench.curl.failed", "curl could not upload; is curl installed?"));
        }
    }
    const double curl_s = seconds_since(t0);

    const double up_rate = mb / upload_s;
    const double down_rate = mb / download_s;
    const double curl_rate = mb / curl_s;
    char line[512];
    std::snprintf(line, sizeof line,
                  "{\"bench\":\"blob\",\"mib\":%.0f,\"upload_mb_s\":%.1f,\"download_mb_s\":%.1f,"
                  "\"curl_upload_mb_s\":%.1f,\"upload_vs_curl\":%.2f,\"download_vs_curl\":%.2f,\"attach_mb_s\":%.1f,"
                  "\"upload_requests\":%lld,\"download_requests\":%lld}",
                  mib, up_rate, down_rate, curl_rate, up_rate / curl_rate, down_rate / curl_rate, mb / attach_s,
                  static_cast<long long>(up.requests), static_cast<long long>(down.requests));
    std::cout << line << std::endl;
    (*server)->stop();
    fs::remove_all(dir, ec);
    return 0;
}
