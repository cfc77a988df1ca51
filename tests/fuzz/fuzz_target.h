// The libFuzzer entry point every target defines (and replay_main.cpp drives without libFuzzer).
#pragma once

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
