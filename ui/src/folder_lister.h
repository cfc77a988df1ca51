// FolderLister: the file picker's folder, listed off the UI thread. The picker names the folder it
// shows every frame; the lister reads it once per change of folder (and again when the picker opens),
// on its own worker, and hands the listing to `deliver`, which the App posts to the RunQueue so it
// lands in AppState::folder at the start of a frame. A listing asked for and overtaken by another
// before it began is skipped.
//
// Ownership: owns its worker, joined on destruction. Threads: request() and busy() from the UI
// thread only; `list` and `deliver` run on the worker. Failure: a folder that cannot be read lists
// as empty (the picker says there is nothing to choose).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "outpost/ui/app_state.h"
#include "worker.h"

namespace outpost::ui {

// What the picker can show of `dir`: its folders, then its regular files, each in path order, without
// hidden ones (a name starting with '.').
[[nodiscard]] FolderListing list_folder(const std::filesystem::path& dir);

class FolderLister {
public:
    using Deliver = std::function<void(FolderListing)>;
    using List = std::function<FolderListing(const std::filesystem::path&)>;

    explicit FolderLister(Deliver deliver, List list = &list_folder)
        : m_deliver(std::move(deliver)), m_list(std::move(list)) {}
    FolderLister(const FolderLister&) = delete;
    FolderLister& operator=(const FolderLister&) = delete;

    // Asks for `dir`'s listing when it is not the folder asked for last, or when `again` (the picker
    // has just opened: what is there may have changed). Never waits for the listing.
    void request(const std::string& dir, bool again = false);
    // True while a listing is being read or waits to be.
    [[nodiscard]] bool busy() const { return m_worker.busy(); }

private:
    Deliver m_deliver;
    List m_list;
    std::string m_requested;                 // UI thread
    std::atomic<std::uint64_t> m_latest{0};  // the newest request; older ones not yet begun are skipped
    Worker m_worker;                         // last: joined before the rest goes
};

}  // namespace outpost::ui
