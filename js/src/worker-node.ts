/** defineWorker() for worker scripts running in Node's worker_threads. */
import { parentPort } from 'node:worker_threads';

import type { HostMessage, WorkerMessage } from './protocol.js';
import { runWorker, transfer } from './worker-runtime.js';
import type { HandlerMap } from './worker-types.js';

export { transfer };
export type { Handler, HandlerContext, HandlerMap } from './worker-types.js';

/** Test mode registers handlers here instead of starting a thread. */
const TEST_HOOK = Symbol.for('threadbank.testWorkerHook');

/** Declares this worker's actions. Call once, at the top level of the worker script. */
export function defineWorker<H extends HandlerMap>(handlers: H): H {
  const hook = (globalThis as Record<symbol, ((handlers: HandlerMap) => void) | undefined>)[TEST_HOOK];
  if (hook) {
    hook(handlers);
    return handlers;
  }
  const port = parentPort;
  if (port === null) throw new Error('defineWorker() must run inside a worker started by threadbank');
  // An unhandled rejection inside a handler's stray promise is a crash of this worker: the
  // manager replaces it and fails or retries what it was running.
  process.on('unhandledRejection', (reason) => {
    throw reason instanceof Error ? reason : new Error(`unhandled rejection: ${String(reason)}`);
  });
  runWorker(
    {
      post: (message: WorkerMessage, transferList?: Transferable[]) => port.postMessage(message, transferList as never),
      onMessage: (callback: (message: HostMessage) => void) => port.on('message', callback),
    },
    handlers,
  );
  return handlers;
}
