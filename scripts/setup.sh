#!/usr/bin/env bash
# Installs what is missing, and only that: Debian packages with apt, npm packages with
# `npm ci` when node_modules does not match package-lock.json. Quick when nothing is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# Packages and why: the core and its tests (cmake, g++, ninja, catch2, nlohmann, benchmark),
# sanitizer and fuzzing runtimes (clang, libclang-rt), the wasm build (emscripten) and the
# browser suites (chromium).
PACKAGES=(cmake g++ make ninja-build catch2 nlohmann-json3-dev libbenchmark-dev
          clang libclang-rt-14-dev valgrind emscripten chromium chromium-driver)

missing=()
for package in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
  $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm: reinstall when the lock file changed since the last install.
stamp=node_modules/.threadbank-lock-stamp
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: npm ci" >&2
  # --ignore-scripts: the addon is built by scripts/build.sh right after, with the rest.
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi
