/**
 * A script host whose "workers" run in the calling thread: the same protocol, the same
 * worker runtime, no threads. Test mode uses it so users' suites stay fast and deterministic.
 */
import { decodeWorkerMessage, type HostMessage, type WorkerMessage } from './protocol.js';
import type { ScriptHost, ScriptWorkerHandle, SpawnOptions } from './script-host.js';
import type { WorkerScript } from './types.js';
import { runWorker } from './worker-runtime.js';
import type { HandlerMap } from './worker-types.js';

/** Resolves a bank's script to its handlers (test mode registers them by name). */
export type HandlerSource = (script: WorkerScript) => Promise<HandlerMap>;

/**
 * @param now the workers' clock (ms). Test mode passes the manager's manual clock: the
 *   handler times the workers report size the prefetch window, and with real time that
 *   window, and so which requests a worker holds when a test moves the clock, would vary.
 * @param deliver how a message gets to the other side: a microtask by default; the start-up
 *   warm-up (warm-up.ts) passes a macrotask, so each hop runs in a task of its own.
 */
export function inProcessHost(source: HandlerSource, now?: () => number, deliver: (hop: () => void) => void = queueMicrotask): ScriptHost {
  return (script: WorkerScript, options: SpawnOptions): ScriptWorkerHandle => {
    let alive = true;
    let toWorker: ((message: HostMessage) => void) | undefined;
    const early: HostMessage[] = [];
    let resolveReady!: (actions: string[]) => void;
    let rejectReady!: (error: Error) => void;
    const ready = new Promise<string[]>((resolve, reject) => {
      resolveReady = resolve;
      rejectReady = reject;
    });
    // Delivery is asynchronous in both directions, as with a real worker, so code under
    // test sees the same ordering it will see in production.
    const fromWorker = (raw: WorkerMessage) => {
      deliver(() => {
        if (!alive) return;
        // Checked as a real worker's messages are, so test mode refuses what production would.
        const decoded = decodeWorkerMessage(raw);
        if ('problem' in decoded) {
          alive = false;
          const error = new Error(`the worker sent a malformed message (${decoded.problem}); it was stopped`);
          rejectReady(error);
          options.onExit(error);
          return;
        }
        const { message } = decoded;
        if (message.type === 'ready') resolveReady(message.actions);
        else options.onMessage(message);
      });
    };
    source(script).then(
      (handlers) => {
        if (!alive) return;
        runWorker(
          {
            post: (message: WorkerMessage) => fromWorker(message),
            onMessage: (callback: (message: HostMessage) => void) => {
              toWorker = callback;
            },
          },
          handlers,
          now ? { now } : {},
        );
        for (const message of early.splice(0)) toWorker?.(message);
      },
      (error: Error) => rejectReady(error),
    );
    return {
      ready,
      post(message: HostMessage) {
        if (!alive) return;
        if (!toWorker) {
          early.push(message);
          return;
        }
        const toThisWorker = toWorker;
        deliver(() => {
          if (alive) toThisWorker(message);
        });
      },
      async terminate() {
        alive = false;
      },
    };
  };
}
