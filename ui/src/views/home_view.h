// Home: the main area. Until the records engine lands it shows the server and what is coming.
#pragma once

#include "outpost/ui/app_state.h"
#include "views/view_context.h"

namespace outpost::ui {

void draw_home(const AppState& state, ViewContext& ctx);

}  // namespace outpost::ui
