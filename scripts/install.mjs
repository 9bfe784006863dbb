#!/usr/bin/env node
// The package's install script. It never fails the install: without a native addon the
// package runs on its WebAssembly build (same API, slower), and says so once at run time.
//   - A prebuilt binary for this platform (prebuilds/, see scripts/prebuild.mjs) or an
//     earlier local build loads: nothing to do, nothing compiled.
//   - Otherwise, when cmake and a C++ compiler are on PATH, the addon is built from the
//     shipped sources (scripts/build-addon.mjs); if that fails, one message, exit 0.
//   - Otherwise one message saying how to get the addon, exit 0.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const FALLBACK = 'threadbank will use its WebAssembly build (same API, slower)';
const HOW = 'to build the native addon, install cmake, a C++17 compiler and nlohmann-json (Debian: apt install cmake g++ nlohmann-json3-dev), then run `npm rebuild threadbank`';

/** undefined when an addon loads; else why not. Uses the runtime's own loader (dist/). */
function addonProblem() {
  const loader = join(root, 'dist', 'cjs', 'node', 'addon.js');
  if (!existsSync(loader)) return 'the JavaScript build (dist/) is missing';
  try {
    require(loader).loadAddon();
    return undefined;
  } catch (error) {
    return error.message;
  }
}

const works = (command) => spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0;

const problem = addonProblem();
if (problem !== undefined) {
  const compiler = ['c++', 'g++', 'clang++'].find(works);
  if (!works('cmake') || compiler === undefined) {
    const missing = [works('cmake') ? undefined : 'cmake', compiler ? undefined : 'a C++ compiler'].filter(Boolean).join(' and ');
    console.warn(`threadbank: no native addon for ${process.platform}-${process.arch} and no ${missing} to build one: ${FALLBACK}; ${HOW}.`);
  } else {
    console.warn(`threadbank: building the native addon from source (${problem})`);
    const build = spawnSync(process.execPath, [join(root, 'scripts', 'build-addon.mjs')], { cwd: root, stdio: 'inherit' });
    if (build.status !== 0) console.warn(`threadbank: the native addon did not build: ${FALLBACK}; ${HOW}.`);
  }
}
