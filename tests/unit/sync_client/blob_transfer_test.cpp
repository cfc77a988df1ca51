// BlobTransfer: attachments moved on the BlobStore the engine is handed, against a scripted blob
// server; and want_attachments, which turns a pulled attachments answer into wanted downloads.
#include "blob_transfer.h"

#include <doctest/doctest.h>

#include <map>
#include <set>

#include "outpost/core/digest.h"
#include "outpost/core/records/attachments.h"
#include "sync_pieces.h"

using namespace outpost;
using namespace outpost::sync;
using outpost::testing::error_answer;
using outpost::testing::PiecesLaptop;

namespace {

std::string bytes_of(std::size_t n, char seed) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i) {
        s[i] = static_cast<char>(seed + static_cast<char>(i % 251));
    }
    return s;
}

// The server's blob routes, for the files of records it knows: HEAD says how much it holds, PUT
// appends a piece at its end, GET answers a range of a whole file.
struct BlobServer {
    std::set<std::string> named;               // files a record on the server names
    std::map<std::string, std::string> held;   // hash -> bytes received (whole or not)
    std::map<std::string, std::int64_t> size;  // hash -> the size the uploads give

    Result<HttpResponse> operator()(const HttpRequest& req) {
        const std::string hash = req.path.substr(std::string("/v1/blobs/").size());
        std::string& have = held[hash];
        const bool whole = size.count(hash) != 0 && static_cast<std::int64_t>(have.size()) == size[hash];
        if (req.method == "HEAD") {
            if (whole) {
                return HttpResponse{.status = 200, .headers = {{"Outpost-Size", std::to_string(have.size())}}};
            }
            HttpResponse r = error_answer(404, errc::kBlobMissing, "not here whole");
            if (named.count(hash) != 0) {
                r.headers["Outpost-Received"] = std::to_string(have.size());
            }
            return r;
        }
        if (req.method == "PUT") {
            // "bytes first-last/size"
            const std::string range = req.headers.front().second;
            const auto slash = range.find('/');
            size[hash] = std::stoll(range.substr(slash + 1));
            have += req.body;
            if (static_cast<std::int64_t>(have.size()) == size[hash]) {
                return HttpResponse{.status = 201, .headers = {{"Outpost-Size", std::to_string(have.size())}}};
            }
            return HttpResponse{.status = 202, .headers = {{"Outpost-Received", std::to_string(have.size())}}};
        }
        // GET with "Range: bytes=first-last"
        const std::string range = req.headers.front().second;
        const auto dash = range.find('-');
        const auto first = static_cast<std::size_t>(std::stoll(range.substr(6, dash - 6)));
        const auto last = static_cast<std::size_t>(std::stoll(range.substr(dash + 1)));
        return HttpResponse{
            .status = 206,
            .body = have.substr(first, last - first + 1),
            .headers = {{"Content-Range", "bytes " + std::to_string(first) + "-" + std::to_string(last) + "/" +
                                              std::to_string(have.size())}}};
    }
};

// A file added to the laptop's BlobStore and queued for upload.
records::Attachment queued(PiecesLaptop& l, const std::string& bytes, const std::string& name) {
    std::lock_guard lock(l.mutex);
    auto a = l.blobs->add_bytes(bytes, name, "image/jpeg", records::kDefaultMaxAttachmentBytes);
    REQUIRE(a.is_ok());
    REQUIRE(l.blobs->queue_upload(a->hash).is_ok());
    return *a;
}

}  // namespace

TEST_CASE("BlobTransfer: a file queued on the handed BlobStore goes up in pieces and is marked done there") {
    SyncOptions o;
    o.blob_put_bytes = 300 * 1024;
    PiecesLaptop l(o);
    const std::string photo = bytes_of(700 * 1024, 'a');
    const records::Attachment a = queued(l, photo, "wall.jpg");
    BlobServer server;
    server.named.insert(a.hash);
    l.transport.answer = std::ref(server);
    SyncSummary summary;
    REQUIRE(BlobTransfer(*l.ctx, summary).run().is_ok());

    CHECK(server.held[a.hash] == photo);
    CHECK(summary.files_uploaded == 1);
    CHECK(summary.files_failed == 0);
    CHECK(summary.requests >= 4);  // HEAD, then pieces of at most 300 KiB
    auto up = l.blobs->upload(a.hash);
    REQUIRE(up.is_ok());
    REQUIRE(up->has_value());
    CHECK((*up)->state == BlobStore::UploadState::kDone);
    CHECK(l.ctx->board.get().files_waiting == 0);
}

TEST_CASE("BlobTransfer: a file the server has no record for fails alone, kept with its retry time") {
    SyncOptions o;
    o.blob_backoff_min = std::chrono::milliseconds(30'000);
    PiecesLaptop l(o);
    const records::Attachment orphan = queued(l, bytes_of(1000, 'o'), "orphan.jpg");
    const records::Attachment named = queued(l, bytes_of(2000, 'n'), "named.jpg");
    BlobServer server;
    server.named.insert(named.hash);
    l.transport.answer = std::ref(server);
    SyncSummary summary;
    REQUIRE(BlobTransfer(*l.ctx, summary).run().is_ok());

    CHECK(summary.files_uploaded == 1);
    CHECK(summary.files_failed == 1);
    auto failed = l.blobs->upload(orphan.hash);
    REQUIRE(failed.is_ok());
    REQUIRE(failed->has_value());
    CHECK((*failed)->state == BlobStore::UploadState::kWaiting);
    CHECK((*failed)->code == errc::kBlobMissing);
    CHECK((*failed)->attempts == 1);
    CHECK((*failed)->next_try_ms == l.clock.now_ms() + 30'000);
    CHECK(l.ctx->board.get().files_waiting == 1);

    // Not due yet: the next pass leaves it alone.
    const std::size_t before = l.transport.requests.size();
    SyncSummary again;
    REQUIRE(BlobTransfer(*l.ctx, again).run().is_ok());
    CHECK(l.transport.requests.size() == before);
}

TEST_CASE(
    "BlobTransfer: a lost network ends the pass with sync.network.unreachable, and nothing is held against the file") {
    PiecesLaptop l;
    const records::Attachment a = queued(l, bytes_of(1000, 'x'), "x.jpg");
    SyncSummary summary;  // the scripted transport has no answer: no network
    const Status s = BlobTransfer(*l.ctx, summary).run();
    CHECK(s.code() == errc::kSyncNetworkUnreachable);
    CHECK(summary.files_failed == 0);
    auto up = l.blobs->upload(a.hash);
    REQUIRE(up.is_ok());
    REQUIRE(up->has_value());
    CHECK((*up)->attempts == 0);
}

TEST_CASE("BlobTransfer: a wanted file arrives in ranges into the handed BlobStore and is verified") {
    SyncOptions o;
    o.blob_get_bytes = 1000;
    PiecesLaptop l(o);
    const std::string photo = bytes_of(2500, 'd');
    const records::Attachment a{sha256_hex(photo), "door.jpg", "image/jpeg", 2500};
    BlobServer server;
    server.held[a.hash] = photo;
    server.size[a.hash] = 2500;
    l.transport.answer = std::ref(server);
    {
        std::lock_guard lock(l.mutex);
        REQUIRE(l.blobs->want(a).is_ok());
    }
    SyncSummary summary;
    REQUIRE(BlobTransfer(*l.ctx, summary).run().is_ok());

    CHECK(summary.files_downloaded == 1);
    CHECK(summary.requests == 4);  // HEAD, then three ranges
    auto info = l.blobs->info(a.hash);
    REQUIRE(info.is_ok());
    REQUIRE(info->has_value());
    CHECK((*info)->complete);
    CHECK(*l.blobs->read(a.hash, 0, 2500) == photo);
    CHECK(l.blobs->downloads()->empty());
}

TEST_CASE("want_attachments: the files an attachments answer names are wanted; other fields want nothing") {
    PiecesLaptop l;
    const records::Attachment a{std::string(64, 'a'), "a.jpg", "image/jpeg", 10};
    const records::Attachment b{std::string(64, 'b'), "b.pdf", "application/pdf", 20};
    const std::string photos = records::encode_value(records::FieldValue(records::encode_attachments({a, b})));
    std::lock_guard lock(l.mutex);
    REQUIRE(want_attachments(*l.records, *l.blobs, "home_visit", "household", photos).is_ok());
    REQUIRE(want_attachments(*l.records, *l.blobs, "no_such_form", "photos", photos).is_ok());
    REQUIRE(want_attachments(*l.records, *l.blobs, "home_visit", "photos", "\"not a list\"").is_ok());
    CHECK(l.blobs->downloads()->empty());
    REQUIRE(want_attachments(*l.records, *l.blobs, "home_visit", "photos", photos).is_ok());
    auto wanted = l.blobs->downloads();
    REQUIRE(wanted.is_ok());
    REQUIRE(wanted->size() == 2);
    CHECK(wanted->front().hash == a.hash);
    CHECK(wanted->back().size == 20);
}
