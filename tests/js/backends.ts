// The backends every feature suite runs over. Each suite is written once and takes a
// backend: the native addon, and the WebAssembly build with and without threads.
import { createWorkerManager as createOnAddon } from '../../dist/cjs/index.js';
import type { WorkerManager, WorkerManagerOptions } from '../../dist/cjs/index.js';
import { loadAddon } from '../../dist/cjs/node/addon.js';
import { createTestManagerOn, type TestManagerOptions } from '../../dist/cjs/testing.js';
import { loadWasmCore } from '../../dist/cjs/wasm/load-node.js';
import { createWorkerManager as createOnWasm } from '../../dist/cjs/wasm.js';

export interface Backend {
  name: string;
  /** Native actions run on threads of their own (so timeouts and cancellation can stop them). */
  nativeThreads: boolean;
  createWorkerManager(options?: WorkerManagerOptions): Promise<WorkerManager>;
  createTestManager(options?: TestManagerOptions): Promise<WorkerManager>;
}

export const backends: Backend[] = [
  {
    name: 'node-addon',
    nativeThreads: true,
    createWorkerManager: createOnAddon,
    createTestManager: async (options) => createTestManagerOn(loadAddon(), options),
  },
  {
    name: 'wasm-threads',
    nativeThreads: true,
    createWorkerManager: (options) => createOnWasm(options),
    createTestManager: async (options) => createTestManagerOn(await loadWasmCore(true), options),
  },
  {
    name: 'wasm-nothreads',
    nativeThreads: false,
    createWorkerManager: (options) => createOnWasm({ ...options, noThreads: true }),
    createTestManager: async (options) => createTestManagerOn(await loadWasmCore(false), options),
  },
];
