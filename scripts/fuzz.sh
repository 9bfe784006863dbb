#!/usr/bin/env bash
# Builds the libFuzzer targets and runs each for a bounded time over its committed corpus.
#   scripts/fuzz.sh [seconds per target]   (default 20; run longer by hand, e.g. 600)
# The committed corpus (fuzz/corpus/<target>/) is read; new interesting inputs go to
# build/fuzz/new-<target>/ so routine runs leave the tree clean. To keep them, merge:
#   build/fuzz/manifest_fuzz -merge=1 fuzz/corpus/manifest build/fuzz/new-manifest
# A crash fails the run, with the input written as crash-<hash> in the repository root.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
[ -f build/fuzz/CMakeCache.txt ] || CXX=clang++ cmake -S . -B build/fuzz "${generator[@]}" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTHREADBANK_SANITIZE=fuzzer -DTHREADBANK_BUILD_FUZZ=ON \
  -DTHREADBANK_BUILD_TESTS=OFF -DTHREADBANK_BUILD_BENCH=OFF >/dev/null
cmake --build build/fuzz --parallel 2 >/dev/null
results=build/fuzz/results.json
rm -f "$results"
passed=0
failed=0
for target in manifest_fuzz params_fuzz; do
  corpus="fuzz/corpus/${target%_fuzz}"
  fresh="build/fuzz/new-${target%_fuzz}"
  mkdir -p "$fresh"
  echo "fuzz: $target for ${seconds}s" >&2
  "build/fuzz/$target" "$fresh" "$corpus" -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 2>&1 \
    | grep -E "^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::new_units_added|==[0-9]+==ERROR|SUMMARY)" || true
  # libFuzzer exits non-zero on a finding; the pipe above hides that, so check the status.
  if [ "${PIPESTATUS[0]}" -eq 0 ]; then
    passed=$((passed + 1))
  else
    echo "fuzz: $target found a problem" >&2
    failed=$((failed + 1))
  fi
done
# One result per target, for scripts/run-tests.mjs.
echo "{\"passed\": $passed, \"failed\": $failed, \"skipped\": 0}" > "$results"
[ "$failed" -eq 0 ]
