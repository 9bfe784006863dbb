#!/usr/bin/env bash
# Builds everything the suites and the demo need, reusing build trees that exist, so a
# second run only rebuilds what changed.
#   build/release   core, Catch2 tests, micro-benchmark, native demo (Release)
#   build/asan      core tests under AddressSanitizer + UBSan
#   build/tsan      core tests under ThreadSanitizer
#   build/addon     the Node-API addon
#   build/wasm-threads, build/wasm-nothreads   the WebAssembly module, with and without pthreads
#   dist/           the TypeScript layer
# Usage: scripts/build.sh [release|asan|tsan|addon|wasm|js ...]   (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)

configure() { # dir, cmake args...
  local dir=$1
  shift
  [ -f "$dir/CMakeCache.txt" ] || cmake -S . -B "$dir" "${generator[@]}" "$@" >/dev/null
}

build_wasm() { # dir, threads ON|OFF
  # Debian's em++ needs NODE_PATH to find its acorn module.
  export NODE_PATH=/usr/share/nodejs
  [ -f "build/$1/CMakeCache.txt" ] || emcmake cmake -S . -B "build/$1" "${generator[@]}" \
    -DCMAKE_BUILD_TYPE=Release -DTHREADBANK_BUILD_WASM=ON -DTHREADBANK_BUILD_TESTS=OFF \
    -DTHREADBANK_BUILD_BENCH=OFF "-DTHREADBANK_WASM_THREADS=$2" >/dev/null
  echo "build: $1" >&2
  cmake --build "build/$1" --parallel 2
}

build_tree() {
  case $1 in
    release) configure build/release -DCMAKE_BUILD_TYPE=Release ;;
    asan) configure build/asan -DCMAKE_BUILD_TYPE=Debug -DTHREADBANK_SANITIZE=address -DTHREADBANK_BUILD_BENCH=OFF ;;
    tsan) configure build/tsan -DCMAKE_BUILD_TYPE=Debug -DTHREADBANK_SANITIZE=thread -DTHREADBANK_BUILD_BENCH=OFF ;;
    addon) node scripts/build-addon.mjs; return ;;
    wasm) build_wasm wasm-threads ON; build_wasm wasm-nothreads OFF; return ;;
    js) node scripts/build-js.mjs; return ;;
    *) echo "build: unknown target $1 (release, asan, tsan, addon, wasm, js)" >&2; exit 2 ;;
  esac
  echo "build: $1" >&2
  cmake --build "build/$1" --parallel 2
}

targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=(release asan tsan addon wasm js)
for target in "${targets[@]}"; do build_tree "$target"; done
