// FolderLister (ui/src/folder_lister.h): the file picker's folder is listed on a worker, once per
// change of folder, and handed back; the picker never waits for it.
#include "folder_lister.h"

#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "temp_dir.h"

using namespace outpost::ui;
using outpost::testing::TempDir;

namespace {

// A listing that waits until the test opens the gate, and the listings that came back.
struct Gate {
    std::mutex mutex;
    std::condition_variable changed;
    bool open = false;
    bool entered = false;             // a listing has begun (and waits at the gate)
    std::vector<std::string> listed;  // the folders listed, in order
    std::vector<FolderListing> delivered;

    FolderListing list(const std::filesystem::path& dir) {
        std::unique_lock lock(mutex);
        entered = true;
        changed.notify_all();
        changed.wait(lock, [&] { return open; });
        listed.push_back(dir.string());
        return {dir.string(), {{"notes.txt", (dir / "notes.txt").string(), false}}};
    }
    void deliver(FolderListing l) {
        std::lock_guard lock(mutex);
        delivered.push_back(std::move(l));
        changed.notify_all();
    }
    void release() {
        std::lock_guard lock(mutex);
        open = true;
        changed.notify_all();
    }
    bool wait_entered() {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, std::chrono::seconds(10), [&] { return entered; });
    }
    bool wait_delivered(std::size_t n) {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, std::chrono::seconds(10), [&] { return delivered.size() >= n; });
    }
};

}  // namespace

TEST_CASE("FolderLister: the folder is listed on the worker while the picker goes on drawing") {
    Gate gate;
    FolderLister lister([&](FolderListing l) { gate.deliver(std::move(l)); },
                        [&](const std::filesystem::path& d) { return gate.list(d); });
    lister.request("/home/ann");
    // The worker is inside the listing and cannot finish until the gate opens: the frames that follow
    // ask for the folder again and draw on, without waiting for it.
    REQUIRE(gate.wait_entered());
    const auto t0 = std::chrono::steady_clock::now();
    for (int frame = 0; frame < 100; ++frame) {
        lister.request("/home/ann");
    }
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(1));
    CHECK(lister.busy());
    {
        std::lock_guard lock(gate.mutex);
        CHECK(gate.delivered.empty());
    }
    gate.release();
    REQUIRE(gate.wait_delivered(1));
    lister.request("/home/ann");  // frames go on drawing the same folder: not listed again
    while (lister.busy()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    std::lock_guard lock(gate.mutex);
    REQUIRE(gate.delivered.size() == 1);
    CHECK(gate.delivered[0].dir == "/home/ann");
    REQUIRE(gate.delivered[0].entries.size() == 1);
    CHECK(gate.delivered[0].entries[0].name == "notes.txt");
    CHECK(gate.listed == std::vector<std::string>{"/home/ann"});
}

TEST_CASE("FolderLister: a new folder or the picker opening again lists again; overtaken requests are skipped") {
    Gate gate;
    FolderLister lister([&](FolderListing l) { gate.deliver(std::move(l)); },
                        [&](const std::filesystem::path& d) { return gate.list(d); });
    lister.request("/a");
    REQUIRE(gate.wait_entered());  // "/a" is being listed, held at the gate
    lister.request("/b");          // overtaken by "/c" before it begins
    lister.request("/c");
    gate.release();
    REQUIRE(gate.wait_delivered(2));
    lister.request("/c", /*again=*/true);  // the picker opens again on the same folder
    REQUIRE(gate.wait_delivered(3));
    while (lister.busy()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    std::lock_guard lock(gate.mutex);
    CHECK(gate.listed == std::vector<std::string>{"/a", "/c", "/c"});
    REQUIRE(gate.delivered.size() == 3);
    CHECK(gate.delivered[1].dir == "/c");
}

TEST_CASE("FolderLister: a folder lists its folders first, then its files, without hidden ones") {
    TempDir tmp;
    std::filesystem::create_directories(tmp / "Downloads");
    std::filesystem::create_directories(tmp / "Archive");
    std::filesystem::create_directories(tmp / ".cache");
    std::ofstream(tmp / "b.outpost") << "x";
    std::ofstream(tmp / "a.pdf") << "x";
    std::ofstream(tmp / ".hidden") << "x";
    const FolderListing l = list_folder(tmp.path());
    CHECK(l.dir == tmp.path().string());
    std::vector<std::string> names;
    for (const FolderEntry& e : l.entries) {
        names.push_back(e.name + (e.folder ? "/" : ""));
        CHECK(e.path == (tmp.path() / e.name).string());
    }
    CHECK(names == std::vector<std::string>{"Archive/", "Downloads/", "a.pdf", "b.outpost"});
    CHECK(list_folder(tmp / "gone").entries.empty());  // a folder that cannot be read: nothing to choose
}
