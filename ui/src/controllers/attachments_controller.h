// AttachmentsController: attachments on the open record or idea. Attaching reads the file into the
// encrypted store at once (refused before reading when it is over the server's limit) and adds it to
// the field's answer; saving the form queues its files for upload in the same transaction. A file
// that is not here is asked for and comes at the next sync; one that is here can be viewed and saved
// back to disk. Pictures are shown as thumbnails (decoded on the reader) and large in a viewer.
//
// Threads: UI thread only. Each store access is one short call under the session's mutex, which the
// IntentRouter (or, for the sync bar's refresh, SyncBarController) holds around it.
#pragma once

#include <string>

#include "outpost/core/records/schema.h"
#include "outpost/ui/intents.h"

namespace outpost::ui {

struct AppContext;
struct RecordScreen;

class AttachmentsController {
public:
    explicit AttachmentsController(AppContext& ctx) : m_ctx(ctx) {}

    void attach(const AttachFileIntent& intent);
    void remove(const RemoveAttachmentIntent& intent);
    // View it, or ask for it when it is not here.
    void open(const std::string& hash);
    // Export it to the Downloads folder (when the site policy allows).
    void save(const SaveAttachmentIntent& intent);

    // Where the open form's files stand (here, uploading, wanted...), into AppState::attachments.
    void refresh();
    // Thumbnails of the pictures here that have none yet (decoded on the reader).
    void load_thumbnails();
    // Frees the thumbnails and the large picture.
    void drop_pictures();
    // Queues the files of `values` (a saved form's answers) for upload; inside the save's transaction.
    [[nodiscard]] Status queue_uploads(const records::Schema& schema, const records::Values& values);
    // The form whose attachments show: the idea over the record, else the record, else null.
    [[nodiscard]] RecordScreen* attaching_screen();

private:
    void show_picture(const std::string& hash);

    AppContext& m_ctx;
};

}  // namespace outpost::ui
