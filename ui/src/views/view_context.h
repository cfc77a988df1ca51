// What every view gets: where to put intents and where to record widgets. UI thread only.
#pragma once

#include "outpost/ui/intents.h"
#include "outpost/ui/widgets.h"

namespace outpost::ui {

struct ViewContext {
    Intents& intents;
    WidgetRegistry& widgets;
};

}  // namespace outpost::ui
