// The backends every feature suite runs over in Node: the native addon, and the
// WebAssembly build with and without threads.
import { createWorkerManager as createOnAddon } from '../../dist/cjs/index.js';
import { loadAddon } from '../../dist/cjs/node/addon.js';
import { createTestManagerOn } from '../../dist/cjs/testing.js';
import { loadWasmCore } from '../../dist/cjs/wasm/load-node.js';
import { createWorkerManager as createOnWasm } from '../../dist/cjs/wasm.js';
import type { Backend } from './backend.js';

export type { Backend };

/** Node's worker scripts import 'threadbank/worker', as users' scripts do. */
const fixture = (name: string) => new URL(`./fixtures/${name}.mjs`, import.meta.url);

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
    createWorkerManager: (options) => createOnWasm({ ...options, noThreads: true }),
    createTestManager: async (options) => createTestManagerOn(await loadWasmCore(false), options),
    fixture,
  },
];
