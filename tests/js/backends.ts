// The backends every feature suite runs over in Node: the native addon, and the
// WebAssembly build with and without threads.
import { createWorkerManager as createOnAddon } from '../../dist/cjs/index.js';
import { loadAddon } from '../../dist/cjs/node/addon.js';
import { createTestManagerOn } from '../../dist/cjs/testing.js';
import { loadWasmCore } from '../../dist/cjs/wasm/load-node.js';
import { createWorkerManager as createOnWasm } from '../../dist/cjs/wasm.js';
import type { WorkerManagerOptions } from '../../dist/cjs/index.js';
import type { Backend } from './backend.js';

export type { Backend };

/** Node's worker scripts import 'threadbank/worker', as users' scripts do. */
const fixture = (name: string) => new URL(`./fixtures/${name}.mjs`, import.meta.url);

/**
 * `options` with noThreads set, without reading the caller's fields: a suite may pass
 * options whose getters throw, and the manager (not this helper) must be the one to report
 * it. Options that cannot even take the flag (a Proxy whose traps throw) go as they are:
 * they are refused before a build is chosen.
 */
function withoutThreads(options: WorkerManagerOptions | undefined): WorkerManagerOptions {
  try {
    return Object.assign(options ?? {}, { noThreads: true });
  } catch {
    return options!;
  }
}

export const backends: Backend[] = [
  {
    name: 'node-addon',
    platform: 'node',
    nativeThreads: true,
    createWorkerManager: createOnAddon,
    createTestManager: async (options) => createTestManagerOn(loadAddon(), options),
    fixture,
  },
  {
    name: 'wasm-threads',
    platform: 'node',
    nativeThreads: true,
    createWorkerManager: (options) => createOnWasm(options),
    createTestManager: async (options) => createTestManagerOn(await loadWasmCore(true), options),
    fixture,
  },
  {
    name: 'wasm-nothreads',
    platform: 'node',
    nativeThreads: false,
    createWorkerManager: (options) => createOnWasm(withoutThreads(options)),
    createTestManager: async (options) => createTestManagerOn(await loadWasmCore(false), options),
    fixture,
  },
];
