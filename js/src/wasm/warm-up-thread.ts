/**
 * Pthread builds compile the core's wasm on a thread of their own before a page calls it
 * (wasm/warm_up.cc): V8 compiles each wasm function on its first call, on the calling
 * thread, and the code then serves every thread. A scratch engine on a pthread takes the
 * calls a first manager makes, so the page's main thread finds them compiled.
 */
import type { WasmModule } from './engine.js';

/**
 * Runs the warm-up thread. Resolves with what failed in it ('' when nothing did), or with
 * undefined when the build has no such thread, it could not start, or it did not report
 * within `timeoutMs`: it only saves the main thread time, so nothing waits on it longer.
 */
export function warmUpOffThread(module: WasmModule, timeoutMs = 1000): Promise<string | undefined> {
  const start = module.warmUpOffThread;
  if (typeof start !== 'function') return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const settle = (failures: string | undefined) => {
      clearTimeout(timer);
      module.threadbankWarmedUp = undefined;
      resolve(failures);
    };
    const timer = setTimeout(() => settle(undefined), timeoutMs);
    (timer as { unref?: () => void }).unref?.();
    module.threadbankWarmedUp = settle;
    if (!start.call(module)) settle(undefined);
  });
}
