/** threadbank for browsers: the WebAssembly core, script workers as Web Workers. */
import { browserScriptHost } from './browser/host.js';
import { canUseThreads, loadBrowserCore } from './browser/load.js';
import { WorkerManager } from './manager.js';
import type { WorkerManagerOptions } from './types.js';

export { WorkerManager } from './manager.js';
export { ThreadbankError, isThreadbankError } from './errors.js';
export type { ErrorCode } from './errors.js';
export type * from './types.js';
export { canUseThreads };

/**
 * Creates a manager. On a cross-origin isolated page native actions run on pthreads (Web
 * Workers); elsewhere they run on this thread between tasks (see docs/browser.md).
 */
export async function createWorkerManager(options?: WorkerManagerOptions): Promise<WorkerManager> {
  const core = await loadBrowserCore();
  await yieldToPage();
  return WorkerManager.create({ core, host: browserScriptHost, yieldToHost: yieldToPage }, options);
}

/** A macrotask boundary without setTimeout's clamping: the page runs what it has queued. */
function yieldToPage(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}
