#!/usr/bin/env node
// The package's install script. It never fails the install: without a native addon the
// package runs on its WebAssembly build (same API, slower), and says so once at run time.
//   - A prebuilt binary for this platform (prebuilds/, see scripts/prebuild.mjs) or an
//     earlier local build loads: nothing to do, nothing compiled.
//   - Otherwise, on Linux, when cmake and a C++ compiler are on PATH, the addon is built
//     from the shipped sources (scripts/build-addon.mjs); if that fails, one message, exit 0.
//   - Otherwise one message saying how to get the addon, exit 0.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const FALLBACK = 'threadbank will use its WebAssembly build (same API, slower)';
const HOW = 'to build the native addon, install cmake, a C++17 compiler and nlohmann-json (Debian: apt install cmake g++ nlohmann-json3-dev), then run `npm rebuild threadbank`';

// The runtime's own loader (dist/), so the install script and the runtime agree on which
// binary fits this platform.
const loaderFile = join(root, 'dist', 'cjs', 'node', 'addon.js');
const loader = existsSync(loaderFile) ? require(loaderFile) : undefined;
const platform = loader ? loader.prebuildTag() : `${process.platform}-${process.arch}`;

/** undefined when an addon loads; else why not. */
function addonProblem() {
  if (!loader) return 'the JavaScript build (dist/) is missing';
  try {
    loader.loadAddon();
    return undefined;
  } catch (error) {
    return error.message;
  }
}

const works = (command) => spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0;

/** After a source build, only the binary stays: the CMake tree is megabytes of no use to users. */
function keepOnlyBinary(buildDir) {
  for (const entry of readdirSync(buildDir)) {
    if (entry !== 'threadbank.node') rmSync(join(buildDir, entry), { recursive: true, force: true });
  }
}

const loads = addonProblem() === undefined;
if (loads) {
  // A prebuilt binary or an earlier build: nothing to do.
} else if (process.platform !== 'linux') {
  // node-addon/CMakeLists.txt links the addon with GNU ld's flags: a build elsewhere would
  // spend minutes and fail at the link.
  console.warn(`threadbank: no prebuilt native addon for ${platform}, and the source build supports Linux only: ${FALLBACK}.`);
} else {
  const compiler = ['c++', 'g++', 'clang++'].find(works);
  const cmake = works('cmake');
  if (!cmake || compiler === undefined) {
    const missing = [cmake ? undefined : 'cmake', compiler ? undefined : 'C++ compiler'].filter(Boolean).join(' or ');
    console.warn(`threadbank: no prebuilt native addon loads on ${platform} and there is no ${missing} to build one: ${FALLBACK}; ${HOW}.`);
  } else {
    console.warn(`threadbank: no prebuilt native addon loads on ${platform}; building it from source (a few minutes)`);
    const build = spawnSync(process.execPath, [join(root, 'scripts', 'build-addon.mjs')], { cwd: root, stdio: 'inherit' });
    if (build.status !== 0 || addonProblem() !== undefined) {
      console.warn(`threadbank: the native addon did not build: ${FALLBACK}; ${HOW}.`);
    } else {
      keepOnlyBinary(join(root, 'build', 'addon'));
    }
  }
}
