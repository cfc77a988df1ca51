#include "folder_lister.h"

#include <algorithm>
#include <system_error>
#include <utility>
#include <vector>

#include "outpost/platform/utf8.h"

namespace outpost::ui {

FolderListing list_folder(const std::filesystem::path& dir) {
    struct Found {
        std::filesystem::path path;
        bool folder = false;
    };
    std::vector<Found> found;
    std::error_code ec;
    // Incremented with an error code: nothing here throws on the worker (a folder that goes while it
    // is read ends the listing there).
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::filesystem::directory_entry& e = *it;
        const std::string name = path_to_utf8(e.path().filename());
        if (name.empty() || name.front() == '.') {
            continue;
        }
        std::error_code kind;
        if (e.is_directory(kind)) {
            found.push_back({e.path(), true});
        } else if (e.is_regular_file(kind)) {
            found.push_back({e.path(), false});
        }
    }
    std::sort(found.begin(), found.end(),
              [](const Found& a, const Found& b) { return a.folder != b.folder ? a.folder : a.path < b.path; });
    FolderListing out;
    out.dir = path_to_utf8(dir);
    out.entries.reserve(found.size());
    for (const Found& f : found) {
        out.entries.push_back({path_to_utf8(f.path.filename()), path_to_utf8(f.path), f.folder});
    }
    return out;
}

void FolderLister::request(const std::string& dir, bool again) {
    if (dir == m_requested && !again) {
        return;
    }
    m_requested = dir;
    const std::uint64_t ticket = ++m_latest;
    m_worker.post([this, dir, ticket] {
        if (ticket != m_latest.load()) {
            return;  // another folder was asked for meanwhile
        }
        FolderListing listing = m_list(path_from_utf8(dir));
        listing.dir = dir;  // as the picker names it
        m_deliver(std::move(listing));
    });
}

}  // namespace outpost::ui
