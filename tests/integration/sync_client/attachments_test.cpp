// Attachments (issue #8) through a real server on 127.0.0.1 and laptops with real encrypted stores:
// resumable uploads cut at random points, damaged pieces refused, the size limit, team scope,
// deduplication, lazy and resumed downloads, and no plaintext on the laptop's disk.
#include <doctest/doctest.h>
#include <sodium.h>

#include <fstream>
#include <future>
#include <limits>
#include <random>

#include "fault_proxy.h"
#include "outpost/core/blob_store.h"
#include "outpost/core/error_codes.h"
#include "outpost/sync/blob_files.h"
#include "sync_harness.h"

using namespace outpost;
using outpost::testing::Device;
using outpost::testing::FaultProxy;
using outpost::testing::SyncServerHarness;

namespace {

constexpr std::int64_t kMiB = 1024 * 1024;

std::string random_bytes(std::size_t n, unsigned seed) {
    std::mt19937 rng(seed);
    std::string out(n, '\0');
    for (char& c : out) {
        c = static_cast<char>(rng() & 0xFF);
    }
    return out;
}

std::string sha256_hex(std::string_view bytes) {
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
    char out[crypto_hash_sha256_BYTES * 2 + 1];
    sodium_bin2hex(out, sizeof out, h, sizeof h);
    return out;
}

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// A transport that hands every request to another, after letting a test look at (and change) it.
class HookTransport final : public sync::Transport {
public:
    using Hook = std::function<void(sync::HttpRequest&)>;
    HookTransport(std::unique_ptr<sync::Transport> inner, Hook hook)
        : m_inner(std::move(inner)), m_hook(std::move(hook)) {}
    Result<sync::HttpResponse> request(const sync::HttpRequest& req) override {
        sync::HttpRequest copy = req;
        m_hook(copy);
        Result<sync::HttpResponse> res = m_inner->request(copy);
        if (res.is_ok()) {
            std::lock_guard lock(m_mutex);
            m_log.emplace_back(copy.method + " " + copy.path.substr(0, 10), res->status);
            m_put_bytes += copy.method == "PUT" ? static_cast<std::int64_t>(copy.body.size()) : 0;
        }
        return res;
    }
    std::int64_t put_bytes() {
        std::lock_guard lock(m_mutex);
        return m_put_bytes;
    }
    std::vector<std::pair<std::string, int>> log() {
        std::lock_guard lock(m_mutex);
        return m_log;
    }

private:
    std::unique_ptr<sync::Transport> m_inner;
    Hook m_hook;
    std::mutex m_mutex;
    std::vector<std::pair<std::string, int>> m_log;
    std::int64_t m_put_bytes = 0;
};

struct Team : SyncServerHarness {
    outpost::testing::TempDir dirs;
    explicit Team(std::int64_t max_blob = 25 * kMiB) : SyncServerHarness(SystemClock::instance(), max_blob) {
        add_team("a");
        add_team("b");
        add_user("ann", "a", "worker");
        add_user("bob", "a", "worker");
        add_user("zed", "b", "worker");
    }
    std::filesystem::path blob_root() { return tmp / "server" / "blobs"; }
};

sync::SyncOptions small_pieces() {
    sync::SyncOptions o;
    o.blob_put_bytes = 1 * kMiB;
    o.blob_get_bytes = 1 * kMiB;
    o.blob_backoff_min = std::chrono::milliseconds(0);
    o.blob_backoff_max = std::chrono::milliseconds(0);
    return o;
}

// Attaches `bytes` to a new home visit on `d` and queues the file, as the client's Attach does.
records::Record visit_with(Device& d, std::string_view bytes, const std::string& name, std::int64_t max = 25 * kMiB) {
    std::lock_guard lock(d.mutex);
    auto blobs = BlobStore::open(*d.store);
    REQUIRE(blobs.is_ok());
    auto a = (*blobs)->add_bytes(bytes, name, records::mime_for_name(name), max);
    REQUIRE_MESSAGE(a.is_ok(), a.status().to_string());
    REQUIRE((*blobs)->queue_upload(a->hash).is_ok());
    auto r = d.records->create(d.actor(), "home_visit",
                               {{"household", std::string("The Okafor family")},
                                {"visit_date", std::string("2026-11-30")},
                                {"visit_type", std::string("planned")},
                                {"concerns_identified", false},
                                {"photos", records::encode_attachments({*a})}});
    REQUIRE_MESSAGE(r.is_ok(), r.status().to_string());
    return *r;
}

std::unique_ptr<BlobStore> blobs_of(Device& d) {
    auto b = BlobStore::open(*d.store);
    REQUIRE(b.is_ok());
    return std::move(*b);
}

}  // namespace

TEST_CASE("Attachments: a 25 MiB upload cut at 20 random points resumes each time, and ends whole and verified") {
    Team t;
    FaultProxy proxy(t.server->port());
    auto transport = sync::make_http_transport({.base_url = "http://127.0.0.1:" + std::to_string(proxy.port())});
    REQUIRE(transport.is_ok());
    Device ann(t.dirs / "ann.db", t.enrol("ann"), std::move(*transport), small_pieces());
    const std::string photo = random_bytes(static_cast<std::size_t>(25 * kMiB), 7);
    const std::string hash = sha256_hex(photo);
    const records::Record rec = visit_with(ann, photo, "damp wall.jpg");
    sync::BlobFiles server_blobs(t.blob_root(), 25 * kMiB);

    std::mt19937 rng(20261201);
    std::int64_t last_received = -1;
    for (int cut = 0; cut < 20; ++cut) {
        // Somewhere inside the next 64 KiB to 1.2 MiB the client sends.
        proxy.cut_after(64 * 1024 + rng() % (1200 * 1024));
        auto s = ann.sync();
        REQUIRE_FALSE(s.is_ok());
        CHECK(s.status().code() == errc::kSyncNetworkUnreachable);
        auto held = server_blobs.state("a", hash);
        REQUIRE(held.is_ok());
        CHECK_FALSE(held->complete);  // never visible before it is whole
        CHECK(held->received >= last_received);
        last_received = held->received;
    }
    CHECK(last_received > 0);
    CHECK(last_received < 25 * kMiB);
    // The record went at the first sync, whatever happened to its photo.
    auto named = t.storage->blob_ref_exists("a", hash);
    REQUIRE(named.is_ok());
    CHECK(*named);
    auto done = ann.sync();
    REQUIRE_MESSAGE(done.is_ok(), done.status().to_string());
    CHECK(done->files_uploaded == 1);
    auto held = server_blobs.state("a", hash);
    REQUIRE(held.is_ok());
    CHECK(held->complete);
    CHECK(held->size == 25 * kMiB);
    CHECK(sha256_hex(slurp(t.blob_root() / "a" / hash)) == hash);
    CHECK(std::filesystem::is_empty(t.blob_root() / "a" / "partial"));
    CHECK(std::distance(std::filesystem::directory_iterator(t.blob_root() / "a"), {}) == 2);  // the blob, partial/
    std::lock_guard lock(ann.mutex);
    auto blobs = blobs_of(ann);
    CHECK(*blobs->file_count() == 1);
    CHECK(*blobs->chunk_count() == 100);  // 25 MiB in 256 KiB chunks, once
    auto up = blobs->upload(hash);
    REQUIRE(up.is_ok());
    REQUIRE(up->has_value());
    CHECK((*up)->state == BlobStore::UploadState::kDone);
    CHECK((*up)->sent == 25 * kMiB);
}

TEST_CASE(
    "Attachments: a piece damaged on the way is refused and sent again; a blob not matching its name never shows") {
    Team t;
    int damaged = 0;
    auto hook = std::make_unique<HookTransport>(t.transport(), [&](sync::HttpRequest& r) {
        if (r.method == "PUT" && damaged == 0) {
            r.body[r.body.size() / 2] ^= 0x01;  // one bit, in transit
            ++damaged;
        }
    });
    HookTransport* seen = hook.get();
    Device ann(t.dirs / "ann.db", t.enrol("ann"), std::move(hook), small_pieces());
    const std::string photo = random_bytes(static_cast<std::size_t>(3 * kMiB + 123), 11);
    visit_with(ann, photo, "consent.pdf");
    auto s = ann.sync();
    REQUIRE_MESSAGE(s.is_ok(), s.status().to_string());
    CHECK(s->files_uploaded == 1);
    int refused = 0;
    for (const auto& [what, status] : seen->log()) {
        refused += what.rfind("PUT", 0) == 0 && status == 422 ? 1 : 0;
    }
    CHECK(refused == 1);
    CHECK(sha256_hex(slurp(t.blob_root() / "a" / sha256_hex(photo))) == sha256_hex(photo));

    // By hand: a record names hash H, then bytes that are not H's are sent whole as H.
    const std::string real = random_bytes(1000, 12);
    const std::string h = sha256_hex(real);
    Device bob(t.dirs / "bob.db", t.enrol("bob"), t.transport());
    {
        std::lock_guard lock(bob.mutex);
        records::Attachment a{h, "x.bin", "application/octet-stream", 1000};
        REQUIRE(bob.records
                    ->create(bob.actor(), "home_visit",
                             {{"household", std::string("H")},
                              {"visit_date", std::string("2026-11-30")},
                              {"visit_type", std::string("planned")},
                              {"concerns_identified", false},
                              {"photos", records::encode_attachments({a})}})
                    .is_ok());
    }
    REQUIRE(bob.sync().is_ok());
    auto raw = t.transport();
    const std::string fake = random_bytes(1000, 13);
    auto put = raw->request({.method = "PUT",
                             .path = "/v1/blobs/" + h,
                             .body = fake,
                             .content_type = "application/octet-stream",
                             .bearer_token = bob.creds.token});
    REQUIRE(put.is_ok());
    CHECK(put->status == 422);
    CHECK_MESSAGE(sync::decode_error(put->body).code() == errc::kBlobHashMismatch, put->body);
    auto head = raw->request({.method = "HEAD", .path = "/v1/blobs/" + h, .bearer_token = bob.creds.token});
    REQUIRE(head.is_ok());
    CHECK(head->status == 404);
    CHECK(head->headers.at("Outpost-Received") == "0");  // thrown away, not kept
    auto get = raw->request({.method = "GET", .path = "/v1/blobs/" + h, .bearer_token = bob.creds.token});
    REQUIRE(get.is_ok());
    CHECK(get->status == 404);
    CHECK_FALSE(std::filesystem::exists(t.blob_root() / "a" / h));
}

TEST_CASE("Attachments: a file over the limit is refused on the laptop before upload, and the records around it sync") {
    Team t(1 * kMiB);  // this server takes files up to 1 MiB
    Device ann(t.dirs / "ann.db", t.enrol("ann"), t.transport(), small_pieces());
    REQUIRE(ann.sync().is_ok());
    CHECK(ann.engine->max_attachment_bytes() == 1 * kMiB);  // learnt from the server
    const auto big = t.dirs / "scan.pdf";
    {
        std::ofstream out(big, std::ios::binary);
        out << random_bytes(static_cast<std::size_t>(2 * kMiB), 3);
    }
    const records::Record before = ann.create("home_visit", {{"household", std::string("Before")},
                                                             {"visit_date", std::string("2026-11-30")},
                                                             {"visit_type", std::string("planned")},
                                                             {"concerns_identified", false}});
    {
        const std::int64_t limit = ann.engine->max_attachment_bytes();
        std::lock_guard lock(ann.mutex);
        auto blobs = blobs_of(ann);
        auto a = blobs->add_file(big, limit);
        REQUIRE_FALSE(a.is_ok());
        CHECK(a.status().code() == errc::kBlobTooLarge);
        CHECK(a.status().message() == "this file is 2 MiB; files up to 1 MiB can be attached");
        CHECK(*blobs->file_count() == 0);  // nothing of it was stored
    }
    const records::Record after = ann.create("home_visit", {{"household", std::string("After")},
                                                            {"visit_date", std::string("2026-11-30")},
                                                            {"visit_type", std::string("planned")},
                                                            {"concerns_identified", false}});
    REQUIRE(ann.sync().is_ok());
    Device bob(t.dirs / "bob.db", t.enrol("bob"), t.transport());
    REQUIRE(bob.sync().is_ok());
    const auto all = bob.all();
    CHECK(all.count(before.id) == 1);
    CHECK(all.count(after.id) == 1);
}

TEST_CASE("Attachments: team B cannot HEAD, GET or PUT over team A's blob, even with its hash") {
    Team t;
    Device ann(t.dirs / "ann.db", t.enrol("ann"), t.transport(), small_pieces());
    const std::string photo = random_bytes(300000, 21);
    const std::string h = sha256_hex(photo);
    visit_with(ann, photo, "hazard.jpg");
    REQUIRE(ann.sync().is_ok());
    REQUIRE(std::filesystem::exists(t.blob_root() / "a" / h));
    const sync::Credentials zed = t.enrol("zed");
    auto raw = t.transport();
    auto expect_404 = [&](const sync::HttpRequest& r) {
        auto res = raw->request(r);
        REQUIRE(res.is_ok());
        CHECK(res->status == 404);
        if (r.method != "HEAD") {  // a HEAD answer has no body
            CHECK(sync::decode_error(res->body).code() == errc::kBlobMissing);
        }
        CHECK(res->headers.count("Outpost-Received") == 0);  // not even how far anyone got
    };
    expect_404({.method = "HEAD", .path = "/v1/blobs/" + h, .bearer_token = zed.token});
    expect_404({.method = "GET", .path = "/v1/blobs/" + h, .bearer_token = zed.token});
    expect_404({.method = "PUT",
                .path = "/v1/blobs/" + h,
                .body = photo,
                .content_type = "application/octet-stream",
                .bearer_token = zed.token});
    // Naming the hash in a team b record does not open team a's copy: b has only what b uploads.
    Device zd(t.dirs / "zed.db", zed, t.transport());
    {
        std::lock_guard lock(zd.mutex);
        records::Attachment a{h, "hazard.jpg", "image/jpeg", 300000};
        REQUIRE(zd.records
                    ->create(zd.actor(), "home_visit",
                             {{"household", std::string("Z")},
                              {"visit_date", std::string("2026-11-30")},
                              {"visit_type", std::string("planned")},
                              {"concerns_identified", false},
                              {"photos", records::encode_attachments({a})}})
                    .is_ok());
    }
    REQUIRE(zd.sync().is_ok());
    auto get = raw->request({.method = "GET", .path = "/v1/blobs/" + h, .bearer_token = zed.token});
    REQUIRE(get.is_ok());
    CHECK(get->status == 404);
    CHECK(get->body.find(photo.substr(0, 64)) == std::string::npos);
    CHECK_FALSE(std::filesystem::exists(t.blob_root() / "b" / h));
}

TEST_CASE(
    "Attachments: the same photo on 3 records is stored once and uploaded once; another laptop fetches it lazily") {
    Team t;
    auto hook = std::make_unique<HookTransport>(t.transport(), [](sync::HttpRequest&) {});
    HookTransport* seen = hook.get();
    Device ann(t.dirs / "ann.db", t.enrol("ann"), std::move(hook), small_pieces());
    const std::string photo = random_bytes(static_cast<std::size_t>(2 * kMiB + 5), 31);
    const std::string h = sha256_hex(photo);
    visit_with(ann, photo, "same.jpg");
    visit_with(ann, photo, "same again.jpg");
    visit_with(ann, photo, "and again.jpg");
    {
        std::lock_guard lock(ann.mutex);
        auto blobs = blobs_of(ann);
        CHECK(*blobs->file_count() == 1);
        CHECK(*blobs->chunk_count() == 9);  // 2 MiB + 5 bytes: 8 whole chunks and a short one
    }
    auto s = ann.sync();
    REQUIRE(s.is_ok());
    CHECK(s->files_uploaded == 1);
    CHECK(seen->put_bytes() == static_cast<std::int64_t>(photo.size()));  // its bytes went once
    REQUIRE(ann.sync().is_ok());
    CHECK(ann.sync()->files_uploaded == 0);  // done is done

    // Bob's laptop gets the records, not the bytes, until he opens one (lazy), then gets them whole,
    // resuming after a cut.
    FaultProxy proxy(t.server->port());
    auto transport = sync::make_http_transport({.base_url = "http://127.0.0.1:" + std::to_string(proxy.port())});
    REQUIRE(transport.is_ok());
    Device bob(t.dirs / "bob.db", t.enrol("bob"), std::move(*transport), small_pieces());
    REQUIRE(bob.sync().is_ok());
    {
        std::lock_guard lock(bob.mutex);
        auto blobs = blobs_of(bob);
        CHECK(*blobs->file_count() == 0);
        REQUIRE(blobs->want({h, "same.jpg", "image/jpeg", static_cast<std::int64_t>(photo.size())}).is_ok());
    }
    proxy.cut_after(1536 * 1024, /*downstream=*/true);  // in the middle of the second range
    auto cut = bob.sync();
    CHECK_FALSE(cut.is_ok());
    if (cut.is_ok()) {
        std::lock_guard lock(bob.mutex);
        auto d = blobs_of(bob)->downloads();
        MESSAGE("downloaded " << cut->files_downloaded << " failed " << cut->files_failed << " "
                              << (d.is_ok() && !d->empty() ? d->front().code + " " + d->front().reason : ""));
    }
    {
        std::lock_guard lock(bob.mutex);
        auto blobs = blobs_of(bob);
        auto info = blobs->info(h);
        REQUIRE(info.is_ok());
        REQUIRE(info->has_value());
        CHECK_FALSE((*info)->complete);
        CHECK((*info)->stored == 1 * kMiB);  // the first range stayed
    }
    auto got = bob.sync();
    REQUIRE_MESSAGE(got.is_ok(), got.status().to_string());
    CHECK(got->files_downloaded == 1);
    std::lock_guard lock(bob.mutex);
    auto blobs = blobs_of(bob);
    REQUIRE(blobs->export_to(h, t.dirs / "exported.jpg").is_ok());
    CHECK(slurp(t.dirs / "exported.jpg") == photo);
}

TEST_CASE("Attachments: markers planted in a file's bytes are found nowhere on the laptops' disks in plaintext") {
    Team t;
    const std::string marker = "OUTPOST-PLAINTEXT-MARKER-7f3a9c";
    std::string doc;
    while (doc.size() < 3 * kMiB) {
        doc += marker + " consent form page " + std::to_string(doc.size()) + "\n";
    }
    std::filesystem::create_directories(t.dirs / "ann");
    std::filesystem::create_directories(t.dirs / "bob");
    {
        Device ann(t.dirs / "ann" / "ann.db", t.enrol("ann"), t.transport(), small_pieces());
        visit_with(ann, doc, "consent form.txt");
        REQUIRE(ann.sync().is_ok());
        Device bob(t.dirs / "bob" / "bob.db", t.enrol("bob"), t.transport(), small_pieces());
        CHECK_FALSE(bob.engine->prefetch_attachments());
        REQUIRE(bob.engine->set_prefetch_attachments(true).is_ok());  // this profile: every file at once
        CHECK(bob.engine->prefetch_attachments());
        auto s = bob.sync();
        REQUIRE(s.is_ok());
        CHECK(s->files_downloaded == 1);
        std::lock_guard lock(bob.mutex);
        auto blobs = blobs_of(bob);
        auto whole = blobs->read(sha256_hex(doc), 0, static_cast<std::int64_t>(doc.size()));
        REQUIRE(whole.is_ok());
        CHECK(*whole == doc);
        // Scanned while both laptops are open (WAL and journal files present), then again after.
        for (const auto& dir : {t.dirs / "ann", t.dirs / "bob"}) {
            for (const auto& f : std::filesystem::recursive_directory_iterator(dir)) {
                if (f.is_regular_file()) {
                    CHECK_MESSAGE(slurp(f.path()).find(marker) == std::string::npos, f.path().string());
                }
            }
        }
    }
    int scanned = 0;
    for (const auto& f : std::filesystem::recursive_directory_iterator(t.dirs.path())) {
        if (f.is_regular_file()) {
            ++scanned;
            CHECK_MESSAGE(slurp(f.path()).find(marker) == std::string::npos, f.path().string());
        }
    }
    CHECK(scanned >= 4);  // both stores and their key files at least
}

TEST_CASE(
    "Attachments: regression - a download that could not be stored deadlocked the sync (store mutex held twice)") {
    Team t;
    Device ann(t.dirs / "ann.db", t.enrol("ann"), t.transport(), small_pieces());
    const std::string photo = random_bytes(static_cast<std::size_t>(2 * kMiB), 41);
    const std::string h = sha256_hex(photo);
    visit_with(ann, photo, "wall.jpg");
    REQUIRE(ann.sync().is_ok());
    Device* bob_ptr = nullptr;
    bool meddled = false;
    auto hook = std::make_unique<HookTransport>(t.transport(), [&](sync::HttpRequest& r) {
        if (r.method == "GET" && r.path.find("/v1/blobs/") == 0 && !meddled && bob_ptr != nullptr) {
            // Bytes land in the laptop's store behind the download's back (say, the person attached
            // the same file meanwhile): the download's next piece no longer lines up.
            meddled = true;
            std::lock_guard lock(bob_ptr->mutex);
            REQUIRE(blobs_of(*bob_ptr)->append(h, 0, photo.substr(0, 1000)).is_ok());
        }
    });
    Device bob(t.dirs / "bob.db", t.enrol("bob"), std::move(hook), small_pieces());
    bob_ptr = &bob;
    REQUIRE(bob.sync().is_ok());
    {
        std::lock_guard lock(bob.mutex);
        REQUIRE(blobs_of(bob)->want({h, "wall.jpg", "image/jpeg", static_cast<std::int64_t>(photo.size())}).is_ok());
    }
    auto run = std::async(std::launch::async, [&] { return bob.sync(); });
    REQUIRE_MESSAGE(run.wait_for(std::chrono::seconds(30)) == std::future_status::ready, "the sync hung");
    auto s = run.get();
    REQUIRE(s.is_ok());  // the file failed, not the sync
    CHECK(s->files_failed == 1);
    std::lock_guard lock(bob.mutex);
    auto downs = blobs_of(bob)->downloads();
    REQUIRE(downs.is_ok());
    REQUIRE(downs->size() == 1);
    CHECK(downs->front().code == errc::kBlobOutOfOrder);  // kept with its reason, tried again later
}

TEST_CASE("Attachments: regression - an empty file could never be downloaded") {
    Team t;
    Device ann(t.dirs / "ann.db", t.enrol("ann"), t.transport(), small_pieces());
    visit_with(ann, "", "empty.txt");
    auto up = ann.sync();
    REQUIRE(up.is_ok());
    CHECK(up->files_uploaded == 1);
    Device bob(t.dirs / "bob.db", t.enrol("bob"), t.transport(), small_pieces());
    REQUIRE(bob.engine->set_prefetch_attachments(true).is_ok());
    auto down = bob.sync();
    REQUIRE(down.is_ok());
    CHECK(down->files_downloaded == 1);
    std::lock_guard lock(bob.mutex);
    auto info = blobs_of(bob)->info(sha256_hex(""));
    REQUIRE(info.is_ok());
    REQUIRE(info->has_value());
    CHECK((*info)->complete);
    CHECK((*info)->size == 0);
}

TEST_CASE("Attachments: regression - any HTTP 200 (a captive portal's) counted as uploaded") {
    Team t;
    bool portal = true;
    // A portal that answers every HEAD with a bare 200; everything else passes.
    class Portal final : public sync::Transport {
    public:
        Portal(std::unique_ptr<sync::Transport> inner, bool& on) : m_inner(std::move(inner)), m_on(on) {}
        Result<sync::HttpResponse> request(const sync::HttpRequest& r) override {
            if (m_on && r.method == "HEAD") {
                return sync::HttpResponse{200, "", "", {}};
            }
            return m_inner->request(r);
        }

    private:
        std::unique_ptr<sync::Transport> m_inner;
        bool& m_on;
    };
    Device ann(t.dirs / "ann.db", t.enrol("ann"), std::make_unique<Portal>(t.transport(), portal), small_pieces());
    const std::string doc = random_bytes(5000, 51);
    visit_with(ann, doc, "letter.pdf");
    auto s = ann.sync();
    REQUIRE(s.is_ok());
    CHECK(s->files_uploaded == 0);
    CHECK(s->files_failed == 1);
    {
        std::lock_guard lock(ann.mutex);
        auto up = blobs_of(ann)->upload(sha256_hex(doc));
        REQUIRE(up.is_ok());
        REQUIRE(up->has_value());
        CHECK((*up)->state == BlobStore::UploadState::kWaiting);  // not marked sent
    }
    portal = false;
    {
        std::lock_guard lock(ann.mutex);  // the retry time is now
        REQUIRE(
            blobs_of(ann)->upload_failed(sha256_hex(doc), Status::error("test.retry.now", "now"), 0, false).is_ok());
    }
    auto real = ann.sync();
    REQUIRE(real.is_ok());
    CHECK(real->files_uploaded == 1);
}

TEST_CASE("Attachments: a Content-Range with numbers past any limit is refused as malformed") {
    Team t;
    Device ann(t.dirs / "ann.db", t.enrol("ann"), t.transport(), small_pieces());
    const std::string doc = random_bytes(100, 61);
    visit_with(ann, doc, "x.bin");
    REQUIRE(ann.records != nullptr);
    // The record goes; its file is sent by hand with hostile ranges.
    {
        std::lock_guard lock(ann.mutex);
        REQUIRE(blobs_of(ann)
                    ->upload_failed(sha256_hex(doc), Status::error("test.hold.file", "hold"),
                                    std::numeric_limits<std::int64_t>::max(), false)
                    .is_ok());
    }
    REQUIRE(ann.sync().is_ok());
    auto raw = t.transport();
    for (const std::string range :
         {"bytes 0-9223372036854775807/1", "bytes 9223372036854775807-9223372036854775807/100", "bytes -5-94/100",
          "bytes 0-99/99999999999999999999", "bytes 10-5/100", "bytes 0-99"}) {
        sync::HttpRequest put{.method = "PUT",
                              .path = "/v1/blobs/" + sha256_hex(doc),
                              .body = doc,
                              .content_type = "application/octet-stream",
                              .bearer_token = ann.creds.token};
        put.headers = {{"Content-Range", range}};
        auto res = raw->request(put);
        REQUIRE(res.is_ok());
        CHECK_MESSAGE(res->status == 400, range);
    }
    auto health = raw->request({.method = "GET", .path = "/v1/health"});
    REQUIRE(health.is_ok());
    CHECK(health->status == 200);
}

TEST_CASE("Attachments: a blob-sized body without a device token is turned away before it is read") {
    Team t;
    auto raw = t.transport();
    auto res = raw->request({.method = "PUT",
                             .path = "/v1/blobs/" + std::string(64, 'a'),
                             .body = std::string(static_cast<std::size_t>(9 * kMiB), 'x'),
                             .content_type = "application/octet-stream"});
    // Either the 401 arrives, or the connection is closed while the body is still being sent.
    CHECK((!res.is_ok() || res->status == 401));
    auto health = raw->request({.method = "GET", .path = "/v1/health"});
    REQUIRE(health.is_ok());
    CHECK(health->status == 200);
}
