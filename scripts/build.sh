#!/usr/bin/env bash
# Builds everything the suites and the demo need, reusing build trees that exist, so a
# second run only rebuilds what changed.
#   build/release   core, Catch2 tests, micro-benchmark, native demo (Release)
#   build/asan      core tests under AddressSanitizer + UBSan
#   build/tsan      core tests under ThreadSanitizer
#   build/addon     the Node-API addon
#   build/wasm-threads, build/wasm-nothreads   the WebAssembly module, with and without pthreads
#   dist/           the TypeScript layer (js-pack: without source maps, for the tarball)
#   prebuilds/      the prebuilt addon binaries the package ships (scripts/prebuild.mjs)
# Usage: scripts/build.sh [release|asan|tsan|addon|wasm|js|js-pack|prebuild ...]
#        (default: release asan tsan addon wasm js)
# Each step prints a line when it starts and when it ends, with the time since the first.
set -euo pipefail
cd "$(dirname "$0")/.."

started=$SECONDS
elapsed() { local s=$((SECONDS - started)); printf '%dm%02ds' $((s / 60)) $((s % 60)); }

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
  cmake --build "build/$1" --parallel 2
}

# The -web loader's .wasm is the same bytes as the Node loader's (same objects, same flags
# but the JavaScript's); the package ships one copy and both loaders use it.
same_wasm() { # dir, name
  cmp -s "build/$1/$2.wasm" "build/$1/$2-web.wasm" || {
    echo "build: build/$1/$2-web.wasm differs from $2.wasm; the package ships only $2.wasm (js/src/browser/load.ts)" >&2
    exit 1
  }
}

build_tree() {
  case $1 in
    release) configure build/release -DCMAKE_BUILD_TYPE=Release ;;
    asan) configure build/asan -DCMAKE_BUILD_TYPE=Debug -DTHREADBANK_SANITIZE=address -DTHREADBANK_BUILD_BENCH=OFF ;;
    tsan) configure build/tsan -DCMAKE_BUILD_TYPE=Debug -DTHREADBANK_SANITIZE=thread -DTHREADBANK_BUILD_BENCH=OFF ;;
    addon) node scripts/build-addon.mjs; return ;;
    wasm)
      build_wasm wasm-threads ON; same_wasm wasm-threads threadbank
      build_wasm wasm-nothreads OFF; same_wasm wasm-nothreads threadbank-nothreads
      return ;;
    js) node scripts/build-js.mjs; return ;;
    js-pack) node scripts/build-js.mjs --no-source-maps; return ;;
    prebuild) node scripts/prebuild.mjs; return ;;
    *) echo "build: unknown target $1 (release, asan, tsan, addon, wasm, js, js-pack, prebuild)" >&2; exit 2 ;;
  esac
  cmake --build "build/$1" --parallel 2
}

targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=(release asan tsan addon wasm js)
for i in "${!targets[@]}"; do
  echo "build: [$((i + 1))/${#targets[@]}] ${targets[i]} (started at $(elapsed))" >&2
  build_tree "${targets[i]}"
  echo "build: [$((i + 1))/${#targets[@]}] ${targets[i]} done at $(elapsed)" >&2
done
