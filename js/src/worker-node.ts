/**
 * `threadbank/worker` in Node: defineWorker() for worker scripts that threadbank runs in
 * worker_threads. The browser build (worker-browser.ts) has the same exports.
 */
import { parentPort } from 'node:worker_threads';

import { defineWorkerOn, type WorkerPlatform } from './define-worker.js';
import type { HostMessage, WorkerMessage } from './protocol.js';
import { transfer } from './worker-runtime.js';
import type { HandlerMap, TransferableObject } from './worker-types.js';

export { transfer };
export type { ActionsOf, Handler, HandlerContext, HandlerMap, ParamsOf, ResultOf, TransferableObject, WorkerActions } from './worker-types.js';

/** worker_threads: the parent port, process-wide rejection handling, setImmediate. */
const nodePlatform: WorkerPlatform = {
  port: () => {
    const port = parentPort;
    if (port === null) return undefined;
    return {
      // Node's types want its own Transferable list; the values are the same objects.
      post: (message: WorkerMessage, transferList?: TransferableObject[]) => port.postMessage(message, transferList as never),
      onMessage: (callback: (message: HostMessage) => void) => port.on('message', callback),
    };
  },
  notAWorker: 'this is the main thread',
  crashOnStrayRejections: (asError) => {
    // Node 20 already ends a worker on an unhandled rejection, but not when the process
    // runs with --unhandled-rejections=warn or none (workers inherit execArgv). A script
    // that installs its own listener keeps its choice.
    process.on('unhandledRejection', (reason) => {
      if (process.listenerCount('unhandledRejection') > 1) return;
      throw asError(reason);
    });
  },
  // A macrotask after the poll phase: results of every message and timer handled in this
  // turn of the event loop share one 'done' (see worker-runtime.ts).
  runtimeOptions: () => ({ schedule: (flush) => setImmediate(flush) }),
};

/**
 * Declares this worker's actions: call once, at the top level of the worker script. Each
 * handler is `(params, ctx) => result` (or a promise of one); see worker-scripts/template.js.
 * Returns `handlers`, so `typeof` it can type a client.
 */
export function defineWorker<H extends HandlerMap>(handlers: H): H {
  return defineWorkerOn(nodePlatform, handlers);
}
