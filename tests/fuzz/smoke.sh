#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in their own tree and runs each for a bounded time.
#   smoke.sh SOURCE_DIR BUILD_DIR SECONDS
# Fails if a target crashes (libFuzzer exits non-zero and writes the input to BUILD_DIR/artifacts).
set -euo pipefail
src="$1"; build="$2"; seconds="${3:-10}"
cmake -S "$src" -B "$build" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOUTPOST_FUZZERS=ON >/dev/null
cmake --build "$build" -j2 >/dev/null
mkdir -p "$build/artifacts"
for fuzzer in "$build"/tests/fuzz/*_fuzz; do
  name=$(basename "$fuzzer" _fuzz)
  work=$(mktemp -d)
  cp -r "$src/tests/fuzz/corpus/$name/." "$work/"
  echo "fuzz/smoke: $name for ${seconds}s"
  rc=0
  "$fuzzer" -max_total_time="$seconds" -artifact_prefix="$build/artifacts/$name-" -print_final_stats=1 \
    "$work" >"$build/$name.log" 2>&1 || rc=$?
  grep -E 'stat::number_of_executed_units|ERROR|SUMMARY' "$build/$name.log" || true
  rm -rf "$work"
  if [[ $rc -ne 0 ]]; then
    echo "fuzz/smoke: $name failed (exit $rc); see $build/$name.log and $build/artifacts/" >&2
    exit 1
  fi
done
echo "fuzz/smoke: all targets ran clean"
