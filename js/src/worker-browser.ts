/**
 * `threadbank/worker` in browsers: defineWorker() for worker scripts that threadbank runs in
 * Web Workers (module workers). Same exports as worker-node.ts; no Node imports, so
 * bundlers can follow it into a worker chunk.
 */
import { defineWorkerOn, type WorkerPlatform } from './define-worker.js';
import type { HostMessage, WorkerMessage } from './protocol.js';
import { transfer } from './worker-runtime.js';
import type { HandlerMap, TransferableObject } from './worker-types.js';

export { transfer };
export type { ActionsOf, Handler, HandlerContext, HandlerMap, ParamsOf, ResultOf, TransferableObject, WorkerActions } from './worker-types.js';

/** The parts of a dedicated worker's global scope this file uses. */
interface WorkerScope {
  postMessage(message: unknown, transfer: TransferableObject[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<HostMessage>) => void): void;
  addEventListener(type: 'unhandledrejection', listener: (event: PromiseRejectionEvent) => void): void;
}

function workerScope(): WorkerScope | undefined {
  // WorkerGlobalScope exists only inside workers; the main thread has a window instead.
  const scopeClass = (globalThis as { WorkerGlobalScope?: abstract new () => unknown }).WorkerGlobalScope;
  if (typeof scopeClass !== 'function' || !(globalThis instanceof scopeClass)) return undefined;
  const scope = globalThis as unknown as Partial<WorkerScope>;
  return typeof scope.postMessage === 'function' && typeof scope.addEventListener === 'function' ? (scope as WorkerScope) : undefined;
}

/**
 * A macrotask through a MessageChannel: it runs after the current message and its
 * microtasks without the 4 ms clamp nested setTimeout(0) gets in browsers, so results that
 * finish in the same turn share one 'done' (see worker-runtime.ts).
 */
function macrotaskScheduler(): (callback: () => void) => void {
  const channel = new MessageChannel();
  let pending: (() => void)[] = [];
  channel.port1.onmessage = () => {
    const callbacks = pending;
    pending = [];
    for (const callback of callbacks) callback();
  };
  return (callback) => {
    pending.push(callback);
    if (pending.length === 1) channel.port2.postMessage(null);
  };
}

/** Web Workers: the worker's global scope, its unhandledrejection event, a MessageChannel. */
const browserPlatform: WorkerPlatform = {
  port: () => {
    const scope = workerScope();
    if (scope === undefined) return undefined;
    return {
      post: (message: WorkerMessage, transferList?: TransferableObject[]) => scope.postMessage(message, transferList ?? []),
      onMessage: (callback) => scope.addEventListener('message', (event) => callback(event.data)),
    };
  },
  notAWorker: 'this is not a Web Worker',
  crashOnStrayRejections: (asError) => {
    // Rethrown, a stray rejection reaches the Worker's 'error' event on the host. A script
    // that handles rejections itself calls preventDefault() in its own listener (before or
    // after this one: the check waits until the event has been dispatched).
    workerScope()?.addEventListener('unhandledrejection', (event) => {
      queueMicrotask(() => {
        if (event.defaultPrevented) return;
        throw asError(event.reason);
      });
    });
  },
  runtimeOptions: () => ({ schedule: macrotaskScheduler() }),
};

/**
 * Declares this worker's actions: call once, at the top level of the worker script. Each
 * handler is `(params, ctx) => result` (or a promise of one); see worker-scripts/template.js.
 * Returns `handlers`, so `typeof` it can type a client.
 */
export function defineWorker<H extends HandlerMap>(handlers: H): H {
  return defineWorkerOn(browserPlatform, handlers);
}
