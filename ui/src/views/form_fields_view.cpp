// The questions of a schema-driven form: one widget per kind, shown when the form's logic asks them,
// groups as titled sections, repeats as numbered items with Add and Remove, notes and calculated
// answers as text, a record link as a picker of cases, read-only answers for questions the role may
// not change, and each problem in plain words under its question.
#include <imgui.h>
#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <ctime>

#include "../theme.h"
#include "outpost/client/words.h"
#include "outpost/core/clock.h"
#include "outpost/core/records/logic.h"
#include "outpost/platform/process.h"
#include "views.h"

namespace outpost::ui {
namespace {

std::string today() {
    const std::tm tm = platform::local_time(SystemClock::instance().now_ms());
    char buf[16];
    std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
    return buf;
}

std::string fold_case(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

// A record link: the linked case's title, and a list of cases to search by name.
void draw_link(ViewContext& ctx, RecordScreen& screen, const records::FieldDef& f, const std::string& key,
               const std::string& id) {
    std::string& text = screen.form.text(key);
    std::string current = text.empty() ? std::string("Choose a case...") : std::string("A case not on this laptop");
    for (const LinkOption& o : screen.link_options) {
        if (o.id == text) {
            current = o.title;
        }
    }
    ImGui::SetNextItemWidth(-1.0F);
    const std::string combo = "##link" + id;
    if (ImGui::BeginCombo(combo.c_str(), current.c_str(), ImGuiComboFlags_HeightLarge)) {
        std::string& search = screen.link_search[key];
        if (ImGui::IsWindowAppearing()) {
            ImGui::SetKeyboardFocusHere();
        }
        input_text(ctx.widgets, ("Search cases##" + id).c_str(), &search, "Search cases by name", 0, -1.0F);
        if (!text.empty() && ImGui::Selectable("(no link)", false)) {
            text.clear();
        }
        const std::string needle = fold_case(search);
        int shown = 0;
        for (const LinkOption& o : screen.link_options) {
            if (!needle.empty() && fold_case(o.title).find(needle) == std::string::npos) {
                continue;
            }
            if (++shown > 50) {
                hint_text("More cases match: type more of the name.");
                break;
            }
            if (selectable(ctx.widgets, (o.title + "##" + o.id).c_str(), o.id == text)) {
                text = o.id;
                search.clear();
            }
        }
        if (shown == 0) {
            hint_text(screen.link_options.empty() ? "No cases on this laptop yet." : "No case matches.");
        }
        ImGui::EndCombo();
    }
    ctx.widgets.record_last(f.label);
}

void draw_field(ViewContext& ctx, client::FormModel& form, const records::FieldDef& f, const std::string& key,
                std::string_view item, const std::string& id) {
    using records::FieldKind;
    std::string& text = form.text(key);
    const std::string label = f.label + "##" + id;
    switch (f.kind) {
        case FieldKind::kLongText: {
            bool cut = false;
            input_multiline(ctx.widgets, label.c_str(), &text, 3, 12, f.max_length.value_or(0), &cut);
            if (cut) {
                form.note_cut(key);
            }
            break;
        }
        case FieldKind::kChoice: {
            const std::vector<std::string> offered = form.offered(f, item);
            const std::string current = text.empty() ? std::string("Choose...") : f.choice_text(text);
            ImGui::SetNextItemWidth(-1.0F);
            if (ImGui::BeginCombo(("##" + label).c_str(), current.c_str())) {
                if (!f.required) {
                    focus_when_opened(text.empty());
                    if (ImGui::Selectable("(no answer)", text.empty())) {
                        text.clear();
                    }
                }
                const bool known = std::find(offered.begin(), offered.end(), text) != offered.end();
                for (const std::string& choice : offered) {
                    const std::string entry = f.choice_text(choice) + "##" + choice;
                    focus_when_opened(text == choice || (!known && f.required && &choice == &offered.front()));
                    if (selectable(ctx.widgets, entry.c_str(), text == choice)) {
                        text = choice;
                    }
                }
                ImGui::EndCombo();
            }
            ctx.widgets.record_last(label);
            break;
        }
        case FieldKind::kMultiChoice: {
            // As many to a line as fit, like words in a sentence.
            const float right = ImGui::GetWindowPos().x + ImGui::GetWindowContentRegionMax().x;
            const ImGuiStyle& style = ImGui::GetStyle();
            const std::vector<std::string> offered = form.offered(f, item);
            for (std::size_t i = 0; i < offered.size(); ++i) {
                const std::string& choice = offered[i];
                bool on = form.has_choice(key, choice);
                const std::string entry = f.choice_text(choice) + "##" + id + choice;
                const float width = ImGui::GetFrameHeight() + style.ItemInnerSpacing.x +
                                    ImGui::CalcTextSize(entry.c_str(), nullptr, true).x;
                if (i > 0 && ImGui::GetItemRectMax().x + style.ItemSpacing.x + width <= right) {
                    ImGui::SameLine();
                }
                if (checkbox(ctx.widgets, entry.c_str(), &on)) {
                    form.set_choice(key, choice, on);
                }
            }
            break;
        }
        case FieldKind::kYesNo: {
            const std::string yes = "Yes##" + id;
            const std::string no = "No##" + id;
            if (ImGui::RadioButton(yes.c_str(), text == "yes")) {
                text = "yes";
            }
            ctx.widgets.record_last(f.label + ": Yes");
            ImGui::SameLine();
            if (ImGui::RadioButton(no.c_str(), text == "no")) {
                text = "no";
            }
            ctx.widgets.record_last(f.label + ": No");
            break;
        }
        case FieldKind::kDate: {
            const float today_w = ImGui::CalcTextSize("Today").x + ImGui::GetStyle().FramePadding.x * 2.0F;
            input_text(ctx.widgets, label.c_str(), &text, "YYYY-MM-DD", 0,
                       ImGui::GetContentRegionAvail().x - today_w - ImGui::GetStyle().ItemSpacing.x);
            ImGui::SameLine();
            const std::string today_label = "Today##" + id;
            if (ImGui::Button(today_label.c_str())) {
                text = today();
            }
            ctx.widgets.record_last(f.label + ": Today");
            break;
        }
        case FieldKind::kDateTime:
            input_text(ctx.widgets, label.c_str(), &text, "YYYY-MM-DDTHH:MMZ");
            break;
        case FieldKind::kTime:
            input_text(ctx.widgets, label.c_str(), &text, "HH:MM", 0, 6.0F * ImGui::GetFontSize());
            break;
        case FieldKind::kLocation:
            input_text(ctx.widgets, label.c_str(), &text, "latitude, longitude");
            break;
        case FieldKind::kAttachments:
            draw_attachments(ctx, form, f, id, true);
            break;
        case FieldKind::kInteger:
        case FieldKind::kDecimal:
            input_text(ctx.widgets, label.c_str(), &text, f.min && f.max ? "a number" : nullptr, 0,
                       8.0F * ImGui::GetFontSize());
            break;
        default: {
            bool cut = false;
            input_text(ctx.widgets, label.c_str(), &text, nullptr, 0, -1.0F, f.max_length.value_or(0), &cut);
            if (cut) {
                form.note_cut(key);
            }
            break;
        }
    }
}

struct FieldsPass {
    ViewContext& ctx;
    RecordScreen& screen;
    std::string suffix;
    bool compact;
    std::string today;

    void question(const records::FieldDef& f, std::string_view item) {
        client::FormModel& form = screen.form;
        const std::string key = f.repeat.empty() ? f.name : records::item_key(f.repeat, item, f.name);
        const bool editable = client::FormModel::editable(f, ctx.state.role) && !f.read_only;
        const std::string answer = form.text(key);
        const bool required = form.required(f, item);
        if (compact && (!editable || (!f.required && f.kind == records::FieldKind::kRecordLink))) {
            return;
        }
        if (!editable && (answer.empty() || answer == "[]")) {
            return;  // a lead's question not answered yet
        }
        ImGui::PushID(key.c_str());
        ImGui::Spacing();
        if (required && editable) {
            ImGui::Text("%s", f.label.c_str());
            ImGui::SameLine(0, 4.0F);
            ImGui::TextColored(theme_colour(Colour::kProblem), "*");
        } else {
            ImGui::TextUnformatted(f.label.c_str());
        }
        if (!f.help.empty()) {
            hint_text(f.help.c_str());
        }
        if (editable) {
            if (screen.focus_first || screen.focus_field == key) {
                ImGui::SetKeyboardFocusHere();
                screen.focus_first = false;
                screen.focus_field.clear();
            }
            if (f.kind == records::FieldKind::kRecordLink) {
                draw_link(ctx, screen, f, key, key + suffix);
            } else {
                draw_field(ctx, form, f, key, item, key + suffix);
            }
        } else if (f.kind == records::FieldKind::kAttachments) {
            draw_attachments(ctx, form, f, f.name + suffix, false);
        } else {
            ImGui::PushStyleColor(ImGuiCol_Text, theme_colour(Colour::kMuted));
            ImGui::TextWrapped("%s",
                               f.kind == records::FieldKind::kChoice ? f.choice_text(answer).c_str() : answer.c_str());
            ImGui::PopStyleColor();
        }
        if (const std::string* e = form.error(key)) {
            problem_text(*e);
        }
        if (editable && f.max_length) {
            // Near the limit, how much is left; at it, why typing stops.
            const std::int64_t used = client::character_count(form.text(key));
            if (form.was_cut(key)) {
                problem_text("Cut at " + client::count_words(*f.max_length) +
                             " characters, the most this answer takes. The rest was not kept.");
            } else if (used * 5 >= *f.max_length * 4) {
                hint_text(
                    (client::count_words(used) + " of " + client::count_words(*f.max_length) + " characters").c_str());
            }
        }
        ImGui::PopID();
    }

    void repeat(const records::FieldDef& r) {
        client::FormModel& form = screen.form;
        const records::Schema& schema = *form.schema();
        const bool editable = client::FormModel::editable(r, ctx.state.role) && !r.read_only && !compact;
        ImGui::PushID(r.name.c_str());
        ImGui::Spacing();
        section(r.label.c_str());
        if (!r.help.empty()) {
            hint_text(r.help.c_str());
        }
        const std::vector<std::string> items = form.items(r.name);
        int n = 0;
        for (const std::string& item : items) {
            ImGui::PushID(item.c_str());
            ImGui::Spacing();
            const std::string title = r.label + ", item " + std::to_string(++n);
            ImGui::TextColored(theme_colour(Colour::kMuted), "%s", title.c_str());
            if (editable) {
                ImGui::SameLine();
                const std::string remove = "Remove##" + item;
                if (ImGui::SmallButton(remove.c_str())) {
                    form.remove_item(r.name, item);
                    ImGui::PopID();
                    break;  // the list changed under the loop
                }
                ctx.widgets.record_last("Remove " + title);
            }
            ImGui::Indent();
            for (const std::string& child : r.fields) {
                if (const records::FieldDef* c = schema.def(child)) {
                    any(*c, item);
                }
            }
            ImGui::Unindent();
            ImGui::PopID();
        }
        if (editable && static_cast<std::int64_t>(items.size()) < r.max_items) {
            ImGui::Spacing();
            const std::string add = (items.empty() ? "Add to " : "Add another to ") + r.label;
            if (ImGui::Button((add + "##add").c_str())) {
                form.add_item(r.name, ctx.now_ms, randombytes_uniform(1296));
            }
            ctx.widgets.record_last("Add to " + r.label);
        }
        if (const std::string* e = form.error(r.name)) {
            problem_text(*e);
        }
        ImGui::PopID();
    }

    void any(const records::FieldDef& f, std::string_view item) {
        client::FormModel& form = screen.form;
        if (!form.visible(f, item)) {
            return;
        }
        switch (f.kind) {
            case records::FieldKind::kGroup:
                ImGui::Spacing();
                section(f.label.c_str());
                for (const std::string& child : f.fields) {
                    if (const records::FieldDef* c = form.schema()->def(child)) {
                        any(*c, item);
                    }
                }
                return;
            case records::FieldKind::kRepeat:
                repeat(f);
                return;
            case records::FieldKind::kNote:
                if (!compact) {
                    ImGui::Spacing();
                    ImGui::TextWrapped("%s", f.label.c_str());
                    if (!f.help.empty()) {
                        hint_text(f.help.c_str());
                    }
                }
                return;
            case records::FieldKind::kCalculate: {
                if (f.label.empty() || compact) {
                    return;  // a working value, not shown
                }
                const std::string value = form.calculated(f, item);
                ImGui::Spacing();
                ImGui::TextUnformatted(f.label.c_str());
                ImGui::PushStyleColor(ImGuiCol_Text, theme_colour(Colour::kMuted));
                ImGui::TextWrapped("%s", value.empty() ? "Not worked out yet" : value.c_str());
                ImGui::PopStyleColor();
                ctx.widgets.record_last(f.label + ": " + value);
                return;
            }
            default:
                question(f, item);
        }
    }
};

}  // namespace

void draw_form_fields(ViewContext& ctx, RecordScreen& screen, const char* id_suffix, bool compact) {
    client::FormModel& form = screen.form;
    const records::Schema* schema = form.schema();
    if (schema == nullptr) {
        return;
    }
    FieldsPass pass{ctx, screen, id_suffix, compact, today()};
    form.set_today(pass.today);
    for (const records::FieldDef& f : schema->fields) {
        if (f.parent.empty()) {
            pass.any(f, "");
        }
    }
}

}  // namespace outpost::ui
