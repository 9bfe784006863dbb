/** environment() for Node: the addon, or why not, and what the machine offers. */
import { availableParallelism } from 'node:os';

import type { Environment } from '../types.js';
import { linuxLibc, loadAddon } from './addon.js';

/**
 * Which build of the core a manager created here uses and why, with the facts that decide it
 * (does the addon load, can wasm threads run) and the platform's (Node version, platform,
 * architecture, libc, parallelism). Loads the addon if it was not loaded yet, as
 * createWorkerManager() would; starts nothing else.
 */
export function environment(): Environment {
  let addonError: string | undefined;
  try {
    loadAddon();
  } catch (error) {
    addonError = error instanceof Error ? error.message : String(error);
  }
  const wasmThreads = sharedMemoryWorks();
  // The choice node/core.ts makes: the addon, else the wasm build with threads.
  const backend = addonError === undefined ? 'addon' : wasmThreads ? 'wasm-threads' : 'wasm-nothreads';
  const reason =
    addonError === undefined
      ? 'the native addon loaded'
      : `the native addon did not load (addon.error says why), so the WebAssembly build ${wasmThreads ? 'with' : 'without'} threads is used`;
  const report: Environment = {
    runtime: 'node',
    backend,
    reason,
    addon: addonError === undefined ? { loaded: true } : { loaded: false, error: addonError },
    wasmThreads,
    parallelism: availableParallelism(),
    nodeVersion: process.version,
    platform: process.platform,
    arch: process.arch,
  };
  const libc = libcOf();
  if (libc !== undefined) report.libc = libc;
  return report;
}

/** Whether this engine makes shared WebAssembly memory, which the pthread build needs. */
function sharedMemoryWorks(): boolean {
  try {
    return new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true }).buffer instanceof SharedArrayBuffer;
  } catch {
    return false;
  }
}

/**
 * 'glibc <version>' or 'musl' on Linux (a binary built for one does not load on the other):
 * the C library as the loader decides it (node/addon.ts), with glibc's version from Node's
 * diagnostic report.
 */
function libcOf(): string | undefined {
  if (process.platform !== 'linux') return undefined;
  if (linuxLibc() === 'musl') return 'musl';
  const version = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header?.glibcVersionRuntime;
  return version === undefined ? 'glibc' : `glibc ${version}`;
}
