// Controllers: one controller of each area, built over one AppContext, which they reach each other
// through (the constructor sets AppContext's pointers). Owned by App; UI thread only.
#pragma once

#include "app_context.h"
#include "attachments_controller.h"
#include "cases_controller.h"
#include "conflicts_controller.h"
#include "drafts_controller.h"
#include "navigation_controller.h"
#include "needs_attention_controller.h"
#include "profiles_controller.h"
#include "records_controller.h"
#include "recovery_controller.h"
#include "review_controller.h"
#include "session_controller.h"
#include "settings_controller.h"
#include "sync_bar_controller.h"

namespace outpost::ui {

struct Controllers {
    explicit Controllers(AppContext& ctx)
        : navigation(ctx),
          profiles(ctx),
          sessions(ctx),
          cases(ctx),
          records(ctx),
          recovery(ctx),
          drafts(ctx),
          review(ctx),
          conflicts(ctx),
          attention(ctx),
          attachments(ctx),
          settings(ctx),
          sync_bar(ctx) {
        ctx.navigation = &navigation;
        ctx.profiles = &profiles;
        ctx.sessions = &sessions;
        ctx.cases = &cases;
        ctx.records = &records;
        ctx.recovery = &recovery;
        ctx.drafts = &drafts;
        ctx.review = &review;
        ctx.conflicts = &conflicts;
        ctx.attention = &attention;
        ctx.attachments = &attachments;
        ctx.settings = &settings;
        ctx.sync_bar = &sync_bar;
    }
    Controllers(const Controllers&) = delete;
    Controllers& operator=(const Controllers&) = delete;

    NavigationController navigation;
    ProfilesController profiles;
    SessionController sessions;
    CasesController cases;
    RecordsController records;
    RecoveryController recovery;
    DraftsController drafts;
    ReviewController review;
    ConflictsController conflicts;
    NeedsAttentionController attention;
    AttachmentsController attachments;
    SettingsController settings;
    SyncBarController sync_bar;
};

}  // namespace outpost::ui
