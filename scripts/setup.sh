#!/usr/bin/env bash
# Installs what is missing, and only that: Debian packages with apt, npm packages with
# `npm ci` when node_modules does not match package-lock.json. Quick when nothing is missing.
# Usage: scripts/setup.sh [demo]   (demo: only what `npm run demo` builds, the addon)
set -euo pipefail
cd "$(dirname "$0")/.."

# Packages and why: the core and its tests (cmake, g++, ninja, catch2, nlohmann, benchmark),
# sanitizer and fuzzing runtimes (clang, libclang-rt), the wasm build (emscripten) and the
# browser suites (chromium).
PACKAGES=(cmake g++ make ninja-build catch2 nlohmann-json3-dev libbenchmark-dev
          clang libclang-rt-14-dev valgrind emscripten chromium chromium-driver)
# The Node demo runs on the addon: a C++ toolchain and nlohmann-json are all it needs (no
# Emscripten, Chromium or sanitizer runtimes, the bulk of a fresh machine's apt time).
if [ "${1:-}" = demo ]; then
  PACKAGES=(cmake g++ make ninja-build nlohmann-json3-dev)
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

# apt-get that waits while another package manager runs. DPkg::Lock::Timeout covers dpkg's
# lock only; apt 2.6 gives up at once on the lists and archive locks, so retry on those.
apt_get() {
  local log
  log=$(mktemp)
  for _ in $(seq 60); do
    if $SUDO env DEBIAN_FRONTEND=noninteractive \
        apt-get -q -o DPkg::Lock::Timeout=600 "$@" >"$log" 2>&1; then
      rm -f "$log"
      return 0
    fi
    grep -q 'Could not get lock' "$log" || break
    echo "setup: apt is busy, waiting" >&2
    sleep 10
  done
  cat "$log" >&2
  rm -f "$log"
  return 1
}

missing=()
for package in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  apt_get update
  apt_get install -y --no-install-recommends "${missing[@]}"
fi

# npm: reinstall when the lock file changed since the last install. Without a lock file
# (a fresh checkout of a fork) `npm install` writes one, and the stamp follows it.
stamp=node_modules/.threadbank-lock-stamp
lock_hash() { sha256sum package-lock.json 2>/dev/null | cut -d' ' -f1; }
if [ ! -f "$stamp" ] || [ ! -f package-lock.json ] || [ "$(cat "$stamp")" != "$(lock_hash)" ]; then
  # --ignore-scripts: the addon is built by scripts/build.sh right after, with the rest.
  if [ -f package-lock.json ]; then
    echo "setup: npm ci" >&2
    npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
  else
    echo "setup: npm install (no package-lock.json)" >&2
    npm install --ignore-scripts --no-audit --no-fund --loglevel=error
  fi
  lock_hash > "$stamp"
fi
