/**
 * Loads the compiled Node-API addon. Candidates, first that loads wins:
 *   1. THREADBANK_ADDON, when set (development: an addon built elsewhere); nothing else then;
 *   2. build/addon/threadbank.node inside the package: built from source by a developer
 *      (`npm run build:addon`) or by the install script where no prebuilt binary fits;
 *   3. prebuilds/<platform>-<arch>[-<libc>]/threadbank.node: the binary shipped in the
 *      package for this platform (scripts/prebuild.mjs), e.g. linux-x64-glibc.
 * Without one, js/src/node/core.ts falls back to the wasm build.
 */
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import * as path from 'node:path';

import type { CoreModule } from '../binding.js';
import { ThreadbankError } from '../errors.js';

let loaded: CoreModule | undefined;
let loadedFrom: string | undefined;

// dist/cjs/node/addon.js -> <package root>
const packageRoot = path.resolve(__dirname, '..', '..', '..');

/**
 * The C library of this Linux: 'glibc' or 'musl' (Alpine). A glibc binary must never be tried
 * on musl: it fails with unclear errors. The dynamic loader Node itself was linked against
 * (PT_INTERP, near the start of the executable) tells at once; Node's report
 * (`header.glibcVersionRuntime`, absent on musl) is the authority when that is not readable,
 * but it costs about 7 ms.
 */
export function linuxLibc(): 'glibc' | 'musl' {
  try {
    const head = Buffer.alloc(4096);
    const fd = openSync(process.execPath, 'r');
    try {
      readSync(fd, head, 0, head.length, 0);
    } finally {
      closeSync(fd);
    }
    if (head.includes('/ld-musl-')) return 'musl';
    if (head.includes('/ld-linux')) return 'glibc';
  } catch {
    // Not readable: ask the report.
  }
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return report?.header?.glibcVersionRuntime ? 'glibc' : 'musl';
}

/** The prebuilds/ folder name for this platform: linux-x64-glibc, linux-arm64-musl, darwin-arm64, ... */
export function prebuildTag(): string {
  const tag = `${process.platform}-${process.arch}`;
  return process.platform === 'linux' ? `${tag}-${linuxLibc()}` : tag;
}

/** Where the addon is looked for, in order (see the top of this file). */
export function addonCandidates(): string[] {
  if (process.env.THREADBANK_ADDON) return [process.env.THREADBANK_ADDON];
  return [path.join(packageRoot, 'build', 'addon', 'threadbank.node'), path.join(packageRoot, 'prebuilds', prebuildTag(), 'threadbank.node')];
}

/** The file the loaded addon came from, or undefined before one loaded. */
export function loadedAddonPath(): string | undefined {
  return loadedFrom;
}

export function loadAddon(): CoreModule {
  if (loaded) return loaded;
  const candidates = addonCandidates();
  const failures: string[] = [];
  for (const file of candidates) {
    // A missing local build is the normal case for users: only a failed load is worth telling.
    if (!existsSync(file)) continue;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      loaded = require(file) as CoreModule;
      loadedFrom = file;
      return loaded;
    } catch (error) {
      failures.push(`${file} failed to load: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  const found =
    failures.length > 0
      ? failures.join('; ')
      : process.env.THREADBANK_ADDON
        ? `THREADBANK_ADDON names ${candidates[0]}, which does not exist`
        : `the package has no prebuilt binary for ${prebuildTag()} and none was built from source`;
  throw new ThreadbankError(
    'E_INTERNAL',
    `Expected the threadbank native addon but ${found}. ` +
      'Run `npm rebuild threadbank` with cmake and a C++17 compiler installed to build it from source.',
  );
}
