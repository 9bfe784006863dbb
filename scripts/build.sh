#!/usr/bin/env bash
# Builds everything the suites and the demo need, reusing build trees that exist, so a
# second run only rebuilds what changed.
#   build/release   core, Catch2 tests, micro-benchmark, native demo (Release)
#   build/asan      core tests under AddressSanitizer + UBSan
#   build/tsan      core tests under ThreadSanitizer
#   build/addon     the Node-API addon
#   dist/           the TypeScript layer
# Usage: scripts/build.sh [release|asan|tsan|addon|js ...]   (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)

configure() { # dir, cmake args...
  local dir=$1
  shift
  [ -f "$dir/CMakeCache.txt" ] || cmake -S . -B "$dir" "${generator[@]}" "$@" >/dev/null
}

build_tree() {
  case $1 in
    release) configure build/release -DCMAKE_BUILD_TYPE=Release ;;
    asan) configure build/asan -DCMAKE_BUILD_TYPE=Debug -DTHREADBANK_SANITIZE=address -DTHREADBANK_BUILD_BENCH=OFF ;;
    tsan) configure build/tsan -DCMAKE_BUILD_TYPE=Debug -DTHREADBANK_SANITIZE=thread -DTHREADBANK_BUILD_BENCH=OFF ;;
    addon) node scripts/build-addon.mjs; return ;;
    js) node scripts/build-js.mjs; return ;;
    *) echo "build: unknown target $1 (release, asan, tsan, addon, js)" >&2; exit 2 ;;
  esac
  echo "build: $1" >&2
  cmake --build "build/$1" --parallel 2
}

targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=(release asan tsan addon js)
for target in "${targets[@]}"; do build_tree "$target"; done
