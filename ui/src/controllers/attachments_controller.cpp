#include "attachments_controller.h"

#include <sodium.h>

#include <algorithm>
#include <map>

#include "app_context.h"
#include "outpost/client/words.h"
#include "outpost/core/error_codes.h"
#include "outpost/core/records/attachments.h"
#include "outpost/platform/app_dirs.h"
#include "outpost/platform/utf8.h"
#include "pictures.h"
#include "worker.h"

namespace outpost::ui {
namespace {

// The attachments answers of a form, as they stand in its texts.
std::vector<records::Attachment> form_files(client::FormModel& form) {
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
    std::filesystem::path p = dir / path_from_utf8(name);
    const std::filesystem::path n = path_from_utf8(name);
    for (int i = 2; std::filesystem::exists(p, ec) && i < 1000; ++i) {
        p = dir / path_from_utf8(path_to_utf8(n.stem()) + " (" + std::to_string(i) + ")" + path_to_utf8(n.extension()));
    }
    return p;
}

}  // namespace

RecordScreen* AttachmentsController::attaching_screen() {
    AppState& s = m_ctx.state;
    if (s.idea) {
        return &*s.idea;
    }
    return s.record ? &*s.record : nullptr;
}

void AttachmentsController::refresh() {
    Attachments& at = m_ctx.state.attachments;
    RecordScreen* screen = attaching_screen();
    if (!m_ctx.session || screen == nullptr) {
        at.files.clear();
        return;
    }
    std::vector<records::Attachment> files = form_files(screen->form);
    std::map<std::string, FileStatus> now;
    m_ctx.session->with_blobs([&](BlobStore& blobs) {
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
                    st.problem = client::problem_words(Status::error((*up)->code, (*up)->reason));
                }
            }
            if (downs.is_ok()) {
                for (const BlobStore::Download& d : *downs) {
                    if (d.hash == a.hash) {
                        st.wanted = true;
                        if (!d.code.empty()) {
                            st.problem = client::problem_words(Status::error(d.code, d.reason));
                        }
                    }
                }
            }
            now[a.hash] = st;
        }
    });
    at.files = std::move(now);
}

void AttachmentsController::attach(const AttachFileIntent& intent) {
    Attachments& at = m_ctx.state.attachments;
    RecordScreen* screen = attaching_screen();
    if (!m_ctx.session) {
        return;
    }
    at.pick_for.clear();
    if (screen == nullptr || screen->form.schema()->field(intent.field) == nullptr) {
        return;
    }
    const std::int64_t limit = m_ctx.session->max_attachment_bytes();
    Result<records::Attachment> a =
        m_ctx.session->with_blobs([&](BlobStore& blobs) { return blobs.add_file(path_from_utf8(intent.path), limit); });
    if (!a.is_ok()) {
        at.problem = client::problem_words(a.status()) + " (" + a.status().message() + ")";
        return;
    }
    std::string& text = screen->form.text(intent.field);
    Result<std::vector<records::Attachment>> list = records::parse_attachments(text.empty() ? "[]" : text);
    std::vector<records::Attachment> files = list.is_ok() ? *list : std::vector<records::Attachment>{};
    if (std::none_of(files.begin(), files.end(), [&](const auto& f) { return f.hash == a->hash; })) {
        files.push_back(*a);
    }
    text = records::encode_attachments(files);
    at.problem.clear();
    m_ctx.toast("Attached " + a->name + " (" + client::size_words(a->size) + "). It is sent when you save and sync.");
    refresh();
}

void AttachmentsController::remove(const RemoveAttachmentIntent& intent) {
    RecordScreen* screen = attaching_screen();
    if (!m_ctx.session || screen == nullptr) {
        return;
    }
    std::string& text = screen->form.text(intent.field);
    Result<std::vector<records::Attachment>> list = records::parse_attachments(text.empty() ? "[]" : text);
    if (list.is_ok()) {
        std::erase_if(*list, [&](const auto& f) { return f.hash == intent.hash; });
        text = records::encode_attachments(*list);
    }
    refresh();
}

void AttachmentsController::open(const std::string& hash) {
    Attachments& at = m_ctx.state.attachments;
    if (!m_ctx.session) {
        return;
    }
    const auto it = at.files.find(hash);
    if (it == at.files.end()) {
        return;
    }
    if (!it->second.here) {
        // Lazy: asked for now, fetched at the sync this starts.
        records::Attachment a{hash, "file", "application/octet-stream", it->second.size};
        Status s = m_ctx.session->with_blobs([&](BlobStore& blobs) { return blobs.want(a); });
        at.problem = s.is_ok() ? std::string() : client::problem_words(s);
        m_ctx.session->request_sync();
        m_ctx.toast("Fetching the file. It opens here when it has arrived.");
        refresh();
        return;
    }
    at.viewing = hash;
    show_picture(hash);
}

void AttachmentsController::save(const SaveAttachmentIntent& intent) {
    Attachments& at = m_ctx.state.attachments;
    if (!m_ctx.session) {
        return;
    }
    if (!m_ctx.state.policy.export_allowed) {
        at.problem = client::problem_words(Status::error(errc::kPolicyExportForbidden, "export is turned off"));
        return;
    }
    const std::filesystem::path to = free_name(downloads_dir(), intent.name);
    Status s = m_ctx.session->with_blobs([&](BlobStore& blobs) { return blobs.export_to(intent.hash, to); });
    if (!s.is_ok()) {
        at.problem = client::problem_words(s);
        return;
    }
    at.problem.clear();
    m_ctx.toast("Saved to " + path_to_utf8(to));
}

// Queues the files of `values` (a saved form's answers) for upload; inside the save's transaction.
Status AttachmentsController::queue_uploads(const records::Schema& schema, const records::Values& values) {
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
            Result<std::optional<BlobStore::Info>> info = m_ctx.session->blobs_locked().info(a.hash);
            if (info.is_ok() && *info && (*info)->complete) {  // ours to send (not one only named here)
                OUTPOST_TRY(m_ctx.session->blobs_locked().queue_upload(a.hash));
            }
        }
    }
    return Status::ok();
}

void AttachmentsController::drop_pictures() {
    Attachments& at = m_ctx.state.attachments;
    const AppOptions& o = m_ctx.options;
    if (o.free_texture) {
        for (auto& [hash, pic] : at.thumbnails) {
            o.free_texture(pic.texture);
        }
        o.free_texture(at.large.texture);
    }
    at.thumbnails.clear();
    at.large = Picture{};
    at.viewing.clear();
}

// The viewer: the picture decoded to fit 1600 pixels (on the UI thread: one picture, on request).
void AttachmentsController::show_picture(const std::string& hash) {
    Attachments& at = m_ctx.state.attachments;
    const AppOptions& o = m_ctx.options;
    if (o.free_texture) {
        o.free_texture(at.large.texture);
    }
    at.large = Picture{};
    const auto st = at.files.find(hash);
    if (!m_ctx.session || st == at.files.end() || !o.make_texture) {
        return;
    }
    Result<std::string> bytes =
        m_ctx.session->with_blobs([&](BlobStore& b) { return b.read(hash, 0, st->second.size); });
    if (!bytes.is_ok()) {
        return;
    }
    std::optional<Rgba> pic = decode_picture(*bytes, 1600);
    sodium_memzero(bytes->data(), bytes->size());
    if (pic) {
        at.large = {o.make_texture(pic->pixels.data(), pic->width, pic->height), pic->width, pic->height};
        sodium_memzero(pic->pixels.data(), pic->pixels.size());
    }
}

// Thumbnails of the pictures here that have none yet: decoded and shrunk on the reader, made into
// textures on the UI thread.
void AttachmentsController::load_thumbnails() {
    RecordScreen* screen = attaching_screen();
    if (!m_ctx.session || screen == nullptr || !m_ctx.options.make_texture) {
        return;
    }
    Attachments& at = m_ctx.state.attachments;
    std::vector<records::Attachment> todo;
    for (const records::Attachment& a : form_files(screen->form)) {
        const auto st = at.files.find(a.hash);
        if (is_picture_mime(a.mime) && st != at.files.end() && st->second.here && at.thumbnails.count(a.hash) == 0) {
            at.thumbnails[a.hash] = Picture{};  // on its way
            todo.push_back(a);
        }
    }
    if (todo.empty()) {
        return;
    }
    client::Session* session = m_ctx.session.get();  // a lock waits for the reader before the session goes
    m_ctx.reader.post([this, q = m_ctx.queue, session, todo, gen = m_ctx.generation] {
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
            q->post(m_ctx.for_session(gen, [this, hash = a.hash, pic = std::move(*pic)](AppState& s) mutable {
                if (const AppOptions& o = m_ctx.options; o.make_texture) {
                    s.attachments.thumbnails[hash] = {o.make_texture(pic.pixels.data(), pic.width, pic.height),
                                                      pic.width, pic.height};
                }
                sodium_memzero(pic.pixels.data(), pic.pixels.size());
            }));
        }
    });
}

}  // namespace outpost::ui
