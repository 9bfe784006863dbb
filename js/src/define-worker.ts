/**
 * defineWorker(), written once: the checks, test mode's hook, the one-call rule and the
 * runtime's start. What differs between a worker_thread and a Web Worker (how to reach the
 * host, how a stray rejection becomes a crash, how to schedule a flush) is a WorkerPlatform
 * that worker-node.ts and worker-browser.ts each pass in.
 */
import { describe, ThreadbankError } from './errors.js';
import { checkHandlers, runWorker, type RuntimeOptions, type WorkerSidePort } from './worker-runtime.js';
import type { HandlerMap } from './worker-types.js';

/** What a platform gives defineWorker(). */
export interface WorkerPlatform {
  /** The port to the host, or undefined outside a worker threadbank started. */
  port(): WorkerSidePort | undefined;
  /** Why there is no port, for the error (e.g. "this is the main thread"). */
  notAWorker: string;
  /**
   * Makes a rejection nobody handles end the worker, as an uncaught error would: a handler
   * lost track of its work, and the host replaces the worker and charges what it ran. A
   * script that handles rejections itself keeps its choice.
   */
  crashOnStrayRejections(asError: (reason: unknown) => Error): void;
  /** The runtime's options on this platform (its flush scheduler). */
  runtimeOptions(): RuntimeOptions;
}

/** Test mode registers handlers here instead of starting a worker (see testing.ts). */
const TEST_HOOK = Symbol.for('threadbank.testWorkerHook');

let defined = false;

/** A stray rejection's reason, as the error that ends the worker. */
function strayRejection(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(`a promise was rejected and nothing handled it: ${describe(reason)}`);
}

export function defineWorkerOn<H extends HandlerMap>(platform: WorkerPlatform, handlers: H): H {
  checkHandlers(handlers);
  const hook = (globalThis as Record<symbol, ((handlers: HandlerMap) => void) | undefined>)[TEST_HOOK];
  if (hook) {
    hook(handlers);
    return handlers;
  }
  const port = platform.port();
  if (port === undefined) {
    throw new ThreadbankError('E_INVALID_ARGUMENT', `defineWorker() must run inside a worker started by threadbank (${platform.notAWorker}; pass the script to a bank instead of importing it)`);
  }
  if (defined) {
    // A second call would answer every task twice.
    throw new ThreadbankError('E_INVALID_ARGUMENT', 'defineWorker() was already called in this worker; define all actions in one call');
  }
  defined = true;
  platform.crashOnStrayRejections(strayRejection);
  runWorker(port, handlers, platform.runtimeOptions());
  return handlers;
}
