// RecordsController: the record screen and the quick idea: opening a record (with its history), a
// new form, saving one (the record and its files' places in the upload queue in one transaction),
// closing it, and the idea's open, save, close and put-aside. A form that another replaces is set
// aside as a draft first (DraftsController).
//
// Threads: UI thread only. Every method here but open_idea() touches the store: the IntentRouter
// holds the store mutex around them (or the caller does, as SessionController::opened).
#pragma once

#include <string>

namespace outpost::ui {

struct AppContext;
struct RecordScreen;

class RecordsController {
public:
    explicit RecordsController(AppContext& ctx) : m_ctx(ctx) {}

    void open(const std::string& id);
    // A blank form of `type`.
    void create(const std::string& type);
    void save_record();
    void close_record();
    void open_idea();
    void save_idea();
    void close_idea();
    // Escape on the idea: closed, and what was typed kept as a draft.
    void put_idea_aside();

    // A new draft key (random): each form on screen has one.
    [[nodiscard]] static std::string new_draft_key();

private:
    // The cases a record link on this form may point to (none without a record link question).
    void load_link_options(RecordScreen& screen);
    void save_form(RecordScreen& screen, bool is_idea);

    AppContext& m_ctx;
};

}  // namespace outpost::ui
