// Settings: passphrase, a new recovery code, auto-lock, text size, theme, this device, and removing the profile.
#include <imgui.h>

#include "../theme.h"
#include "outpost/client/words.h"
#include "views.h"

namespace outpost::ui {

void draw_settings(ViewContext& ctx) {
    AppState& s = ctx.state;
    heading("Settings");
    ImGui::BeginChild("##settings");
    const float col = ImGui::GetContentRegionAvail().x * 0.6F;

    ImGui::TextUnformatted("Passphrase");
    ImGui::Separator();
    ImGui::TextDisabled("Current passphrase");
    input_secret(ctx.widgets, "Current passphrase##settings", s.old_passphrase.data(), s.old_passphrase.capacity(),
                 col);
    ImGui::TextDisabled("New passphrase");
    input_secret(ctx.widgets, "New passphrase##settings", s.passphrase.data(), s.passphrase.capacity(), col);
    if (!s.passphrase.view().empty()) {
        const client::Strength st = client::passphrase_strength(s.passphrase.view(), s.policy.min_passphrase_length);
        ImGui::TextDisabled("%s. %s", st.label.c_str(), st.hint.c_str());
    }
    ImGui::TextDisabled("The new passphrase again");
    input_secret(ctx.widgets, "New passphrase again##settings", s.passphrase_again.data(),
                 s.passphrase_again.capacity(), col);
    if (s.working) {
        ImGui::TextUnformatted(s.working_on.c_str());
    } else if (button(ctx.widgets, "Change passphrase")) {
        ctx.intents.emplace_back(ChangePassphraseIntent{});
    }
    if (!s.settings_message.empty()) {
        ImGui::TextWrapped("%s", s.settings_message.c_str());
    }

    ImGui::Spacing();
    ImGui::TextUnformatted("Recovery code");
    ImGui::Separator();
    hint_text(
        "Lost the paper with your recovery code, or think someone has seen it? Make a new one: the old one "
        "stops working at once.");
    ImGui::TextDisabled("Your passphrase");
    input_secret(ctx.widgets, "Your passphrase##new_recovery", s.recovery_passphrase.data(),
                 s.recovery_passphrase.capacity(), col);
    if (!s.working && button(ctx.widgets, "Make a new recovery code")) {
        ctx.intents.emplace_back(NewRecoveryCodeIntent{});
    }
    if (!s.recovery_message.empty()) {
        ImGui::TextWrapped("%s", s.recovery_message.c_str());
    }

    ImGui::Spacing();
    ImGui::TextUnformatted("Lock after");
    ImGui::Separator();
    int minutes = s.policy.auto_lock_minutes(s.settings.auto_lock_minutes);
    const int most = s.policy.max_auto_lock_minutes > 0 ? s.policy.max_auto_lock_minutes : 60;
    ImGui::SetNextItemWidth(col);
    if (ImGui::SliderInt("##auto_lock", &minutes, 1, most, "%d minutes without use")) {
        ctx.intents.emplace_back(SetAutoLockIntent{minutes});
    }
    ctx.widgets.record_last("Lock after");
    if (s.policy.max_auto_lock_minutes > 0) {
        hint_text(
            ("Your organisation sets at most " + std::to_string(s.policy.max_auto_lock_minutes) + " minutes.").c_str());
    }
    hint_text("Locking wipes the key from memory. Unsaved answers are kept, encrypted, and come back when you unlock.");

    ImGui::Spacing();
    ImGui::TextUnformatted("Attachments");
    ImGui::Separator();
    bool prefetch = s.prefetch_attachments;
    if (checkbox(ctx.widgets, "Download every attachment at once", &prefetch)) {
        ctx.intents.emplace_back(SetPrefetchIntent{prefetch});
    }
    hint_text("Off: a photo or document downloads when you open it, which saves data on a slow connection.");

    ImGui::Spacing();
    ImGui::TextUnformatted("Text size");
    ImGui::Separator();
    for (const auto& [label, scale] : {std::pair{"Smaller", 0.9F}, std::pair{"Normal", 1.0F},
                                       std::pair{"Larger", 1.25F}, std::pair{"Largest", 1.6F}}) {
        if (ImGui::RadioButton(label, std::abs(s.settings.font_scale - scale) < 0.01F)) {
            ctx.intents.emplace_back(SetFontScaleIntent{scale});
        }
        ctx.widgets.record_last(label);
        ImGui::SameLine();
    }
    ImGui::NewLine();

    ImGui::Spacing();
    ImGui::TextUnformatted("Colours");
    ImGui::Separator();
    for (const auto& [label, theme] :
         {std::pair{"Dark", client::Theme::kDark}, std::pair{"Light", client::Theme::kLight},
          std::pair{"High contrast", client::Theme::kHighContrast}}) {
        if (ImGui::RadioButton(label, s.settings.theme == theme)) {
            ctx.intents.emplace_back(SetThemeIntent{theme});
        }
        ctx.widgets.record_last(label);
        ImGui::SameLine();
    }
    ImGui::NewLine();

    ImGui::Spacing();
    ImGui::TextUnformatted("This device");
    ImGui::Separator();
    if (ImGui::BeginTable("##device", 2, ImGuiTableFlags_SizingFixedFit)) {
        auto row = [](const char* k, const std::string& v) {
            ImGui::TableNextRow();
            ImGui::TableSetColumnIndex(0);
            ImGui::TextDisabled("%s", k);
            ImGui::TableSetColumnIndex(1);
            ImGui::TextUnformatted(v.c_str());
        };
        row("Server", s.server_url);
        row("Signed in as", s.user + " (" + s.role + ")");
        row("Team", s.team);
        row("Device", s.device_id);
        row("Profile", s.profile_display);
        ImGui::EndTable();
    }

    ImGui::Spacing();
    ImGui::TextUnformatted("Sign out of this laptop");
    ImGui::Separator();
    if (!s.confirm_remove) {
        hint_text(
            "Removes this profile and its encrypted data from this laptop. Your team keeps everything "
            "that has been synced.");
        if (button(ctx.widgets, "Remove this profile")) {
            s.confirm_remove = true;
        }
    } else {
        if (s.sync.state.waiting > 0) {
            problem_text(std::to_string(s.sync.state.waiting) +
                         " changes have not reached the server yet and would be lost. Sync first.");
        }
        ImGui::TextWrapped("Remove profile %s from this laptop?", s.profile_display.c_str());
        if (button(ctx.widgets, "Yes, remove it")) {
            ctx.intents.emplace_back(RemoveProfileIntent{});
        }
        ImGui::SameLine();
        if (button(ctx.widgets, "Keep it")) {
            s.confirm_remove = false;
        }
    }
    ImGui::EndChild();
}

}  // namespace outpost::ui
