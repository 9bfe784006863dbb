/**
 * `threadbank/worker` in Node: defineWorker() for worker scripts that threadbank runs in
 * worker_threads. The browser build (worker-browser.ts) has the same exports.
 */
import { parentPort } from 'node:worker_threads';

import { describe, ThreadbankError } from './errors.js';
import type { HostMessage, WorkerMessage } from './protocol.js';
import { checkHandlers, runWorker, transfer } from './worker-runtime.js';
import type { HandlerMap, TransferableObject } from './worker-types.js';

export { transfer };
export type { ActionsOf, Handler, HandlerContext, HandlerMap, ParamsOf, ResultOf, TransferableObject, WorkerActions } from './worker-types.js';

/** Test mode registers handlers here instead of starting a thread (see testing.ts). */
const TEST_HOOK = Symbol.for('threadbank.testWorkerHook');

let defined = false;

/**
 * Declares this worker's actions: call once, at the top level of the worker script. Each
 * handler is `(params, ctx) => result` (or a promise of one); see worker-scripts/template.js.
 * Returns `handlers`, so `typeof` it can type a client.
 */
export function defineWorker<H extends HandlerMap>(handlers: H): H {
  checkHandlers(handlers);
  const hook = (globalThis as Record<symbol, ((handlers: HandlerMap) => void) | undefined>)[TEST_HOOK];
  if (hook) {
    hook(handlers);
    return handlers;
  }
  const port = parentPort;
  if (port === null) {
    throw new ThreadbankError('E_INVALID_ARGUMENT', 'defineWorker() must run inside a worker started by threadbank (this is the main thread; pass the script to a bank instead of importing it)');
  }
  if (defined) {
    // A second call would answer every task twice.
    throw new ThreadbankError('E_INVALID_ARGUMENT', 'defineWorker() was already called in this worker; define all actions in one call');
  }
  defined = true;
  // Node 20 already ends a worker on an unhandled rejection, but not when the process runs
  // with --unhandled-rejections=warn or none (workers inherit execArgv). A stray rejection
  // means a handler lost track of its work, so it is always a crash here: the manager
  // replaces the worker and fails or retries what it was running. A script that installs
  // its own listener keeps its choice.
  process.on('unhandledRejection', (reason) => {
    if (process.listenerCount('unhandledRejection') > 1) return;
    throw reason instanceof Error ? reason : new Error(`a promise was rejected and nothing handled it: ${describe(reason)}`);
  });
  runWorker(
    {
      // Node's types want its own Transferable list; the values are the same objects.
      post: (message: WorkerMessage, transferList?: TransferableObject[]) => port.postMessage(message, transferList as never),
      onMessage: (callback: (message: HostMessage) => void) => port.on('message', callback),
    },
    handlers,
    // A macrotask after the poll phase: results of every message and timer handled in
    // this turn of the event loop share one 'done' (see worker-runtime.ts).
    { schedule: (flush) => setImmediate(flush) },
  );
  return handlers;
}
