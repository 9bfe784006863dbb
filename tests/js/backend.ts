// What a feature suite needs from the platform it runs on. backends.ts lists the Node
// backends (the addon, the wasm build with and without threads); backends.browser.ts the
// one a Chromium page gets. Suites are written once against this interface.
import type { WorkerManager, WorkerManagerOptions } from '../../dist/cjs/index.js';
import type { TestManagerOptions } from '../../dist/cjs/testing.js';

export interface Backend {
  name: string;
  platform: 'node' | 'browser';
  /** Native actions run on threads of their own (so timeouts and cancellation can stop them). */
  nativeThreads: boolean;
  createWorkerManager(options?: WorkerManagerOptions): Promise<WorkerManager>;
  /** Test mode (handlers in-process, manual clock); Node only for now. */
  createTestManager?(options?: TestManagerOptions): Promise<WorkerManager>;
  /** The URL of a worker script under fixtures/ with the handlers of `name`, for this platform. */
  fixture(name: string): URL;
}
