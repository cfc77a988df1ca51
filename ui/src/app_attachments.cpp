// App: attachments on the open record or idea. Attaching reads the file into the
// encrypted store at once (refused before reading when it is over the server's limit) and adds it to
// the field's answer; saving the form queues its files for upload in the same transaction. A file
// that is not here is asked for and comes at the next sync; one that is here can be viewed and saved
// back to disk. UI thread; each store access is one short call under the session's mutex.
#include <sodium.h>

#include <algorithm>
#include <cstdlib>

#include "outpost/core/error_codes.h"
#include "outpost/core/records/attachments.h"
#include "outpost/platform/app_dirs.h"
#include "outpost/ui/app.h"
#include "outpost/ui/words.h"
#include "pictures.h"
#include "worker.h"

namespace outpost::ui {
namespace {

// The attachments answers of a form, as they stand in its texts.
std::vector<records::Attachment> form_files(FormModel& form) {
    std::vector<records::Attachment> out;
    for (const records::FieldDef& f : form.schema()->fields) {
        if (f.kind != records::FieldKind::kAttachments) {
            continue;
        }
        const std::string& text = form.text(f.name);
        if (Result<std::vector<records::Attachment>> list = records::parse_attachments(text.empty() ? "[]" : text);
            list.is_ok()) {
            out.insert(out.end(), list->begin(), list->end());
        }
    }
    return out;
}

std::filesystem::path downloads_dir() {
    return platform::downloads_folder();
}

// `dir/name`, or `dir/stem (2).ext` and so on when that is taken.
std::filesystem::path free_name(const std::filesystem::path& dir, const std::string& name) {
    std::error_code ec;
    std::filesystem::path p = dir / name;
    const std::filesystem::path n(name);
    for (int i = 2; std::filesystem::exists(p, ec) && i < 1000; ++i) {
        p = dir / (n.stem().string() + " (" + std::to_string(i) + ")" + n.extension().string());
    }
    return p;
}

}  // namespace

RecordScreen* App::attaching_screen() {
    if (m_state.idea) {
        return &*m_state.idea;
    }
    return m_state.record ? &*m_state.record : nullptr;
}

void App::refresh_attachments() {
    Attachments& at = m_state.attachments;
    RecordScreen* screen = attaching_screen();
    if (!m_session || screen == nullptr) {
        at.files.clear();
        return;
    }
    std::vector<records::Attachment> files = form_files(screen->form);
    std::map<std::string, FileStatus> now;
    m_session->with_blobs([&](BlobStore& blobs) {
        Result<std::vector<BlobStore::Download>> downs = blobs.downloads();
        for (const records::Attachment& a : files) {
            FileStatus st;
            st.size = a.size;
            if (Result<std::optional<BlobStore::Info>> info = blobs.info(a.hash); info.is_ok() && *info) {
                st.here = (*info)->complete;
                st.stored = (*info)->stored;
            }
            if (Result<std::optional<BlobStore::Upload>> up = blobs.upload(a.hash); up.is_ok() && *up) {
                st.uploading = (*up)->state == BlobStore::UploadState::kWaiting;
                st.uploaded = (*up)->state == BlobStore::UploadState::kDone;
                st.refused = (*up)->state == BlobStore::UploadState::kRefused;
                st.sent = (*up)->sent;
                if (!(*up)->code.empty()) {
                    st.problem = problem_words(Status::error((*up)->code, (*up)->reason));
                }
            }
            if (downs.is_ok()) {
                for (const BlobStore::Download& d : *downs) {
                    if (d.hash == a.hash) {
                        st.wanted = true;
                        if (!d.code.empty()) {
                            st.problem = problem_words(Status::error(d.code, d.reason));
                        }
                    }
                }
            }
            now[a.hash] = st;
        }
    });
    at.files = std::move(now);
}

void App::apply_attachment(const Intent& intent) {
    Attachments& at = m_state.attachments;
    RecordScreen* screen = attaching_screen();
    if (!m_session) {
        return;
    }
    if (const auto* add = std::get_if<AttachFileIntent>(&intent)) {
        at.pick_for.clear();
        if (screen == nullptr || screen->form.schema()->field(add->field) == nullptr) {
            return;
        }
        const std::int64_t limit = m_session->max_attachment_bytes();
        Result<records::Attachment> a =
            m_session->with_blobs([&](BlobStore& blobs) { return blobs.add_file(add->path, limit); });
        if (!a.is_ok()) {
            at.problem = problem_words(a.status()) + " (" + a.status().message() + ")";
            return;
        }
        std::string& text = screen->form.text(add->field);
        Result<std::vector<records::Attachment>> list = records::parse_attachments(text.empty() ? "[]" : text);
        std::vector<records::Attachment> files = list.is_ok() ? *list : std::vector<records::Attachment>{};
        if (std::none_of(files.begin(), files.end(), [&](const auto& f) { return f.hash == a->hash; })) {
            files.push_back(*a);
        }
        text = records::encode_attachments(files);
        at.problem.clear();
        toast("Attached " + a->name + " (" + size_words(a->size) + "). It is sent when you save and sync.");
        refresh_attachments();
    } else if (const auto* rm = std::get_if<RemoveAttachmentIntent>(&intent)) {
        if (screen == nullptr) {
            return;
        }
        std::string& text = screen->form.text(rm->field);
        Result<std::vector<records::Attachment>> list = records::parse_attachments(text.empty() ? "[]" : text);
        if (list.is_ok()) {
            std::erase_if(*list, [&](const auto& f) { return f.hash == rm->hash; });
            text = records::encode_attachments(*list);
        }
        refresh_attachments();
    } else if (const auto* open = std::get_if<OpenAttachmentIntent>(&intent)) {
        const auto it = at.files.find(open->hash);
        if (it == at.files.end()) {
            return;
        }
        if (!it->second.here) {
            // Lazy: asked for now, fetched at the sync this starts.
            records::Attachment a{open->hash, "file", "application/octet-stream", it->second.size};
            Status s = m_session->with_blobs([&](BlobStore& blobs) { return blobs.want(a); });
            at.problem = s.is_ok() ? std::string() : problem_words(s);
            m_session->request_sync();
            toast("Fetching the file. It opens here when it has arrived.");
            refresh_attachments();
            return;
        }
        at.viewing = open->hash;
        show_picture(open->hash);
    } else if (const auto* save = std::get_if<SaveAttachmentIntent>(&intent)) {
        if (!m_state.policy.export_allowed) {
            at.problem = problem_words(Status::error(errc::kPolicyExportForbidden, "export is turned off"));
            return;
        }
        const std::filesystem::path to = free_name(downloads_dir(), save->name);
        Status s = m_session->with_blobs([&](BlobStore& blobs) { return blobs.export_to(save->hash, to); });
        if (!s.is_ok()) {
            at.problem = problem_words(s);
            return;
        }
        at.problem.clear();
        toast("Saved to " + to.string());
    }
}

// Queues the files of `values` (a saved form's answers) for upload; inside the save's transaction.
Status App::queue_uploads(const records::Schema& schema, const records::Values& values) {
    for (const auto& [field, value] : values) {
        const records::FieldDef* f = schema.field(field);
        const auto* text = std::get_if<std::string>(&value);
        if (f == nullptr || f->kind != records::FieldKind::kAttachments || text == nullptr) {
            continue;
        }
        Result<std::vector<records::Attachment>> list = records::parse_attachments(*text);
        if (!list.is_ok()) {
            continue;
        }
        for (const records::Attachment& a : *list) {
            Result<std::optional<BlobStore::Info>> info = m_session->blobs_locked().info(a.hash);
            if (info.is_ok() && *info && (*info)->complete) {  // ours to send (not one only named here)
                OUTPOST_TRY(m_session->blobs_locked().queue_upload(a.hash));
            }
        }
    }
    return Status::ok();
}

}  // namespace outpost::ui

namespace outpost::ui {

void App::drop_pictures() {
    Attachments& at = m_state.attachments;
    if (m_options.free_texture) {
        for (auto& [hash, pic] : at.thumbnails) {
            m_options.free_texture(pic.texture);
        }
        m_options.free_texture(at.large.texture);
    }
    at.thumbnails.clear();
    at.large = Picture{};
    at.viewing.clear();
}

// The viewer: the picture decoded to fit 1600 pixels (on the UI thread: one picture, on request).
void App::show_picture(const std::string& hash) {
    Attachments& at = m_state.attachments;
    if (m_options.free_texture) {
        m_options.free_texture(at.large.texture);
    }
    at.large = Picture{};
    const auto st = at.files.find(hash);
    if (!m_session || st == at.files.end() || !m_options.make_texture) {
        return;
    }
    Result<std::string> bytes = m_session->with_blobs([&](BlobStore& b) { return b.read(hash, 0, st->second.size); });
    if (!bytes.is_ok()) {
        return;
    }
    std::optional<Rgba> pic = decode_picture(*bytes, 1600);
    sodium_memzero(bytes->data(), bytes->size());
    if (pic) {
        at.large = {m_options.make_texture(pic->pixels.data(), pic->width, pic->height), pic->width, pic->height};
        sodium_memzero(pic->pixels.data(), pic->pixels.size());
    }
}

// Thumbnails of the pictures here that have none yet: decoded and shrunk on the reader, made into
// textures on the UI thread.
void App::load_thumbnails() {
    RecordScreen* screen = attaching_screen();
    if (!m_session || screen == nullptr || !m_options.make_texture) {
        return;
    }
    std::vector<records::Attachment> todo;
    for (const records::Attachment& a : form_files(screen->form)) {
        const auto st = m_state.attachments.files.find(a.hash);
        if (is_picture_mime(a.mime) && st != m_state.attachments.files.end() && st->second.here &&
            m_state.attachments.thumbnails.count(a.hash) == 0) {
            m_state.attachments.thumbnails[a.hash] = Picture{};  // on its way
            todo.push_back(a);
        }
    }
    if (todo.empty()) {
        return;
    }
    Session* session = m_session.get();
    m_reader->post([this, q = m_queue, session, todo, gen = m_generation] {
        for (const records::Attachment& a : todo) {
            Result<std::string> bytes = session->with_blobs([&](BlobStore& b) { return b.read(a.hash, 0, a.size); });
            if (!bytes.is_ok()) {
                continue;
            }
            std::optional<Rgba> pic = decode_picture(*bytes, 96);
            sodium_memzero(bytes->data(), bytes->size());
            if (!pic) {
                continue;
            }
            q->post(for_session(gen, [this, hash = a.hash, pic = std::move(*pic)](AppState& s) mutable {
                if (m_options.make_texture) {
                    s.attachments.thumbnails[hash] = {m_options.make_texture(pic.pixels.data(), pic.width, pic.height),
                                                      pic.width, pic.height};
                }
                sodium_memzero(pic.pixels.data(), pic.pixels.size());
            }));
        }
    });
}

}  // namespace outpost::ui
