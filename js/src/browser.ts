/** threadbank for browsers: the WebAssembly core, script workers as Web Workers. */
import { browserScriptHost } from './browser/host.js';
import { canUseThreads, loadBrowserCore } from './browser/load.js';
import { yieldToPage } from './browser/yield.js';
import type { CoreModule } from './binding.js';
import { WorkerManager } from './manager.js';
import type { WorkerManagerOptions } from './types.js';
import { warmUp } from './warm-up.js';

export { WorkerManager } from './manager.js';
export { environment } from './browser/environment.js';
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
  // Before the manager's workers start: once they run, they compete with this thread for
  // the cores, and the warm-up's tasks grew long with them (in 1 page load of 24, against
  // none when it goes first; 3 to 5 in 24 without a warm-up).
  await warmUpOnce(core);
  return WorkerManager.create({ core, host: browserScriptHost, yieldToHost: yieldToPage }, options);
}

const warmed = new WeakSet<CoreModule>();

/**
 * The first manager on a page warms the core up (warm-up.ts). It only saves time later: a
 * failure of its own must not fail the caller's manager (tests run it on its own).
 */
function warmUpOnce(core: CoreModule): Promise<void> {
  if (warmed.has(core)) return Promise.resolve();
  warmed.add(core);
  return warmUp(core, yieldToPage).then(
    () => undefined,
    () => undefined,
  );
}
