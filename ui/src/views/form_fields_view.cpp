// The questions of a schema-driven form: one widget per kind, visible_if, read-only answers for
// questions the role may not change, and each problem in plain words under its question.
#include <imgui.h>

#include <algorithm>
#include <ctime>

#include "../theme.h"
#include "outpost/client/words.h"
#include "outpost/core/clock.h"
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

void draw_field(ViewContext& ctx, client::FormModel& form, const records::FieldDef& f, const std::string& id) {
    using records::FieldKind;
    std::string& text = form.text(f.name);
    const std::string label = f.label + "##" + id;
    switch (f.kind) {
        case FieldKind::kLongText: {
            bool cut = false;
            input_multiline(ctx.widgets, label.c_str(), &text, 3, 12, f.max_length.value_or(0), &cut);
            if (cut) {
                form.note_cut(f.name);
            }
            break;
        }
        case FieldKind::kChoice: {
            const std::string current = text.empty() ? std::string("Choose...") : client::humanise(text);
            ImGui::SetNextItemWidth(-1.0F);
            if (ImGui::BeginCombo(("##" + label).c_str(), current.c_str())) {
                if (!f.required) {
                    focus_when_opened(text.empty());
                    if (ImGui::Selectable("(no answer)", text.empty())) {
                        text.clear();
                    }
                }
                const bool known = std::find(f.choices.begin(), f.choices.end(), text) != f.choices.end();
                for (const std::string& choice : f.choices) {
                    const std::string item = client::humanise(choice) + "##" + choice;
                    focus_when_opened(text == choice || (!known && f.required && &choice == &f.choices.front()));
                    if (selectable(ctx.widgets, item.c_str(), text == choice)) {
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
            for (std::size_t i = 0; i < f.choices.size(); ++i) {
                const std::string& choice = f.choices[i];
                bool on = form.has_choice(f.name, choice);
                const std::string item = client::humanise(choice) + "##" + id + choice;
                const float width = ImGui::GetFrameHeight() + style.ItemInnerSpacing.x +
                                    ImGui::CalcTextSize(item.c_str(), nullptr, true).x;
                if (i > 0 && ImGui::GetItemRectMax().x + style.ItemSpacing.x + width <= right) {
                    ImGui::SameLine();
                }
                if (checkbox(ctx.widgets, item.c_str(), &on)) {
                    form.set_choice(f.name, choice, on);
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
                form.note_cut(f.name);
            }
            break;
        }
    }
}

}  // namespace

void draw_form_fields(ViewContext& ctx, RecordScreen& screen, const char* id_suffix, bool compact) {
    client::FormModel& form = screen.form;
    const records::Schema* schema = form.schema();
    if (schema == nullptr) {
        return;
    }
    for (const records::FieldDef& f : schema->fields) {
        const bool editable = client::FormModel::editable(f, ctx.state.role);
        const std::string answer = form.text(f.name);
        if (!form.visible(f) ||
            (compact && (!editable || (!f.required && f.kind == records::FieldKind::kRecordLink)))) {
            continue;
        }
        if (!editable && (answer.empty() || answer == "[]")) {
            continue;  // a lead's question not answered yet
        }
        ImGui::PushID(f.name.c_str());
        ImGui::Spacing();
        if (f.required && editable) {
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
            if (screen.focus_first || screen.focus_field == f.name) {
                ImGui::SetKeyboardFocusHere();
                screen.focus_first = false;
                screen.focus_field.clear();
            }
            draw_field(ctx, form, f, f.name + id_suffix);
        } else if (f.kind == records::FieldKind::kAttachments) {
            draw_attachments(ctx, form, f, f.name + id_suffix, false);
        } else {
            ImGui::PushStyleColor(ImGuiCol_Text, theme_colour(Colour::kMuted));
            ImGui::TextWrapped(
                "%s", f.kind == records::FieldKind::kChoice ? client::humanise(answer).c_str() : answer.c_str());
            ImGui::PopStyleColor();
        }
        if (const std::string* e = form.error(f.name)) {
            problem_text(*e);
        }
        if (editable && f.max_length) {
            // Near the limit, how much is left; at it, why typing stops.
            const std::int64_t used = client::character_count(form.text(f.name));
            if (form.was_cut(f.name)) {
                problem_text("Cut at " + client::count_words(*f.max_length) +
                             " characters, the most this answer takes. The rest was not kept.");
            } else if (used * 5 >= *f.max_length * 4) {
                hint_text(
                    (client::count_words(used) + " of " + client::count_words(*f.max_length) + " characters").c_str());
            }
        }
        ImGui::PopID();
    }
}

}  // namespace outpost::ui
