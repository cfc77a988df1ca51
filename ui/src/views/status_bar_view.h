// Status bar: always visible along the bottom; connection, pending changes, last contact, Sync now.
#pragma once

#include "outpost/ui/app_state.h"
#include "views/view_context.h"

namespace outpost::ui {

void draw_status_bar(const AppState& state, ViewContext& ctx);

}  // namespace outpost::ui
