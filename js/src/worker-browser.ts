/** defineWorker() for worker scripts running in a browser's Web Worker. */
import type { HostMessage, WorkerMessage } from './protocol.js';
import { runWorker, transfer } from './worker-runtime.js';
import type { HandlerMap } from './worker-types.js';

export { transfer };
export type { Handler, HandlerContext, HandlerMap } from './worker-types.js';

/** Declares this worker's actions. Call once, at the top level of the worker script. */
export function defineWorker<H extends HandlerMap>(handlers: H): H {
  const scope = globalThis as unknown as {
    postMessage(message: unknown, transfer?: Transferable[]): void;
    addEventListener(type: 'message', listener: (event: MessageEvent<HostMessage>) => void): void;
  };
  if (typeof scope.postMessage !== 'function' || typeof (globalThis as { document?: unknown }).document !== 'undefined') {
    throw new Error('defineWorker() must run inside a Web Worker started by threadbank');
  }
  runWorker(
    {
      post: (message: WorkerMessage, transferList?: Transferable[]) => scope.postMessage(message, transferList ?? []),
      onMessage: (callback) => scope.addEventListener('message', (event) => callback(event.data)),
    },
    handlers,
  );
  return handlers;
}
