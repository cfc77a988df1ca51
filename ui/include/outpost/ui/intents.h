// Intents: what a view asks for. Views never mutate AppState or call subsystems; they append intents,
// which App applies after the frame on the UI thread.
#pragma once

#include <variant>
#include <vector>

namespace outpost::ui {

struct CheckServerIntent {};
struct QuitIntent {};

using Intent = std::variant<CheckServerIntent, QuitIntent>;
using Intents = std::vector<Intent>;

}  // namespace outpost::ui
