// ui_bench's measure of the window during a first sync (ui_bench_pull.cpp).
#pragma once

#include <filesystem>

namespace outpost::bench {

// Untimed set-up in this process (a server, N records pushed, two fresh laptops), then the measure in
// a child process started as `self --measure-pull DIR --cases N`. Returns the child's exit status.
int run_pull(const std::filesystem::path& dir, int n, const char* self);
// The child's part: prints the {"bench":"ui_pull",...} line.
int measure_pull(const std::filesystem::path& dir, int n);

}  // namespace outpost::bench
